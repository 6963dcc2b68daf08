// Package nn owns the layers of a network (Dense, Conv2D, pooling, Dropout,
// BatchNormalization, ...), their weights and initialisers, and the Stack
// that runs them in order.
//
// A layer follows Keras's life cycle: its struct holds the configuration
// (exported fields, zero value = Keras default), Build creates the weights
// once the input shape is known, Forward computes, Backward returns the
// input gradient and fills the weight gradients. Tensors include the batch
// axis; shapes passed to Build do not. Every buffer a layer returns is owned
// by the layer and reused on the next call, so steady-state training does
// not allocate; callers copy what they keep.
package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/regularizer"

	"github.com/gokeras/gokeras/tensor"
)

// Param is one weight variable of a layer. Grad is nil for non-trainable
// weights (BatchNormalization's moving statistics).
type Param struct {
	Name  string // Keras's variable name: "kernel", "bias", "gamma", ...
	Value *tensor.Tensor
	Grad  *tensor.Tensor
	// Regularizer, if set, adds its penalty of Value to the loss while the
	// variable is trained (kernel_regularizer, bias_regularizer).
	Regularizer regularizer.Regularizer
	// Constraint, if set, projects Value after each optimizer step
	// (kernel_constraint, bias_constraint).
	Constraint constraint.Constraint
}

// Trainable reports whether p is a variable an optimiser may update: it has
// a gradient. Whether it is updated also depends on its layer (IsTrainable).
func (p *Param) Trainable() bool { return p.Grad != nil }

// Freezable is implemented by layers that can be frozen, as Keras's
// layer.trainable = False: their weights count as non-trainable, the
// optimizer leaves them alone, and a frozen BatchNormalization runs in
// inference mode. Every built-in layer is Freezable; a custom layer is
// when it embeds Trainability.
type Freezable interface {
	Trainable() bool
	SetTrainable(bool)
}

// Trainability holds a layer's trainable flag; embed it in a layer struct
// to make the layer Freezable. Its zero value is Keras's default,
// trainable=True; dense.Frozen = true is Keras's dense.trainable = False.
type Trainability struct {
	Frozen bool
}

// Trainable reports whether the layer's weights are trained.
func (t *Trainability) Trainable() bool { return !t.Frozen }

// SetTrainable freezes (false) or unfreezes (true) the layer.
func (t *Trainability) SetTrainable(on bool) { t.Frozen = !on }

// IsTrainable reports whether l's weights are trained: true unless l is a
// frozen Freezable.
func IsTrainable(l Layer) bool {
	f, ok := l.(Freezable)
	return !ok || f.Trainable()
}

// SetTrainable freezes or unfreezes l. Only Freezable layers can be frozen.
func SetTrainable(l Layer, on bool) error {
	f, ok := l.(Freezable)
	if !ok {
		if on {
			return nil
		}
		return fmt.Errorf("nn: layer %q (%s) cannot be frozen: its type does not implement nn.Freezable (embed nn.Trainability)", l.LayerName(), l.Class())
	}
	f.SetTrainable(on)
	return nil
}

// Layer is one step of a network.
type Layer interface {
	// LayerName is the unique name in a model ("conv2d_1"); SetLayerName sets it.
	LayerName() string
	SetLayerName(string)
	// Class is the Keras class name ("Conv2D"), used in model files.
	Class() string
	// OutputShape checks the input shape (without the batch axis) and
	// returns the output shape, or an error that says what to change.
	OutputShape(in tensor.Shape) (tensor.Shape, error)
	// Build creates the weights for input shape in, drawing from rng, and
	// prepares the layer to run. It calls OutputShape.
	Build(in tensor.Shape, rng *rand.Rand) error
	// Forward computes the output for a batch; training selects the
	// training-time behaviour (Dropout, BatchNormalization).
	Forward(x *tensor.Tensor, training bool) *tensor.Tensor
	// Backward takes dLoss/dy for the last Forward and returns dLoss/dx,
	// overwriting the gradients of the layer's Params.
	Backward(dy *tensor.Tensor) *tensor.Tensor
	// Params lists the weights, trainable first, in Keras's order.
	Params() []*Param
	// Config returns the Keras-style configuration (what a model file stores).
	Config() map[string]any
}

// InputGradSkipper is implemented by layers that can skip computing dx when
// nobody needs it (the first layer of a model).
type InputGradSkipper interface {
	SkipInputGrad(skip bool)
}

// Activated is implemented by layers that end in an activation. The trainer
// uses it to fuse softmax with cross-entropy: it computes dLoss/dz directly
// and calls BackwardLinear, skipping the softmax Jacobian.
type Activated interface {
	ActivationFunc() activation.Func
	BackwardLinear(dz *tensor.Tensor) *tensor.Tensor
}

// LayerError reports a problem with one layer's configuration or input.
type LayerError struct {
	Layer string // the layer's name
	Class string
	Err   error
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("nn: layer %q (%s): %v", e.Layer, e.Class, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// Padding is a convolution or pooling padding mode.
type Padding int

// Keras's padding modes. Valid (the default) uses only windows that fit;
// Same pads with zeros (with -inf for max pooling) so that
// out = ceil(in/stride), as TensorFlow does.
const (
	Valid Padding = iota
	Same
)

func (p Padding) String() string {
	if p == Same {
		return "same"
	}
	return "valid"
}

// ParsePadding reads "valid" or "same".
func ParsePadding(s string) (Padding, error) {
	switch s {
	case "valid", "":
		return Valid, nil
	case "same":
		return Same, nil
	}
	return 0, fmt.Errorf("nn: unknown padding %q; use \"valid\" or \"same\"", s)
}

// windowGeometry returns the output size and the padding before the first
// cell for one spatial axis, following TensorFlow: for "same",
// out = ceil(in/stride), total = max(0, (out-1)*stride + k - in) and the
// smaller half goes first (source: tensorflow/core/framework/kernel_shape_util.cc,
// GetWindowedOutputSizeVerbose).
func windowGeometry(in, k, stride int, pad Padding) (out, before int) {
	if pad == Same {
		out = (in + stride - 1) / stride
		total := max(0, (out-1)*stride+k-in)
		return out, total / 2
	}
	if in < k {
		return 0, 0
	}
	return (in-k)/stride + 1, 0
}

// pair returns p, or def when p is the zero pair.
func pair(p [2]int, def [2]int) [2]int {
	if p == [2]int{} {
		return def
	}
	return p
}

// activate finishes a Dense or Conv2D forward pass: it adds the bias (nil
// for none) to z and applies f, in place when the backward pass needs
// only the output, else into *buf (a buffer the layer keeps for this
// alone). It returns the output. Bias and ReLU, the common case, take one
// pass over memory.
func activate(f activation.Func, z *tensor.Tensor, buf **tensor.Tensor, rows, cols int, bias []float32) *tensor.Tensor {
	if f == activation.ReLU && bias != nil {
		kernel.BiasReLURows(z.Data, rows, cols, bias)
		return z
	}
	if bias != nil {
		kernel.AddBiasRows(z.Data, rows, cols, bias)
	}
	if f == activation.Linear {
		return z
	}
	out := z
	if f.NeedsInput() {
		*buf = tensor.Ensure(*buf, z.Shape...)
		out = *buf
	}
	f.Forward(out.Data, z.Data, rows, cols)
	return out
}

func biasOf(p *Param, none bool) []float32 {
	if none {
		return nil
	}
	return p.Value.Data
}
