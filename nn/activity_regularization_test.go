package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

func TestActivityRegularizationLayer(t *testing.T) {
	// The layer alone is the identity, forward and backward.
	nntest.CheckGradients(t, &nn.ActivityRegularization{L1: 0.1, L2: 0.2}, tensor.Shape{3, 2}, nntest.GradOptions{})

	// In a Stack, its L1L2 penalty of the batch is the activity penalty:
	// y = x = [[1, -2], [0.5, 0]]: 0.1·Σ|y| + 0.2·Σy² = 0.1·3.5 + 0.2·5.25 = 1.4.
	// An identity Dense first: a network without weights needs no gradient.
	s := &nn.Stack{}
	s.Add(&nn.Dense{Units: 2, NoBias: true, InputShape: tensor.Shape{2}}, &nn.ActivityRegularization{L1: 0.1, L2: 0.2})
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	copy(s.Params()[0].Value.Data, []float32{1, 0, 0, 1})
	x := &tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{1, -2, 0.5, 0}}
	y := s.Forward(x, true)
	for i := range x.Data {
		if y.Data[i] != x.Data[i] {
			t.Fatalf("output %v, want the input %v", y.Data, x.Data)
		}
	}
	// The factors are float32 in Keras: 0.1 → 0.10000000149011612.
	if p, want := s.ActivityPenalty(), float64(float32(0.1))*3.5+float64(float32(0.2))*5.25; math.Abs(p-want) > 1e-12 {
		t.Errorf("activity penalty %.17g, want %.17g", p, want)
	}
	// Backward adds l1·sign(y) + 2·l2·y to the incoming gradient:
	// dy = 1 gives 1 + (0.1 + 0.4, -0.1 - 0.8; 0.1 + 0.2, 0 + 0).
	dy := &tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{1, 1, 1, 1}}
	s.Backward(dy)
	for i, want := range []float64{1.5, 0.1, 1.3, 1} {
		if math.Abs(float64(dy.Data[i])-want) > 1e-6 {
			t.Errorf("gradient[%d] = %v, want %v", i, dy.Data[i], want)
		}
	}
	// Zero factors (Keras's defaults) add no penalty.
	if r := (&nn.ActivityRegularization{}).OutputRegularizer(); r != nil {
		t.Errorf("default layer's regularizer is %v, want none", r)
	}
}

