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

// TestSeparableConv2DShapes: Keras's weights in its order (depthwise
// (kh, kw, C, dm), pointwise (1, 1, C*dm, filters), bias (filters,)) and
// Conv2D's window arithmetic, by hand for a 7x6x3 input.
func TestSeparableConv2DShapes(t *testing.T) {
	for _, tt := range []struct {
		l       *nn.SeparableConv2D
		want    tensor.Shape
		weights string
		count   int
	}{
		// 3*3*3*1 + 3*5 + 5 = 47
		{&nn.SeparableConv2D{Filters: 5, KernelSize: [2]int{3, 3}}, tensor.Shape{5, 4, 5}, "depthwise_kernel(3, 3, 3, 1) pointwise_kernel(1, 1, 3, 5) bias(5,)", 47},
		// 3*3*3*2 + 6*4 = 78
		{&nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, DepthMultiplier: 2, NoBias: true}, tensor.Shape{4, 3, 4}, "depthwise_kernel(3, 3, 3, 2) pointwise_kernel(1, 1, 6, 4)", 78},
	} {
		in := tensor.Shape{7, 6, 3}
		got, err := tt.l.OutputShape(in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%+v: OutputShape = %v, %v; want %v", tt.l, got, err, tt.want)
			continue
		}
		if err := tt.l.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		var ws []string
		n := 0
		for _, p := range tt.l.Params() {
			ws = append(ws, p.Name+p.Value.Shape.String())
			n += len(p.Value.Data)
		}
		if s := strings.Join(ws, " "); s != tt.weights || n != tt.count {
			t.Errorf("%s %v: weights %s (%d values), want %s (%d)", tt.l.Class(), tt.l.KernelSize, s, n, tt.weights, tt.count)
		}
	}
}

func TestSeparableConv2DGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    *nn.SeparableConv2D
		in   tensor.Shape
	}{
		{"valid", &nn.SeparableConv2D{Filters: 3, KernelSize: [2]int{3, 2}}, tensor.Shape{5, 4, 2}},
		{"same dm2 tanh", &nn.SeparableConv2D{Filters: 2, KernelSize: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 2, Activation: activation.Tanh}, tensor.Shape{4, 4, 3}},
		{"s2 nobias", &nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, NoBias: true}, tensor.Shape{6, 5, 2}},
		{"s3", &nn.SeparableConv2D{Filters: 2, KernelSize: [2]int{2, 2}, Strides: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 3}, tensor.Shape{5, 7, 2}},
		{"dilated", &nn.SeparableConv2D{Filters: 3, KernelSize: [2]int{2, 3}, DilationRate: [2]int{3, 2}, DepthMultiplier: 2}, tensor.Shape{6, 7, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tt.in, nntest.GradOptions{Batch: 2})
		})
	}
}
