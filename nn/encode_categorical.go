package nn

// The categorical encodings CategoryEncoding, Discretization,
// IntegerLookup and Hashing share: keras/src/utils/numerical_utils.py,
// encode_categorical_inputs.

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// The output modes of encode_categorical_inputs.
const (
	modeInt      = "int"
	modeOneHot   = "one_hot"
	modeMultiHot = "multi_hot"
	modeCount    = "count"
)

// categoryIndex is v truncated to an integer (the cast to int Keras's
// backends do), or -1 outside [0, n) and for NaN.
func categoryIndex(v float32, n int) int32 {
	if !(v > -1 && v < float32(n)) {
		return -1
	}
	return int32(v)
}

// catEncoder turns integer indices in [0, depth) into Keras's encodings:
//   - int: the index itself (as float32), same shape as the input;
//   - one_hot: a vector of depth with a 1 at the index for each value; an
//     input whose last axis is 1 is encoded on that axis, (..., 1) →
//     (..., depth), any other gets a new axis, (..., n) → (..., n, depth);
//   - multi_hot: one vector of depth per row of the last axis, 1 where an
//     index occurs, (..., n) → (..., depth);
//   - count: as multi_hot with the number of times each index occurs;
//     Keras counts over axis 1, so the input must be (batch, n).
//
// An index of -1 (a value outside [0, depth)) sets nothing, as the one-hot
// of the TensorFlow and JAX backends does. The layer fills idx, one index
// per input value, then calls encode; the buffers are reused across
// batches.
type catEncoder struct {
	mode    string
	depth   int
	in      tensor.Shape // the per-sample input shape built for
	shape   []int        // (batch, output shape...), for tensor.Ensure
	inShape []int        // (batch, in...)
	idx     []int32
	y, dx   *tensor.Tensor
}

func catOutputShape(mode string, depth int, in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; give each sample at least one value, shape (1,)")
	}
	if depth <= 0 {
		return nil, fmt.Errorf("the encoding depth is %d; it must be positive", depth)
	}
	var out tensor.Shape
	switch mode {
	case modeInt:
		out = in.Clone()
	case modeOneHot:
		out = append(in.Clone(), depth)
		if in[len(in)-1] == 1 {
			out = append(in[:len(in)-1].Clone(), depth)
		}
	case modeMultiHot:
		out = append(in[:len(in)-1].Clone(), depth)
	case modeCount:
		if len(in) != 1 {
			return nil, fmt.Errorf("output_mode \"count\" takes (batch, values) inputs, as Keras's does (it counts over axis 1); input shape %v has %d axes besides the batch: reshape it to (%d,) or use \"multi_hot\"", in, len(in), in.Size())
		}
		out = tensor.Shape{depth}
	default:
		return nil, fmt.Errorf("output_mode %q is not one of \"int\", \"one_hot\", \"multi_hot\", \"count\"", mode)
	}
	n := 1
	for _, d := range out {
		if d <= 0 || d > MaxElements/n {
			return nil, fmt.Errorf("output shape %v has more than 2^50 values or an axis that is not positive", out)
		}
		n *= d
	}
	return out, nil
}

func (e *catEncoder) build(mode string, depth int, in tensor.Shape) error {
	out, err := catOutputShape(mode, depth, in)
	if err != nil {
		return err
	}
	e.mode, e.depth, e.in = mode, depth, in.Clone()
	e.shape = append([]int{0}, out...)
	e.inShape = append([]int{0}, in...)
	return nil
}

// indices returns the index buffer for x, after checking x has the shape
// built for; rebuild is the layer's Build, called when it has not.
func (e *catEncoder) indices(x *tensor.Tensor, rebuild func(tensor.Shape) error) []int32 {
	if e.shape == nil || !x.Shape[1:].Equal(e.in) {
		if err := rebuild(x.Shape[1:]); err != nil {
			panic(fmt.Sprintf("nn: %v", err))
		}
	}
	if cap(e.idx) < len(x.Data) {
		e.idx = make([]int32, len(x.Data))
	}
	e.idx = e.idx[:len(x.Data)]
	return e.idx
}

// encode returns the encoding of the indices in idx for a batch of x.
func (e *catEncoder) encode(x *tensor.Tensor) *tensor.Tensor {
	e.shape[0] = x.Shape[0]
	e.y = tensor.Ensure(e.y, e.shape...)
	y := e.y.Data
	if e.mode == modeInt {
		for i, k := range e.idx {
			y[i] = float32(k)
		}
		return e.y
	}
	clear(y)
	d := e.depth
	if e.mode == modeOneHot {
		for i, k := range e.idx {
			if k >= 0 {
				y[i*d+int(k)] = 1
			}
		}
		return e.y
	}
	n := x.Shape[len(x.Shape)-1]
	for i, k := range e.idx {
		if k < 0 {
			continue
		}
		if p := &y[i/n*d+int(k)]; e.mode == modeCount {
			*p++
		} else {
			*p = 1
		}
	}
	return e.y
}

// backward is zero: an encoding is piecewise constant in its input.
func (e *catEncoder) backward(dy *tensor.Tensor) *tensor.Tensor {
	e.inShape[0] = dy.Shape[0]
	e.dx = tensor.Ensure(e.dx, e.inShape...)
	e.dx.Zero()
	return e.dx
}