func TestActivityRegularizationConfig(t *testing.T) {
	// As Keras 3 writes it (get_config pops activity_regularizer).
	js := `{"name": "activity_regularization", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "l1": 0.01, "l2": 0.0}`
	var cfg map[string]any
	if err := json.Unmarshal([]byte(js), &cfg); err != nil {
		t.Fatal(err)
	}
	l, err := nn.FromConfig("ActivityRegularization", cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := l.(*nn.ActivityRegularization)
	if a.L1 != 0.01 || a.L2 != 0 || a.Name != "activity_regularization" {
		t.Errorf("read %+v", a)
	}
	back, err := nn.FromConfig("ActivityRegularization", jsonRoundTrip(t, nn.LayerConfig(a)))
	if b, ok := back.(*nn.ActivityRegularization); err != nil || !ok || b.L1 != a.L1 || b.L2 != a.L2 || b.Name != a.Name {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	for _, c := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"l1": -0.5}, "l1 is -0.5; want a non-negative factor"},
		{map[string]any{"l2": "x"}, `"l2" is x; want a number`},
		{map[string]any{"l1": 0.01, "activity_regularizer": map[string]any{"class_name": "L2"}}, "activity_regularizer"},
		{map[string]any{"l3": 0.01}, `unknown key "l3"`},
	} {
		if _, err := nn.FromConfig("ActivityRegularization", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

// jsonRoundTrip passes a config through JSON, as a model file does.
func jsonRoundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStackGradients compares the weight gradients of
// loss = Σ w⊙y + activity penalties + weight penalties, as train.Model
// computes them (Stack.Backward, then each Param's Regularizer.AddGrad),
// with central finite differences.
func checkStackGradients(t *testing.T, s *nn.Stack, batch int, seed uint64) {
	t.Helper()
	if err := s.Build(nil, seed); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 5))
	// Random weights, none within 0.05 of 0: a step across L1's kink at 0
	// would make the finite difference wrong.
	for _, p := range s.Params() {
		for i, v := range p.Value.Data {
			v += float32(r.NormFloat64() * 0.3)
			if v > -0.05 && v < 0.05 {
				v = float32(math.Copysign(0.05, float64(v)))
			}
			p.Value.Data[i] = v
		}
	}
	x := tensor.New(append(tensor.Shape{batch}, s.InputShape()...)...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	out := s.OutputShape()
	w := make([]float32, batch*out.Size())
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	loss := func() float64 {
		y := s.Forward(x, false)
		var l float64
		for i, v := range y.Data {
			l += float64(w[i]) * float64(v)
		}
		l += s.ActivityPenalty()
		for _, p := range s.Params() {
			if p.Regularizer != nil {
				l += p.Regularizer.Penalty(p.Value.Data, p.Value.Shape)
			}
		}
		return l
	}
	loss()
	s.Backward(&tensor.Tensor{Shape: append(tensor.Shape{batch}, out...), Data: append([]float32(nil), w...)})
	grads := map[*nn.Param][]float32{}
	for _, p := range s.Params() {
		if p.Regularizer != nil {
			p.Regularizer.AddGrad(p.Grad.Data, p.Value.Data, p.Value.Shape)
		}
		grads[p] = append([]float32(nil), p.Grad.Data...)
	}
	const h, tol = 1e-3, 1e-2
	for li, l := range s.Layers {
		for _, p := range l.Params() {
			bad := 0
			for i := range p.Value.Data {
				old := p.Value.Data[i]
				p.Value.Data[i] = old + h
				lp := loss()
				p.Value.Data[i] = old - h
				lm := loss()
				p.Value.Data[i] = old
				num, ana := (lp-lm)/(2*h), float64(grads[p][i])
				if math.Abs(num-ana) > tol*(math.Abs(num)+math.Abs(ana))+tol {
					bad++
					if bad <= 3 {
						t.Errorf("layer %d (%s) %s[%d]: gradient %.6g, finite difference %.6g", li, l.Class(), p.Name, i, ana, num)
					}
				}
			}
		}
	}
}

// TestStackPenaltyGradients: the gradient of the loss plus every kind of
// penalty, through Dense, Conv2D and ActivityRegularization in a Stack.
func TestStackPenaltyGradients(t *testing.T) {
	s := &nn.Stack{}
	s.Add(
		&nn.Dense{Units: 4, Activation: activation.Tanh, InputShape: tensor.Shape{3},
			KernelRegularizer:   regularizer.L2{L2: 0.3},
			BiasRegularizer:     regularizer.L1{L1: 0.2},
			ActivityRegularizer: regularizer.L1L2{L1: 0.1, L2: 0.2}},
		&nn.ActivityRegularization{L1: 0.05, L2: 0.3},
		&nn.Dense{Units: 3, KernelRegularizer: &regularizer.Orthogonal{Factor: 0.5, Mode: regularizer.Columns}},
	)
	checkStackGradients(t, s, 3, 1)

	c := &nn.Stack{}
	c.Add(
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{2, 2}, Activation: activation.Tanh, InputShape: tensor.Shape{4, 4, 2},
			KernelRegularizer:   regularizer.L1L2{L1: 0.01, L2: 0.1},
			BiasRegularizer:     regularizer.L2{L2: 0.5},
			ActivityRegularizer: regularizer.L2{L2: 0.05}},
		&nn.Flatten{},
		// An orthogonal activity penalty: the rows are the batch's examples.
		&nn.Dense{Units: 3, ActivityRegularizer: &regularizer.Orthogonal{Factor: 0.3}},
	)
	checkStackGradients(t, c, 4, 2)
}

// Keras 3's model.to_json() of
//
//	Dense(4, activation="relu", kernel_regularizer=L2(0.01),
//	      bias_regularizer=L1(0.001), activity_regularizer=L1L2(l2=0.001),
//	      kernel_constraint=MaxNorm(3))
const kerasDense = `{"name": "dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
 "units": 4, "activation": "relu", "use_bias": true,
 "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
 "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.009999999776482582}, "registered_name": null},
 "bias_regularizer": {"module": "keras.regularizers", "class_name": "L1", "config": {"l1": 0.0010000000474974513}, "registered_name": null},
 "kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}, "registered_name": null},
 "bias_constraint": null, "quantization_config": null,
 "activity_regularizer": {"module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0010000000474974513}, "registered_name": null}}`

// Keras 3's Conv2D(8, 3, kernel_constraint=MaxNorm(2, axis=[0, 1, 2]),
// bias_constraint=NonNeg()): base_conv.py writes activity_regularizer null.
const kerasConv = `{"name": "conv2d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
 "filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
 "activation": "linear", "use_bias": true,
 "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
 "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
 "kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2, "axis": [0, 1, 2]}, "registered_name": null},
 "bias_constraint": {"module": "keras.constraints", "class_name": "NonNeg", "config": {}, "registered_name": null}}`

var penaltyKeys = []string{"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"}

