package loss

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// weightedFixtures are the loss fixtures plus a sequence-shaped one, whose
// samples hold several rows each.
func weightedFixtures(r *rand.Rand) []fixture {
	fs := fixtures(r)
	const n, steps, c = 3, 2, 4
	seq := tensor.New(n, steps, c)
	for i := range seq.Data {
		seq.Data[i] = float32(r.NormFloat64())
	}
	seqLabels := tensor.New(n, steps)
	for i := range seqLabels.Data {
		seqLabels.Data[i] = float32(r.IntN(c))
	}
	return append(fs, fixture{"sparse logits (N,T,C)", SparseCategoricalCrossentropy{FromLogits: true}, seq, seqLabels})
}

// weightsFor returns one weight per sample of pred, one of them zero.
func weightsFor(r *rand.Rand, pred *tensor.Tensor) []float32 {
	w := make([]float32, pred.Shape[0])
	for i := range w {
		w[i] = float32(0.25 + 2*r.Float64())
	}
	w[len(w)/2] = 0
	return w
}

// sample returns sample i of x as a batch of one (a copy).
func sample(x *tensor.Tensor, i int) *tensor.Tensor {
	per := len(x.Data) / x.Shape[0]
	s := tensor.New(append(tensor.Shape{1}, x.Shape[1:]...)...)
	copy(s.Data, x.Data[i*per:(i+1)*per])
	return s
}

// TestWeightedValue checks Keras's "sum_over_batch_size" with weights:
// sum_i w_i*l_i/N, where l_i is sample i's own loss (the mean of its loss
// values) and N the number of samples, not the sum of the weights
// (keras/src/losses/loss.py, reduce_weighted_values).
func TestWeightedValue(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, fx := range weightedFixtures(r) {
		w := weightsFor(r, fx.pred)
		var want float64
		for i := range w {
			want += float64(w[i]) * fx.loss.Compute(sample(fx.pred, i), sample(fx.targ, i), nil)
		}
		want /= float64(len(w))
		got := fx.loss.(Weighted).ComputeWeighted(fx.pred, fx.targ, w, nil)
		if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
			t.Errorf("%s: got %v, want %v", fx.name, got, want)
		}
	}
}

