package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// checkGemmAgainstRef runs g and the reference on the same inputs, with
// guard values after C and a misaligned C offset, and compares.
func checkGemmAgainstRef(t *testing.T, g *gemmKernel, transA, transB bool, m, n, k, off int, alpha, beta float32) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k)))
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	a := randSlice(r, m*k)
	b := randSlice(r, k*n)
	ldc := n + 3
	const guard = 12345.5
	c := make([]float32, off+m*ldc+8)
	for i := range c {
		c[i] = guard
	}
	c0 := randSlice(r, m*ldc)
	copy(c[off:], c0)
	want := append([]float32(nil), c0...)
	GemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	gemmWith(g, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c[off:off+m*ldc], ldc)
	for i := 0; i < off; i++ {
		if c[i] != guard {
			t.Fatalf("guard before C overwritten at %d", i)
		}
	}
	for i := off + m*ldc; i < len(c); i++ {
		if c[i] != guard {
			t.Fatalf("guard after C overwritten at %d", i-off-m*ldc)
		}
	}
	tol := 1e-4 * math.Sqrt(float64(k)+1)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got, w := c[off+i*ldc+j], want[i*ldc+j]
			if j >= n {
				if got != c0[i*ldc+j] {
					t.Fatalf("padding column %d of row %d changed", j, i)
				}
				continue
			}
			if math.Abs(float64(got-w)) > tol*(1+math.Abs(float64(w))) {
				t.Fatalf("%s tA=%v tB=%v m=%d n=%d k=%d: C[%d,%d] = %v, want %v", g.name, transA, transB, m, n, k, i, j, got, w)
			}
		}
	}
}

// gemmKernelsUnderTest is every kernel this CPU can run (generic first).
func gemmKernelsUnderTest() []*gemmKernel { return gemmKernels }

func TestGemmDispatch(t *testing.T) {
	found := false
	for _, g := range gemmKernels {
		found = found || g.name == sgemm.name
		if g.mr*g.nr > 16*64 {
			t.Errorf("%s: %dx%d tile does not fit the edge buffer", g.name, g.mr, g.nr)
		}
	}
	if !found {
		t.Errorf("sgemm %q is not in gemmKernels", sgemm.name)
	}
	t.Logf("Gemm uses %s", GemmKernelName())
}

// TestGemmMicroKernels calls each raw micro-kernel (and its overwriting
// twin) with guard values around every row of C and compares it with the
// plain loop its doc comment states.
func TestGemmMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const guard = -7777.25
	for _, g := range gemmKernelsUnderTest() {
		mr, nr := g.mr, g.nr
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 64, 255, 256, 257} {
			for _, set := range []bool{false, true} {
				kern := g.kern
				if set {
					if g.kernSet == nil {
						continue
					}
					kern = g.kernSet
				}
				a, b := randSlice(r, mr*k), randSlice(r, nr*k)
				ldc := nr + 5
				const off = 3
				c := make([]float32, off+mr*ldc+7)
				for i := range c {
					c[i] = guard
				}
				c0 := randSlice(r, mr*ldc)
				for i := 0; i < mr; i++ {
					copy(c[off+i*ldc:off+i*ldc+nr], c0[i*ldc:i*ldc+nr])
				}
				kern(k, a, b, c[off:off+(mr-1)*ldc+nr], ldc)
				for i := range c {
					row, col := (i-off)/ldc, (i-off)%ldc
					if i < off || row >= mr || col >= nr {
						if c[i] != guard {
							t.Fatalf("%s k=%d set=%v: guard at %d overwritten", g.name, k, set, i-off)
						}
						continue
					}
					var s float64
					for p := 0; p < k; p++ {
						s += float64(a[p*mr+row]) * float64(b[p*nr+col])
					}
					want := s
					if !set {
						want += float64(c0[row*ldc+col])
					}
					if d := math.Abs(float64(c[i]) - want); d > 1e-5*(1+math.Abs(want))*math.Sqrt(float64(k)+1) {
						t.Fatalf("%s k=%d set=%v: C[%d,%d] = %v, want %v", g.name, k, set, row, col, c[i], want)
					}
				}
			}
		}
	}
}

func TestGemmSmallSizes(t *testing.T) {
	for _, g := range gemmKernelsUnderTest() {
		for size := 1; size <= 67; size++ {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				checkGemmAgainstRef(t, g, tr[0], tr[1], size, size+1, size+2, size%5, 1, 0)
			}
		}
	}
}

func TestGemmShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range gemmKernelsUnderTest() {
		for i := 0; i < 40; i++ {
			m, n, k := 1+r.IntN(300), 1+r.IntN(300), 1+r.IntN(700)
			alpha := []float32{1, 0.5, -2}[i%3]
			beta := []float32{0, 1, 0.25}[i%3]
			checkGemmAgainstRef(t, g, i%2 == 1, i%4 >= 2, m, n, k, i%7, alpha, beta)
		}
	}
}

