package loss

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// fixture is a loss with predictions and targets for it. Probabilities are
// softmax rows (or sigmoids) of N(0,1)-sized logits, so far from the clip at
// 1e-7 that finite differences see no kink.
type fixture struct {
	name       string
	loss       Loss
	pred, targ *tensor.Tensor
}

func fixtures(r *rand.Rand) []fixture {
	const n, c = 4, 5
	logits := tensor.New(n, c)
	for i := range logits.Data {
		logits.Data[i] = float32(r.NormFloat64())
	}
	probs := tensor.New(n, c)
	kernel.SoftmaxRows(probs.Data, logits.Data, n, c)
	// Unnormalised positive rows exercise the rescaling in categorical CE.
	unnorm := probs.Clone()
	for i := range unnorm.Data {
		unnorm.Data[i] *= float32(1 + 0.3*float64(i%c))
	}
	labels := tensor.New(n)
	labels1 := tensor.New(n, 1)
	onehot := tensor.New(n, c)
	for i := 0; i < n; i++ {
		y := r.IntN(c)
		labels.Data[i] = float32(y)
		labels1.Data[i] = float32(y)
		onehot.Data[i*c+y] = 1
	}
	soft := tensor.New(n, c) // soft targets summing to 1
	for i := range soft.Data {
		soft.Data[i] = float32(r.Float64())
	}
	for i := 0; i < n; i++ {
		row := soft.Data[i*c : (i+1)*c]
		var s float32
		for _, v := range row {
			s += v
		}
		kernel.Scale(row, 1/s)
	}
	bin := tensor.New(n, 3)
	binLogits := tensor.New(n, 3)
	binProbs := tensor.New(n, 3)
	for i := range bin.Data {
		bin.Data[i] = float32(r.IntN(2))
		binLogits.Data[i] = float32(r.NormFloat64() * 1.5)
	}
	kernel.Sigmoid(binProbs.Data, binLogits.Data)
	reg := tensor.New(n, 3)
	regTarget := tensor.New(n, 3)
	for i := range reg.Data {
		reg.Data[i] = float32(r.NormFloat64() * 2)
		regTarget.Data[i] = float32(r.NormFloat64() * 2)
		// Keep clear of the kinks of |x| and Huber at |x| = 1.
		d := math.Abs(float64(reg.Data[i] - regTarget.Data[i]))
		if d < 0.1 || math.Abs(d-1) < 0.1 {
			reg.Data[i] += 0.3
		}
	}
	regCol := tensor.New(n, 1)
	regColTarget := tensor.New(n)
	for i := range regCol.Data {
		regCol.Data[i] = float32(r.NormFloat64())
		regColTarget.Data[i] = regCol.Data[i] + 0.5
	}
	return []fixture{
		{"sparse probs", SparseCategoricalCrossentropy{}, probs, labels},
		{"sparse probs (N,1)", SparseCategoricalCrossentropy{}, probs, labels1},
		{"sparse logits", SparseCategoricalCrossentropy{FromLogits: true}, logits, labels},
		{"categorical probs", CategoricalCrossentropy{}, probs, onehot},
		{"categorical unnormalised probs", CategoricalCrossentropy{}, unnorm, onehot},
		{"categorical soft targets", CategoricalCrossentropy{}, probs, soft},
		{"categorical logits", CategoricalCrossentropy{FromLogits: true}, logits, onehot},
		{"categorical logits soft targets", CategoricalCrossentropy{FromLogits: true}, logits, soft},
		{"sparse probs smoothed", SparseCategoricalCrossentropy{LabelSmoothing: 0.1}, probs, labels},
		{"sparse logits smoothed (N,1)", SparseCategoricalCrossentropy{FromLogits: true, LabelSmoothing: 0.2}, logits, labels1},
		{"categorical probs smoothed", CategoricalCrossentropy{LabelSmoothing: 0.1}, unnorm, onehot},
		{"categorical logits smoothed soft", CategoricalCrossentropy{FromLogits: true, LabelSmoothing: 0.3}, logits, soft},
		{"binary probs", BinaryCrossentropy{}, binProbs, bin},
		{"binary logits", BinaryCrossentropy{FromLogits: true}, binLogits, bin},
		{"mse", MSE{}, reg, regTarget},
		{"mse (N,1) vs (N,)", MSE{}, regCol, regColTarget},
		{"mae", MAE{}, reg, regTarget},
		{"huber", Huber{}, reg, regTarget},
		{"huber delta 0.5", Huber{Delta: 0.5}, reg, regTarget},
	}
}

