package tensor

import (
	"math"
	"testing"
)

func TestBytesReadsAsDivided(t *testing.T) {
	for _, div := range []float32{255, 16, 1, 0} {
		b := NewBytes(div, 256, 1)
		for v := range b.Data {
			b.Data[v] = uint8(v)
		}
		want := div
		if want == 0 {
			want = 1
		}
		f := b.Float32()
		idx := make([]int, 256)
		for i := range idx {
			idx[i] = 255 - i
		}
		g := b.GatherRows(nil, idx)
		for v := range 256 {
			// The exact float32 a program gets scaling the array itself.
			w := float32(v) / want
			if math.Float32bits(f.Data[v]) != math.Float32bits(w) {
				t.Errorf("divisor %v: Float32 reads %d as %v, want %v", div, v, f.Data[v], w)
			}
			if got := g.Data[255-v]; math.Float32bits(got) != math.Float32bits(w) {
				t.Errorf("divisor %v: GatherRows reads %d as %v, want %v", div, v, got, w)
			}
		}
	}
}

func TestGatherRows(t *testing.T) {
	x := New(4, 2, 3)
	b := NewBytes(255, 4, 2, 3)
	for i := range x.Data {
		b.Data[i] = uint8(i * 7)
		x.Data[i] = float32(b.Data[i]) / 255
	}
	const guard = -7
	tests := []struct {
		name string
		idx  []int
	}{
		{"all in order", []int{0, 1, 2, 3}},
		{"shuffled with repeats", []int{3, 0, 3, 1}},
		{"one", []int{2}},
		{"none", []int{}},
	}
	for _, tt := range tests {
		// A reused destination larger than needed, filled with guards.
		dx := &Tensor{Shape: Shape{9, 2, 3}, Data: make([]float32, 9*6)}
		db := &Tensor{Shape: Shape{9, 2, 3}, Data: make([]float32, 9*6)}
		dx.Fill(guard)
		db.Fill(guard)
		storage := &dx.Data[:1][0]
		gx, gb := x.GatherRows(dx, tt.idx), b.GatherRows(db, tt.idx)
		want := Shape{len(tt.idx), 2, 3}
		if !gx.Shape.Equal(want) || !gb.Shape.Equal(want) {
			t.Errorf("%s: shapes %v and %v, want %v", tt.name, gx.Shape, gb.Shape, want)
		}
		if len(tt.idx) > 0 && &gx.Data[0] != storage {
			t.Errorf("%s: Tensor.GatherRows did not reuse dst", tt.name)
		}
		for i, j := range tt.idx {
			for k := range 6 {
				if got := gx.Data[i*6+k]; got != x.Data[j*6+k] {
					t.Errorf("%s: Tensor row %d[%d] = %v, want %v", tt.name, i, k, got, x.Data[j*6+k])
				}
				if got := gb.Data[i*6+k]; got != x.Data[j*6+k] {
					t.Errorf("%s: Bytes row %d[%d] = %v, want %v", tt.name, i, k, got, x.Data[j*6+k])
				}
			}
		}
		for _, d := range []*Tensor{gx, gb} {
			for k, v := range d.Data[len(d.Data):cap(d.Data)] {
				if v != guard {
					t.Errorf("%s: element %d past the rows was overwritten with %v", tt.name, len(d.Data)+k, v)
				}
			}
		}
	}
	dst, idx := New(4, 2, 3), []int{1, 2}
	if a := testing.AllocsPerRun(10, func() { b.GatherRows(dst, idx); x.GatherRows(dst, idx) }); a != 0 {
		t.Errorf("GatherRows into a large enough dst allocates %v times, want 0", a)
	}
}

func TestBytesSlice(t *testing.T) {
	b := NewBytes(2, 3, 2)
	copy(b.Data, []uint8{1, 2, 3, 4, 5, 6})
	s := b.Slice(1, 3)
	if !s.Shape.Equal(Shape{2, 2}) || s.Len() != 2 || !s.RowShape().Equal(Shape{2}) || s.Divisor != 2 {
		t.Fatalf("Slice(1, 3) = shape %v divisor %v", s.Shape, s.Divisor)
	}
	if f := s.Float32(); f.Data[0] != 1.5 || f.Data[3] != 3 {
		t.Errorf("Slice(1, 3) reads %v, want [1.5 2 2.5 3]", f.Data)
	}
	s.Data[0] = 9
	if b.Data[2] != 9 {
		t.Error("Slice must return a view sharing data")
	}
}