// TestGemmSmallBlocks shrinks each kernel's cache blocking so that every
// loop (several jc, pc and ic blocks, both loop orders, packed and in-place
// A) runs on small shapes, with 1 and 3 threads.
func TestGemmSmallBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	defer SetThreads(SetThreads(1))
	defer func(v int, d bool) { gemmAOuterMax, gemmDirectTransA = v, d }(gemmAOuterMax, gemmDirectTransA)
	for _, g0 := range gemmKernelsUnderTest() {
		for _, aOuter := range []int{0, 1 << 30} {
			gemmAOuterMax = aOuter
			gemmDirectTransA = aOuter != 0
			g := *g0
			g.mc, g.kc, g.nc = 2*g.mr+1, 13, 3*g.nr-1
			for i := 0; i < 30; i++ {
				SetThreads(1 + 2*(i%2))
				m, n, k := 1+r.IntN(120), 1+r.IntN(150), 1+r.IntN(90)
				alpha := []float32{1, 1, -0.5}[i%3]
				beta := []float32{0, 1, 2}[i%3]
				checkGemmAgainstRef(t, &g, i%2 == 0, i%4 < 2, m, n, k, i%3, alpha, beta)
			}
		}
	}
}

func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	c := []float32{float32(math.NaN()), 1}
	Gemm(false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Errorf("C = %v, want [6 8]", c)
	}
}

// TestGemmMicroKernelsStrided calls each strided micro-kernel (kernA,
// kernASet) on A read in place, row-major (rs = lda, ks = 1) and transposed
// (rs = 1, ks = lda), with guard values around C.
func TestGemmMicroKernelsStrided(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const guard = 31.5
	for _, g := range gemmKernelsUnderTest() {
		if g.kernA == nil {
			continue
		}
		mr, nr := g.mr, g.nr
		for _, k := range []int{0, 1, 3, 4, 5, 8, 13, 64, 100, 321} {
			for _, layout := range []string{"packed", "rows", "cols"} {
				for _, set := range []bool{false, true} {
					var rs, ks, alen int
					switch layout {
					case "packed":
						rs, ks, alen = 1, mr, mr*k
					case "rows":
						lda := k + 3
						rs, ks, alen = lda, 1, (mr-1)*lda+k
					default:
						lda := mr + 5
						rs, ks, alen = 1, lda, max(0, k-1)*lda+mr
					}
					a, b := randSlice(r, alen), randSlice(r, nr*k)
					ldc := nr + 2
					const off = 5
					c := make([]float32, off+mr*ldc+4)
					for i := range c {
						c[i] = guard
					}
					c0 := randSlice(r, mr*ldc)
					for i := 0; i < mr; i++ {
						copy(c[off+i*ldc:off+i*ldc+nr], c0[i*ldc:i*ldc+nr])
					}
					kern := g.kernA
					if set {
						kern = g.kernASet
					}
					kern(k, a, rs, ks, b, c[off:off+(mr-1)*ldc+nr], ldc)
					for i := range c {
						row, col := (i-off)/ldc, (i-off)%ldc
						if i < off || row >= mr || col >= nr {
							if c[i] != guard {
								t.Fatalf("%s %s k=%d set=%v: guard at %d overwritten", g.name, layout, k, set, i-off)
							}
							continue
						}
						var s float64
						for p := 0; p < k; p++ {
							s += float64(a[row*rs+p*ks]) * float64(b[p*nr+col])
						}
						if !set {
							s += float64(c0[row*ldc+col])
						}
						if d := math.Abs(float64(c[i]) - s); d > 1e-5*(1+math.Abs(s))*math.Sqrt(float64(k)+1) {
							t.Fatalf("%s %s k=%d set=%v: C[%d,%d] = %v, want %v", g.name, layout, k, set, row, col, c[i], s)
						}
					}
				}
			}
		}
	}
}

func TestGemmThreadsIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	defer SetThreads(SetThreads(1))
	for _, g := range gemmKernelsUnderTest() {
		for _, s := range []struct {
			tA, tB  bool
			m, n, k int
			beta    float32
		}{
			{false, false, 301, 97, 513, 0},
			{true, false, 13, 700, 1100, 1},
			{false, true, 1000, 40, 300, 0.5},
			{true, true, 64, 64, 2000, 0},
			// Split along k (a first layer's weight gradient).
			{true, false, 16, 32, 3*splitKSlice + 5, 0},
			{false, true, 5, 7, 2*splitKSlice + 1, 0.5},
		} {
			lda, ldb := s.k, s.n
			if s.tA {
				lda = s.m
			}
			if s.tB {
				ldb = s.k
			}
			a, b := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
			c0 := randSlice(r, s.m*s.n)
			var first []float32
			for _, th := range []int{1, 2, 3, 4, 7} {
				SetThreads(th)
				c := append([]float32(nil), c0...)
				gemmWith(g, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, s.beta, c, s.n)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s %+v: element %d differs between 1 and %d threads: %v vs %v", g.name, s, i, th, first[i], c[i])
					}
				}
			}
		}
	}
}

