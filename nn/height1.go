package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// height1 runs a 2-D layer for a 1-D one, as Conv1D runs Conv2D: the
// (batch, steps, channels) input is seen as (batch, 1, steps, channels),
// the same memory with a height of 1, and the 2-D layer's output is seen
// without its height. The views are built once; a training step copies
// nothing and allocates nothing beyond what the 2-D layer does.
type height1 struct {
	in, out        tensor.Shape // the 1-D layer's (steps, channels) and output
	in2, out2      tensor.Shape // the 2-D layer's
	x2, y, dy2, dx tensor.Tensor
	skipInputG     bool // handed to the 2-D layer when it is built
	class          string
}

// seqInput checks a 1-D layer's input shape (steps, channels) and returns
// the 2-D layer's (1, steps, channels).
func seqInput(class string, in tensor.Shape) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("input shape %v has %d axes besides the batch; %s takes (batch, steps, channels): add a channel axis of 1 to plain sequences, e.g. (100, 1)", in, len(in), class)
	}
	return tensor.Shape{1, in[0], in[1]}, nil
}

// seqOutput is the 1-D output shape for the 2-D layer's out2: without the
// height of 1, or unchanged when the 2-D layer has no spatial axes left (a
// global pool without keepdims).
func seqOutput(out2 tensor.Shape) tensor.Shape {
	if len(out2) == 3 {
		return out2[1:].Clone()
	}
	return out2
}

// outputShape1D is the output shape of a 1-D layer that runs l2.
func outputShape1D(class string, l2 Layer, in tensor.Shape) (tensor.Shape, error) {
	in2, err := seqInput(class, in)
	if err != nil {
		return nil, err
	}
	out2, err := l2.OutputShape(in2)
	if err != nil {
		return nil, err
	}
	return seqOutput(out2), nil
}

// build builds l2 for the height-1 view of in and prepares the views.
func (h *height1) build(class string, l2 Layer, in tensor.Shape, rng *rand.Rand) error {
	in2, err := seqInput(class, in)
	if err != nil {
		return err
	}
	if err := l2.Build(in2, rng); err != nil {
		return err
	}
	if s, ok := l2.(InputGradSkipper); ok {
		s.SkipInputGrad(h.skipInputG)
	}
	out2, err := l2.OutputShape(in2)
	if err != nil {
		return err
	}
	h.in, h.in2, h.out2, h.out, h.class = in.Clone(), in2, out2, seqOutput(out2), class
	return nil
}

// forward runs l2 on the height-1 view of x.
func (h *height1) forward(l2 Layer, x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(h.in) != 2 {
		panic("nn: a 1-D layer's Forward was called before Build")
	}
	if len(x.Shape) != 3 || x.Shape[1] != h.in[0] || x.Shape[2] != h.in[1] {
		// The 2-D layer's geometry is fixed at Build, as Conv1D's is.
		panic(fmt.Sprintf("nn: %s was built for inputs (batch, %d, %d) and got %v; build it for the new shape", h.class, h.in[0], h.in[1], x.Shape))
	}
	return view(&h.y, l2.Forward(view(&h.x2, x, h.in2), training), h.out)
}

// grad is the 2-D layer's view of the output gradient dy.
func (h *height1) grad(dy *tensor.Tensor) *tensor.Tensor { return view(&h.dy2, dy, h.out2) }

// input is the 1-D view of the 2-D layer's input gradient (nil stays nil:
// the gradient was skipped).
func (h *height1) input(dx2 *tensor.Tensor) *tensor.Tensor {
	if dx2 == nil {
		return nil
	}
	return view(&h.dx, dx2, h.in)
}

// skip records SkipInputGrad for the 2-D layer l2 and passes it on.
func (h *height1) skip(l2 InputGradSkipper, skip bool) {
	h.skipInputG = skip
	l2.SkipInputGrad(skip)
}

// backward is the 1-D input gradient of l2's Backward.
func (h *height1) backward(l2 Layer, dy *tensor.Tensor) *tensor.Tensor {
	return h.input(l2.Backward(h.grad(dy)))
}

// as1D gives a weight the 2-D layer built the 1-D layer's Keras shape (the
// same values in the same order: only a height of 1 goes) and attaches
// the penalty and projection, checked against that shape as Keras checks
// them. The 2-D layer reads only the data.
func as1D(p *Param, shape tensor.Shape, what string, reg regularizer.Regularizer, c constraint.Constraint) error {
	p.Value.Shape = shape.Clone()
	if p.Grad != nil {
		p.Grad.Shape = shape.Clone()
	}
	return withPenalty(p, what, reg, c)
}