// numGrad returns the central finite difference of f at x[i], computed in
// float64 from float32 evaluations, dividing by the step float32 actually
// took rather than the nominal 2h.
func numGrad(f func() float64, x []float32, i int, h float32) float64 {
	old := x[i]
	xp, xm := old+h, old-h
	x[i] = xp
	fp := f()
	x[i] = xm
	fm := f()
	x[i] = old
	return (fp - fm) / (float64(xp) - float64(xm))
}

// TestGradients checks each loss's gradient against central finite
// differences (h = 1e-4; tolerance 1e-3 absolute plus 1e-3 relative: the
// truncation error at that step is far below it for these probabilities, and
// the gradient itself is rounded to float32).
func TestGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, fx := range fixtures(r) {
		t.Run(fx.name, func(t *testing.T) {
			if err := fx.loss.Check(fx.pred.Shape, fx.targ.Shape); err != nil {
				t.Fatalf("Check: %v", err)
			}
			grad := tensor.New(fx.pred.Shape...)
			fx.loss.Compute(fx.pred, fx.targ, grad)
			f := func() float64 { return fx.loss.Compute(fx.pred, fx.targ, nil) }
			for i := range fx.pred.Data {
				num := numGrad(f, fx.pred.Data, i, 1e-4)
				got := float64(grad.Data[i])
				if math.Abs(got-num) > 1e-3+1e-3*math.Abs(num) {
					t.Errorf("d/dpred[%d]: got %v, want %v (finite difference)", i, got, num)
				}
			}
		})
	}
}

// TestComputeFromSoftmax checks the fused path: its gradient against finite
// differences of loss(softmax(logits)) with respect to the logits, and its
// value against Compute on the softmax output.
func TestComputeFromSoftmax(t *testing.T) {
	const n, c = 3, 4
	r := rand.New(rand.NewPCG(5, 6))
	logits := tensor.New(n, c)
	for i := range logits.Data {
		logits.Data[i] = float32(r.NormFloat64())
	}
	labels := tensor.New(n)
	onehot := tensor.New(n, c)
	for i := 0; i < n; i++ {
		y := r.IntN(c)
		labels.Data[i] = float32(y)
		onehot.Data[i*c+y] = 1
	}
	cases := []struct {
		name   string
		loss   SoftmaxFused
		target *tensor.Tensor
	}{
		{"sparse", SparseCategoricalCrossentropy{}, labels},
		{"categorical", CategoricalCrossentropy{}, onehot},
		{"sparse smoothed", SparseCategoricalCrossentropy{LabelSmoothing: 0.1}, labels},
		{"categorical smoothed", CategoricalCrossentropy{LabelSmoothing: 0.25}, onehot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := tensor.New(n, c)
			kernel.SoftmaxRows(probs.Data, logits.Data, n, c)
			grad := tensor.New(n, c)
			got := tc.loss.ComputeFromSoftmax(probs, tc.target, grad)
			if want := tc.loss.Compute(probs, tc.target, nil); math.Abs(got-want) > 1e-12 {
				t.Errorf("value: got %v, want Compute's %v", got, want)
			}
			f := func() float64 {
				p := tensor.New(n, c)
				kernel.SoftmaxRows(p.Data, logits.Data, n, c)
				return tc.loss.Compute(p, tc.target, nil)
			}
			for i := range logits.Data {
				num := numGrad(f, logits.Data, i, 1e-4)
				if g := float64(grad.Data[i]); math.Abs(g-num) > 1e-3+1e-3*math.Abs(num) {
					t.Errorf("d/dlogits[%d]: got %v, want %v (finite difference)", i, g, num)
				}
			}
		})
	}
}

func TestFused(t *testing.T) {
	cases := []struct {
		loss Loss
		want bool
	}{
		{SparseCategoricalCrossentropy{}, true},
		{&CategoricalCrossentropy{}, true},
		{CategoricalCrossentropy{FromLogits: true}, false},
		{BinaryCrossentropy{}, false},
		{MSE{}, false},
	}
	for _, tc := range cases {
		if _, got := Fused(tc.loss); got != tc.want {
			t.Errorf("Fused(%#v): got %v, want %v", tc.loss, got, tc.want)
		}
	}
}

