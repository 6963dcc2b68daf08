// Package tensor owns the n-dimensional float32 Tensor and its Shape, and
// Bytes, a uint8 array (a data set's pixels) read as float32 a batch at a
// time.
//
// Images are stored channels-last (NHWC), as Keras does by default. A Tensor
// is a shape plus a flat, row-major []float32; views share the slice. The hot
// loops that operate on tensors live in internal/kernel, so this package stays
// small: construction, shape checks, indexing and buffer reuse.
package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// Shape is the size of each axis, outermost first.
type Shape []int

// Size is the number of elements a tensor of this shape holds.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether s and o have the same axes.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy that does not alias s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// String formats s like a Python tuple: "(28, 28, 1)"; a one-axis shape is "(10,)".
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Validate returns an error if any axis is not positive.
func (s Shape) Validate() error {
	for i, d := range s {
		if d <= 0 {
			return fmt.Errorf("tensor: shape %v has axis %d of size %d; every axis must be positive", s, i, d)
		}
	}
	return nil
}

// Tensor is a dense float32 array of the given Shape, row-major.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zero tensor. It panics on a non-positive axis: that is a
// programming error, not user input (use Shape.Validate for the latter).
func New(shape ...int) *Tensor {
	s := Shape(shape).Clone()
	if err := s.Validate(); err != nil && len(s) > 0 {
		panic(err)
	}
	return &Tensor{Shape: s, Data: make([]float32, s.Size())}
}

// FromSlice wraps data (without copying) as a tensor of the given shape.
func FromSlice(data []float32, shape ...int) (*Tensor, error) {
	s := Shape(shape).Clone()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Size() != len(data) {
		return nil, fmt.Errorf("tensor: %d values do not fill shape %v (%d elements)", len(data), s, s.Size())
	}
	return &Tensor{Shape: s, Data: data}, nil
}

// Dims is the number of axes.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Len is the size of the first (batch) axis.
func (t *Tensor) Len() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape.Clone(), Data: append([]float32(nil), t.Data...)}
}

// Reshape returns a view of t with a new shape of the same size. One axis
// may be -1 and is then inferred.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s := Shape(shape).Clone()
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d <= 0:
			return nil, fmt.Errorf("tensor: cannot reshape %v to %v: axis %d is %d", t.Shape, Shape(shape), i, d)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.Data)%known != 0 {
			return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v", t.Shape, len(t.Data), Shape(shape))
		}
		s[infer] = len(t.Data) / known
	}
	if s.Size() != len(t.Data) {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v (%d elements)", t.Shape, len(t.Data), s, s.Size())
	}
	return &Tensor{Shape: s, Data: t.Data}, nil
}

// Slice returns a view of rows [lo, hi) along the first axis.
func (t *Tensor) Slice(lo, hi int) *Tensor { return t.SliceInto(&Tensor{}, lo, hi) }

// SliceInto is Slice written into dst's header (its shape slice reused),
// so a loop over batches allocates nothing once dst has been used.
func (t *Tensor) SliceInto(dst *Tensor, lo, hi int) *Tensor {
	if len(t.Shape) == 0 || lo < 0 || hi > t.Shape[0] || lo > hi {
		panic(fmt.Sprintf("tensor: slice [%d:%d] out of range for shape %v", lo, hi, t.Shape))
	}
	row := t.Shape[1:].Size()
	dst.Shape = append(append(dst.Shape[:0], hi-lo), t.Shape[1:]...)
	dst.Data = t.Data[lo*row : hi*row]
	return dst
}

// offset converts an index to a flat position, panicking when out of range.
func (t *Tensor) offset(idx []int) int {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor: %d indices for shape %v", len(idx), t.Shape))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= t.Shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape))
		}
		off = off*t.Shape[i] + v
	}
	return off
}

// At returns the element at idx.
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.offset(idx)] }

// Set stores v at idx.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.offset(idx)] = v }

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Ensure returns a tensor of the given shape that reuses t's storage when it
// is large enough; t may be nil. It is how layers keep one workspace per
// output across training steps instead of allocating per batch. Contents are
// not cleared.
func Ensure(t *Tensor, shape ...int) *Tensor {
	n := Shape(shape).Size()
	if t != nil && cap(t.Data) >= n {
		t.Shape = append(t.Shape[:0], shape...)
		t.Data = t.Data[:n]
		return t
	}
	return &Tensor{Shape: Shape(shape).Clone(), Data: make([]float32, n)}
}

// CheckShape returns an error naming what when got differs from want on any
// axis where want is not negative (-1 matches any size, as None does in Keras).
func CheckShape(what string, got, want Shape) error {
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if want[i] >= 0 && got[i] != want[i] {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%s: got shape %v, want %v", what, got, want)
	}
	return nil
}
