package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/tensor"
)

// Activation applies an activation function on its own, like
// keras.layers.Activation("relu").
type Activation struct {
	Trainability
	Name       string
	Activation activation.Func
	InputShape tensor.Shape

	cols     int
	shape    tensor.Shape // crelu's output shape
	x, y, dx *tensor.Tensor
	aliased  bool // y is the input passOn was given, not a buffer of its own
}

func init() {
	// Keys as keras/src/layers/activations/activation.py get_config writes them.
	register("Activation", func(r *cfgReader) Layer {
		return &Activation{Activation: r.activation("activation"), InputShape: r.inputShape()}
	})
}

func (a *Activation) LayerName() string                { return a.Name }
func (a *Activation) SetLayerName(s string)            { a.Name = s }
func (a *Activation) Class() string                    { return "Activation" }
func (a *Activation) DeclaredInputShape() tensor.Shape { return a.InputShape }
func (a *Activation) Params() []*Param                 { return nil }
func (a *Activation) ActivationFunc() activation.Func  { return a.Activation }

func (a *Activation) Config() map[string]any {
	m := baseConfig(a.Name, a.InputShape)
	m["activation"] = a.Activation.String()
	return m
}

func (a *Activation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch")
	}
	out := in.Clone()
	out[len(out)-1] *= a.Activation.Widens() // crelu doubles the last axis
	return out, nil
}

func (a *Activation) Build(in tensor.Shape, _ *rand.Rand) error {
	a.cols = in[len(in)-1]
	_, err := a.OutputShape(in)
	return err
}

func (a *Activation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	a.x = x
	if a.aliased {
		a.y, a.aliased = nil, false
	}
	a.shape = append(a.shape[:0], x.Shape...)
	a.shape[len(a.shape)-1] *= a.Activation.Widens()
	a.y = tensor.Ensure(a.y, a.shape...)
	a.Activation.Forward(a.y.Data, x.Data, len(x.Data)/a.cols, a.cols)
	return a.y
}

// passOn takes x, the output of the call before, which has applied this
// ReLU already (Node.reluFused), as its input and output: Backward then
// reads the ReLU's output, as after Forward.
func (a *Activation) passOn(x *tensor.Tensor) *tensor.Tensor {
	a.x, a.y, a.aliased = x, x, true
	return x
}

func (a *Activation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	a.dx = tensor.Ensure(a.dx, a.x.Shape...)
	a.Activation.Backward(a.dx.Data, dy.Data, a.x.Data, a.y.Data, len(a.x.Data)/a.cols, a.cols)
	return a.dx
}

// BackwardLinear passes dLoss/dz through: the layer has nothing before its
// activation.
func (a *Activation) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor { return dz }
