// This file owns how Fit, Evaluate and Predict read examples: the Inputs
// they accept and the batcher that reads them into reused buffers.

package train

import "github.com/gokeras/gokeras/tensor"

// Inputs are the examples Fit, Evaluate and Predict read, a batch at a
// time, with the batch on the first axis. A float32 *tensor.Tensor is one;
// so is a *tensor.Bytes, whose uint8 values (an image set's pixels) are
// scaled as each batch is read: the set is held at a quarter of float32's
// size, and training gives bit for bit what the same set divided up front
// gives.
type Inputs interface {
	// Len is the number of examples.
	Len() int
	// RowShape is one example's shape.
	RowShape() tensor.Shape
	// GatherRows reads examples idx, in order, into dst as float32 and
	// returns dst shaped (len(idx), RowShape()...); dst may be nil and is
	// reused when large enough.
	GatherRows(dst *tensor.Tensor, idx []int) *tensor.Tensor
}

// Missing reports whether x is nil, also as a typed nil pointer.
func Missing(x Inputs) bool {
	switch v := x.(type) {
	case nil:
		return true
	case *tensor.Tensor:
		return v == nil
	case *tensor.Bytes:
		return v == nil
	}
	return false
}

// shapeOf is x's shape with the batch axis: (Len, RowShape...).
func shapeOf(x Inputs) tensor.Shape {
	return append(tensor.Shape{x.Len()}, x.RowShape()...)
}

// rows is rows [lo, hi) of inputs x, targets y (nil for Predict) and
// per-sample weights w (nil for none); w is indexed as x and y are.
type rows struct {
	x      Inputs
	y      *tensor.Tensor
	w      []float32
	lo, hi int
}

// batcher reads batches of examples into reused buffers, so the data set
// itself is never copied and steady-state training allocates nothing.
type batcher struct {
	xb, yb *tensor.Tensor
	wb     []float32
	idx    []int         // for batches of consecutive rows
	xv, yv tensor.Tensor // views of consecutive float rows
}

// gather reads rows idx of r: inputs, targets and weights (nil when r
// has none).
func (b *batcher) gather(r rows, idx []int) (*tensor.Tensor, *tensor.Tensor, []float32) {
	b.xb = r.x.GatherRows(b.xb, idx)
	if r.y != nil {
		b.yb = r.y.GatherRows(b.yb, idx)
	}
	if r.w == nil {
		return b.xb, b.yb, nil
	}
	b.wb = b.wb[:0]
	for _, i := range idx {
		b.wb = append(b.wb, r.w[i])
	}
	return b.xb, b.yb, b.wb
}

// span reads rows [lo, hi) of r.
func (b *batcher) span(r rows, lo, hi int) (*tensor.Tensor, *tensor.Tensor, []float32) {
	var w []float32
	if r.w != nil {
		w = r.w[lo:hi]
	}
	if x, ok := r.x.(*tensor.Tensor); ok {
		// Consecutive float rows need no copy: views (never b.xb and b.yb,
		// which gather writes into).
		var y *tensor.Tensor
		if r.y != nil {
			y = r.y.SliceInto(&b.yv, lo, hi)
		}
		return x.SliceInto(&b.xv, lo, hi), y, w
	}
	b.idx = b.idx[:0]
	for i := lo; i < hi; i++ {
		b.idx = append(b.idx, i)
	}
	return b.gather(r, b.idx)
}
