package nn_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

func op2(h, w int) *[2]int { return &[2]int{h, w} }

// TestConv2DTransposeOutputShape: Keras's output sizes
// (compute_conv_transpose_output_shape), worked out by hand for a 5x4
// input: "valid" gives (in-1)*s + k + op with op = max(k, s) - k when
// None; "same" gives in*s when op is None, else (in-1)*s + k%2 + op.
func TestConv2DTransposeOutputShape(t *testing.T) {
	for _, tt := range []struct {
		k, s [2]int
		pad  nn.Padding
		op   *[2]int
		want tensor.Shape
	}{
		{[2]int{3, 3}, [2]int{1, 1}, nn.Valid, nil, tensor.Shape{7, 6, 2}},        // 4+3, 3+3
		{[2]int{3, 3}, [2]int{2, 2}, nn.Valid, nil, tensor.Shape{11, 9, 2}},       // 8+3, 6+3
		{[2]int{3, 2}, [2]int{3, 3}, nn.Valid, nil, tensor.Shape{15, 12, 2}},      // 12+3+0, 9+2+1
		{[2]int{3, 3}, [2]int{2, 2}, nn.Valid, op2(1, 0), tensor.Shape{12, 9, 2}}, // 8+3+1, 6+3+0
		{[2]int{3, 3}, [2]int{1, 1}, nn.Same, nil, tensor.Shape{5, 4, 2}},         // in*1
		{[2]int{3, 3}, [2]int{2, 2}, nn.Same, nil, tensor.Shape{10, 8, 2}},        // in*2
		{[2]int{4, 2}, [2]int{3, 3}, nn.Same, nil, tensor.Shape{15, 12, 2}},       // in*3
		{[2]int{3, 3}, [2]int{2, 2}, nn.Same, op2(1, 0), tensor.Shape{10, 7, 2}},  // 8+1+1, 6+1+0
		{[2]int{4, 5}, [2]int{3, 3}, nn.Same, op2(2, 1), tensor.Shape{14, 11, 2}}, // 12+0+2, 9+1+1
		{[2]int{1, 1}, [2]int{1, 1}, nn.Same, op2(0, 0), tensor.Shape{5, 4, 2}},   // 4+1+0
		{[2]int{2, 2}, [2]int{2, 2}, nn.Valid, op2(0, 0), tensor.Shape{10, 8, 2}}, // 8+2+0
		{[2]int{1, 1}, [2]int{3, 2}, nn.Valid, nil, tensor.Shape{15, 8, 2}},       // 12+1+2, 6+1+1
		{[2]int{5, 5}, [2]int{1, 1}, nn.Same, op2(0, 0), tensor.Shape{5, 4, 2}},   // 4+1+0
		{[2]int{2, 2}, [2]int{1, 1}, nn.Same, op2(0, 0), tensor.Shape{4, 3, 2}},   // 4+0+0
	} {
		l := &nn.Conv2DTranspose{Filters: 2, KernelSize: tt.k, Strides: tt.s, Padding: tt.pad, OutputPadding: tt.op}
		got, err := l.OutputShape(tensor.Shape{5, 4, 3})
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("k=%v s=%v %v op=%v: OutputShape = %v, %v; want %v", tt.k, tt.s, tt.pad, tt.op, got, err, tt.want)
		}
	}
	// Dilation (2, 3): the 3-tap kernel spans 5 and 7 cells.
	for _, tt := range []struct {
		pad  nn.Padding
		op   *[2]int
		want tensor.Shape
	}{
		{nn.Valid, nil, tensor.Shape{9, 10, 2}}, // 4+5, 3+7
		{nn.Same, nil, tensor.Shape{5, 4, 2}},
		{nn.Same, op2(0, 0), tensor.Shape{5, 4, 2}}, // 4+1+0, 3+1+0
	} {
		l := &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 3}, Padding: tt.pad, OutputPadding: tt.op}
		got, err := l.OutputShape(tensor.Shape{5, 4, 3})
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("dilated %v op=%v: OutputShape = %v, %v; want %v", tt.pad, tt.op, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		l    *nn.Conv2DTranspose
		in   tensor.Shape
		want string
	}{
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, OutputPadding: op2(2, 0)}, tensor.Shape{4, 4, 1}, "smaller than strides"},
		{&nn.Conv2DTranspose{Filters: 0, KernelSize: [2]int{3, 3}}, tensor.Shape{4, 4, 1}, "filters"},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}}, tensor.Shape{4, 4}, "axes"},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, Padding: nn.Same, OutputPadding: op2(0, 0)}, tensor.Shape{1, 1, 1}, "empty"},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 1}, DilationRate: [2]int{1, 2}}, tensor.Shape{4, 4, 1}, "together with dilation_rate"},
	} {
		if _, err := tt.l.OutputShape(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v on %v: err = %v, want %q", tt.l, tt.in, err, tt.want)
		}
	}
}

