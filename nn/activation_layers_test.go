package nn_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// actForward builds l for a sample of shape in and runs x (batch first).
func actForward(t *testing.T, l nn.Layer, in tensor.Shape, x []float32) []float32 {
	t.Helper()
	if err := l.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatalf("%s: Build: %v", l.Class(), err)
	}
	xt := tensor.New(append(tensor.Shape{len(x) / in.Size()}, in...)...)
	copy(xt.Data, x)
	return append([]float32(nil), l.Forward(xt, false).Data...)
}

func actNear(got, want []float32, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			return false
		}
	}
	return true
}

// TestActivationLayerValues checks outputs against numbers worked out by
// hand from Keras's definitions; the ReLU and LeakyReLU rows on
// [-10, -5, 0, 5, 10] are the examples in Keras's own docstrings
// (keras/src/activations/activations.py, layers/activations/*.py).
func TestActivationLayerValues(t *testing.T) {
	kx := []float32{-10, -5, 0, 5, 10}
	em1 := float32(math.Exp(-1) - 1)
	tests := []struct {
		name string
		l    nn.Layer
		in   tensor.Shape
		x    []float32
		want []float32
	}{
		{"relu", &nn.ReLU{}, tensor.Shape{5}, kx, []float32{0, 0, 0, 5, 10}},
		{"relu_slope", &nn.ReLU{NegativeSlope: 0.5}, tensor.Shape{5}, kx, []float32{-5, -2.5, 0, 5, 10}},
		{"relu_max", &nn.ReLU{MaxValue: 5}, tensor.Shape{5}, kx, []float32{0, 0, 0, 5, 5}},
		{"relu_threshold", &nn.ReLU{Threshold: 5}, tensor.Shape{5}, kx, []float32{0, 0, 0, 0, 10}},
		{"relu_layer_doc", &nn.ReLU{MaxValue: 10, NegativeSlope: 0.5}, tensor.Shape{5}, kx, []float32{-5, -2.5, 0, 5, 10}},
		// Below t: s·(x-t); at t exactly: 0; above: x clipped at m.
		{"relu_all", &nn.ReLU{Threshold: 2, NegativeSlope: 0.5, MaxValue: 6}, tensor.Shape{5},
			[]float32{-2, 2, 2.5, 7, 1}, []float32{-2, 0, 2.5, 6, -0.5}},
		{"leaky_default", &nn.LeakyReLU{}, tensor.Shape{5}, kx, []float32{-3, -1.5, 0, 5, 10}},
		{"leaky_doc", &nn.LeakyReLU{NegativeSlope: 0.5}, tensor.Shape{5}, kx, []float32{-5, -2.5, 0, 5, 10}},
		{"elu", &nn.ELU{}, tensor.Shape{3}, []float32{-1, 0, 2}, []float32{em1, 0, 2}},
		{"elu_alpha", &nn.ELU{Alpha: 2}, tensor.Shape{3}, []float32{-1, 0, 2}, []float32{2 * em1, 0, 2}},
		// keras/src/layers/activations/softmax.py's docstring example.
		{"softmax", &nn.Softmax{}, tensor.Shape{3}, []float32{1, 2, 1}, []float32{0.21194157, 0.5761169, 0.21194157}},
		// Along axis 1 of (2, 2) samples: each column is normalised.
		{"softmax_axis1", &nn.Softmax{Axis: 1}, tensor.Shape{2, 2}, []float32{1, 3, 2, 2},
			[]float32{0.26894142, 0.7310586, 0.7310586, 0.26894142}},
		{"softmax_axis_neg2", &nn.Softmax{Axis: -2}, tensor.Shape{2, 2}, []float32{1, 3, 2, 2},
			[]float32{0.26894142, 0.7310586, 0.7310586, 0.26894142}},
	}
	for _, tt := range tests {
		if got := actForward(t, tt.l, tt.in, tt.x); !actNear(got, tt.want, 1e-6) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPReLUValuesAndAlphaGradient: alpha (1, 3) shared along axis 1 of
// (2, 3) samples; its gradient sums dy·x over the negative inputs of the
// shared axis and the batch.
func TestPReLUValuesAndAlphaGradient(t *testing.T) {
	p := &nn.PReLU{SharedAxes: []int{1}}
	if err := p.Build(tensor.Shape{2, 3}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	alpha := p.Params()[0]
	if !alpha.Value.Shape.Equal(tensor.Shape{1, 3}) {
		t.Fatalf("alpha shape %v, want [1 3]", alpha.Value.Shape)
	}
	if !actNear(alpha.Value.Data, []float32{0, 0, 0}, 0) {
		t.Fatalf("alpha starts at %v, want zeros (Keras's default)", alpha.Value.Data)
	}
	copy(alpha.Value.Data, []float32{0.1, 0.2, 0.3})
	sample := []float32{-1, 2, -3, 4, -5, 6}
	x := tensor.New(2, 2, 3)
	copy(x.Data, sample)
	copy(x.Data[6:], sample)
	y := p.Forward(x, true)
	one := []float32{-0.1, 2, -0.9, 4, -1, 6}
	if !actNear(y.Data, append(append([]float32(nil), one...), one...), 1e-6) {
		t.Errorf("y = %v, want %v twice", y.Data, one)
	}
	dy := tensor.New(2, 2, 3)
	for i := range dy.Data {
		dy.Data[i] = 1
	}
	dx := p.Backward(dy)
	dx1 := []float32{0.1, 1, 0.3, 1, 0.2, 1}
	if !actNear(dx.Data[:6], dx1, 1e-6) || !actNear(dx.Data[6:], dx1, 1e-6) {
		t.Errorf("dx = %v, want %v twice", dx.Data, dx1)
	}
	if want := []float32{-2, -10, -6}; !actNear(alpha.Grad.Data, want, 1e-6) {
		t.Errorf("d alpha = %v, want %v", alpha.Grad.Data, want)
	}
}

// actAwayFrom draws N(0,1) inputs at least 0.1 from each kink.
func actAwayFrom(kinks ...float64) func(r *rand.Rand, x []float32) {
	return func(r *rand.Rand, x []float32) {
		for i := range x {
		draw:
			v := r.NormFloat64() * 3
			for _, k := range kinks {
				if math.Abs(v-k) < 0.1 {
					goto draw
				}
			}
			x[i] = float32(v)
		}
	}
}

func TestActivationLayerGradients(t *testing.T) {
	tests := []struct {
		name  string
		l     nn.Layer
		in    tensor.Shape
		kinks []float64
	}{
		{"relu", &nn.ReLU{}, tensor.Shape{7}, []float64{0}},
		{"relu_all", &nn.ReLU{MaxValue: 2, NegativeSlope: 0.2, Threshold: 0.5}, tensor.Shape{3, 4}, []float64{0.5, 2}},
		{"relu_slope", &nn.ReLU{NegativeSlope: 0.1}, tensor.Shape{6}, []float64{0}},
		{"leaky", &nn.LeakyReLU{}, tensor.Shape{6}, []float64{0}},
		{"leaky_slope", &nn.LeakyReLU{NegativeSlope: 0.05}, tensor.Shape{6}, []float64{0}},
		{"elu", &nn.ELU{}, tensor.Shape{6}, []float64{0}},
		{"elu_alpha", &nn.ELU{Alpha: 0.5}, tensor.Shape{2, 3}, []float64{0}},
		{"prelu", &nn.PReLU{}, tensor.Shape{2, 3}, []float64{0}},
		{"prelu_shared", &nn.PReLU{SharedAxes: []int{1, 2}}, tensor.Shape{3, 2, 4}, []float64{0}},
		{"prelu_shared_mid", &nn.PReLU{SharedAxes: []int{2}, AlphaInitializer: nn.Ones}, tensor.Shape{3, 2, 4}, []float64{0}},
		{"softmax", &nn.Softmax{}, tensor.Shape{5}, nil},
		{"softmax_3d_last", &nn.Softmax{}, tensor.Shape{2, 3, 4}, nil},
		{"softmax_axis1", &nn.Softmax{Axis: 1}, tensor.Shape{3, 4}, nil},
		{"softmax_axis2_of_3", &nn.Softmax{Axis: 2}, tensor.Shape{2, 3, 4}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tt.in, nntest.GradOptions{Batch: 3, Step: 1e-3, Input: actAwayFrom(tt.kinks...)})
		})
	}
}

// TestActivationLayersAllocateNothing: steady-state Forward and Backward
// allocate nothing.
func TestActivationLayersAllocateNothing(t *testing.T) {
	layers := []nn.Layer{
		&nn.ReLU{}, &nn.ReLU{MaxValue: 6, NegativeSlope: 0.1, Threshold: 0.5}, &nn.LeakyReLU{}, &nn.ELU{},
		&nn.PReLU{SharedAxes: []int{1, 2}}, &nn.Softmax{}, &nn.Softmax{Axis: 1},
	}
	in := tensor.Shape{4, 4, 3}
	for _, l := range layers {
		if err := l.Build(in, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		x, dy := tensor.New(8, 4, 4, 3), tensor.New(8, 4, 4, 3)
		for i := range x.Data {
			x.Data[i] = float32(i%7) - 3
			dy.Data[i] = float32(i % 3)
		}
		step := func() { l.Forward(x, true); l.Backward(dy) }
		step()
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("%s %+v: %v allocations per step", l.Class(), l, a)
		}
	}
}

// TestActivationLayerConfigRoundTrip: FromConfig(LayerConfig(l)) writes
// the same config again, through JSON, frozen flag included.
func TestActivationLayerConfigRoundTrip(t *testing.T) {
	layers := []nn.Layer{
		&nn.ReLU{Name: "r"}, &nn.ReLU{Name: "r6", MaxValue: 6, NegativeSlope: 0.1, Threshold: 0.5},
		&nn.LeakyReLU{Name: "l"}, &nn.LeakyReLU{Name: "l1", NegativeSlope: 0.1},
		&nn.ELU{Name: "e"}, &nn.ELU{Name: "e2", Alpha: 2},
		&nn.PReLU{Name: "p"},
		&nn.PReLU{Name: "p2", SharedAxes: []int{1, 2}, AlphaInitializer: nn.Ones,
			AlphaRegularizer: regularizer.L1L2{L2: 0.01}, AlphaConstraint: constraint.NonNeg{}},
		&nn.Softmax{Name: "s"}, &nn.Softmax{Name: "s1", Axis: 1},
	}
	explicit := map[string]bool{"r": true, "r6": true, "l1": true, "e2": true, "p2": true, "s1": true}
	for _, l := range layers {
		l.(nn.Freezable).SetTrainable(l.LayerName() != "p2")
		cfg := jsonRoundTrip(t, nn.LayerConfig(l))
		back, err := nn.FromConfig(l.Class(), cfg)
		if err != nil {
			t.Errorf("%s: %v", l.LayerName(), err)
			continue
		}
		if again := jsonRoundTrip(t, nn.LayerConfig(back)); !reflect.DeepEqual(again, cfg) {
			t.Errorf("%s: config %v came back as %v", l.LayerName(), cfg, again)
		}
		// Zero fields stand for Keras's defaults, which the config spells
		// out (LeakyReLU's 0.3, Softmax's -1): only layers with every field
		// explicit come back field for field.
		if explicit[l.LayerName()] && !reflect.DeepEqual(back, l) {
			t.Errorf("%s: layer %+v came back as %+v", l.LayerName(), l, back)
		}
	}
}

// TestActivationLayerKerasConfigs reads configs as Keras writes them,
// including Keras 2's LeakyReLU "alpha" and list forms.
func TestActivationLayerKerasConfigs(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  nn.Layer
	}{
		{"ReLU", map[string]any{"max_value": nil, "negative_slope": 0.0, "threshold": 0.0}, &nn.ReLU{}},
		{"ReLU", map[string]any{"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}, &nn.ReLU{MaxValue: 6}},
		{"LeakyReLU", map[string]any{"negative_slope": 0.3}, &nn.LeakyReLU{NegativeSlope: 0.3}},
		{"LeakyReLU", map[string]any{"alpha": 0.1}, &nn.LeakyReLU{NegativeSlope: 0.1}},
		{"LeakyReLU", map[string]any{}, &nn.LeakyReLU{NegativeSlope: 0.3}},
		{"ELU", map[string]any{}, &nn.ELU{}},
		{"ELU", map[string]any{"alpha": 0.5}, &nn.ELU{Alpha: 0.5}},
		{"Softmax", map[string]any{"axis": -1.0}, &nn.Softmax{Axis: -1}},
		{"Softmax", map[string]any{"axis": []any{2.0}}, &nn.Softmax{Axis: 2}},
		{"PReLU", map[string]any{"shared_axes": 3.0}, &nn.PReLU{SharedAxes: []int{3}}},
		{"PReLU", map[string]any{"alpha_initializer": map[string]any{"class_name": "Zeros", "config": map[string]any{}},
			"alpha_regularizer": nil, "alpha_constraint": nil, "shared_axes": nil}, &nn.PReLU{AlphaInitializer: nn.Zeros}},
	}
	for _, tt := range tests {
		l, err := nn.FromConfig(tt.class, tt.cfg)
		if err != nil {
			t.Errorf("%s %v: %v", tt.class, tt.cfg, err)
			continue
		}
		if !reflect.DeepEqual(l, tt.want) {
			t.Errorf("%s %v: got %+v, want %+v", tt.class, tt.cfg, l, tt.want)
		}
	}
}

// TestActivationLayerBadConfigs: values gokeras or Keras refuses are
// errors naming the key and the value.
func TestActivationLayerBadConfigs(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"ReLU", map[string]any{"negative_slope": -0.1}, "negative_slope must be >= 0, got -0.1"},
		{"ReLU", map[string]any{"threshold": -1.0}, "threshold must be >= 0, got -1"},
		{"ReLU", map[string]any{"max_value": 0.0}, "max_value=0 is not implemented for ReLU"},
		{"ReLU", map[string]any{"max_value": -1.0}, "max_value=-1 is not implemented for ReLU"},
		{"LeakyReLU", map[string]any{"negative_slope": 0.0}, "negative_slope=0 is not implemented for LeakyReLU: gokeras reads a LeakyReLU's slope 0 as the default 0.3; use a ReLU layer"},
		{"LeakyReLU", map[string]any{"alpha": -0.3}, "alpha must be >= 0, got -0.3"},
		{"ELU", map[string]any{"alpha": 0.0}, "alpha must be positive, got 0"},
		{"Softmax", map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented for Softmax: gokeras normalises along one axis"},
		{"Softmax", map[string]any{"axis": 0.0}, "axis=0 is not implemented for Softmax: axis 0 is the batch axis"},
		{"PReLU", map[string]any{"alpha_regularizer": "l7"}, "alpha_regularizer"},
		{"PReLU", map[string]any{"alpha_initializer": "he_normal", "shared_axes": []any{1.0}, "alpha": 0.2}, `unknown key "alpha"`},
	}
	for _, tt := range tests {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want it to contain %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}

// TestActivationLayerBuildErrors: shapes the layers cannot take.
func TestActivationLayerBuildErrors(t *testing.T) {
	tests := []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.PReLU{SharedAxes: []int{3}}, tensor.Shape{4, 4}, "axis 3 is not one of the input's axes 1..2"},
		{&nn.PReLU{SharedAxes: []int{0}}, tensor.Shape{4, 4}, "axis 0 is not one of the input's axes"},
		{&nn.PReLU{AlphaInitializer: nn.Dirac}, tensor.Shape{4}, "dirac"},
		{&nn.Softmax{Axis: 3}, tensor.Shape{4, 4}, "axis 3 is not an axis of a sample of shape (4, 4)"},
		{&nn.Softmax{Axis: -3}, tensor.Shape{4, 4}, "axis -3 is not an axis"},
		{&nn.ReLU{MaxValue: -1}, tensor.Shape{4}, "max_value is -1"},
	}
	for _, tt := range tests {
		err := tt.l.Build(tt.in, rand.New(rand.NewPCG(1, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: err = %v, want it to contain %q", tt.l.Class(), tt.l, err, tt.want)
		}
	}
}

// TestPReLUPenaltyOnParam: alpha_regularizer and alpha_constraint reach
// the alpha Param, where training finds them.
func TestPReLUPenaltyOnParam(t *testing.T) {
	p := &nn.PReLU{AlphaRegularizer: regularizer.L1L2{L1: 0.1}, AlphaConstraint: constraint.NonNeg{}}
	if err := p.Build(tensor.Shape{3}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	a := p.Params()[0]
	if a.Name != "alpha" || a.Regularizer == nil || a.Constraint == nil {
		t.Errorf("alpha Param %+v lacks its regularizer or constraint", a)
	}
}
