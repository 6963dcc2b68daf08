package tensor

import "fmt"

// Bytes is an n-dimensional uint8 array, such as the pixels of an image
// data set, that is read as float32 a few rows at a time: byte v reads as
// float32(v) / Divisor. Held this way, CIFAR-10's 60,000 images take 184 MB
// instead of the 737 MB they take as float32, and no float32 copy of the
// whole set is ever made: training reads each batch into a reused Tensor.
type Bytes struct {
	Shape Shape
	Data  []uint8
	// Divisor scales what is read: 255 maps pixels to [0, 1], giving
	// exactly the float32(v)/255 a program computes when it scales the
	// whole array itself. Zero reads the values unscaled.
	Divisor float32
}

// NewBytes returns a zero array whose values read as float32(v)/divisor.
// Like New, it panics on a non-positive axis.
func NewBytes(divisor float32, shape ...int) *Bytes {
	s := Shape(shape).Clone()
	if err := s.Validate(); err != nil && len(s) > 0 {
		panic(err)
	}
	return &Bytes{Shape: s, Data: make([]uint8, s.Size()), Divisor: divisor}
}

// Len is the size of the first (batch) axis.
func (b *Bytes) Len() int {
	if len(b.Shape) == 0 {
		return 1
	}
	return b.Shape[0]
}

// RowShape is the shape of one row along the first axis (one example).
func (b *Bytes) RowShape() Shape { return rowShape(b.Shape) }

// Slice returns a view of rows [lo, hi) along the first axis.
func (b *Bytes) Slice(lo, hi int) *Bytes {
	if len(b.Shape) == 0 || lo < 0 || hi > b.Shape[0] || lo > hi {
		panic(fmt.Sprintf("tensor: slice [%d:%d] out of range for shape %v", lo, hi, b.Shape))
	}
	row := b.Shape[1:].Size()
	s := b.Shape.Clone()
	s[0] = hi - lo
	return &Bytes{Shape: s, Data: b.Data[lo*row : hi*row], Divisor: b.Divisor}
}

// table fills t with what each byte value reads as. A table lookup gives
// the same float32 as dividing each value, for a fraction of the cost.
func (b *Bytes) table(t *[256]float32) {
	d := b.Divisor
	if d == 0 {
		d = 1
	}
	for v := range t {
		t[v] = float32(v) / d
	}
}

// GatherRows reads rows idx of b, in order, into dst as float32 and
// returns dst shaped (len(idx), row...). dst may be nil; its storage is
// reused when large enough, so a training loop allocates nothing per batch.
func (b *Bytes) GatherRows(dst *Tensor, idx []int) *Tensor {
	row := b.RowShape()
	n := row.Size()
	dst = rows(dst, len(idx), row)
	var t [256]float32
	b.table(&t)
	for i, j := range idx {
		src := b.Data[j*n : (j+1)*n]
		out := dst.Data[i*n : (i+1)*n]
		out = out[:len(src)]
		for k, v := range src {
			out[k] = t[v]
		}
	}
	return dst
}

// Float32 returns all of b read as float32, in a new Tensor.
func (b *Bytes) Float32() *Tensor {
	out := &Tensor{Shape: b.Shape.Clone(), Data: make([]float32, len(b.Data))}
	var t [256]float32
	b.table(&t)
	for i, v := range b.Data {
		out.Data[i] = t[v]
	}
	return out
}

// RowShape is the shape of one row along the first axis (one example).
func (t *Tensor) RowShape() Shape { return rowShape(t.Shape) }

// GatherRows copies rows idx of t, in order, into dst and returns dst
// shaped (len(idx), row...). dst may be nil; its storage is reused when
// large enough.
func (t *Tensor) GatherRows(dst *Tensor, idx []int) *Tensor {
	row := t.RowShape()
	n := row.Size()
	dst = rows(dst, len(idx), row)
	for i, j := range idx {
		copy(dst.Data[i*n:(i+1)*n], t.Data[j*n:(j+1)*n])
	}
	return dst
}

func rowShape(s Shape) Shape {
	if len(s) == 0 {
		return nil
	}
	return s[1:]
}

// rows returns dst shaped (n, row...), reusing its storage when it holds
// enough; the shape is updated in place, so reuse allocates nothing.
func rows(dst *Tensor, n int, row Shape) *Tensor {
	size := n * row.Size()
	if dst == nil || cap(dst.Data) < size || len(dst.Shape) != len(row)+1 {
		s := make(Shape, len(row)+1)
		s[0] = n
		copy(s[1:], row)
		return &Tensor{Shape: s, Data: make([]float32, size)}
	}
	dst.Shape[0] = n
	copy(dst.Shape[1:], row)
	dst.Data = dst.Data[:size]
	return dst
}
