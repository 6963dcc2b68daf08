// Package nntest holds the checks every layer must pass: output shapes,
// and gradients against central finite differences.
package nntest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// GradOptions tunes a gradient check. The zero value checks a batch of 2
// in inference mode with inputs drawn from a standard normal.
type GradOptions struct {
	Batch    int
	Training bool
	Seed     uint64
	// Input fills the input; nil draws N(0,1). Max pooling needs inputs
	// without near-ties, since a finite difference across a tie is wrong.
	Input func(r *rand.Rand, x []float32)
	// BeforeForward runs before every forward pass (e.g. to replay the same
	// dropout mask).
	BeforeForward func()
	// Step and Tol: step h of the central difference (default 1e-2) and the
	// allowed error |num-ana| <= Tol*(|num|+|ana|) + Tol (default 1e-2),
	// which suits float32 layers evaluated with a float64 loss.
	Step, Tol float64
	// MaxChecks bounds how many entries of each tensor are checked (default 60).
	MaxChecks int
}

// CheckGradients builds l for per-sample input shape in and compares its
// input and weight gradients of loss = Σ w⊙y (w random and fixed) against
// central finite differences.
func CheckGradients(t *testing.T, l nn.Layer, in tensor.Shape, o GradOptions) {
	t.Helper()
	if o.Batch == 0 {
		o.Batch = 2
	}
	if o.Step == 0 {
		o.Step = 1e-2
	}
	if o.Tol == 0 {
		o.Tol = 1e-2
	}
	if o.MaxChecks == 0 {
		o.MaxChecks = 60
	}
	r := rand.New(rand.NewPCG(o.Seed, 7))
	if err := l.Build(in, rand.New(rand.NewPCG(o.Seed, 11))); err != nil {
		t.Fatalf("%s: Build(%v): %v", l.Class(), in, err)
	}
	outShape, err := l.OutputShape(in)
	if err != nil {
		t.Fatalf("%s: OutputShape(%v): %v", l.Class(), in, err)
	}
	// Random non-trivial weights (biases start at zero otherwise).
	for _, p := range l.Params() {
		if p.Trainable() {
			for i := range p.Value.Data {
				p.Value.Data[i] += float32(r.NormFloat64() * 0.3)
			}
		}
	}
	x := tensor.New(append(tensor.Shape{o.Batch}, in...)...)
	if o.Input != nil {
		o.Input(r, x.Data)
	} else {
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
	}
	forward := func() *tensor.Tensor {
		if o.BeforeForward != nil {
			o.BeforeForward()
		}
		return l.Forward(x, o.Training)
	}
	y := forward()
	wantOut := append(tensor.Shape{o.Batch}, outShape...)
	if !y.Shape.Equal(wantOut) {
		t.Fatalf("%s: Forward output shape %v, OutputShape says %v", l.Class(), y.Shape, wantOut)
	}
	w := make([]float32, len(y.Data))
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	loss := func() float64 {
		y := forward()
		var s float64
		for i, v := range y.Data {
			s += float64(w[i]) * float64(v)
		}
		return s
	}
	if sk, ok := l.(nn.InputGradSkipper); ok {
		sk.SkipInputGrad(false)
	}
	forward()
	dy := &tensor.Tensor{Shape: wantOut, Data: append([]float32(nil), w...)}
	dx := l.Backward(dy)
	if dx == nil || !dx.Shape.Equal(x.Shape) {
		t.Fatalf("%s: Backward returned %v, want shape %v", l.Class(), dx, x.Shape)
	}
	// Snapshot analytic gradients: later forwards may reuse buffers.
	check := func(name string, v []float32, ana []float32) {
		ana = append([]float32(nil), ana...)
		idx := r.Perm(len(v))
		if len(idx) > o.MaxChecks {
			idx = idx[:o.MaxChecks]
		}
		bad := 0
		for _, i := range idx {
			old := v[i]
			v[i] = old + float32(o.Step)
			lp := loss()
			v[i] = old - float32(o.Step)
			lm := loss()
			v[i] = old
			num := (lp - lm) / (2 * o.Step)
			a := float64(ana[i])
			if math.Abs(num-a) > o.Tol*(math.Abs(num)+math.Abs(a))+o.Tol {
				bad++
				if bad <= 5 {
					t.Errorf("%s: d loss/d %s[%d] = %.6g, finite difference %.6g", l.Class(), name, i, a, num)
				}
			}
		}
	}
	check("input", x.Data, dx.Data)
	for _, p := range l.Params() {
		if p.Trainable() {
			check(p.Name, p.Value.Data, p.Grad.Data)
		}
	}
}
