package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// LeakyReLUDefaultSlope is Keras 3's default negative_slope for the
// LeakyReLU layer (keras/src/layers/activations/leaky_relu.py); the
// leaky_relu activation function's default is 0.2 instead.
const LeakyReLUDefaultSlope = 0.3

// LeakyReLU is Keras's LeakyReLU layer: y = x for x >= 0, NegativeSlope·x
// otherwise.
type LeakyReLU struct {
	Trainability
	Name string
	// NegativeSlope is the slope for x < 0; 0 means Keras's default 0.3. A
	// slope of exactly 0 is a ReLU layer.
	NegativeSlope float64

	x, y, dx *tensor.Tensor
}

func init() {
	// Keras 3 writes negative_slope (keras/src/layers/activations/
	// leaky_relu.py get_config); Keras 2 wrote "alpha", which Keras 3's
	// constructor still takes in its place.
	register("LeakyReLU", func(r *cfgReader) Layer {
		key := "negative_slope"
		if _, ok := r.Get("alpha"); ok {
			key = "alpha"
			r.Get("negative_slope") // Keras uses alpha when both are given
		}
		s := LeakyReLUDefaultSlope
		if v, ok := r.Get(key); ok {
			s = r.Num(key, LeakyReLUDefaultSlope)
			switch {
			case r.Err != nil:
			case s < 0:
				r.Failf("%s must be >= 0, got %v (Keras refuses negative slopes too)", key, s)
			case s == 0:
				r.unsupported(key, v, "gokeras reads a LeakyReLU's slope 0 as the default 0.3; use a ReLU layer, which a slope of 0 is")
			}
		}
		return &LeakyReLU{NegativeSlope: s}
	})
}

func (l *LeakyReLU) LayerName() string     { return l.Name }
func (l *LeakyReLU) SetLayerName(s string) { l.Name = s }
func (l *LeakyReLU) Class() string         { return "LeakyReLU" }
func (l *LeakyReLU) Params() []*Param      { return nil }

func (l *LeakyReLU) slope() float64 {
	if l.NegativeSlope == 0 {
		return LeakyReLUDefaultSlope
	}
	return l.NegativeSlope
}

func (l *LeakyReLU) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["negative_slope"] = l.slope()
	return m
}

func (l *LeakyReLU) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.NegativeSlope < 0 {
		return nil, fmt.Errorf("negative_slope is %v; it must be >= 0", l.NegativeSlope)
	}
	return in.Clone(), nil
}

func (l *LeakyReLU) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

func (l *LeakyReLU) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	kernel.LeakyReLU(l.y.Data, x.Data, float32(l.slope()))
	return l.y
}

func (l *LeakyReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	kernel.LeakyReLUBackward(l.dx.Data, dy.Data, l.x.Data, float32(l.slope()))
	return l.dx
}