// TestKnownValues checks values worked out by hand.
func TestKnownValues(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cases := []struct {
		name       string
		loss       Loss
		pred, targ []float32
		predShape  []int
		targShape  []int
		want       float64
	}{
		{"sparse p=[.1,.7,.2] y=1", SparseCategoricalCrossentropy{},
			[]float32{0.1, 0.7, 0.2}, []float32{1}, []int{1, 3}, []int{1}, -math.Log(0.7)},
		{"sparse two rows", SparseCategoricalCrossentropy{},
			[]float32{0.1, 0.7, 0.2, 0.5, 0.25, 0.25}, []float32{1, 0}, []int{2, 3}, []int{2, 1},
			(-math.Log(0.7) - math.Log(0.5)) / 2},
		{"sparse logits [0,0] y=0", SparseCategoricalCrossentropy{FromLogits: true},
			[]float32{0, 0}, []float32{0}, []int{1, 2}, []int{1}, math.Ln2},
		// TensorFlow clips to 1e-7 and renormalises: -log(1e-7/(1+1e-7)).
		{"sparse clipped zero", SparseCategoricalCrossentropy{},
			[]float32{0, 1}, []float32{0}, []int{1, 2}, []int{1},
			-math.Log(1e-7) + math.Log(1-1e-7+1e-7)},
		{"categorical p=[.1,.7,.2]", CategoricalCrossentropy{},
			[]float32{0.1, 0.7, 0.2}, []float32{0, 1, 0}, []int{1, 3}, []int{1, 3}, -math.Log(0.7)},
		{"categorical rescales", CategoricalCrossentropy{},
			[]float32{1, 3}, []float32{0, 1}, []int{1, 2}, []int{1, 2}, -math.Log(0.75)},
		{"categorical logits huge", CategoricalCrossentropy{FromLogits: true},
			[]float32{1000, 0}, []float32{0, 1}, []int{1, 2}, []int{1, 2}, 1000},
		{"binary p=0.8 y=1, p=0.4 y=0", BinaryCrossentropy{},
			[]float32{0.8, 0.4}, []float32{1, 0}, []int{2, 1}, []int{2},
			(-math.Log(0.8) - math.Log(0.6)) / 2},
		{"binary clips p=1 y=0", BinaryCrossentropy{},
			[]float32{1}, []float32{0}, []int{1, 1}, []int{1, 1}, -math.Log(1e-7)},
		{"binary logits x=2 y=1, x=-1 y=1", BinaryCrossentropy{FromLogits: true},
			[]float32{2, -1}, []float32{1, 1}, []int{1, 2}, []int{1, 2},
			(-math.Log(sig(2)) - math.Log(sig(-1))) / 2},
		{"binary logits x=-100 y=1", BinaryCrossentropy{FromLogits: true},
			[]float32{-100}, []float32{1}, []int{1, 1}, []int{1, 1}, 100},
		{"mse", MSE{}, []float32{1, 2, 3, 4}, []float32{0, 2, 5, 4}, []int{2, 2}, []int{2, 2}, (1 + 4) / 4.0},
		{"mae", MAE{}, []float32{1, 2, 3, 4}, []float32{0, 2, 5, 4}, []int{2, 2}, []int{2, 2}, (1 + 2) / 4.0},
		{"huber", Huber{}, []float32{0.5, 3}, []float32{0, 0}, []int{2}, []int{2}, (0.125 + 2.5) / 2},
		{"huber delta 2", Huber{Delta: 2}, []float32{0.5, 3}, []float32{0, 0}, []int{2, 1}, []int{2, 1}, (0.125 + 4) / 2},
	}
	for _, tc := range cases {
		pred := mustTensor(t, tc.pred, tc.predShape...)
		targ := mustTensor(t, tc.targ, tc.targShape...)
		if err := tc.loss.Check(pred.Shape, targ.Shape); err != nil {
			t.Errorf("%s: Check: %v", tc.name, err)
			continue
		}
		if got := tc.loss.Compute(pred, targ, nil); math.Abs(got-tc.want) > 1e-5*(1+math.Abs(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestClippedGradientIsZero checks that probabilities past the clip get no
// gradient, as tf.clip_by_value's derivative is zero there.
func TestClippedGradientIsZero(t *testing.T) {
	pred := mustTensor(t, []float32{1, 0}, 1, 2)
	grad := tensor.New(1, 2)
	BinaryCrossentropy{}.Compute(pred, mustTensor(t, []float32{0, 1}, 1, 2), grad)
	for i, g := range grad.Data {
		if g != 0 {
			t.Errorf("binary grad[%d]: got %v, want 0", i, g)
		}
	}
	SparseCategoricalCrossentropy{}.Compute(pred, mustTensor(t, []float32{1}, 1), grad)
	for i, g := range grad.Data {
		if g != 0 {
			t.Errorf("sparse grad[%d]: got %v, want 0", i, g)
		}
	}
}

func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pred := tensor.New(257, 10)
	labels := tensor.New(257)
	for i := range pred.Data {
		pred.Data[i] = float32(r.NormFloat64())
	}
	for i := range labels.Data {
		labels.Data[i] = float32(r.IntN(10))
	}
	l := SparseCategoricalCrossentropy{FromLogits: true}
	a := l.Compute(pred, labels, nil)
	old := kernel.SetThreads(1)
	b := l.Compute(pred, labels, nil)
	kernel.SetThreads(old)
	if a != b {
		t.Errorf("got %v with default threads, %v with one; want equal", a, b)
	}
}

func TestParse(t *testing.T) {
	cases := []struct{ in, want string }{
		{"sparse_categorical_crossentropy", NameSparseCategoricalCrossentropy},
		{"categorical_crossentropy", NameCategoricalCrossentropy},
		{"binary_crossentropy", NameBinaryCrossentropy},
		{"mse", NameMSE},
		{"mean_squared_error", NameMSE},
		{"mae", NameMAE},
		{"mean_absolute_error", NameMAE},
		{"huber", NameHuber},
		{"huber_loss", NameHuber},
	}
	for _, tc := range cases {
		l, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := l.Name(); got != tc.want {
			t.Errorf("Parse(%q).Name(): got %q, want %q", tc.in, got, tc.want)
		}
		if again, err := Parse(l.Name()); err != nil || again.Name() != l.Name() {
			t.Errorf("Parse(%q) round trip: got %v, %v", l.Name(), again, err)
		}
	}
	_, err := Parse("ctc_loss")
	if err == nil {
		t.Fatal(`Parse("ctc_loss"): got nil error`)
	}
	for _, want := range []string{"loss:", `"ctc_loss"`, "sparse_categorical_crossentropy", "mse", "huber"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(\"ctc_loss\") error %q: want it to mention %q", err, want)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name         string
		loss         Loss
		pred, target tensor.Shape
		wantErr      []string // substrings; nil means no error
	}{
		{"sparse (N,)", SparseCategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8}, nil},
		{"sparse (N,1)", SparseCategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 1}, nil},
		{"sparse sequence", SparseCategoricalCrossentropy{}, tensor.Shape{8, 5, 10}, tensor.Shape{8, 5}, nil},
		{"sparse (N,3) vs (N,10)", SparseCategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 3},
			[]string{"categorical_crossentropy", "integer class labels", "(8,)"}},
		{"sparse one-hot", SparseCategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 10},
			[]string{"one-hot", "categorical_crossentropy"}},
		{"sparse batch", SparseCategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{7},
			[]string{"7 targets for 8 predictions"}},
		{"sparse rank-1 pred", SparseCategoricalCrossentropy{}, tensor.Shape{8}, tensor.Shape{8},
			[]string{"(batch, classes)"}},
		{"categorical ok", CategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 10}, nil},
		{"categorical labels", CategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8},
			[]string{"sparse_categorical_crossentropy", "one-hot"}},
		{"categorical labels (N,1)", CategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 1},
			[]string{"sparse_categorical_crossentropy"}},
		{"categorical wrong classes", CategoricalCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8, 9},
			[]string{"(8, 9)", "(8, 10)"}},
		{"binary (N,1) vs (N,)", BinaryCrossentropy{}, tensor.Shape{8, 1}, tensor.Shape{8}, nil},
		{"binary multi-label", BinaryCrossentropy{}, tensor.Shape{8, 3}, tensor.Shape{8, 3}, nil},
		{"binary vs class labels", BinaryCrossentropy{}, tensor.Shape{8, 10}, tensor.Shape{8},
			[]string{"sparse_categorical_crossentropy"}},
		{"mse (N,) vs (N,1)", MSE{}, tensor.Shape{8}, tensor.Shape{8, 1}, nil},
		{"mse mismatch", MSE{}, tensor.Shape{8, 2}, tensor.Shape{8, 3}, []string{"mean_squared_error", "(8, 3)"}},
		{"mae mismatch", MAE{}, tensor.Shape{8, 2}, tensor.Shape{8}, []string{"mean_absolute_error"}},
		{"huber negative delta", Huber{Delta: -1}, tensor.Shape{8}, tensor.Shape{8}, []string{"positive delta"}},
		{"empty target", MSE{}, tensor.Shape{8}, tensor.Shape{}, []string{"empty targets"}},
	}
	for _, tc := range cases {
		err := tc.loss.Check(tc.pred, tc.target)
		if tc.wantErr == nil {
			if err != nil {
				t.Errorf("%s: got error %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: got nil error, want one mentioning %q", tc.name, tc.wantErr)
			continue
		}
		if !strings.HasPrefix(err.Error(), "loss: ") {
			t.Errorf("%s: error %q: want prefix \"loss: \"", tc.name, err)
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q: want it to mention %q", tc.name, err, w)
			}
		}
	}
}

