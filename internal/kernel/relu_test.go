package kernel

import (
	"math"
	"testing"
)

func TestReLUBranchFree(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	z := []float32{-2, -0.5, 0, negZero, 1e-30, 3, float32(math.Inf(1)), float32(math.Inf(-1)), nan}
	y := make([]float32, len(z))
	ReLU(y, z)
	want := []float32{0, 0, 0, 0, 1e-30, 3, float32(math.Inf(1)), 0}
	for i, w := range want {
		if y[i] != w || math.Signbit(float64(y[i])) {
			t.Errorf("ReLU(%v) = %v, want %v", z[i], y[i], w)
		}
	}
	if y[8] == y[8] {
		t.Errorf("ReLU(NaN) = %v, want NaN", y[8])
	}
	dy := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	dz := make([]float32, len(dy))
	ReLUBackward(dz, dy, y[:8:8])
	wantDz := []float32{0, 0, 0, 0, 5, 6, 7, 0}
	for i, w := range wantDz {
		if dz[i] != w {
			t.Errorf("ReLUBackward at y=%v: %v, want %v", y[i], dz[i], w)
		}
	}
	x := []float32{-1, 1, -3, 0.5}
	BiasReLURows(x, 2, 2, []float32{0.5, -2})
	if x[0] != 0 || x[1] != 0 || x[2] != 0 || x[3] != 0 {
		t.Errorf("BiasReLURows = %v, want zeros", x)
	}
	x = []float32{1, 3}
	BiasReLURows(x, 1, 2, []float32{0.5, -2})
	if x[0] != 1.5 || x[1] != 1 {
		t.Errorf("BiasReLURows = %v, want [1.5 1]", x)
	}
}
