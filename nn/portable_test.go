package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestConvPortableMatchesAssembly runs convolution layers with the
// assembly kernels and again with the portable ones (what -tags purego
// builds) and compares outputs and all gradients: relative error <= 1e-5.
func TestConvPortableMatchesAssembly(t *testing.T) {
	cases := []struct {
		name  string
		layer func() nn.Layer
		in    tensor.Shape
	}{
		{"3x3 same winograd", func() nn.Layer {
			return &nn.Conv2D{Filters: 40, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU}
		}, tensor.Shape{9, 10, 24}},
		{"3x3 valid winograd", func() nn.Layer {
			return &nn.Conv2D{Filters: 17, KernelSize: [2]int{3, 3}, Activation: activation.ReLU}
		}, tensor.Shape{12, 7, 33}},
		{"3x3 same rgb im2col", func() nn.Layer {
			return &nn.Conv2D{Filters: 64, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU}
		}, tensor.Shape{16, 16, 3}},
		{"4x4 valid", func() nn.Layer {
			return &nn.Conv2D{Filters: 32, KernelSize: [2]int{4, 4}, Activation: activation.ReLU}
		}, tensor.Shape{14, 14, 1}},
		{"3x3 stride 2 same", func() nn.Layer {
			return &nn.Conv2D{Filters: 20, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}
		}, tensor.Shape{11, 9, 12}},
		{"1x1", func() nn.Layer {
			return &nn.Conv2D{Filters: 33, KernelSize: [2]int{1, 1}}
		}, tensor.Shape{5, 6, 19}},
		{"max pool", func() nn.Layer {
			return &nn.MaxPooling2D{PoolSize: [2]int{2, 2}}
		}, tensor.Shape{8, 10, 37}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asm := convRun(t, tc.layer(), tc.in)
			restore := kernel.UsePortable()
			if name := kernel.GemmKernelName(); name != "generic 4x4" {
				restore()
				t.Fatalf("UsePortable left Gemm on %q", name)
			}
			portable := convRun(t, tc.layer(), tc.in)
			restore()
			for i := range asm {
				if e := relErr(asm[i], portable[i]); !(e <= 1e-5) {
					t.Errorf("result %d (0 output, 1 input gradient, then parameter gradients): relative error %.3g > 1e-5", i, e)
				}
			}
		})
	}
}

// convRun builds l with a fixed seed, runs a training forward and backward
// pass on fixed data of 3 samples and returns the output, the input
// gradient and the parameter gradients.
func convRun(t *testing.T, l nn.Layer, in tensor.Shape) [][]float32 {
	t.Helper()
	if err := l.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(append(tensor.Shape{3}, in...)...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := l.Forward(x, true)
	out := [][]float32{append([]float32(nil), y.Data...)}
	dy := tensor.New(y.Shape...)
	for i := range dy.Data {
		dy.Data[i] = float32(r.NormFloat64())
	}
	dx := l.Backward(dy)
	out = append(out, append([]float32(nil), dx.Data...))
	for _, p := range l.Params() {
		out = append(out, append([]float32(nil), p.Grad.Data...))
	}
	return out
}

func relErr(a, b []float32) float64 {
	var e, scale float64
	for i := range a {
		e = max(e, math.Abs(float64(a[i]-b[i])))
		scale = max(scale, math.Abs(float64(b[i])))
	}
	return e / max(scale, 1e-30)
}
