package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// Dense on inputs of rank 3 and 4 (batch included) applies its kernel to
// the last axis, as Keras's Dense does (keras/src/layers/core/dense.py:
// ops.matmul(inputs, kernel) broadcasts over the leading axes).
func TestDenseAnyRankGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer *nn.Dense
		in    tensor.Shape
	}{
		{"rank3_linear", &nn.Dense{Units: 4}, tensor.Shape{3, 5}},
		{"rank3_tanh", &nn.Dense{Units: 3, Activation: activation.Tanh}, tensor.Shape{4, 2}},
		{"rank4_softmax_nobias", &nn.Dense{Units: 3, Activation: activation.Softmax, NoBias: true}, tensor.Shape{2, 3, 4}},
		{"rank4_relu", &nn.Dense{Units: 2, Activation: activation.ReLU}, tensor.Shape{3, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer, tt.in, nntest.GradOptions{Batch: 2, MaxChecks: 100})
		})
	}
}

// TestDenseAnyRankValues checks every output against the per-position
// product y[..., u] = act(Σ_f x[..., f]·kernel[f, u] + bias[u]) in float64.
func TestDenseAnyRankValues(t *testing.T) {
	for _, in := range []tensor.Shape{{7}, {3, 5}, {2, 3, 4}} {
		d := &nn.Dense{Units: 3, Activation: activation.Softmax}
		if err := d.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 4))
		bias := d.Params()[1].Value.Data
		for i := range bias {
			bias[i] = float32(r.NormFloat64())
		}
		kern := d.Params()[0].Value.Data
		x := tensor.New(append(tensor.Shape{2}, in...)...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		y := d.Forward(x, false)
		want := append(tensor.Shape{2}, in...)
		want[len(want)-1] = 3
		if !y.Shape.Equal(want) {
			t.Fatalf("input %v: output shape %v, want %v", in, y.Shape, want)
		}
		f := in[len(in)-1]
		for row := range len(x.Data) / f {
			var z [3]float64
			var sum float64
			for u := range 3 {
				z[u] = float64(bias[u])
				for k := range f {
					z[u] += float64(x.Data[row*f+k]) * float64(kern[k*3+u])
				}
			}
			m := max(z[0], z[1], z[2])
			for u := range 3 {
				sum += math.Exp(z[u] - m)
			}
			for u := range 3 {
				p := math.Exp(z[u]-m) / sum
				if got := float64(y.Data[row*3+u]); math.Abs(got-p) > 1e-5 {
					t.Errorf("input %v row %d unit %d: %v, want %v", in, row, u, got, p)
				}
			}
		}
	}
}

// After a Conv2D, Dense needs no Flatten: it maps each pixel's channels,
// a 1x1 convolution, and its weights are (channels, units).
func TestDenseAfterConvWithoutFlatten(t *testing.T) {
	s := &nn.Stack{}
	s.Add(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, InputShape: tensor.Shape{8, 8, 1}}, &nn.Dense{Units: 10})
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	if got := s.OutputShape(); !got.Equal(tensor.Shape{6, 6, 10}) {
		t.Errorf("output shape %v, want [6 6 10]", got)
	}
	shapes, err := s.ParamShapes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(shapes) != 4 || !shapes[2].Shape.Equal(tensor.Shape{2, 10}) || !shapes[3].Shape.Equal(tensor.Shape{10}) {
		t.Errorf("ParamShapes = %v, want the dense kernel (2, 10) and bias (10)", shapes)
	}
	if got, want := s.Layers[1].Params()[0].Value.Shape, (tensor.Shape{2, 10}); !got.Equal(want) {
		t.Errorf("built kernel %v, want %v", got, want)
	}
	if err := (&nn.Dense{Units: 2}).Build(tensor.Shape{}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Dense on a scalar input: no error")
	}
}

func TestDenseAnyRankNoAllocs(t *testing.T) {
	d := &nn.Dense{Units: 4, Activation: activation.ReLU}
	if err := d.Build(tensor.Shape{3, 5}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(8, 3, 5)
	dy := tensor.New(8, 3, 4)
	step := func() {
		d.Forward(x, true)
		d.Backward(dy)
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("Forward+Backward at rank 3 allocate %v times per step, want 0", n)
	}
}
