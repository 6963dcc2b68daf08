package nn_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// residual is a graph with a shared layer and a skip connection:
//
//	in(4) -> shared Dense(4, tanh) -> x1 -> shared again -> x2
//	Add(x1, x2) -> Dense(3) -> out
func residual(t *testing.T) (*nn.Stack, *nn.Dense) {
	t.Helper()
	in := &nn.InputLayer{Shape: tensor.Shape{4}}
	shared := &nn.Dense{Units: 4, Activation: activation.Tanh}
	x1 := nn.Call(shared, in)
	x2 := nn.Call(shared, x1)
	sum := nn.Merge(&nn.Add{}, x1, x2)
	out := nn.Call(&nn.Dense{Units: 3}, sum)
	g, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Build(nil, 3); err != nil {
		t.Fatal(err)
	}
	return g, shared
}

// stackLoss is Σ w⊙y of a forward pass in training mode.
func stackLoss(s *nn.Stack, x *tensor.Tensor, w []float32) float64 {
	y := s.Forward(x, true)
	var l float64
	for i, v := range y.Data {
		l += float64(w[i]) * float64(v)
	}
	return l
}

// checkGraphGradients compares every weight gradient of s against
// central finite differences of Σ w⊙y.
func checkGraphGradients(t *testing.T, s *nn.Stack, x *tensor.Tensor) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	y := s.Forward(x, true)
	w := make([]float32, len(y.Data))
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	s.Forward(x, true)
	s.Backward(&tensor.Tensor{Shape: y.Shape.Clone(), Data: slices.Clone(w)})
	for _, p := range s.Params() {
		ana := slices.Clone(p.Grad.Data)
		for i := range p.Value.Data {
			old := p.Value.Data[i]
			const h = 1e-2
			p.Value.Data[i] = old + h
			lp := stackLoss(s, x, w)
			p.Value.Data[i] = old - h
			lm := stackLoss(s, x, w)
			p.Value.Data[i] = old
			num := (lp - lm) / (2 * h)
			if math.Abs(num-float64(ana[i])) > 1e-2*(math.Abs(num)+math.Abs(float64(ana[i])))+1e-3 {
				t.Errorf("d loss/d %s[%d] = %.6g, finite difference %.6g", p.Name, i, ana[i], num)
			}
		}
	}
}

func randomInput(seed uint64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 9))
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// The shared layer's gradient is the sum over its two calls, and the skip
// connection's gradients add up: checked against finite differences.
func TestGraphSharedLayerAndSkipGradients(t *testing.T) {
	g, shared := residual(t)
	if n := len(g.Layers); n != 3 {
		t.Fatalf("%d distinct layers, want 3 (the shared Dense once)", n)
	}
	if got := len(g.Params()); got != 4 {
		t.Fatalf("%d weights, want 4", got)
	}
	if shared.LayerName() != "dense" {
		t.Fatalf("shared layer named %q", shared.LayerName())
	}
	checkGraphGradients(t, g, randomInput(1, 3, 4))
}

// A Functional model that is a chain computes what the Sequential model
// of the same layers computes, from the same seed: same weights, same
// outputs, same gradients.
func TestGraphChainEqualsSequential(t *testing.T) {
	layers := func() []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Activation: activation.ReLU},
			&nn.MaxPooling2D{},
			&nn.Flatten{},
			&nn.Dense{Units: 5, Activation: activation.Softmax},
		}
	}
	seq := &nn.Stack{}
	seq.Add(layers()...)
	if err := seq.Build(tensor.Shape{6, 6, 2}, 7); err != nil {
		t.Fatal(err)
	}
	in := &nn.InputLayer{Shape: tensor.Shape{6, 6, 2}}
	var x nn.Symbolic = in
	for _, l := range layers() {
		x = nn.Call(l, x)
	}
	g, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{x})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Build(nil, 7); err != nil {
		t.Fatal(err)
	}
	xb := randomInput(2, 4, 6, 6, 2)
	ys, yg := seq.Forward(xb, true), g.Forward(xb, true)
	if !slices.Equal(ys.Data, yg.Data) {
		t.Fatal("outputs differ")
	}
	dy := randomInput(3, 4, 5)
	seq.BackwardLinear(dy)
	g.BackwardLinear(dy)
	for i, p := range seq.Params() {
		if !slices.Equal(p.Grad.Data, g.Params()[i].Grad.Data) {
			t.Fatalf("gradient of %s differs", p.Name)
		}
	}
}

