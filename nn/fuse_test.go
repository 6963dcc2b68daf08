package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestReLUPoolFusionSameBits: a Stack lets max pooling apply the gradient
// of the ReLU before it. A linear Activation in between stops the fusion;
// every weight gradient must be the same bits either way, with windows
// that overlap and many ReLU zeros (ties inside windows).
func TestReLUPoolFusionSameBits(t *testing.T) {
	for _, pool := range []func() nn.Layer{
		func() nn.Layer { return &nn.MaxPooling2D{} },
		func() nn.Layer {
			return &nn.MaxPooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}
		},
	} {
		layers := func(split bool) []nn.Layer {
			ls := []nn.Layer{&nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU}}
			if split {
				ls = append(ls, &nn.Activation{Activation: activation.Linear})
			}
			return append(ls, pool(), &nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Activation: activation.ReLU}, pool(), &nn.Flatten{}, &nn.Dense{Units: 5})
		}
		var fused, plain nn.Stack
		fused.Add(layers(false)...)
		plain.Add(layers(true)...)
		in := tensor.Shape{12, 11, 3}
		if err := fused.Build(in, 1); err != nil {
			t.Fatal(err)
		}
		if err := plain.Build(in, 1); err != nil {
			t.Fatal(err)
		}
		fp, pp := fused.Params(), plain.Params()
		for i := range fp {
			copy(pp[i].Value.Data, fp[i].Value.Data)
		}
		r := rand.New(rand.NewPCG(5, 6))
		x := tensor.New(4, 12, 11, 3)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64()) - 0.3
		}
		yf, yp := fused.Forward(x, true), plain.Forward(x, true)
		dy := tensor.New(yf.Shape...)
		for i := range dy.Data {
			dy.Data[i] = float32(r.NormFloat64())
		}
		if len(yf.Data) != len(yp.Data) {
			t.Fatal("outputs differ in size")
		}
		fused.Backward(dy)
		plain.Backward(dy)
		for i := range fp {
			a, b := fp[i].Grad.Data, pp[i].Grad.Data
			for j := range a {
				if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
					t.Fatalf("%s: gradient %d of %s differs: fused %v, unfused %v", pool().Class(), j, fp[i].Name, a[j], b[j])
				}
			}
		}
	}
}

// resBlock is a small ResNet v1 graph: conv → BN → ReLU → conv → BN, added
// to the block's input, → ReLU, then a head. One more BN → ReLU pair has a
// second reader (not fused), and a second output is a BN of the sum of two
// convolutions (an Add both of whose inputs keep its gradient).
func resBlock(t *testing.T) *nn.Stack {
	t.Helper()
	conv := func(f int) *nn.Conv2D {
		return &nn.Conv2D{Filters: f, KernelSize: [2]int{3, 3}, Padding: nn.Same}
	}
	relu := func() *nn.Activation { return &nn.Activation{Activation: activation.ReLU} }
	in := &nn.InputLayer{Shape: tensor.Shape{8, 8, 3}}
	x := nn.Call(relu(), nn.Call(&nn.BatchNormalization{}, nn.Call(conv(6), in)))
	y := nn.Call(&nn.BatchNormalization{}, nn.Call(conv(6), nn.Call(relu(), nn.Call(&nn.BatchNormalization{}, nn.Call(conv(6), x)))))
	z := nn.Call(relu(), nn.Merge(&nn.Add{}, x, y))
	b := nn.Call(&nn.BatchNormalization{}, nn.Call(conv(6), z))
	two := nn.Call(relu(), b) // b is read twice: by this ReLU and by the Add below
	w := nn.Call(relu(), nn.Merge(&nn.Add{}, two, b))
	out := nn.Call(&nn.Dense{Units: 4}, nn.Call(&nn.GlobalAveragePooling2D{}, w))
	bnOut := nn.Call(&nn.BatchNormalization{}, nn.Merge(&nn.Add{}, nn.Call(conv(2), w), nn.Call(conv(2), w)))
	g, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{out, bnOut})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Build(nil, 7); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestReLUFusionSameBits: with the BatchNormalization → ReLU and Add → ReLU
// fusion and the uncopied residual gradients, training's outputs and every weight gradient, and Infer's
// outputs, are the bits of the unfused graph; a feature map of a fused
// batch norm (ForwardTo) is its own output, before the ReLU.
func TestReLUFusionSameBits(t *testing.T) {
	defer nn.SetReLUFusion(nn.SetReLUFusion(true))
	fused := resBlock(t)
	nn.SetReLUFusion(false)
	plain := resBlock(t)
	if got, _ := fused.Fusions(); got != 4 {
		t.Fatalf("%d calls fused, want 4 (two batch norms and the Add of the block, the last Add)", got)
	}
	// Two Adds have one input that keeps the gradient (the other is read
	// twice); the Add of two convolutions has two, so it copies.
	if _, got := fused.Fusions(); got != 2 {
		t.Fatalf("%d Adds hand on their gradient, want 2", got)
	}
	if r, g := plain.Fusions(); r != 0 || g != 0 {
		t.Fatal("fusion off, yet calls fused")
	}
	fp, pp := fused.Params(), plain.Params()
	for i := range fp {
		copy(pp[i].Value.Data, fp[i].Value.Data)
	}
	r := rand.New(rand.NewPCG(8, 9))
	x := tensor.New(5, 8, 8, 3)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	same := func(what string, a, b []float32) {
		t.Helper()
		if len(a) != len(b) {
			t.Fatalf("%s: %d values fused, %d unfused", what, len(a), len(b))
		}
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Fatalf("%s [%d]: fused %v, unfused %v", what, j, a[j], b[j])
			}
		}
	}
	for step := range 2 {
		yf, yp := fused.ForwardAll([]*tensor.Tensor{x}, true), plain.ForwardAll([]*tensor.Tensor{x}, true)
		var dys []*tensor.Tensor
		for j := range yf {
			same("output", yf[j].Data, yp[j].Data)
			dy := tensor.New(yf[j].Shape...)
			for i := range dy.Data {
				dy.Data[i] = float32(r.NormFloat64())
			}
			dys = append(dys, dy)
		}
		fused.BackwardAll(dys, nil)
		plain.BackwardAll(dys, nil)
		for i := range fp {
			if fp[i].Grad != nil {
				same(fmt.Sprintf("step %d, gradient of %s", step, fp[i].Name), fp[i].Grad.Data, pp[i].Grad.Data)
			}
			// The moving statistics too.
			same(fmt.Sprintf("step %d, %s", step, fp[i].Name), fp[i].Value.Data, pp[i].Value.Data)
		}
	}
	same("Infer", fused.Infer(x).Data, plain.Infer(x).Data)
	// The first batch norm's feature map has negatives: not ReLU'd.
	bn := slices.IndexFunc(fused.Layers, func(l nn.Layer) bool { _, ok := l.(*nn.BatchNormalization); return ok })
	fm := fused.ForwardTo(x, bn)
	same("ForwardTo", fm.Data, plain.ForwardTo(x, bn).Data)
	if !slices.ContainsFunc(fm.Data, func(v float32) bool { return v < 0 }) {
		t.Error("the batch norm's feature map has no negative value: ReLU'd")
	}
}
