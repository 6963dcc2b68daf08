package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// InputLayer declares the model's input shape (Keras's Input/InputLayer).
// It passes data through unchanged and is not counted as a layer in a
// summary.
type InputLayer struct {
	Name  string
	Shape tensor.Shape

	sym *Node // the symbolic tensor it is in a graph (see Call)
}

func init() {
	// Keys as keras/src/layers/core/input_layer.py get_config writes them.
	register("InputLayer", func(r *cfgReader) Layer {
		// Keras 3 writes a plain dtype here; FromConfig checks it is float32.
		r.onlyValue("sparse", "gokeras inputs are dense", false)
		r.onlyValue("ragged", "gokeras inputs are dense, of one shape", false)
		r.onlyValue("optional", "a gokeras model always takes its input", false)
		return &InputLayer{Shape: r.inputShape()}
	})
}

func (i *InputLayer) LayerName() string                { return i.Name }
func (i *InputLayer) SetLayerName(s string)            { i.Name = s }
func (i *InputLayer) Class() string                    { return "InputLayer" }
func (i *InputLayer) DeclaredInputShape() tensor.Shape { return i.Shape }
func (i *InputLayer) Params() []*Param                 { return nil }
func (i *InputLayer) Config() map[string]any           { return baseConfig(i.Name, i.Shape) }

func (i *InputLayer) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := i.OutputShape(in)
	return err
}

func (i *InputLayer) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(i.Shape) > 0 && !in.Equal(i.Shape) {
		return nil, fmt.Errorf("input shape %v differs from the declared %v", in, i.Shape)
	}
	return in.Clone(), nil
}

func (i *InputLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { return x }
func (i *InputLayer) Backward(dy *tensor.Tensor) *tensor.Tensor              { return dy }
