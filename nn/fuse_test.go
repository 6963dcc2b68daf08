package nn_test

import (
	"math"
	"math/rand/v2"
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
