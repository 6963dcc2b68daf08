package train

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// denseModel is a Dense(classes, softmax) classifier on in features with
// seeded weights, and n random samples for it with sparse labels.
func denseModel(t *testing.T, in, classes, n int, l loss.Loss) (*Model, *tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	act := activation.Softmax
	if classes == 1 {
		act = activation.Sigmoid
	}
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: classes, Activation: act, InputShape: tensor.Shape{in}})
	if err := net.Build(nil, 3); err != nil {
		t.Fatal(err)
	}
	// A non-zero bias, so its gradient is checked too.
	bias := net.Layers[0].Params()[1].Value.Data
	for i := range bias {
		bias[i] = 0.1 * float32(i+1)
	}
	r := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(n, in)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := tensor.New(n)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(max(classes, 2)))
	}
	return &Model{Net: net, Loss: l, Optimizer: &optim.SGD{LR: 0.1}}, x, y
}

func oneHot(y *tensor.Tensor, classes int) *tensor.Tensor {
	o := tensor.New(y.Len(), classes)
	for i, v := range y.Data {
		o.Data[i*classes+int(v)] = 1
	}
	return o
}

func quiet(o Options) Options {
	o.Out, o.Verbose = io.Discard, Silent
	return o
}

// TestWeightedStepByHand checks a weighted training step's loss and
// gradients against Keras's definition worked out in float64: with
// p_i = softmax(x_i·W + b), l_i = -log p_i[y_i],
// loss = sum_i w_i·l_i / N and dW = sum_i w_i·x_i⊗(p_i - onehot(y_i)) / N
// (keras/src/losses/loss.py: weights multiply, the divisor is N).
func TestWeightedStepByHand(t *testing.T) {
	const in, classes, n = 3, 4, 5
	for _, fromLogits := range []bool{false, true} {
		m, x, y := denseModel(t, in, classes, n, loss.SparseCategoricalCrossentropy{})
		if fromLogits {
			m.Net.Layers[0].(*nn.Dense).Activation = activation.Linear
			m.Loss = loss.SparseCategoricalCrossentropy{FromLogits: true}
		}
		w := []float32{0.5, 2, 0, 1, 3}
		kern, bias := m.Net.Layers[0].Params()[0], m.Net.Layers[0].Params()[1]
		W, b := append([]float32(nil), kern.Value.Data...), append([]float32(nil), bias.Value.Data...)
		var want float64
		dW, db := make([]float64, in*classes), make([]float64, classes)
		for i := 0; i < n; i++ {
			z := make([]float64, classes)
			var zmax float64 = math.Inf(-1)
			for c := 0; c < classes; c++ {
				z[c] = float64(b[c])
				for k := 0; k < in; k++ {
					z[c] += float64(x.Data[i*in+k]) * float64(W[k*classes+c])
				}
				zmax = math.Max(zmax, z[c])
			}
			var s float64
			for c := range z {
				s += math.Exp(z[c] - zmax)
			}
			label := int(y.Data[i])
			want += float64(w[i]) * -(z[label] - zmax - math.Log(s)) / n
			for c := 0; c < classes; c++ {
				d := math.Exp(z[c]-zmax) / s
				if c == label {
					d--
				}
				d *= float64(w[i]) / n
				db[c] += d
				for k := 0; k < in; k++ {
					dW[k*classes+c] += float64(x.Data[i*in+k]) * d
				}
			}
		}
		m.gather()
		got := m.step(x, y, w)
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("from_logits %v: loss %v, want %v", fromLogits, got, want)
		}
		for i, g := range kern.Grad.Data {
			if math.Abs(float64(g)-dW[i]) > 1e-6 {
				t.Errorf("from_logits %v: dkernel[%d] %v, want %v", fromLogits, i, g, dW[i])
			}
		}
		for i, g := range bias.Grad.Data {
			if math.Abs(float64(g)-db[i]) > 1e-6 {
				t.Errorf("from_logits %v: dbias[%d] %v, want %v", fromLogits, i, g, db[i])
			}
		}
	}
}

