package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// ELU is Keras's ELU layer (keras/src/layers/activations/elu.py):
// y = x for x > 0, Alpha·(exp(x) - 1) otherwise.
type ELU struct {
	Trainability
	Name  string
	Alpha float64 // 0 means Keras's default 1.0

	x, y, dx *tensor.Tensor
}

func init() {
	// Keras 3's ELU.get_config writes no keys of its own (alpha is not
	// saved, so a Keras 3 file always loads alpha 1); Keras 2 wrote
	// "alpha", and gokeras writes it too, which Keras's constructor takes.
	register("ELU", func(r *cfgReader) Layer {
		return &ELU{Alpha: r.positive("alpha", 1)}
	})
}

func (l *ELU) LayerName() string     { return l.Name }
func (l *ELU) SetLayerName(s string) { l.Name = s }
func (l *ELU) Class() string         { return "ELU" }
func (l *ELU) Params() []*Param      { return nil }

func (l *ELU) alpha() float64 {
	if l.Alpha == 0 {
		return 1
	}
	return l.Alpha
}

func (l *ELU) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["alpha"] = l.alpha()
	return m
}

func (l *ELU) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.Alpha < 0 {
		return nil, fmt.Errorf("alpha is %v; give a positive scale (0 for the default 1)", l.Alpha)
	}
	return in.Clone(), nil
}

func (l *ELU) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

func (l *ELU) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	kernel.ELU(l.y.Data, x.Data, float32(l.alpha()))
	return l.y
}

func (l *ELU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	kernel.ELUBackward(l.dx.Data, dy.Data, l.x.Data, l.y.Data, float32(l.alpha()))
	return l.dx
}