// Shapes are checked at the call, and the error names the layer and the
// shapes; NewGraph returns it.
func TestGraphCallErrors(t *testing.T) {
	in := &nn.InputLayer{Shape: tensor.Shape{8, 8, 3}}
	x := nn.Call(&nn.Conv2D{Name: "stem", Filters: 4, KernelSize: [2]int{3, 3}}, in) // (6, 6, 4)
	bad := nn.Merge(&nn.Add{Name: "skip"}, in, x)
	if bad.Err() == nil || !strings.Contains(bad.Err().Error(), "skip (Add)") || !strings.Contains(bad.Err().Error(), "(None, 8, 8, 3), (None, 6, 6, 4)") {
		t.Fatalf("Add of mismatched shapes: %v", bad.Err())
	}
	out := nn.Call(&nn.Dense{Units: 2}, bad)
	if _, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{out}); err == nil || !strings.Contains(err.Error(), "skip (Add)") {
		t.Fatalf("NewGraph: %v", err)
	}
	pool := nn.Call(&nn.MaxPooling2D{Name: "pool", PoolSize: [2]int{4, 4}}, nn.Call(&nn.Flatten{}, x))
	if err := pool.Err(); err == nil || !strings.Contains(err.Error(), "pool (MaxPooling2D)") || !strings.Contains(err.Error(), "(None, 144)") {
		t.Fatalf("pool on a flat tensor: %v", err)
	}
	other := &nn.InputLayer{Shape: tensor.Shape{3}}
	y := nn.Call(&nn.Dense{Units: 2}, other)
	if _, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{y}); err == nil || !strings.Contains(err.Error(), "not among the model's inputs") {
		t.Fatalf("an output from another Input: %v", err)
	}
	if _, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{in}); err == nil {
		t.Fatal("a model whose output is its input: no error")
	}
}

// A training step of a graph allocates nothing once its buffers exist.
// (Not named ...Replica...: CI runs those under the race detector, which
// allocates.)
func TestGraphStepAllocs(t *testing.T) {
	g, _ := residual(t)
	x := randomInput(4, 8, 4)
	dy := randomInput(5, 8, 3)
	step := func() { g.Forward(x, true); g.Backward(dy) }
	step()
	if a := testing.AllocsPerRun(20, step); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}

// A replica of a graph computes the same outputs on the same weights.
func TestGraphReplica(t *testing.T) {
	g, _ := residual(t)
	x := randomInput(4, 8, 4)
	r, err := g.Replica()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(g.Forward(x, false).Data)
	if got := r.Forward(x, false).Data; !slices.Equal(got, want) {
		t.Fatal("the replica's outputs differ")
	}
	if !r.SharesWeights(g) {
		t.Fatal("the replica does not share the weights")
	}
	plan, err := g.ParamShapes(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range plan {
		names = append(names, p.Name)
	}
	if want := []string{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}; !slices.Equal(names, want) {
		t.Fatalf("ParamShapes %v, want %v", names, want)
	}
}

// A model used as a layer of another: its weights train with the outer
// model's (gradients checked through it, including the input gradient
// it passes to the layers before it), and are named inside it.
func TestNestedModelGradients(t *testing.T) {
	inner := &nn.Stack{}
	inner.Add(&nn.Dense{Units: 3, Activation: activation.Tanh}, &nn.Dense{Units: 3})
	outer := &nn.Stack{}
	outer.Add(&nn.Dense{Units: 4, Activation: activation.Tanh, InputShape: tensor.Shape{2}}, nn.NewNested("block", inner), &nn.Dense{Units: 2})
	if err := outer.Build(nil, 4); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range outer.Params() {
		names = append(names, p.Name)
	}
	want := []string{"kernel", "bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "kernel", "bias"}
	if !slices.Equal(names, want) {
		t.Fatalf("weights %v, want %v", names, want)
	}
	plan, err := outer.ParamShapes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan[2].Name != "block/dense/kernel" || !plan[2].Shape.Equal(tensor.Shape{4, 3}) {
		t.Fatalf("ParamShapes names the nested kernel %s %v", plan[2].Name, plan[2].Shape)
	}
	checkGraphGradients(t, outer, randomInput(6, 3, 2))
	// Freezing the nested model freezes its layers.
	if err := nn.SetTrainable(outer.Layers[1], false); err != nil {
		t.Fatal(err)
	}
	if nn.IsTrainable(inner.Layers[0]) {
		t.Fatal("freezing the nested model left its layers trainable")
	}
	_, trainable, _ := outer.CountParams()
	if trainable != 2*4+4+3*2+2 {
		t.Fatalf("%d trainable params with the nested model frozen", trainable)
	}
}

// Two inputs and two outputs: ForwardAll and BackwardAll, with gradients
// of w1⊙y1 + w2⊙y2 checked against finite differences.
func TestGraphSeveralInputsAndOutputs(t *testing.T) {
	a := &nn.InputLayer{Shape: tensor.Shape{3}}
	b := &nn.InputLayer{Shape: tensor.Shape{2}}
	ha := nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, a)
	hb := nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, b)
	joint := nn.Merge(&nn.Concatenate{}, ha, hb)
	out1 := nn.Call(&nn.Dense{Units: 2}, joint)
	out2 := nn.Call(&nn.Dense{Units: 1}, nn.Merge(&nn.Multiply{}, ha, hb))
	g, err := nn.NewGraph([]nn.Symbolic{a, b}, []nn.Symbolic{out1, out2})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Build(nil, 2); err != nil {
		t.Fatal(err)
	}
	if got := g.OutputShapes(); len(got) != 2 || !got[0].Equal(tensor.Shape{2}) || !got[1].Equal(tensor.Shape{1}) {
		t.Fatalf("output shapes %v", got)
	}
	xs := []*tensor.Tensor{randomInput(1, 5, 3), randomInput(2, 5, 2)}
	r := rand.New(rand.NewPCG(3, 3))
	w := [][]float32{make([]float32, 10), make([]float32, 5)}
	for _, wi := range w {
		for i := range wi {
			wi[i] = float32(r.NormFloat64())
		}
	}
	loss := func() float64 {
		var l float64
		for j, y := range g.ForwardAll(xs, true) {
			for i, v := range y.Data {
				l += float64(w[j][i]) * float64(v)
			}
		}
		return l
	}
	g.ForwardAll(xs, true)
	g.BackwardAll([]*tensor.Tensor{{Shape: tensor.Shape{5, 2}, Data: slices.Clone(w[0])}, {Shape: tensor.Shape{5, 1}, Data: slices.Clone(w[1])}}, nil)
	for _, p := range g.Params() {
		ana := slices.Clone(p.Grad.Data)
		for i := range p.Value.Data {
			old := p.Value.Data[i]
			p.Value.Data[i] = old + 1e-2
			lp := loss()
			p.Value.Data[i] = old - 1e-2
			lm := loss()
			p.Value.Data[i] = old
			num := (lp - lm) / 2e-2
			if math.Abs(num-float64(ana[i])) > 1e-2*(math.Abs(num)+math.Abs(float64(ana[i])))+1e-3 {
				t.Errorf("d loss/d %s[%d] = %.6g, finite difference %.6g", p.Name, i, ana[i], num)
			}
		}
	}
	if err := g.Build(tensor.Shape{3}, 1); err == nil {
		t.Fatal("Build with one shape of a two-input model: no error")
	}
	if _, err := nn.NewGraph([]nn.Symbolic{a, a}, []nn.Symbolic{out1}); err == nil {
		t.Fatal("an Input given twice: no error")
	}
}

