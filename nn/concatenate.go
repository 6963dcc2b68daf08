package nn

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// Concatenate joins its inputs along Axis (keras/src/layers/merging/
// concatenate.py). The inputs have the same rank and the same sizes on
// every other axis.
type Concatenate struct {
	Trainability
	multiInput
	Name string
	// Axis counts as Keras does, with the batch axis as 0; negative counts
	// from the end. The zero value is Keras's default, -1 (the last axis):
	// gokeras does not concatenate along the batch axis.
	Axis int

	in    []tensor.Shape
	out   tensor.Shape
	inner []int // elements of input i per step of the axes before Axis
	outer int   // steps of the axes before Axis, per sample
	y     *tensor.Tensor
	dxs   []*tensor.Tensor
	shp   []int
}

func (l *Concatenate) LayerName() string     { return l.Name }
func (l *Concatenate) SetLayerName(s string) { l.Name = s }
func (l *Concatenate) Class() string         { return "Concatenate" }
func (l *Concatenate) Params() []*Param      { return nil }

func (l *Concatenate) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["axis"] = l.axis()
	return m
}

func (l *Concatenate) axis() int {
	if l.Axis == 0 {
		return -1
	}
	return l.Axis
}

// sampleAxis returns Axis as an axis of a shape without the batch axis.
func (l *Concatenate) sampleAxis(rank int) (int, error) {
	a := l.axis()
	full := rank + 1
	if a < 0 {
		a += full
	}
	if a <= 0 || a >= full {
		return 0, fmt.Errorf("axis %d is outside the inputs' axes 1..%d (or -%d..-1); the batch axis 0 cannot be concatenated", l.axis(), rank, rank)
	}
	return a - 1, nil
}

func (l *Concatenate) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, mergeError(l, fmt.Errorf("Concatenate needs at least one input"))
	}
	rank := len(in[0])
	a, err := l.sampleAxis(rank)
	if err != nil {
		return nil, mergeError(l, err)
	}
	out := in[0].Clone()
	for _, s := range in[1:] {
		if len(s) != rank {
			return nil, mergeError(l, fmt.Errorf("inputs %v have different ranks; Concatenate needs inputs of one rank that match except on the concatenation axis", in))
		}
		for d := range s {
			if d != a && s[d] != out[d] {
				return nil, mergeError(l, fmt.Errorf("inputs %v differ on axis %d; Concatenate needs inputs that match except on the concatenation axis %d", in, d+1, a+1))
			}
		}
		out[a] += s[a]
	}
	return out, nil
}

func (l *Concatenate) BuildMerge(in []tensor.Shape) error {
	out, err := l.MergeOutputShape(in)
	if err != nil {
		return err
	}
	a, _ := l.sampleAxis(len(out))
	l.out = out
	l.outer = out[:a].Size()
	l.in = make([]tensor.Shape, len(in))
	l.inner = make([]int, len(in))
	l.dxs = make([]*tensor.Tensor, len(in))
	for i, s := range in {
		l.in[i] = s.Clone()
		l.inner[i] = s[a:].Size()
	}
	return nil
}

func (l *Concatenate) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	if len(xs) != len(l.in) {
		panic(fmt.Sprintf("nn: Concatenate built for %d inputs called with %d", len(l.in), len(xs)))
	}
	batch := xs[0].Shape[0]
	l.y = tensor.Ensure(l.y, batchShape(&l.shp, batch, l.out)...)
	steps := batch * l.outer
	off := 0
	for r := range steps {
		for i, x := range xs {
			n := l.inner[i]
			off += copy(l.y.Data[off:off+n], x.Data[r*n:(r+1)*n])
		}
	}
	return l.y
}

func (l *Concatenate) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	batch := dy.Shape[0]
	for i := range l.in {
		l.dxs[i] = tensor.Ensure(l.dxs[i], batchShape(&l.shp, batch, l.in[i])...)
	}
	off := 0
	for r := range batch * l.outer {
		for i, dx := range l.dxs {
			n := l.inner[i]
			off += copy(dx.Data[r*n:(r+1)*n], dy.Data[off:off+n])
		}
	}
	return l.dxs
}