func TestCheckTargets(t *testing.T) {
	cases := []struct {
		name    string
		labels  []float32
		wantErr []string
	}{
		{"ok", []float32{0, 9, 3}, nil},
		{"too big", []float32{0, 1, 2, 3, 4, 10}, []string{"label 10 at index 5 is outside [0, 10)", "sparse_categorical_crossentropy"}},
		{"negative", []float32{-1}, []string{"label -1 at index 0"}},
		{"fraction", []float32{1, 2.5}, []string{"label 2.5 at index 1 is not an integer"}},
	}
	for _, tc := range cases {
		err := CheckTargets(mustTensor(t, tc.labels, len(tc.labels)), 10)
		if tc.wantErr == nil {
			if err != nil {
				t.Errorf("%s: got %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: got nil error", tc.name)
			continue
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q: want it to mention %q", tc.name, err, w)
			}
		}
	}
}

func TestComputePanicsOnBadLabel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Compute with label 3 of 3 classes: got no panic")
		}
	}()
	SparseCategoricalCrossentropy{}.Compute(tensor.New(1, 3), mustTensor(t, []float32{3}, 1), nil)
}

// TestLabelSmoothing checks a hand-computed value, the fused gradient
// p - y_smoothed, that the sparse and one-hot forms agree, and the range check.
func TestLabelSmoothing(t *testing.T) {
	// C = 2, y = [0, 1], ls = 0.2: y_smoothed = [0.1, 0.9];
	// loss = -(0.1 ln 0.25 + 0.9 ln 0.75).
	probs := mustTensor(t, []float32{0.25, 0.75}, 1, 2)
	onehot := mustTensor(t, []float32{0, 1}, 1, 2)
	label := mustTensor(t, []float32{1}, 1)
	want := -(0.1*math.Log(0.25) + 0.9*math.Log(0.75))
	for _, l := range []SoftmaxFused{CategoricalCrossentropy{LabelSmoothing: 0.2}, SparseCategoricalCrossentropy{LabelSmoothing: 0.2}} {
		target := onehot
		if _, ok := l.(SparseCategoricalCrossentropy); ok {
			target = label
		}
		if got := l.Compute(probs, target, nil); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: loss = %v, want %v", l.Name(), got, want)
		}
		g := tensor.New(1, 2)
		l.ComputeFromSoftmax(probs, target, g)
		if math.Abs(float64(g.Data[0])-0.15) > 1e-6 || math.Abs(float64(g.Data[1])+0.15) > 1e-6 {
			t.Errorf("%s: fused gradient = %v, want p - y_smoothed = [0.15 -0.15]", l.Name(), g.Data)
		}
	}
	// Sparse with smoothing equals categorical with smoothing on one-hot rows.
	r := rand.New(rand.NewPCG(8, 9))
	for _, fromLogits := range []bool{false, true} {
		for _, fx := range fixtures(r)[:1] {
			oh := tensor.New(fx.pred.Shape...)
			c := fx.pred.Shape[1]
			for i, v := range fx.targ.Data {
				oh.Data[i*c+int(v)] = 1
			}
			gs, gc := tensor.New(fx.pred.Shape...), tensor.New(fx.pred.Shape...)
			ls := SparseCategoricalCrossentropy{FromLogits: fromLogits, LabelSmoothing: 0.15}.Compute(fx.pred, fx.targ, gs)
			lc := CategoricalCrossentropy{FromLogits: fromLogits, LabelSmoothing: 0.15}.Compute(fx.pred, oh, gc)
			if ls != lc {
				t.Errorf("from_logits %v: sparse smoothed %v != categorical smoothed %v", fromLogits, ls, lc)
			}
			for i := range gs.Data {
				if gs.Data[i] != gc.Data[i] {
					t.Fatalf("from_logits %v: gradients differ at %d: %v vs %v", fromLogits, i, gs.Data[i], gc.Data[i])
				}
			}
		}
	}
	for _, ls := range []float64{-0.1, 1.5, math.NaN()} {
		for _, l := range []Loss{CategoricalCrossentropy{LabelSmoothing: ls}, SparseCategoricalCrossentropy{LabelSmoothing: ls}} {
			target := tensor.Shape{2, 3}
			if _, ok := l.(SparseCategoricalCrossentropy); ok {
				target = tensor.Shape{2}
			}
			if err := l.Check(tensor.Shape{2, 3}, target); err == nil || !strings.Contains(err.Error(), "label_smoothing") {
				t.Errorf("%s label_smoothing %v: err = %v, want one naming label_smoothing", l.Name(), ls, err)
			}
		}
	}
}
