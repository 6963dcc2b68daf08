package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkElementwise measures the memory-bound kernels on 16 MiB
// operands (larger than L2, about the size of a training step's
// activations), each against the same bytes moved by a plain copy. Its MB/s
// counts every byte a kernel must read plus every byte it must write, so a
// kernel far below "copy/parallel" is doing something wrong, not more work:
//
//	go test -run X -bench Elementwise ./internal/kernel
func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 22
	r := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice(r, n), make([]float32, n), randSlice(r, n)
	w, m, v := randSlice(r, n), make([]float32, n), make([]float32, n)
	bias := randSlice(r, 64)
	run := func(name string, bytesPerElem int, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(bytesPerElem) * n)
			for b.Loop() {
				f()
			}
		})
	}
	// The baselines: n floats read and n written.
	run("copy/serial", 8, func() { copy(y, x) })
	run("copy/parallel", 8, func() {
		ParallelFor(n, grainElems, func(lo, hi int) { copy(y[lo:hi], x[lo:hi]) })
	})
	run("ReLU", 8, func() { ReLU(y, x) })
	run("ReLUBackward", 12, func() { ReLUBackward(y, x, z) })
	run("AddBiasRows", 8, func() { AddBiasRows(y, n/64, 64, bias) })
	run("AddBiasRows16", 8, func() { AddBiasRows(y, n/16, 16, bias[:16]) })
	run("BiasReLURows", 8, func() { BiasReLURows(y, n/64, 64, bias) })
	run("Add", 12, func() { Add(y, x) })
	run("AddParallel", 12, func() { AddParallel(y, x) })
	run("CopyParallel", 8, func() { CopyParallel(y, x) })
	run("copy+Add", 12, func() { copy(y, x); Add(y, z) })
	run("SumParallel", 12, func() { SumParallel(y, x, z) })
	run("Scale", 8, func() { Scale(y, 0.999) })
	run("Axpy", 12, func() { Axpy(0.5, x, y) })
	run("Sigmoid", 8, func() { Sigmoid(y, x) })
	run("GELU", 8, func() { GELU(y, x) })
	run("SoftmaxRows10", 8, func() { SoftmaxRows(y, x, n/10, 10) })
	run("Dropout", 12, func() { Dropout(y, x, m, 7, 1<<31, 2) })
	// 64 images of 32x32x64, 2x2 windows: x is n floats, y and arg n/4
	// each; forward reads x and writes y and arg, backward reads dy and arg
	// and writes dx.
	g := &ConvGeom{N: 64, H: 32, W: 32, C: 64, KH: 2, KW: 2, SH: 2, SW: 2, OH: 16, OW: 16}
	arg := make([]int32, n/4)
	run("MaxPool2x2", 6, func() { MaxPoolNHWC(g, x, y[:n/4], arg) })
	run("MaxPool2x2/infer", 5, func() { MaxPoolNHWC(g, x, y[:n/4], nil) })
	run("MaxPoolBackward2x2", 6, func() { MaxPoolBackwardNHWC(g, y[:n/4], arg, z) })
	run("AvgPool2x2", 5, func() { AvgPoolNHWC(g, x, y[:n/4]) })
	run("AvgPoolBackward2x2", 5, func() { AvgPoolBackwardNHWC(g, y[:n/4], z) })
	const cols = 64
	mean, inv, gamma, beta := randSlice(r, cols), randSlice(r, cols), randSlice(r, cols), randSlice(r, cols)
	run("BatchNormStats", 4, func() { ColumnMeanVar(x, n/cols, cols, mean, inv) })
	run("BatchNormApply", 12, func() { BatchNormApply(x, y, m, n/cols, cols, mean, inv, gamma, beta) })
	run("BatchNormApply/infer", 8, func() { BatchNormApply(x, y, nil, n/cols, cols, mean, inv, gamma, beta) })
	dg, db := make([]float32, cols), make([]float32, cols)
	run("BatchNormBackward", 12, func() { BatchNormBackward(x, z, y, n/cols, cols, gamma, inv, dg, db) })
	// resnet20's first stage: 16 channels.
	run("BatchNormApply16", 12, func() { BatchNormApply(x, y, m, n/16, 16, mean, inv, gamma, beta) })
	run("BatchNormBackward16", 12, func() { BatchNormBackward(x, z, y, n/16, 16, gamma, inv, dg, db) })
	run("BiasReLURows16", 8, func() { BiasReLURows(y, n/16, 16, bias[:16]) })
	// Optimiser updates on n parameters: Adam reads w, g, m, v and writes
	// w, m, v; SGD with momentum reads w, g, m and writes w, m.
	run("AdamUpdate", 28, func() { AdamUpdate(w, x, m, v, 1e-3, 0.1, 0.001, 1e-7, 0) })
	run("SGDUpdate", 20, func() { SGDUpdate(w, x, m, 1e-3, 0.9, false) })
	// im2col of 16 images of 32x32x16, 3x3 "same": each input cell is read
	// and nine column entries are written per cell (col2im the reverse).
	gc := &ConvGeom{N: 16, H: 32, W: 32, C: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 32, OW: 32}
	cells := gc.N * gc.H * gc.W * gc.C
	col := make([]float32, gc.ColRows()*gc.ColCols())
	b.Run("Im2col3x3", func(b *testing.B) {
		b.SetBytes(int64(4 * (cells + len(col))))
		for b.Loop() {
			Im2colNHWC(gc, x[:cells], col)
		}
	})
	b.Run("Col2im3x3", func(b *testing.B) {
		b.SetBytes(int64(4 * (cells + len(col))))
		for b.Loop() {
			Col2imNHWC(gc, col, z[:cells])
		}
	})
	// Bias gradients of first layers: 25x25 outputs of 256 images, 32
	// filters (fashion-cnn); 32x32 of 128, 64 filters (cifar10-cnn).
	for _, sh := range [][2]int{{160000, 32}, {131072, 64}} {
		g := randSlice(r, sh[0]*sh[1])
		d := make([]float32, sh[1])
		b.Run(fmt.Sprintf("SumRows%dx%d", sh[0], sh[1]), func(b *testing.B) {
			b.SetBytes(int64(4 * len(g)))
			for b.Loop() {
				SumRows(d, g, sh[0], sh[1])
			}
		})
	}
	// The first layers, whose window rows are a few floats: fashion-cnn's
	// 4x4 window over 28x28x1, cifar10-cnn's 3x3 "same" over 32x32x3.
	for _, f := range []struct {
		name string
		g    ConvGeom
	}{
		{"Im2colFirst4x4x1", ConvGeom{N: 32, H: 28, W: 28, C: 1, KH: 4, KW: 4, SH: 1, SW: 1, OH: 25, OW: 25}},
		{"Im2colFirst3x3x3", ConvGeom{N: 16, H: 32, W: 32, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 32, OW: 32}},
	} {
		cells := f.g.N * f.g.H * f.g.W * f.g.C
		col := make([]float32, f.g.ColRows()*f.g.ColCols())
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(4 * (cells + len(col))))
			for b.Loop() {
				Im2colNHWC(&f.g, x[:cells], col)
			}
		})
	}
}