func TestConv2DTransposeGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    *nn.Conv2DTranspose
		in   tensor.Shape
	}{
		{"valid s1", &nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 2}}, tensor.Shape{4, 3, 2}},
		{"valid s2 tanh", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Activation: activation.Tanh}, tensor.Shape{3, 4, 3}},
		{"valid s3 k2 op", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, Strides: [2]int{3, 2}, OutputPadding: op2(2, 1)}, tensor.Shape{3, 3, 2}},
		{"same s1", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Padding: nn.Same, NoBias: true}, tensor.Shape{4, 4, 3}},
		{"same s2", &nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 4}, Strides: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{3, 3, 2}},
		{"same s3 op", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{4, 3}, Strides: [2]int{3, 3}, Padding: nn.Same, OutputPadding: op2(2, 0)}, tensor.Shape{3, 2, 2}},
		{"1x1", &nn.Conv2DTranspose{Filters: 4, KernelSize: [2]int{1, 1}}, tensor.Shape{3, 3, 2}},
		{"dilated valid", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 2}, DilationRate: [2]int{2, 3}}, tensor.Shape{3, 4, 2}},
		{"dilated same", &nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{4, 3, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tt.in, nntest.GradOptions{Batch: 2, Step: 1e-2})
		})
	}
}

// TestConv2DTransposeIsConvGradient: a transposed convolution is the
// gradient of Conv2D with respect to its input, for the Conv2D that maps
// the transposed layer's output back to its input with the same kernel
// (Keras's layout (kh, kw, filters, in) is Conv2D's (kh, kw, C, filters)
// with C = filters). With "same" and no output_padding that Conv2D is a
// Conv2D with "same" padding; with "valid", one with "valid".
func TestConv2DTransposeIsConvGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tt := range []struct {
		k, s [2]int
		pad  nn.Padding
		in   tensor.Shape
	}{
		{[2]int{3, 3}, [2]int{2, 2}, nn.Same, tensor.Shape{4, 3, 2}},
		{[2]int{3, 3}, [2]int{2, 2}, nn.Valid, tensor.Shape{4, 3, 2}},
		{[2]int{4, 3}, [2]int{3, 1}, nn.Same, tensor.Shape{3, 5, 3}},
		{[2]int{2, 2}, [2]int{1, 1}, nn.Same, tensor.Shape{3, 3, 1}},
	} {
		tr := &nn.Conv2DTranspose{Filters: 2, KernelSize: tt.k, Strides: tt.s, Padding: tt.pad, NoBias: true}
		if err := tr.Build(tt.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		out, _ := tr.OutputShape(tt.in)
		conv := &nn.Conv2D{Filters: tt.in[2], KernelSize: tt.k, Strides: tt.s, Padding: tt.pad, NoBias: true}
		if err := conv.Build(out, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		if back, _ := conv.OutputShape(out); !back.Equal(tt.in) {
			t.Fatalf("%+v: Conv2D maps %v to %v, not the input %v", tt, out, back, tt.in)
		}
		copy(conv.Params()[0].Value.Data, tr.Params()[0].Value.Data)
		x := tensor.New(append(tensor.Shape{2}, tt.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		y := tr.Forward(x, false)
		conv.Forward(tensor.New(append(tensor.Shape{2}, out...)...), false)
		want := conv.Backward(x) // d(<x, conv(v)>)/dv
		closeTo(t, "transpose vs conv gradient", y, want, 1e-5)
	}
}

// TestConv2DTransposeDoesNotAllocate: a training step (Forward and
// Backward) after the first allocates nothing.
func TestConv2DTransposeDoesNotAllocate(t *testing.T) {
	for _, l := range []nn.Layer{
		&nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, Activation: activation.ReLU},
		&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, DepthMultiplier: 2, Padding: nn.Same, Activation: activation.Tanh},
		&nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}},
	} {
		in := tensor.Shape{6, 6, 3}
		if err := l.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		out, _ := l.OutputShape(in)
		x := tensor.New(append(tensor.Shape{4}, in...)...)
		dy := tensor.New(append(tensor.Shape{4}, out...)...)
		step := func() {
			l.Forward(x, true)
			l.Backward(dy)
		}
		step()
		if n := testing.AllocsPerRun(5, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", l.Class(), n)
		}
	}
}
