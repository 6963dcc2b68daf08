package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Identity passes its input through unchanged, as Keras 3's Identity
// (keras/src/layers/core/identity.py): a placeholder where a model has
// nothing to do. Forward returns its input and Backward its gradient, the
// same tensors, without copying. Its config holds only the keys every
// layer has.
type Identity struct {
	Trainability
	Name       string
	InputShape tensor.Shape // optional: declares the model input, like input_shape=
}

func init() {
	// Keras's Identity has no get_config of its own: Layer's keys only.
	register("Identity", func(r *cfgReader) Layer {
		return &Identity{InputShape: r.inputShape()}
	})
}

func (l *Identity) LayerName() string                { return l.Name }
func (l *Identity) SetLayerName(s string)            { l.Name = s }
func (l *Identity) Class() string                    { return "Identity" }
func (l *Identity) Params() []*Param                 { return nil }
func (l *Identity) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Identity) Config() map[string]any           { return baseConfig(l.Name, l.InputShape) }

func (l *Identity) OutputShape(in tensor.Shape) (tensor.Shape, error) { return in.Clone(), nil }

func (l *Identity) Build(in tensor.Shape, _ *rand.Rand) error { return nil }

func (l *Identity) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { return x }

func (l *Identity) Backward(dy *tensor.Tensor) *tensor.Tensor { return dy }