// TestGemmSplitKAndDirectB checks the two shapes that leave the usual
// plan against the reference: products cut along k (few micro-tiles, long
// k), and a row-major B of exactly one panel's width, read in place.
func TestGemmSplitKAndDirectB(t *testing.T) {
	defer SetThreads(SetThreads(2))
	for _, g := range gemmKernelsUnderTest() {
		long := 2*splitKSlice + 77
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			if splitKSlices(g, g.mr+1, g.nr, long) < 2 {
				t.Fatalf("%s: a %dx%d product over k=%d is not split", g.name, g.mr+1, g.nr, long)
			}
			checkGemmAgainstRef(t, g, tr[0], tr[1], g.mr+1, g.nr, long, 1, 1, 0)
			checkGemmAgainstRef(t, g, tr[0], tr[1], 3, 5, long, 0, -0.5, 0.25)
		}
		// n == nr: B (row-major, ldb == n) is one packed panel already.
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			checkGemmAgainstRef(t, g, false, false, 7*g.mr+3, g.nr, 300, 2, 1, 0)
			checkGemmAgainstRef(t, g, true, false, 2*g.mr+1, g.nr, 1000, 0, 0.5, 1)
		}
	}
}

// TestGemmConcurrent runs Gemm from several goroutines at once and from
// inside parallelFor, which share the worker pool.
func TestGemmConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m, n, k := 130, 70, 300
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	defer SetThreads(SetThreads(2))
	got := make([][]float32, 8)
	parallelFor(len(got), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			got[i] = make([]float32, m*n)
			Gemm(false, false, m, n, k, 1, a, k, b, n, 0, got[i], n)
		}
	})
	for _, g := range got {
		for i := range g {
			if g[i] != want[i] {
				t.Fatalf("element %d: %v, want %v", i, g[i], want[i])
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		{"1024cubed", false, false, 1024, 1024, 1024},
		{"conv2_fwd_32768x576x128", false, false, 32768, 128, 576},
		{"conv2_dW_576x32768x128", true, false, 576, 128, 32768},
		{"conv2_dX_32768x128x576", false, true, 32768, 576, 128},
		{"dense_128x8192x256", false, false, 128, 256, 8192},
		// fashion-cnn's first layer (4x4x1 window, 32 filters, 256 images
		// of 25x25 outputs): K = 16 forward, a 16x32 weight gradient over
		// 160000 rows backward.
		{"conv1_fwd_160000x32x16", false, false, 160000, 32, 16},
		{"conv1_dW_16x160000x32", true, false, 16, 32, 160000},
		// cifar10-cnn's first layer: 3x3x3 windows, 64 filters, 128 images.
		{"c10conv1_fwd_131072x64x27", false, false, 131072, 64, 27},
		{"c10conv1_dW_27x131072x64", true, false, 27, 64, 131072},
	}
	defer SetThreads(SetThreads(0))
	for _, g := range gemmKernelsUnderTest() {
		for _, s := range shapes {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", strings.ReplaceAll(g.name, " ", "_"), s.name, th), func(b *testing.B) {
					SetThreads(th)
					r := rand.New(rand.NewPCG(1, 1))
					lda, ldb := s.k, s.n
					if s.tA {
						lda = s.m
					}
					if s.tB {
						ldb = s.k
					}
					A, B := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
					C := make([]float32, s.m*s.n)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						gemmWith(g, s.tA, s.tB, s.m, s.n, s.k, 1, A, lda, B, ldb, 0, C, s.n)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestCopyRowsFast checks the assembly panel copies against copy.
func TestCopyRowsFast(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i, f := range copyRowsFast {
		if f == nil {
			continue
		}
		w := 16 * (i + 1)
		for _, rows := range []int{0, 1, 2, 7, 16} {
			ld := w + 3
			src := randSlice(r, max(0, (rows-1)*ld+w))
			dst := make([]float32, rows*w+5)
			for j := range dst {
				dst[j] = -1
			}
			f(dst[:rows*w], src, ld, rows)
			for p := 0; p < rows; p++ {
				for j := 0; j < w; j++ {
					if dst[p*w+j] != src[p*ld+j] {
						t.Fatalf("w=%d rows=%d: dst[%d] = %v, want %v", w, rows, p*w+j, dst[p*w+j], src[p*ld+j])
					}
				}
			}
			for j := rows * w; j < len(dst); j++ {
				if dst[j] != -1 {
					t.Fatalf("w=%d rows=%d: wrote past the end at %d", w, rows, j)
				}
			}
		}
	}
}
