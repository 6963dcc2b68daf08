package train

import (
	"math"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

func TestFlipAndShift(t *testing.T) {
	// One 3x3 image with 2 channels: cell (y, x) holds 10y+x and -(10y+x).
	src := tensor.New(1, 3, 3, 2)
	for y := range 3 {
		for x := range 3 {
			src.Data[(y*3+x)*2] = float32(10*y + x)
			src.Data[(y*3+x)*2+1] = -float32(10*y + x)
		}
	}
	at := func(t *tensor.Tensor, y, x int) float32 { return t.Data[(y*3+x)*2] }
	dst := tensor.New(1, 3, 3, 2)
	flipInto(dst, src)
	for y := range 3 {
		for x := range 3 {
			if got, want := at(dst, y, x), float32(10*y+2-x); got != want || dst.Data[(y*3+x)*2+1] != -want {
				t.Fatalf("flip (%d,%d) = %v, want %v", y, x, got, want)
			}
		}
	}
	// Down-right by one: row 0 reflects row 1, column 0 reflects column 1.
	shiftInto(dst, src, 1)
	want := [3][3]float32{{11, 10, 11}, {1, 0, 1}, {11, 10, 11}}
	for y := range 3 {
		for x := range 3 {
			if got := at(dst, y, x); got != want[y][x] {
				t.Fatalf("shift +1 (%d,%d) = %v, want %v", y, x, got, want[y][x])
			}
		}
	}
	shiftInto(dst, src, -1)
	want = [3][3]float32{{11, 12, 11}, {21, 22, 21}, {11, 12, 11}}
	for y := range 3 {
		for x := range 3 {
			if got := at(dst, y, x); got != want[y][x] {
				t.Fatalf("shift -1 (%d,%d) = %v, want %v", y, x, got, want[y][x])
			}
		}
	}
}

// TestEvaluateTTA: on mirror-symmetric images every view pair is the same
// image twice, so flip TTA equals a plain evaluate; on ordinary images the
// averaged outputs are still probabilities and the loss is finite and
// different.
func TestEvaluateTTA(t *testing.T) {
	m, x, y := stepModel(t)
	sym := x.Clone()
	flipInto(sym, x)
	for i := range sym.Data {
		sym.Data[i] += x.Data[i]
	}
	plain, err := Evaluate(m, sym, y, 8)
	if err != nil {
		t.Fatal(err)
	}
	flip, err := EvaluateTTA(m, sym, y, 8, TTAFlip)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(plain["loss"] - flip["loss"]); d > 1e-5 || plain["accuracy"] != flip["accuracy"] {
		t.Errorf("flip TTA on symmetric images: %v, plain %v", flip, plain)
	}
	plain, _ = Evaluate(m, x, y, 8)
	for _, tta := range []TTA{TTAFlip, TTAFlipShift} {
		got, err := EvaluateTTA(m, x, y, 8, tta)
		if err != nil {
			t.Fatal(err)
		}
		if l := got["loss"]; math.IsNaN(l) || l <= 0 || l == plain["loss"] {
			t.Errorf("%v: loss %v (plain %v)", tta, l, plain["loss"])
		}
	}
	if _, err := EvaluateTTA(m, tensor.New(4, 10), tensor.New(4), 8, TTAFlip); err == nil {
		t.Error("TTA on non-image inputs: no error")
	}
	if _, err := ParseTTA("mirror"); err == nil {
		t.Error(`ParseTTA("mirror"): no error`)
	}
	if tta, err := ParseTTA("flip-shift"); err != nil || tta != TTAFlipShift || tta.String() != "flip-shift" {
		t.Errorf("ParseTTA(flip-shift) = %v, %v", tta, err)
	}
}