// ReLU and Softmax layers fuse as Dense's activations do: a ReLU layer's
// gradient is applied by the max-pool after it, and a model ending in a
// Softmax layer takes the fused cross-entropy gradient; both give the
// same weights' gradients as the unfused Sequential model with the
// activations inside the layers.
func TestActivationLayersFuse(t *testing.T) {
	a := &nn.Stack{}
	a.Add(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{6, 6, 1}},
		&nn.MaxPooling2D{}, &nn.Flatten{}, &nn.Dense{Units: 3, Activation: activation.Softmax})
	b := &nn.Stack{}
	b.Add(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, InputShape: tensor.Shape{6, 6, 1}}, &nn.ReLU{},
		&nn.MaxPooling2D{}, &nn.Flatten{}, &nn.Dense{Units: 3}, &nn.Softmax{})
	for _, s := range []*nn.Stack{a, b} {
		if err := s.Build(nil, 5); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range a.Params() {
		copy(b.Params()[i].Value.Data, p.Value.Data)
	}
	if _, ok := b.LastActivated(); !ok {
		t.Fatal("a model ending in a Softmax layer is not fused with cross-entropy")
	}
	x := randomInput(8, 3, 6, 6, 1)
	ya, yb := a.Forward(x, true), b.Forward(x, true)
	for i := range ya.Data {
		if math.Abs(float64(ya.Data[i]-yb.Data[i])) > 1e-6 {
			t.Fatalf("outputs differ: %v vs %v", ya.Data, yb.Data)
		}
	}
	dz := randomInput(9, 3, 3)
	a.BackwardLinear(dz)
	b.BackwardLinear(dz)
	for i, p := range a.Params() {
		for j, g := range p.Grad.Data {
			if math.Abs(float64(g-b.Params()[i].Grad.Data[j])) > 1e-5 {
				t.Fatalf("gradient of %s differs at %d: %v vs %v", p.Name, j, g, b.Params()[i].Grad.Data[j])
			}
		}
	}
}

// Two models built from the same symbolic tensors (an encoder and the
// autoencoder around it) share layers but not run state: each computes
// its own gradients correctly whatever the other did last.
func TestGraphsSharingTensors(t *testing.T) {
	in := &nn.InputLayer{Shape: tensor.Shape{4}}
	code := nn.Call(&nn.Dense{Units: 2, Activation: activation.Tanh}, in)
	back := nn.Call(&nn.Dense{Units: 4}, code)
	enc, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{code})
	if err != nil {
		t.Fatal(err)
	}
	auto, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{back})
	if err != nil {
		t.Fatal(err)
	}
	if err := auto.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	if err := enc.Build(nil, 1); err != nil { // rebuilds the shared encoder layer
		t.Fatal(err)
	}
	x := randomInput(3, 5, 4)
	auto.Forward(x, true) // leaves its state in the shared layer
	checkGraphGradients(t, enc, x)
	checkGraphGradients(t, auto, x)
}
