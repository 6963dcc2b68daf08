package tensor

import (
	"strings"
	"testing"
)

func TestShapeString(t *testing.T) {
	tests := []struct {
		s    Shape
		want string
	}{
		{Shape{10}, "(10,)"},
		{Shape{-1, 28, 28, 1}, "(None, 28, 28, 1)"},
		{Shape{}, "()"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%v.String() = %q, want %q", []int(tt.s), got, tt.want)
		}
	}
}

func TestReshape(t *testing.T) {
	x := New(2, 3, 4)
	y, err := x.Reshape(2, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape.Equal(Shape{2, 12}) {
		t.Errorf("Reshape(2,-1) shape = %v, want (2, 12)", y.Shape)
	}
	y.Data[5] = 7
	if x.Data[5] != 7 {
		t.Error("Reshape must return a view sharing data")
	}
	if _, err := x.Reshape(5, -1); err == nil || !strings.Contains(err.Error(), "cannot reshape") {
		t.Errorf("Reshape(5,-1) err = %v, want a cannot-reshape error", err)
	}
	if _, err := x.Reshape(3, 3); err == nil {
		t.Error("Reshape(3,3) of 24 elements succeeded")
	}
}

func TestAtSetSlice(t *testing.T) {
	x := New(3, 2)
	x.Set(5, 2, 1)
	if x.Data[5] != 5 || x.At(2, 1) != 5 {
		t.Errorf("Set/At row-major mismatch: %v", x.Data)
	}
	s := x.Slice(1, 3)
	if !s.Shape.Equal(Shape{2, 2}) || s.At(1, 1) != 5 {
		t.Errorf("Slice(1,3) = %v %v", s.Shape, s.Data)
	}
	defer func() {
		if recover() == nil {
			t.Error("At out of range did not panic")
		}
	}()
	x.At(3, 0)
}

func TestEnsureReuses(t *testing.T) {
	a := New(4, 4)
	b := Ensure(a, 2, 4)
	if &b.Data[0] != &a.Data[0] {
		t.Error("Ensure allocated although capacity sufficed")
	}
	c := Ensure(b, 8, 4)
	if len(c.Data) != 32 || !c.Shape.Equal(Shape{8, 4}) {
		t.Errorf("Ensure grow = %v len %d", c.Shape, len(c.Data))
	}
}

func TestFromSliceAndCheckShape(t *testing.T) {
	if _, err := FromSlice(make([]float32, 5), 2, 3); err == nil {
		t.Error("FromSlice accepted 5 values for (2, 3)")
	}
	if err := CheckShape("input", Shape{7, 8, 8, 1}, Shape{-1, 8, 8, 1}); err != nil {
		t.Errorf("CheckShape with None axis: %v", err)
	}
	err := CheckShape("input", Shape{7, 28, 28}, Shape{-1, 8, 8, 1})
	if err == nil || !strings.Contains(err.Error(), "want (None, 8, 8, 1)") {
		t.Errorf("CheckShape err = %v", err)
	}
}

func TestSliceInto(t *testing.T) {
	x := New(4, 2, 3)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	var v Tensor
	got := x.SliceInto(&v, 1, 3)
	if got != &v || !v.Shape.Equal(Shape{2, 2, 3}) || v.Data[0] != 6 || len(v.Data) != 12 {
		t.Fatalf("SliceInto(1, 3) = shape %v data[0] %v len %d", v.Shape, v.Data[0], len(v.Data))
	}
	v.Data[0] = -1
	if x.Data[6] != -1 {
		t.Error("SliceInto copied the rows; want a view")
	}
	if a := testing.AllocsPerRun(10, func() { x.SliceInto(&v, 0, 4) }); a != 0 {
		t.Errorf("SliceInto allocates %v times once the view is warm", a)
	}
	defer func() {
		if recover() == nil {
			t.Error("SliceInto(3, 5) on 4 rows did not panic")
		}
	}()
	x.SliceInto(&v, 3, 5)
}
