package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Nested is a model used as a layer of another, as Keras lets a Sequential
// or Functional model be called like a layer (Sequential([augment, ...])).
// Its weights are its layers' weights, named "<inner layer>/<variable>"
// inside it (so a saved model names them "<model>/<inner layer>/<variable>",
// as Keras's weight paths do); freezing it freezes them all.
type Nested struct {
	Trainability
	Name string
	Net  *Stack

	params []*Param // the inner weights, renamed; made at Build
}

// NewNested wraps a network as a layer named name.
func NewNested(name string, net *Stack) *Nested { return &Nested{Name: name, Net: net} }

func (n *Nested) LayerName() string     { return n.Name }
func (n *Nested) SetLayerName(s string) { n.Name = s }

// Class is Keras's class name of the inner model.
func (n *Nested) Class() string {
	if n.Net.graph {
		return "Functional"
	}
	return "Sequential"
}

// DeclaredInputShape is the inner model's declared input.
func (n *Nested) DeclaredInputShape() tensor.Shape { return n.Net.DeclaredInputShape() }

// OutputShape works out the inner model's output for in without building
// it (ParamShapes walks the layers' shapes).
func (n *Nested) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if d := n.Net.DeclaredInputShape(); d != nil && !d.Equal(in) {
		return nil, fmt.Errorf("the inner model takes inputs of shape %v, not %v", withBatch(d), withBatch(in))
	}
	if n.Net.graph {
		return n.Net.gout[0].shape, nil
	}
	if len(n.Net.Layers) == 0 {
		return nil, fmt.Errorf("the inner model has no layers")
	}
	shape := in
	for _, l := range n.Net.Layers {
		out, err := l.OutputShape(shape)
		if err != nil {
			return nil, &LayerError{Layer: l.LayerName(), Class: l.Class(), Err: err}
		}
		shape = out
	}
	return shape, nil
}

// Build builds the inner model for in with a seed drawn from rng.
func (n *Nested) Build(in tensor.Shape, rng *rand.Rand) error {
	if err := n.Net.Build(in, rng.Uint64()); err != nil {
		return err
	}
	n.params = n.params[:0]
	for _, l := range n.Net.Layers {
		for _, p := range l.Params() {
			n.params = append(n.params, &Param{Name: l.LayerName() + "/" + p.Name, Value: p.Value, Grad: p.Grad, Regularizer: p.Regularizer, Constraint: p.Constraint})
		}
	}
	return nil
}

// Params are the inner layers' weights, renamed "<layer>/<variable>"; a
// weight of a frozen inner layer has no gradient here (it is not trained).
func (n *Nested) Params() []*Param {
	if !n.Net.built {
		return nil
	}
	i := 0
	for _, l := range n.Net.Layers {
		on := IsTrainable(l)
		for _, p := range l.Params() {
			q := n.params[i]
			q.Value = p.Value
			q.Grad = nil
			if on {
				q.Grad = p.Grad
			}
			i++
		}
	}
	return n.params
}

// ParamShapes are the inner model's weights, renamed as Params.
func (n *Nested) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	return n.Net.ParamShapes(in)
}

// SetTrainable freezes or unfreezes the model and every layer in it, as
// setting trainable on a Keras model sets it on its sublayers.
func (n *Nested) SetTrainable(on bool) {
	n.Trainability.SetTrainable(on)
	for _, l := range n.Net.Layers {
		if f, ok := l.(Freezable); ok {
			f.SetTrainable(on)
		}
	}
}

// Reseed restarts the random streams of the inner layers (dropout,
// augmentation), each with its own seed derived from (a, b), as Fit does
// for the outer model's layers every epoch: a resumed run then draws what
// an uninterrupted one would.
func (n *Nested) Reseed(a, b uint64) {
	for i, l := range n.Net.Layers {
		if r, ok := l.(interface{ Reseed(a, b uint64) }); ok {
			k := uint64(i + 1)
			r.Reseed(a^(0x9e3779b97f4a7c15*k), b+0xbf58476d1ce4e5b9*k)
		}
	}
}

func (n *Nested) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return n.Net.Forward(x, training)
}

// Backward runs the inner backward pass and returns its input gradient
// (nil when SkipInputGrad(true)).
func (n *Nested) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n.Net.Backward(dy)
	if !n.Net.inNode.want {
		return nil
	}
	return n.Net.inNode.grad
}

// SkipInputGrad makes the inner model compute its input gradient or not.
func (n *Nested) SkipInputGrad(skip bool) {
	if n.Net.built && n.Net.inputGrad == !skip {
		return
	}
	n.Net.inputGrad = !skip
	if n.Net.built {
		n.Net.wire()
	}
}

// Config is the inner model's config, as Keras nests it:
// {"name", "layers": [...]} for a Sequential model. It is written by the
// model-file code of the root package, which registers these classes.
func (n *Nested) Config() map[string]any {
	if NestedConfig == nil {
		return map[string]any{"name": n.Name}
	}
	return NestedConfig(n)
}

// NestedConfig writes a nested model's config; the root package sets it
// (it owns the model-file format).
var NestedConfig func(*Nested) map[string]any