// TestWeightedKnownValues checks weighted losses worked out by hand.
func TestWeightedKnownValues(t *testing.T) {
	cases := []struct {
		name       string
		loss       Loss
		pred, targ []float32
		predShape  []int
		targShape  []int
		w          []float32
		want       float64
	}{
		{"mse", MSE{}, []float32{1, 2, 3}, []float32{0, 0, 0}, []int{3, 1}, []int{3}, []float32{1, 0, 2},
			(1*1 + 0*4 + 2*9) / 3.0},
		// Two outputs per sample: Keras averages each sample's two, then
		// weights and divides by the 2 samples.
		{"mse two outputs", MSE{}, []float32{1, 3, 2, 0}, []float32{0, 0, 0, 0}, []int{2, 2}, []int{2, 2}, []float32{3, 0.5},
			(3*(1+9)/2.0 + 0.5*(4+0)/2.0) / 2},
		{"sparse probs", SparseCategoricalCrossentropy{}, []float32{0.5, 0.5, 0.25, 0.75}, []float32{0, 1}, []int{2, 2}, []int{2}, []float32{2, 1},
			(2*math.Ln2 - 1*math.Log(0.75)) / 2},
		{"categorical", CategoricalCrossentropy{}, []float32{0.1, 0.7, 0.2, 0.5, 0.25, 0.25}, []float32{0, 1, 0, 1, 0, 0}, []int{2, 3}, []int{2, 3}, []float32{0, 4},
			(0 - 4*math.Log(0.5)) / 2},
		{"binary", BinaryCrossentropy{}, []float32{0.8, 0.4}, []float32{1, 0}, []int{2, 1}, []int{2}, []float32{0.5, 3},
			(-0.5*math.Log(0.8) - 3*math.Log(0.6)) / 2},
		{"mae", MAE{}, []float32{1, -2}, []float32{0, 0}, []int{2}, []int{2}, []float32{1.5, 2}, (1.5*1 + 2*2) / 2.0},
		{"huber", Huber{}, []float32{0.5, 3}, []float32{0, 0}, []int{2}, []int{2}, []float32{2, 1}, (2*0.125 + 2.5) / 2},
		{"all zero", SparseCategoricalCrossentropy{}, []float32{0.5, 0.5, 0.25, 0.75}, []float32{0, 1}, []int{2, 2}, []int{2}, []float32{0, 0}, 0},
	}
	for _, tc := range cases {
		pred := mustTensor(t, tc.pred, tc.predShape...)
		targ := mustTensor(t, tc.targ, tc.targShape...)
		grad := tensor.New(pred.Shape...)
		got := tc.loss.(Weighted).ComputeWeighted(pred, targ, tc.w, grad)
		if math.Abs(got-tc.want) > 1e-6*(1+math.Abs(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		per := len(pred.Data) / len(tc.w)
		for i, g := range grad.Data {
			if tc.w[i/per] == 0 && g != 0 {
				t.Errorf("%s: grad[%d] = %v for a sample of weight 0, want 0", tc.name, i, g)
			}
		}
	}
}

// TestWeightedGradients checks every loss's weighted gradient against
// finite differences of its weighted value (tolerances as TestGradients).
func TestWeightedGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, fx := range weightedFixtures(r) {
		t.Run(fx.name, func(t *testing.T) {
			l := fx.loss.(Weighted)
			w := weightsFor(r, fx.pred)
			grad := tensor.New(fx.pred.Shape...)
			l.ComputeWeighted(fx.pred, fx.targ, w, grad)
			f := func() float64 { return l.ComputeWeighted(fx.pred, fx.targ, w, nil) }
			for i := range fx.pred.Data {
				num := numGrad(f, fx.pred.Data, i, 1e-4)
				if got := float64(grad.Data[i]); math.Abs(got-num) > 1e-3+1e-3*math.Abs(num) {
					t.Errorf("d/dpred[%d]: got %v, want %v (finite difference)", i, got, num)
				}
			}
		})
	}
}

// TestWeightsOfOneAndTwo checks that weights of 1 change nothing, bit for
// bit (value and gradient) wherever each row's loss is one term, and that
// weights of 2 double the value and the gradient exactly.
func TestWeightsOfOneAndTwo(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, fx := range weightedFixtures(r) {
		l := fx.loss.(Weighted)
		n := fx.pred.Shape[0]
		ones, twos := make([]float32, n), make([]float32, n)
		for i := range ones {
			ones[i], twos[i] = 1, 2
		}
		g0, g1, g2 := tensor.New(fx.pred.Shape...), tensor.New(fx.pred.Shape...), tensor.New(fx.pred.Shape...)
		v0 := l.Compute(fx.pred, fx.targ, g0)
		v1 := l.ComputeWeighted(fx.pred, fx.targ, ones, g1)
		v2 := l.ComputeWeighted(fx.pred, fx.targ, twos, g2)
		// Soft and smoothed targets make a row's loss a sum of several
		// terms, added per row here and across rows by the plain kernel.
		soft := fx.targ.Shape.Equal(fx.pred.Shape) && !isOneHot(fx.targ.Data) || smoothed(fx.loss)
		if soft {
			if math.Abs(v1-v0) > 1e-15*math.Abs(v0) {
				t.Errorf("%s: weights of 1 give %v, no weights %v", fx.name, v1, v0)
			}
		} else if v1 != v0 {
			t.Errorf("%s: weights of 1 give %v, no weights %v; want the same bits", fx.name, v1, v0)
		}
		if v2 != 2*v1 {
			t.Errorf("%s: weights of 2 give %v, want exactly twice %v", fx.name, v2, v1)
		}
		for i := range g0.Data {
			if g1.Data[i] != g0.Data[i] || g2.Data[i] != 2*g0.Data[i] {
				t.Errorf("%s: grad[%d] is %v unweighted, %v with weights 1, %v with weights 2", fx.name, i, g0.Data[i], g1.Data[i], g2.Data[i])
				break
			}
		}
	}
}

func isOneHot(t []float32) bool {
	for _, v := range t {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

func smoothed(l Loss) bool {
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		return v.LabelSmoothing != 0
	case CategoricalCrossentropy:
		return v.LabelSmoothing != 0
	}
	return false
}

// TestWeightedFromSoftmax checks the fused path with weights: its value is
// ComputeWeighted's on the probabilities, its gradient with respect to the
// logits is each row of the unweighted one times the sample's weight.
func TestWeightedFromSoftmax(t *testing.T) {
	const n, c = 3, 4
	r := rand.New(rand.NewPCG(17, 18))
	probs := tensor.New(n, c)
	for i := 0; i < n; i++ {
		var s float32
		for j := 0; j < c; j++ {
			probs.Data[i*c+j] = float32(0.1 + r.Float64())
			s += probs.Data[i*c+j]
		}
		for j := 0; j < c; j++ {
			probs.Data[i*c+j] /= s
		}
	}
	labels, onehot := tensor.New(n), tensor.New(n, c)
	for i := 0; i < n; i++ {
		y := r.IntN(c)
		labels.Data[i], onehot.Data[i*c+y] = float32(y), 1
	}
	w := []float32{1.5, 0, 0.25}
	for _, tc := range []struct {
		name   string
		loss   SoftmaxFused
		target *tensor.Tensor
	}{
		{"sparse", SparseCategoricalCrossentropy{}, labels},
		{"categorical", CategoricalCrossentropy{}, onehot},
		{"sparse smoothed", SparseCategoricalCrossentropy{LabelSmoothing: 0.1}, labels},
		{"categorical smoothed", CategoricalCrossentropy{LabelSmoothing: 0.2}, onehot},
	} {
		plain, weighted := tensor.New(n, c), tensor.New(n, c)
		tc.loss.ComputeFromSoftmax(probs, tc.target, plain)
		got := tc.loss.ComputeFromSoftmaxWeighted(probs, tc.target, w, weighted)
		if want := tc.loss.(Weighted).ComputeWeighted(probs, tc.target, w, nil); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: value %v, want ComputeWeighted's %v", tc.name, got, want)
		}
		for i := range plain.Data {
			want := float64(w[i/c]) * float64(plain.Data[i])
			if g := float64(weighted.Data[i]); math.Abs(g-want) > 1e-7*(1+math.Abs(want)) {
				t.Errorf("%s: d/dlogits[%d] = %v, want %v", tc.name, i, g, want)
			}
		}
	}
}

func TestWeightedAllocatesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, fx := range weightedFixtures(r) {
		l := fx.loss.(Weighted)
		w := weightsFor(r, fx.pred)
		grad := tensor.New(fx.pred.Shape...)
		l.ComputeWeighted(fx.pred, fx.targ, w, grad)
		if a := testing.AllocsPerRun(10, func() { l.ComputeWeighted(fx.pred, fx.targ, w, grad) }); a != 0 {
			t.Errorf("%s: ComputeWeighted allocates %v times, want 0", fx.name, a)
		}
	}
}

func TestWeightedPanicsOnWrongLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("3 weights for a batch of 2 did not panic")
		}
	}()
	pred := mustTensor(t, []float32{1, 2}, 2, 1)
	MSE{}.ComputeWeighted(pred, pred, []float32{1, 1, 1}, nil)
}

// TestWeightedAgainstPyTorch checks values and gradients against PyTorch's
// per-sample losses (reduction="none") weighted and reduced as Keras
// reduces them, sum(w*l)/N, with autograd for the gradient. It skips
// without /usr/bin/python3 and torch.
func TestWeightedAgainstPyTorch(t *testing.T) {
	const script = `
import json, sys, torch
import torch.nn.functional as F
c = json.load(sys.stdin)
out = {}
w = torch.tensor(c["w"], dtype=torch.float64)
n = len(c["w"])
def run(name, pred, f):
    p = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    per = f(p)                      # per-sample losses, shape (N,)
    loss = (w * per).sum() / n      # Keras: sum_over_batch_size
    loss.backward()
    out[name] = {"value": loss.item(), "grad": p.grad.flatten().tolist()}
logits = c["logits"]; labels = torch.tensor(c["labels"])
run("sparse_logits", logits, lambda p: F.cross_entropy(p, labels, reduction="none"))
onehot = torch.tensor(c["onehot"], dtype=torch.float64)
run("categorical_logits", logits, lambda p: -(onehot * F.log_softmax(p, dim=1)).sum(1))
bl = torch.tensor(c["bin"], dtype=torch.float64)
run("binary_logits", c["binlogits"], lambda p: F.binary_cross_entropy_with_logits(p, bl, reduction="none").mean(1))
reg = torch.tensor(c["regtarget"], dtype=torch.float64)
run("mse", c["reg"], lambda p: ((p - reg) ** 2).mean(1))
run("mae", c["reg"], lambda p: (p - reg).abs().mean(1))
run("huber", c["reg"], lambda p: F.huber_loss(p, reg, reduction="none", delta=1.0).mean(1))
json.dump(out, sys.stdout)
`
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with torch")
	}
	r := rand.New(rand.NewPCG(21, 22))
	const n, c, k = 5, 4, 3
	randn := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64() * 1.5)
		}
		return x
	}
	logits, binLogits, reg, regTarget := randn(n, c), randn(n, k), randn(n, k), randn(n, k)
	labels, onehot, bin := tensor.New(n), tensor.New(n, c), tensor.New(n, k)
	for i := 0; i < n; i++ {
		y := r.IntN(c)
		labels.Data[i], onehot.Data[i*c+y] = float32(y), 1
	}
	for i := range bin.Data {
		bin.Data[i] = float32(r.IntN(2))
	}
	w := []float32{0.5, 2, 0, 1, 3.25}
	// float64 so that JSON carries each float32 exactly.
	f64 := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	rows := func(x *tensor.Tensor) [][]float64 {
		per := len(x.Data) / x.Shape[0]
		out := make([][]float64, x.Shape[0])
		for i := range out {
			out[i] = f64(x.Data[i*per : (i+1)*per])
		}
		return out
	}
	intLabels := make([]int, n)
	for i, v := range labels.Data {
		intLabels[i] = int(v)
	}
	in, _ := json.Marshal(map[string]any{
		"w": f64(w), "logits": rows(logits), "labels": intLabels, "onehot": rows(onehot),
		"binlogits": rows(binLogits), "bin": rows(bin), "reg": rows(reg), "regtarget": rows(regTarget),
	})
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want map[string]struct {
		Value float64
		Grad  []float64
	}
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		loss       Weighted
		pred, targ *tensor.Tensor
	}{
		{"sparse_logits", SparseCategoricalCrossentropy{FromLogits: true}, logits, labels},
		{"categorical_logits", CategoricalCrossentropy{FromLogits: true}, logits, onehot},
		{"binary_logits", BinaryCrossentropy{FromLogits: true}, binLogits, bin},
		{"mse", MSE{}, reg, regTarget},
		{"mae", MAE{}, reg, regTarget},
		{"huber", Huber{}, reg, regTarget},
	}
	for _, tc := range cases {
		ref, ok := want[tc.name]
		if !ok {
			t.Fatalf("%s: no reference value", tc.name)
		}
		grad := tensor.New(tc.pred.Shape...)
		got := tc.loss.ComputeWeighted(tc.pred, tc.targ, w, grad)
		if math.Abs(got-ref.Value) > 1e-9*(1+math.Abs(ref.Value)) {
			t.Errorf("%s: value %v, PyTorch %v", tc.name, got, ref.Value)
		}
		for i, g := range grad.Data {
			if math.Abs(float64(g)-ref.Grad[i]) > 1e-6*(1+math.Abs(ref.Grad[i])) {
				t.Errorf("%s: grad[%d] %v, PyTorch %v", tc.name, i, g, ref.Grad[i])
			}
		}
	}
}
