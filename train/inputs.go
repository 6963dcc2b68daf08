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

// rows is rows [lo, hi) of the inputs x (one array per model input),
// targets y (one per output; nil for Predict, or nil for an output without
// a loss) and per-sample weights w (nil for none); w is indexed as x and
// y are.
type rows struct {
	x      []Inputs
	y      []*tensor.Tensor
	w      []float32
	lo, hi int
}

// batcher reads batches of examples into reused buffers, so the data set
// itself is never copied and steady-state training allocates nothing.
type batcher struct {
	xb, yb []*tensor.Tensor // one buffer per array
	wb     []float32
	idx    []int           // for batches of consecutive rows
	xv, yv []tensor.Tensor // views of consecutive float rows
	// What gather and span return: xb or views of x, and likewise for y.
	xo, yo []*tensor.Tensor
}

// size makes room for r's arrays.
func (b *batcher) size(r rows) {
	if len(b.xb) != len(r.x) {
		b.xb, b.xv, b.xo = make([]*tensor.Tensor, len(r.x)), make([]tensor.Tensor, len(r.x)), make([]*tensor.Tensor, len(r.x))
	}
	if len(b.yb) != len(r.y) {
		b.yb, b.yv, b.yo = make([]*tensor.Tensor, len(r.y)), make([]tensor.Tensor, len(r.y)), make([]*tensor.Tensor, len(r.y))
	}
}

// gather reads rows idx of r: inputs, targets (nil when r has none) and
// weights (nil when r has none). The slices are the batcher's, valid
// until the next call.
func (b *batcher) gather(r rows, idx []int) ([]*tensor.Tensor, []*tensor.Tensor, []float32) {
	b.size(r)
	for i, x := range r.x {
		b.xb[i] = x.GatherRows(b.xb[i], idx)
		b.xo[i] = b.xb[i]
	}
	for i, y := range r.y {
		b.yo[i] = nil
		if y != nil {
			b.yb[i] = y.GatherRows(b.yb[i], idx)
			b.yo[i] = b.yb[i]
		}
	}
	if r.w == nil {
		return b.xo, b.yo, nil
	}
	b.wb = b.wb[:0]
	for _, i := range idx {
		b.wb = append(b.wb, r.w[i])
	}
	return b.xo, b.yo, b.wb
}

// span reads rows [lo, hi) of r.
func (b *batcher) span(r rows, lo, hi int) ([]*tensor.Tensor, []*tensor.Tensor, []float32) {
	var w []float32
	if r.w != nil {
		w = r.w[lo:hi]
	}
	for _, x := range r.x {
		if _, ok := x.(*tensor.Tensor); !ok {
			b.idx = b.idx[:0]
			for i := lo; i < hi; i++ {
				b.idx = append(b.idx, i)
			}
			return b.gather(r, b.idx)
		}
	}
	// Consecutive float rows need no copy: views (never xb and yb, which
	// gather writes into).
	b.size(r)
	for i, x := range r.x {
		b.xo[i] = x.(*tensor.Tensor).SliceInto(&b.xv[i], lo, hi)
	}
	for i, y := range r.y {
		b.yo[i] = nil
		if y != nil {
			b.yo[i] = y.SliceInto(&b.yv[i], lo, hi)
		}
	}
	return b.xo, b.yo, w
}
