package train

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Tests of regularizers and constraints in training, against closed forms
// computed here in float64 from the weights before the step.

// linearData is n examples of in features with targets of out columns.
func linearData(seed uint64, n, in, out int) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 3))
	x, y := tensor.New(n, in), tensor.New(n, out)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(r.NormFloat64())
	}
	return x, y
}

// denseForward is x·W + b in float64.
func denseForward(x []float32, w, b []float64, n, in, out int) []float64 {
	z := make([]float64, n*out)
	for i := range n {
		for j := range out {
			s := b[j]
			for k := range in {
				s += float64(x[i*in+k]) * w[k*out+j]
			}
			z[i*out+j] = s
		}
	}
	return z
}

func mse(z []float64, y []float32) float64 {
	var s float64
	for i, v := range z {
		d := v - float64(y[i])
		s += d * d
	}
	return s / float64(len(z))
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func sumSq(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return s
}

// TestL2IsWeightDecayForSGD: with kernel_regularizer L2(λ) and plain SGD,
// one step is w - lr·(g + 2λw), g the gradient of the data loss alone; the
// loss Fit reports is the MSE plus λ·Σw² of the weights before the step,
// and Evaluate's loss is the MSE plus λ·Σw² of the weights after it (as
// Keras adds model.losses to both). λ is float32 in Keras: 0.05 is
// 0.05000000074505806.
func TestL2IsWeightDecayForSGD(t *testing.T) {
	const n, in, out, lr, lambda = 6, 4, 3, 0.1, 0.05
	x, y := linearData(1, n, in, out)
	d := &nn.Dense{Units: out, InputShape: tensor.Shape{in}, KernelRegularizer: regularizer.L2{L2: lambda}}
	net := &nn.Stack{}
	net.Add(d)
	if err := net.Build(nil, 7); err != nil {
		t.Fatal(err)
	}
	kernel, bias := d.Params()[0], d.Params()[1]
	for i := range bias.Value.Data {
		bias.Value.Data[i] = 0.1 * float32(i+1) // not zero, so that its gradient matters
	}
	w0, b0 := f64(kernel.Value.Data), f64(bias.Value.Data)
	lam := float64(float32(lambda))

	// The closed form: dMSE/dz = 2(z - y)/(n·out), g = xᵀ·dMSE/dz.
	z := denseForward(x.Data, w0, b0, n, in, out)
	dz := make([]float64, len(z))
	for i := range z {
		dz[i] = 2 * (z[i] - float64(y.Data[i])) / (n * out)
	}
	wantW := make([]float64, len(w0))
	for k := range in {
		for j := range out {
			var g float64
			for i := range n {
				g += float64(x.Data[i*in+k]) * dz[i*out+j]
			}
			wantW[k*out+j] = w0[k*out+j] - lr*(g+2*lam*w0[k*out+j])
		}
	}
	wantB := make([]float64, out) // no bias regularizer: plain SGD
	for j := range out {
		var g float64
		for i := range n {
			g += dz[i*out+j]
		}
		wantB[j] = b0[j] - lr*g
	}
	wantLoss := mse(z, y.Data) + lam*sumSq(w0)

	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{LR: lr}}
	h, err := Fit(context.Background(), m, x, y, Options{Epochs: 1, BatchSize: n, NoShuffle: true, Verbose: Silent, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range kernel.Value.Data {
		if math.Abs(float64(v)-wantW[i]) > 1e-6 {
			t.Errorf("kernel[%d] = %.8g after the step, closed form %.8g", i, v, wantW[i])
		}
	}
	for i, v := range bias.Value.Data {
		if math.Abs(float64(v)-wantB[i]) > 1e-6 {
			t.Errorf("bias[%d] = %.8g after the step, closed form %.8g", i, v, wantB[i])
		}
	}
	if got, _ := h.Last("loss"); math.Abs(got-wantLoss) > 1e-6*wantLoss {
		t.Errorf("reported loss %.8g, want MSE + λΣw² = %.8g (MSE alone %.8g)", got, wantLoss, mse(z, y.Data))
	}

	// Evaluate's loss includes the penalty of the weights now.
	w1, b1 := f64(kernel.Value.Data), f64(bias.Value.Data)
	wantEval := mse(denseForward(x.Data, w1, b1, n, in, out), y.Data) + lam*sumSq(w1)
	logs, err := Evaluate(m, x, y, n)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(logs["loss"]-wantEval) > 1e-6*wantEval {
		t.Errorf("evaluate loss %.8g, want %.8g", logs["loss"], wantEval)
	}

	// A frozen layer's weights are not trainable_weights, so Keras adds no
	// penalty for them (layer.py, _get_regularization_losses).
	nn.SetTrainable(d, false)
	logs, err = Evaluate(m, x, y, n)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantEval - lam*sumSq(w1); math.Abs(logs["loss"]-want) > 1e-6*want {
		t.Errorf("evaluate loss of a frozen layer %.8g, want the MSE alone %.8g", logs["loss"], want)
	}
}

// TestActivityPenaltyInEvaluate: an activity penalty is of each batch's
// outputs, summed (not averaged) over the batch as Keras 3 does, and
// Evaluate weighs each batch's loss by its size: batches of 4, 4 and 2.
func TestActivityPenaltyInEvaluate(t *testing.T) {
	const n, in, out, bs, la = 10, 3, 2, 4, 0.25
	x, y := linearData(2, n, in, out)
	d := &nn.Dense{Units: out, Activation: activation.Tanh, InputShape: tensor.Shape{in}, ActivityRegularizer: regularizer.L2{L2: la}}
	net := &nn.Stack{}
	net.Add(d)
	if err := net.Build(nil, 3); err != nil {
		t.Fatal(err)
	}
	w, b := f64(d.Params()[0].Value.Data), f64(d.Params()[1].Value.Data)
	var want float64
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		z := denseForward(x.Data[lo*in:hi*in], w, b, hi-lo, in, out)
		for i := range z {
			z[i] = math.Tanh(z[i])
		}
		want += (mse(z, y.Data[lo*out:hi*out]) + float64(float32(la))*sumSq(z)) * float64(hi-lo)
	}
	want /= n
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{}}
	logs, err := Evaluate(m, x, y, bs)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(logs["loss"]-want) > 1e-6*want {
		t.Errorf("evaluate loss %.8g, want %.8g", logs["loss"], want)
	}
}

