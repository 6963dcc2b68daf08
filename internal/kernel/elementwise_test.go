package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 22
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice(r, n), make([]float32, n)
	bias := randSlice(r, 64)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for i := 0; i < b.N; i++ {
				f()
			}
		})
	}
	run("ReLU", func() { ReLU(y, x) })
	run("ReLUBackward", func() { ReLUBackward(y, x, x) })
	run("AddBiasRows", func() { AddBiasRows(y, n/64, 64, bias) })
	run("Add", func() { Add(y, x) })
	g := &ConvGeom{N: 64, H: 32, W: 32, C: 64, KH: 2, KW: 2, SH: 2, SW: 2, OH: 16, OW: 16}
	arg := make([]int32, 64*16*16*64)
	run("MaxPool2x2", func() { MaxPoolNHWC(g, x, y, arg) })
	dx := make([]float32, n)
	run("MaxPoolBackward2x2", func() { MaxPoolBackwardNHWC(g, y[:len(arg)], arg, dx) })
}

func TestDropoutMask(t *testing.T) {
	const n, rate = 100001, 0.3
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	keep := float32(1 / (1 - rate))
	r := rate
	thr := uint32(r * (1 << 32))
	run := func(threads int) ([]float32, []float32) {
		old := SetThreads(threads)
		defer SetThreads(old)
		y, mask := make([]float32, n), make([]float32, n)
		Dropout(y, x, mask, 12345, thr, keep)
		return y, mask
	}
	y1, m1 := run(1)
	y2, m2 := run(2)
	kept := 0
	for i := range x {
		if m1[i] != m2[i] || y1[i] != y2[i] {
			t.Fatalf("element %d differs between 1 and 2 threads", i)
		}
		switch m1[i] {
		case keep:
			kept++
		case 0:
		default:
			t.Fatalf("mask[%d] = %v, want 0 or %v", i, m1[i], keep)
		}
		if y1[i] != x[i]*m1[i] {
			t.Fatalf("y[%d] = %v, want x*mask = %v", i, y1[i], x[i]*m1[i])
		}
	}
	// Binomial(n, 0.7): the standard deviation is ~145 elements.
	if frac := float64(kept) / n; math.Abs(frac-(1-rate)) > 0.005 {
		t.Errorf("kept fraction %.4f, want %.2f", frac, 1-rate)
	}
	_, m3 := make([]float32, n), make([]float32, n)
	Dropout(make([]float32, n), x, m3, 12346, thr, keep)
	same := 0
	for i := range m3 {
		if m3[i] == m1[i] {
			same++
		}
	}
	if same == n {
		t.Error("another key gave the same mask")
	}
}

// TestExpAccuracy checks the Cephes exp against math.Exp: within 3 ulp over
// the range it does not clamp.
func TestExpAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	x := make([]float32, 100000)
	for i := range x {
		x[i] = float32(r.Float64()*175 - 87)
	}
	y := make([]float32, len(x))
	expVec(y, x)
	for i, v := range x {
		want := math.Exp(float64(v))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		if e := math.Abs(float64(y[i])-want) / ulp; e > 3 {
			t.Fatalf("exp(%v) = %v, want %v (%.1f ulp)", v, y[i], want, e)
		}
	}
}

// TestExpBasedActivationsAccuracy checks tanh, ELU and GELU, which now use
// the float32 exp, against float64 references.
func TestExpBasedActivationsAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	x := make([]float32, 20000)
	for i := range x {
		switch i % 4 {
		case 0:
			x[i] = float32(r.NormFloat64() * 1e-4) // where formulas cancel
		case 1:
			x[i] = float32(r.NormFloat64() * 0.5)
		default:
			x[i] = float32(r.Float64()*40 - 20)
		}
	}
	y := make([]float32, len(x))
	check := func(name string, f func(float64) float64, absTol, relTol float64) {
		t.Helper()
		for i, v := range x {
			want := f(float64(v))
			if e := math.Abs(float64(y[i]) - want); e > absTol+relTol*math.Abs(want) {
				t.Fatalf("%s(%v) = %v, want %v (error %.3g)", name, v, y[i], want, e)
			}
		}
	}
	Tanh(y, x)
	check("tanh", math.Tanh, 0, 4e-7)
	ELU(y, x, 1.5)
	check("elu", func(v float64) float64 {
		if v > 0 {
			return v
		}
		return 1.5 * math.Expm1(v)
	}, 0, 4e-7)
	GELU(y, x)
	check("gelu", func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }, 1e-7, 3e-7)
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = 1
	}
	GELUBackward(y, dy, x)
	check("gelu'", func(v float64) float64 {
		return 0.5*(1+math.Erf(v/math.Sqrt2)) + v*invSqrt2Pi*math.Exp(-0.5*v*v)
	}, 2e-7, 3e-7)
}