// TestSumAndCopyParallel checks the parallel copy and sum against their
// serial twins, bit for bit, over lengths around the block and grain sizes.
func TestSumAndCopyParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, sumBlock - 1, sumBlock + 5, grainElems, 2*grainElems + 3, 5*grainElems + sumBlock/2} {
		a, b := randSlice(r, n), randSlice(r, n)
		want := make([]float32, n)
		copy(want, a)
		Add(want, b)
		got := make([]float32, n)
		SumParallel(got, a, b)
		if i := firstBitDiff(got, want); i >= 0 {
			t.Fatalf("SumParallel, n=%d: element %d is %v, copy+Add gives %v", n, i, got[i], want[i])
		}
		inPlace := append([]float32(nil), a...)
		SumParallel(inPlace, inPlace, b)
		if i := firstBitDiff(inPlace, want); i >= 0 {
			t.Fatalf("SumParallel in place, n=%d: element %d is %v, want %v", n, i, inPlace[i], want[i])
		}
		cp := make([]float32, n)
		CopyParallel(cp, a)
		if i := firstBitDiff(cp, a); i >= 0 {
			t.Fatalf("CopyParallel, n=%d: element %d is %v, want %v", n, i, cp[i], a[i])
		}
	}
}

// TestAddBiasRows: every element gets its column's bias added, the same
// bits as one addition each, for narrow rows (added many at a time) and
// wide ones; BiasReLURows too, then ReLU.
func TestAddBiasRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, cols := range []int{1, 3, 16, 17, 64, 511, 512, 600} {
		for _, rows := range []int{0, 1, 7, 100, 5000} {
			x, bias := randSlice(r, rows*cols), randSlice(r, cols)
			want := append([]float32(nil), x...)
			for i := range want {
				want[i] += bias[i%cols]
			}
			x2 := append([]float32(nil), x...)
			AddBiasRows(x, rows, cols, bias)
			if i := firstBitDiff(x, want); i >= 0 {
				t.Fatalf("cols=%d rows=%d: element %d is %v, want %v", cols, rows, i, x[i], want[i])
			}
			// BiasReLURows: the same sums, then ReLU.
			for i := range want {
				want[i] = max(want[i], 0)
			}
			BiasReLURows(x2, rows, cols, bias)
			if i := firstBitDiff(x2, want); i >= 0 {
				t.Fatalf("BiasReLURows cols=%d rows=%d: element %d is %v, want %v", cols, rows, i, x2[i], want[i])
			}
		}
	}
}

// firstBitDiff returns the first index where a and b differ in bits, or -1.
func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
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