func TestPenaltyConfigs(t *testing.T) {
	for _, c := range []struct {
		class, js string
		in        tensor.Shape
	}{{"Dense", kerasDense, tensor.Shape{5}}, {"Conv2D", kerasConv, tensor.Shape{6, 6, 2}}} {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.js), &cfg); err != nil {
			t.Fatal(err)
		}
		l, err := nn.FromConfig(c.class, cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		if err := l.Build(c.in, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatalf("%s: Build: %v", c.class, err)
		}
		// Every key reads back as Keras wrote it.
		out := jsonRoundTrip(t, nn.LayerConfig(l))
		for _, k := range penaltyKeys {
			want, _ := json.Marshal(cfg[k])
			got, _ := json.Marshal(out[k])
			if string(got) != string(want) {
				t.Errorf("%s %s written as %s, want %s", c.class, k, got, want)
			}
		}
		// Build handed them to the weights.
		ps := l.Params()
		switch c.class {
		case "Dense":
			d := l.(*nn.Dense)
			if ps[0].Regularizer != (regularizer.L2{L2: 0.009999999776482582}) || ps[1].Regularizer != (regularizer.L1{L1: 0.0010000000474974513}) ||
				ps[1].Constraint != nil || d.OutputRegularizer() != (regularizer.L1L2{L2: 0.0010000000474974513}) {
				t.Errorf("Dense params: %v %v %v, activity %v", ps[0].Regularizer, ps[1].Regularizer, ps[1].Constraint, d.OutputRegularizer())
			}
			if m, ok := ps[0].Constraint.(constraint.MaxNorm); !ok || m.Max() != 3 || len(m.Axis) != 1 || m.Axis[0] != 0 {
				t.Errorf("Dense kernel constraint %#v", ps[0].Constraint)
			}
		case "Conv2D":
			if ps[0].Regularizer != nil || ps[1].Regularizer != nil || ps[1].Constraint != (constraint.NonNeg{}) || l.(*nn.Conv2D).OutputRegularizer() != nil {
				t.Errorf("Conv2D params: %v %v %v", ps[0].Regularizer, ps[1].Regularizer, ps[1].Constraint)
			}
			if m, ok := ps[0].Constraint.(constraint.MaxNorm); !ok || len(m.Axis) != 3 {
				t.Errorf("Conv2D kernel constraint %#v", ps[0].Constraint)
			}
		}
	}
	// Unset, Dense writes null for four keys and leaves activity_regularizer
	// out (Keras's Layer.get_config writes it only when set); Conv2D writes
	// all five as null.
	d := nn.LayerConfig(&nn.Dense{Units: 2})
	c := nn.LayerConfig(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}})
	for _, k := range penaltyKeys {
		v, ok := d[k]
		if k == "activity_regularizer" {
			if ok {
				t.Errorf("Dense wrote %s %v without one", k, v)
			}
		} else if !ok || v != nil {
			t.Errorf("Dense %s: %v, %v; want null", k, v, ok)
		}
		if v, ok := c[k]; !ok || v != nil {
			t.Errorf("Conv2D %s: %v, %v; want null", k, v, ok)
		}
	}
}

func TestPenaltyConfigErrors(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		in    tensor.Shape
		want  string
	}{
		// Refused by FromConfig.
		{"Dense", map[string]any{"units": 2.0, "kernel_regularizer": map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.01, "l3": 1.0}}}, nil,
			`kernel_regularizer: regularizer: L2 config has unknown key "l3"`},
		{"Dense", map[string]any{"units": 2.0, "bias_regularizer": "l3"}, nil, `bias_regularizer: regularizer: unknown regularizer "l3"`},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "kernel_constraint": map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": -1.0}}}, nil,
			`kernel_constraint: constraint: MaxNorm config: "max_value" is -1`},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "bias_constraint": "radial"}, nil, `bias_constraint: constraint: unknown constraint "radial"`},
		// Refused by Build, which knows the shapes.
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "kernel_regularizer": "orthogonal_regularizer"}, tensor.Shape{5, 5, 1},
			"kernel_regularizer: regularizer: OrthogonalRegularizer takes rank-2 tensors"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "activity_regularizer": "orthogonal_regularizer"}, tensor.Shape{5, 5, 1},
			"activity_regularizer: regularizer: OrthogonalRegularizer takes rank-2 tensors"},
		{"Dense", map[string]any{"units": 2.0, "kernel_constraint": map[string]any{"class_name": "UnitNorm", "config": map[string]any{"axis": 2.0}}}, tensor.Shape{3},
			"kernel_constraint: constraint: UnitNorm axis 2 is outside a weight of shape (3, 2)"},
		{"Dense", map[string]any{"units": 2.0, "kernel_regularizer": map[string]any{"class_name": "OrthogonalRegularizer", "config": map[string]any{"mode": "rows"}}}, tensor.Shape{1},
			"kernel_regularizer: regularizer: OrthogonalRegularizer in mode \"rows\" on shape (1, 2): one row"},
	} {
		l, err := nn.FromConfig(c.class, c.cfg)
		if err == nil && c.in != nil {
			s := &nn.Stack{}
			s.Add(l)
			err = s.Build(c.in, 1)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v; want an error containing %q", c.class, c.cfg, err, c.want)
		}
	}
}
