package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gokeras/gokeras/tensor"
)

// Permute reorders the axes of each sample, as Keras 3's Permute
// (keras/src/layers/reshaping/permute.py): Dims lists, for each output
// axis, the input axis it takes, counted from 1 over the axes after the
// batch, so Dims (2, 1) transposes (10, 64) samples to (64, 10). Dims
// must be a permutation of 1..len(Dims) and the input must have
// len(Dims) axes besides the batch. Keras has no default: the zero value
// (no Dims) is refused by Build.
type Permute struct {
	Trainability
	Name       string
	Dims       []int
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	in, out tensor.Shape
	src     []int // output offset in a sample → input offset
	same    bool  // Dims is 1, 2, ..., n: the output is the input
	shape   tensor.Shape
	y, dx   *tensor.Tensor
	skip    bool
}

func init() {
	// Keys as keras/src/layers/reshaping/permute.py get_config writes them.
	register("Permute", func(r *cfgReader) Layer {
		return &Permute{Dims: r.ints("dims"), InputShape: r.inputShape()}
	})
}

func (l *Permute) LayerName() string                { return l.Name }
func (l *Permute) SetLayerName(s string)            { l.Name = s }
func (l *Permute) Class() string                    { return "Permute" }
func (l *Permute) Params() []*Param                 { return nil }
func (l *Permute) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Permute) SkipInputGrad(skip bool)          { l.skip = skip }

func (l *Permute) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["dims"] = slices.Clone(l.Dims)
	return m
}

func (l *Permute) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	n := len(l.Dims)
	if n == 0 {
		return nil, fmt.Errorf("dims is empty; give the order of the axes after the batch, counted from 1, e.g. (2, 1) to swap two")
	}
	sorted := slices.Sorted(slices.Values(l.Dims))
	for i, d := range sorted {
		if d != i+1 {
			return nil, fmt.Errorf("dims %v is not a permutation of 1..%d; list each axis after the batch once, counted from 1", l.Dims, n)
		}
	}
	if len(in) != n {
		return nil, fmt.Errorf("input shape %v has %d axes besides the batch but dims %v orders %d; give one entry per axis", in, len(in), l.Dims, n)
	}
	out := make(tensor.Shape, n)
	for i, d := range l.Dims {
		out[i] = in[d-1]
	}
	return out, nil
}

func (l *Permute) Build(in tensor.Shape, _ *rand.Rand) error {
	out, err := l.OutputShape(in)
	if err != nil {
		return err
	}
	l.in, l.out = in.Clone(), out
	l.same = true
	for i, d := range l.Dims {
		l.same = l.same && d == i+1
	}
	if l.same {
		l.src = nil
		return nil
	}
	// Input strides, then walk the output in order with a counter.
	n := len(in)
	stride := make([]int, n)
	s := 1
	for a := n - 1; a >= 0; a-- {
		stride[a] = s
		s *= in[a]
	}
	l.src = make([]int, s)
	idx := make([]int, n) // the output position, axis by axis
	off := 0              // its input offset
	for o := range l.src {
		l.src[o] = off
		for a := n - 1; a >= 0; a-- {
			st := stride[l.Dims[a]-1]
			if idx[a]++; idx[a] < out[a] {
				off += st
				break
			}
			off -= st * (out[a] - 1)
			idx[a] = 0
		}
	}
	return nil
}

func (l *Permute) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		if err := l.Build(x.Shape[1:], nil); err != nil {
			panic(fmt.Sprintf("nn: %s: %v", l.Class(), err))
		}
	}
	if l.same {
		return x
	}
	l.shape = append(append(l.shape[:0], x.Shape[0]), l.out...)
	l.y = tensor.Ensure(l.y, l.shape...)
	m := len(l.src)
	for b := range x.Shape[0] {
		xs, ys := x.Data[b*m:(b+1)*m], l.y.Data[b*m:(b+1)*m]
		for o, i := range l.src {
			ys[o] = xs[i]
		}
	}
	return l.y
}

// Backward sends each output gradient back to the input it came from.
func (l *Permute) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.same {
		return dy
	}
	if l.skip {
		return nil
	}
	l.shape = append(append(l.shape[:0], dy.Shape[0]), l.in...)
	l.dx = tensor.Ensure(l.dx, l.shape...)
	m := len(l.src)
	for b := range dy.Shape[0] {
		gs, ds := dy.Data[b*m:(b+1)*m], l.dx.Data[b*m:(b+1)*m]
		for o, i := range l.src {
			ds[i] = gs[o]
		}
	}
	return l.dx
}