// TestWeightsOfTwoDoubleLossAndGradient: weights of 2 on every sample give
// exactly twice the loss and twice every gradient of no weights.
func TestWeightsOfTwoDoubleLossAndGradient(t *testing.T) {
	for _, l := range []loss.Loss{loss.SparseCategoricalCrossentropy{}, loss.SparseCategoricalCrossentropy{FromLogits: true}} {
		a, x, y := denseModel(t, 3, 4, 6, l)
		b, _, _ := denseModel(t, 3, 4, 6, l)
		twos := []float32{2, 2, 2, 2, 2, 2}
		a.gather()
		b.gather()
		la, lb := a.step(x, y, nil), b.step(x, y, twos)
		if lb != 2*la {
			t.Errorf("%+v: loss %v with weights 2, want exactly 2×%v", l, lb, la)
		}
		for i := range a.grads {
			for j, g := range a.grads[i].Data {
				if b.grads[i].Data[j] != 2*g {
					t.Errorf("%+v: %s grad[%d] %v with weights 2, want exactly 2×%v", l, a.names[i], j, b.grads[i].Data[j], g)
				}
			}
		}
	}
}

// TestClassWeightOfOnesIsNoWeights: class weights of 1 for every class
// train exactly as no weights do (the same logs and weights, bit for bit),
// for sparse labels and one-hot rows.
func TestClassWeightOfOnesIsNoWeights(t *testing.T) {
	for _, sparse := range []bool{true, false} {
		var l loss.Loss = loss.SparseCategoricalCrossentropy{}
		if !sparse {
			l = loss.CategoricalCrossentropy{}
		}
		a, x, y := denseModel(t, 3, 4, 40, l)
		b, _, _ := denseModel(t, 3, 4, 40, l)
		if !sparse {
			y = oneHot(y, 4)
		}
		a.Metrics = []metric.Metric{&metric.Accuracy{}}
		b.Metrics = []metric.Metric{&metric.Accuracy{}}
		a.WeightedMetrics = []metric.Metric{&metric.Accuracy{}}
		b.WeightedMetrics = []metric.Metric{&metric.Accuracy{}}
		o := quiet(Options{Epochs: 3, BatchSize: 8, ValidationSplit: 0.25, Seed: 9})
		ha, err := Fit(context.Background(), a, x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		o.ClassWeight = map[int]float64{0: 1, 1: 1, 2: 1, 3: 1}
		hb, err := Fit(context.Background(), b, x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		for k, va := range ha.History {
			vb := hb.History[k]
			for e := range va {
				if va[e] != vb[e] {
					t.Errorf("sparse %v: %s at epoch %d: %v without weights, %v with class weights of 1", sparse, k, e, va[e], vb[e])
				}
			}
		}
		for i, p := range a.values {
			for j, v := range p.Data {
				if b.values[i].Data[j] != v {
					t.Fatalf("sparse %v: %s[%d] differs: %v and %v", sparse, a.names[i], j, v, b.values[i].Data[j])
				}
			}
		}
	}
}

// TestClassWeights checks the mapping from class weights to sample weights
// (keras/src/trainers/data_adapters/data_adapter_utils.py,
// class_weight_to_sample_weights).
func TestClassWeights(t *testing.T) {
	cw := map[int]float64{0: 0.5, 2: 3}
	cases := []struct {
		name    string
		l       loss.Loss
		classes int
		y       *tensor.Tensor
		want    []float32
	}{
		{"sparse (N,)", loss.SparseCategoricalCrossentropy{}, 3, mustTensor(t, []float32{0, 1, 2, 2}, 4), []float32{0.5, 1, 3, 3}},
		{"sparse (N,1)", loss.SparseCategoricalCrossentropy{}, 3, mustTensor(t, []float32{2, 0, 1}, 3, 1), []float32{3, 0.5, 1}},
		// argmax of each row, the first on ties.
		{"one-hot", loss.CategoricalCrossentropy{}, 3, mustTensor(t, []float32{0, 0, 1, 1, 0, 0, 0, 1, 0, 0.4, 0.2, 0.4}, 4, 3), []float32{3, 0.5, 1, 0.5}},
		{"binary (N,1)", loss.BinaryCrossentropy{}, 1, mustTensor(t, []float32{0, 1, 1, 0}, 4, 1), []float32{0.5, 1, 1, 0.5}},
		// Regression targets are rounded, half to even, as NumPy rounds.
		{"rounded", loss.MSE{}, 1, mustTensor(t, []float32{0.4, 0.5, 1.5, 2.5, 2.6}, 5), []float32{0.5, 0.5, 3, 3, 1}},
	}
	for _, tc := range cases {
		m, _, _ := denseModel(t, 2, tc.classes, 1, tc.l)
		cw := cw
		if _, binary := tc.l.(loss.BinaryCrossentropy); binary {
			cw = map[int]float64{0: 0.5} // binary: classes 0 and 1 only
		}
		got, err := m.classWeights(cw, tc.y)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d weights, want %d", tc.name, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: weight %d is %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestWeightErrors checks that bad weights are refused with a message that
// says what to do.
func TestWeightErrors(t *testing.T) {
	m, x, y := denseModel(t, 3, 4, 10, loss.SparseCategoricalCrossentropy{})
	ones := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	bad := func(i int, v float32) []float32 { w := ones(10); w[i] = v; return w }
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"short", Options{SampleWeight: ones(9)}, "training sample_weight has 9 values for 10 samples"},
		{"negative", Options{SampleWeight: bad(3, -1)}, "sample_weight[3] is -1"},
		{"NaN", Options{SampleWeight: bad(4, float32(math.NaN()))}, "sample_weight[4] is NaN"},
		{"Inf", Options{SampleWeight: bad(5, float32(math.Inf(1)))}, "sample_weight[5] is +Inf"},
		{"both", Options{SampleWeight: ones(10), ClassWeight: map[int]float64{0: 2}}, "class_weight and sample_weight cannot be given at the same time"},
		{"class out of range", Options{ClassWeight: map[int]float64{4: 2}}, "class_weight has class 4; the model's sparse_categorical_crossentropy scores classes 0 to 3"},
		{"negative class", Options{ClassWeight: map[int]float64{-1: 2}}, "class_weight has class -1"},
		{"negative class weight", Options{ClassWeight: map[int]float64{1: -2}}, "class_weight of class 1 is -2"},
		{"NaN class weight", Options{ClassWeight: map[int]float64{1: math.NaN()}}, "class_weight of class 1 is NaN"},
		{"validation", Options{ValidationData: &Data{X: x, Y: y, SampleWeight: ones(3)}}, "validation sample_weight has 3 values for 10 samples"},
	}
	for _, tc := range cases {
		_, err := Fit(context.Background(), m, x, y, quiet(tc.o))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := EvaluateWith(m, x, y, EvaluateOptions{SampleWeight: ones(11)}); err == nil || !strings.Contains(err.Error(), "evaluation sample_weight has 11 values for 10 samples") {
		t.Errorf("Evaluate with 11 weights: got %v", err)
	}
	seq := mustTensor(t, make([]float32, 20), 10, 2)
	if _, err := m.classWeights(map[int]float64{0: 2}, seq); err == nil || !strings.Contains(err.Error(), "one label per sample, got 2 per sample") {
		t.Errorf("class weights for (N, T) sparse labels: got %v", err)
	}
}

// TestMetricNames checks the logs' keys as Keras's CompileMetrics.result
// makes them: repeats get _1, _2; a weighted metric whose name is taken
// becomes weighted_<name>.
func TestMetricNames(t *testing.T) {
	m := &Model{
		Metrics:         []metric.Metric{&metric.Accuracy{}, &metric.Accuracy{}, &metric.MSE{}},
		WeightedMetrics: []metric.Metric{&metric.Accuracy{}, &metric.MAE{}, &metric.Accuracy{}, &metric.MSE{}},
	}
	m.nameMetrics()
	want := []string{"accuracy", "accuracy_1", "mse", "weighted_accuracy", "mae", "weighted_accuracy_1", "weighted_mse"}
	if strings.Join(m.metricNames, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", m.metricNames, want)
	}
}

// TestWeightedMetricsAndValidation trains with sample weights and checks
// the logs: the weighted metric against the weighted mean of per-sample
// correctness from Predict, the plain metric against the unweighted one,
// and the validation loss of weighted validation data, of a split (whose
// weights go with it) and of a split under class weights (which weigh only
// the training part) against EvaluateWith on the same rows.
func TestWeightedMetricsAndValidation(t *testing.T) {
	const n = 40
	m, x, y := denseModel(t, 3, 4, n, loss.SparseCategoricalCrossentropy{})
	m.Metrics = []metric.Metric{&metric.Accuracy{}}
	m.WeightedMetrics = []metric.Metric{&metric.Accuracy{}}
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(i%4) * 0.5
	}
	logs, err := EvaluateWith(m, x, y, EvaluateOptions{SampleWeight: w, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Predict(m.Net, x, 0)
	if err != nil {
		t.Fatal(err)
	}
	var right, wRight, wSum float64
	for i := 0; i < n; i++ {
		row := out.Data[i*4 : (i+1)*4]
		if float32(argmax(row)) == y.Data[i] {
			right++
			wRight += float64(w[i])
		}
		wSum += float64(w[i])
	}
	if got := logs["accuracy"]; got != right/n {
		t.Errorf("accuracy %v, want the unweighted %v", got, right/n)
	}
	if got := logs["weighted_accuracy"]; math.Abs(got-wRight/wSum) > 1e-12 {
		t.Errorf("weighted_accuracy %v, want %v", got, wRight/wSum)
	}

	// Validation data with weights.
	vx, vy, vw := x, y, w
	h, err := Fit(context.Background(), m, x, y, quiet(Options{BatchSize: 8, ValidationData: &Data{X: vx, Y: vy, SampleWeight: vw}}))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := EvaluateWith(m, vx, vy, EvaluateOptions{SampleWeight: vw, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.History["val_loss"][0]; got != ev["loss"] {
		t.Errorf("val_loss %v, want EvaluateWith's %v", got, ev["loss"])
	}
	if got := h.History["val_weighted_accuracy"][0]; got != ev["weighted_accuracy"] {
		t.Errorf("val_weighted_accuracy %v, want %v", got, ev["weighted_accuracy"])
	}

	// A split carries its weights; class weights stay with the training part.
	tail := func(v *tensor.Tensor, at int) *tensor.Tensor { return v.Slice(at, v.Len()) }
	for _, cw := range []bool{false, true} {
		o := quiet(Options{BatchSize: 8, ValidationSplit: 0.25})
		var vw []float32
		if cw {
			o.ClassWeight = map[int]float64{0: 3, 1: 0.5}
		} else {
			o.SampleWeight, vw = w, w[30:]
		}
		h, err := Fit(context.Background(), m, x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := EvaluateWith(m, tail(x, 30), tail(y, 30), EvaluateOptions{SampleWeight: vw, BatchSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.History["val_loss"][0]; got != ev["loss"] {
			t.Errorf("class weights %v: val_loss %v, want %v", cw, got, ev["loss"])
		}
	}
}

// TestZeroWeights: a batch whose weights are all zero has loss 0 and no
// gradient (Keras divides by the batch size, not the weights), and a
// weighted metric that has seen only zero weights reports 0.
func TestZeroWeights(t *testing.T) {
	m, x, y := denseModel(t, 3, 4, 6, loss.SparseCategoricalCrossentropy{})
	m.WeightedMetrics = []metric.Metric{&metric.Accuracy{}}
	zeros := make([]float32, 6)
	logs, err := EvaluateWith(m, x, y, EvaluateOptions{SampleWeight: zeros})
	if err != nil {
		t.Fatal(err)
	}
	if logs["loss"] != 0 || logs["accuracy"] != 0 {
		t.Errorf("all-zero weights: logs %v, want loss 0 and accuracy 0", logs)
	}
	before := append([]float32(nil), m.Net.Layers[0].Params()[0].Value.Data...)
	m.gather()
	if l := m.step(x, y, zeros); l != 0 {
		t.Errorf("step loss %v, want 0", l)
	}
	for i, v := range m.Net.Layers[0].Params()[0].Value.Data {
		if v != before[i] {
			t.Fatalf("kernel[%d] moved from %v to %v on a batch of zero weights", i, before[i], v)
		}
	}
}

// TestBalancedClassWeight checks n/(k·count) (scikit-learn's "balanced")
// on labels and on one-hot rows, and that the weighted classes then sum
// to the same total.
func TestBalancedClassWeight(t *testing.T) {
	for _, y := range []*tensor.Tensor{
		mustTensor(t, []float32{0, 0, 0, 2, 2, 0}, 6),
		mustTensor(t, []float32{1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0}, 6, 3),
	} {
		cw, err := BalancedClassWeight(y)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]float64{0: 6.0 / (2 * 4), 2: 6.0 / (2 * 2)}
		if len(cw) != len(want) || cw[0] != want[0] || cw[2] != want[2] {
			t.Errorf("targets %v: got %v, want %v", y.Shape, cw, want)
		}
	}
	if _, err := BalancedClassWeight(mustTensor(t, []float32{0, float32(math.NaN())}, 2)); err == nil {
		t.Error("a NaN label: no error")
	}
}
