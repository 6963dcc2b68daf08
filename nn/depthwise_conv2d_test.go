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

// TestDepthwiseConv2DShapes: Conv2D's window arithmetic with
// channels*depth_multiplier outputs, and Keras's weight shapes (kernel
// (kh, kw, C, dm), bias (C*dm,)), worked out by hand for a 7x6x3 input.
func TestDepthwiseConv2DShapes(t *testing.T) {
	for _, tt := range []struct {
		l       *nn.DepthwiseConv2D
		want    tensor.Shape
		weights string
	}{
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}}, tensor.Shape{5, 4, 3}, "kernel(3, 3, 3, 1) bias(3,)"},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{7, 6, 6}, "kernel(3, 3, 3, 2) bias(6,)"},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}, Strides: [2]int{2, 2}, NoBias: true}, tensor.Shape{3, 3, 3}, "kernel(3, 2, 3, 1)"},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{2, 2}, Strides: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 3}, tensor.Shape{3, 2, 9}, "kernel(2, 2, 3, 3) bias(9,)"},
		// dilation (2, 2): the 3x2 kernel spans 5x3 cells: 7-5+1, 6-3+1.
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}, DilationRate: [2]int{2, 2}}, tensor.Shape{3, 4, 3}, "kernel(3, 2, 3, 1) bias(3,)"},
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
		for _, p := range tt.l.Params() {
			ws = append(ws, p.Name+p.Value.Shape.String())
		}
		if s := strings.Join(ws, " "); s != tt.weights {
			t.Errorf("%s %v: weights %s, want %s", tt.l.Class(), tt.l.KernelSize, s, tt.weights)
		}
	}
	if _, err := (&nn.DepthwiseConv2D{KernelSize: [2]int{5, 5}}).OutputShape(tensor.Shape{4, 4, 1}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("5x5 kernel on 4x4 valid: err = %v", err)
	}
}

func TestDepthwiseConv2DGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    *nn.DepthwiseConv2D
		in   tensor.Shape
	}{
		{"valid", &nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}}, tensor.Shape{5, 4, 3}},
		{"same dm2 tanh", &nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 2, Activation: activation.Tanh}, tensor.Shape{4, 5, 2}},
		{"s2", &nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, NoBias: true}, tensor.Shape{5, 5, 3}},
		{"s3 dm3", &nn.DepthwiseConv2D{KernelSize: [2]int{2, 3}, Strides: [2]int{3, 2}, DepthMultiplier: 3}, tensor.Shape{7, 6, 2}},
		{"dilated same", &nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}, DilationRate: [2]int{2, 3}, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{6, 7, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tt.in, nntest.GradOptions{Batch: 2})
		})
	}
}
