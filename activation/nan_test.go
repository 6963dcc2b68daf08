package activation

import (
	"math"
	"testing"
)

// TestNaNPropagates: every activation turns a NaN input into NaN (as
// TensorFlow does), so a NaN or an Inf-Inf upstream is never hidden as a
// plausible number; softmax spreads it over its row.
func TestNaNPropagates(t *testing.T) {
	nan := float32(math.NaN())
	negNaN := float32(math.Copysign(math.NaN(), -1)) // x86's default NaN, as Inf-Inf gives
	for _, f := range All() {
		if f.Widens() != 1 {
			continue // crelu's NaN handling is in TestCReLU
		}
		for _, bad := range []float32{nan, negNaN} {
			const rows, cols = 2, 20
			z := make([]float32, rows*cols)
			for i := range z {
				z[i] = float32(i%7) - 3
			}
			z[5], z[cols+17] = bad, bad // inside the vector blocks and in the tail
			y := make([]float32, len(z))
			f.Forward(y, z, rows, cols)
			for i, v := range y {
				isBad := i == 5 || i == cols+17
				if f == Softmax || f == LogSoftmax {
					isBad = true // the whole row
				}
				if isBad && v == v {
					t.Errorf("%s(%v) at %d = %v, want NaN", f, z[i], i, v)
				}
				if !isBad && v != v {
					t.Errorf("%s(%v) at %d = NaN", f, z[i], i)
				}
			}
		}
	}
}

// TestInfinities: the limits Keras gives at ±Inf.
func TestInfinities(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		f        Func
		pos, neg float32
		posNaN   bool
	}{
		{Linear, inf, -inf, false},
		{ReLU, inf, 0, false},
		{Sigmoid, 1, 0, false},
		{Tanh, 1, -1, false},
		{LeakyReLU, inf, -inf, false},
		{ELU, inf, -1, false},
	} {
		z := make([]float32, 16)
		z[3], z[11] = inf, -inf
		y := make([]float32, 16)
		tc.f.Forward(y, z, 1, 16)
		// sigmoid's exp is clamped at -87.3: sigmoid(-Inf) is the smallest
		// normal float, 1.2e-38, not 0.
		if y[3] != tc.pos || math.Abs(float64(y[11]-tc.neg)) > 1.2e-38 {
			t.Errorf("%s(+Inf, -Inf) = %v, %v, want %v, %v", tc.f, y[3], y[11], tc.pos, tc.neg)
		}
	}
}
