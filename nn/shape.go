package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/tensor"
)

// Flatten views each sample as one vector: (batch, h, w, c) -> (batch, h*w*c).
// It copies nothing.
type Flatten struct {
	Trainability
	Name       string
	InputShape tensor.Shape

	in      tensor.Shape
	out, dx tensor.Tensor // reused views
}

// Reshape views each sample with TargetShape (one axis may be -1).
type Reshape struct {
	Trainability
	Name        string
	TargetShape tensor.Shape
	InputShape  tensor.Shape

	in, out tensor.Shape
	y, dx   tensor.Tensor // reused views
}

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

// InputLayer declares the model's input shape (Keras's Input/InputLayer).
// It passes data through unchanged and is not counted as a layer in a
// summary.
type InputLayer struct {
	Name  string
	Shape tensor.Shape

	sym *Node // the symbolic tensor it is in a graph (see Call)
}

func init() {
	// Keys as keras/src/layers/reshaping/flatten.py, reshape.py,
	// activations/activation.py and core/input_layer.py get_config write
	// them.
	register("Flatten", func(r *cfgReader) Layer {
		r.channelsLast()
		return &Flatten{InputShape: r.inputShape()}
	})
	register("Reshape", func(r *cfgReader) Layer {
		return &Reshape{TargetShape: r.ints("target_shape"), InputShape: r.inputShape()}
	})
	register("Activation", func(r *cfgReader) Layer {
		return &Activation{Activation: r.activation("activation"), InputShape: r.inputShape()}
	})
	register("InputLayer", func(r *cfgReader) Layer {
		// Keras 3 writes a plain dtype here; FromConfig checks it is float32.
		r.onlyValue("sparse", "gokeras inputs are dense", false)
		r.onlyValue("ragged", "gokeras inputs are dense, of one shape", false)
		r.onlyValue("optional", "a gokeras model always takes its input", false)
		return &InputLayer{Shape: r.inputShape()}
	})
}

func (f *Flatten) LayerName() string                { return f.Name }
func (f *Flatten) SetLayerName(s string)            { f.Name = s }
func (f *Flatten) Class() string                    { return "Flatten" }
func (f *Flatten) DeclaredInputShape() tensor.Shape { return f.InputShape }
func (f *Flatten) Params() []*Param                 { return nil }
func (f *Flatten) Config() map[string]any {
	m := baseConfig(f.Name, f.InputShape)
	m["data_format"] = "channels_last"
	return m
}

func (f *Flatten) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; nothing to flatten")
	}
	return tensor.Shape{in.Size()}, nil
}

func (f *Flatten) Build(in tensor.Shape, _ *rand.Rand) error {
	f.in = in.Clone()
	_, err := f.OutputShape(in)
	return err
}

func (f *Flatten) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return view(&f.out, x, tensor.Shape{f.in.Size()})
}

func (f *Flatten) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return view(&f.dx, dy, f.in)
}

// view points v at x's data with shape (batch, sample...), reusing v's
// shape slice, so that reshaping layers do not allocate per batch.
func view(v *tensor.Tensor, x *tensor.Tensor, sample tensor.Shape) *tensor.Tensor {
	if len(v.Shape) != len(sample)+1 {
		v.Shape = make(tensor.Shape, len(sample)+1)
	}
	v.Shape[0] = x.Len()
	copy(v.Shape[1:], sample)
	v.Data = x.Data
	return v
}

func (r *Reshape) LayerName() string                { return r.Name }
func (r *Reshape) SetLayerName(s string)            { r.Name = s }
func (r *Reshape) Class() string                    { return "Reshape" }
func (r *Reshape) DeclaredInputShape() tensor.Shape { return r.InputShape }
func (r *Reshape) Params() []*Param                 { return nil }
func (r *Reshape) Config() map[string]any {
	m := baseConfig(r.Name, r.InputShape)
	m["target_shape"] = []int(r.TargetShape)
	return m
}

func (r *Reshape) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(r.TargetShape) == 0 {
		return nil, fmt.Errorf("target_shape is empty; give the per-sample shape, e.g. (28, 28, 1)")
	}
	// Shape arithmetic only: a sample may be far larger than memory when a
	// model file is being checked before anything is allocated.
	n, err := checkedSize(in)
	if err != nil {
		return nil, err
	}
	out := r.TargetShape.Clone()
	infer, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d <= 0:
			return nil, fmt.Errorf("target_shape %v has an axis of %d; give positive sizes and at most one -1", r.TargetShape, d)
		case known > MaxElements/d:
			return nil, fmt.Errorf("target_shape %v is too large: more than 2^50 values", r.TargetShape)
		default:
			known *= d
		}
	}
	if infer >= 0 && n%known == 0 {
		out[infer] = n / known
		known = n
	}
	if known != n {
		return nil, fmt.Errorf("cannot reshape samples of shape %v (%d values) to %v: the sizes must match", in, n, r.TargetShape)
	}
	return out, nil
}

func (r *Reshape) Build(in tensor.Shape, _ *rand.Rand) error {
	out, err := r.OutputShape(in)
	r.in, r.out = in.Clone(), out
	return err
}

func (r *Reshape) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return view(&r.y, x, r.out)
}

func (r *Reshape) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return view(&r.dx, dy, r.in)
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