// TestConstraintsAfterFit: after each step the optimizer's update is
// projected, so after fit every kernel column (axis 0, Keras's default)
// has norm at most max_value and the NonNeg bias no negative entry.
func TestConstraintsAfterFit(t *testing.T) {
	const n, in, out, maxNorm = 64, 8, 4, 0.5
	x, y := linearData(3, n, in, out)
	for i := range y.Data {
		y.Data[i] *= 5 // targets that want large weights
	}
	d := &nn.Dense{Units: out, InputShape: tensor.Shape{in}, KernelConstraint: constraint.MaxNorm{MaxValue: maxNorm}, BiasConstraint: constraint.NonNeg{}}
	net := &nn.Stack{}
	net.Add(d)
	if err := net.Build(nil, 4); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{LR: 0.5}}
	if _, err := Fit(context.Background(), m, x, y, Options{Epochs: 3, BatchSize: 16, Seed: 1, Verbose: Silent, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	k := d.Params()[0].Value.Data
	atBound := 0
	for j := range out {
		var s float64
		for i := range in {
			s += float64(k[i*out+j]) * float64(k[i*out+j])
		}
		norm := math.Sqrt(s)
		if norm > maxNorm*(1+1e-6) {
			t.Errorf("column %d has norm %.8g after fit, above max_value %v", j, norm, maxNorm)
		}
		if norm > maxNorm*(1-1e-4) {
			atBound++
		}
	}
	if atBound == 0 {
		t.Error("no column reached the bound: the test shows nothing")
	}
	for j, v := range d.Params()[1].Value.Data {
		if v < 0 {
			t.Errorf("bias[%d] = %v after fit under NonNeg", j, v)
		}
	}
}

// TestPenaltyStepAllocatesNothing: a training step with every kind of
// regularizer and constraint does not allocate once warm.
func TestPenaltyStepAllocatesNothing(t *testing.T) {
	const n, in = 16, 6
	x, _ := linearData(4, n, in, 1)
	y := tensor.New(n)
	for i := range y.Data {
		y.Data[i] = float32(i % 3)
	}
	net := &nn.Stack{}
	net.Add(
		&nn.Dense{Units: 5, Activation: activation.ReLU, InputShape: tensor.Shape{in},
			KernelRegularizer: &regularizer.Orthogonal{}, BiasRegularizer: regularizer.L1{},
			ActivityRegularizer: regularizer.L1L2{L1: 0.01, L2: 0.01},
			KernelConstraint:    constraint.MaxNorm{Axis: []int{0}}, BiasConstraint: constraint.NonNeg{}},
		&nn.ActivityRegularization{L2: 0.01},
		&nn.Dense{Units: 3, Activation: activation.Softmax, KernelRegularizer: regularizer.L2{}, KernelConstraint: constraint.UnitNorm{}},
	)
	if err := net.Build(nil, 5); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.SparseCategoricalCrossentropy{}, Optimizer: &optim.Adam{}}
	m.gather()
	m.step(x, y, nil)
	if a := testing.AllocsPerRun(5, func() { m.step(x, y, nil) }); a != 0 {
		t.Errorf("a step allocates %v times once warm, want 0", a)
	}
}

// A replica of the network (nn.Stack.Replica, which concurrent Evaluate
// uses) shares the weights but has no gradients: its evaluation loss must
// still count the weights' penalties.
func TestEvaluateOnReplicaCountsPenalties(t *testing.T) {
	var net nn.Stack
	net.Add(&nn.Dense{Units: 3, KernelRegularizer: &regularizer.L2{L2: 0.5}, InputShape: tensor.Shape{4}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	rep, err := net.Replica()
	if err != nil {
		t.Fatal(err)
	}
	x, y := linearData(2, 8, 4, 3)
	own, err := Evaluate(&Model{Net: &net, Loss: loss.MSE{}}, x, y, 8)
	if err != nil {
		t.Fatal(err)
	}
	viaReplica, err := Evaluate(&Model{Net: rep, Loss: loss.MSE{}}, x, y, 8)
	if err != nil {
		t.Fatal(err)
	}
	if own["loss"] != viaReplica["loss"] {
		t.Fatalf("loss %v on the network, %v on its replica", own["loss"], viaReplica["loss"])
	}
	bare, _ := Evaluate(&Model{Net: &net, Loss: loss.MSE{}}, x, y, 8)
	net.Layers[0].(*nn.Dense).Params()[0].Regularizer = nil
	without, _ := Evaluate(&Model{Net: &net, Loss: loss.MSE{}}, x, y, 8)
	if !(bare["loss"] > without["loss"]) {
		t.Fatalf("the penalty added nothing: %v with, %v without", bare["loss"], without["loss"])
	}
}
