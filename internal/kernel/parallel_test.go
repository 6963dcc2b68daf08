package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// TestThreadsFollowGOMAXPROCS: the kernels' team size tracks GOMAXPROCS as
// it changes at run time, until SetThreads fixes a count.
func TestThreadsFollowGOMAXPROCS(t *testing.T) {
	defer SetThreads(SetThreads(0))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 3, 2} {
		runtime.GOMAXPROCS(p)
		if got := Threads(); got != p {
			t.Errorf("GOMAXPROCS %d: Threads() = %d, want %d", p, got, p)
		}
	}
	if prev := SetThreads(5); prev != 0 {
		t.Errorf("SetThreads returned %d while following GOMAXPROCS, want 0", prev)
	}
	runtime.GOMAXPROCS(1)
	if got := Threads(); got != 5 {
		t.Errorf("after SetThreads(5) and GOMAXPROCS(1): Threads() = %d, want 5", got)
	}
	if prev := SetThreads(-1); prev != 5 {
		t.Errorf("SetThreads returned %d, want 5", prev)
	}
	runtime.GOMAXPROCS(4)
	if got := Threads(); got != 4 {
		t.Errorf("after SetThreads(-1): Threads() = %d, want GOMAXPROCS 4", got)
	}
}

// TestConcurrentCallersShareCores: kernels called from many goroutines at
// once borrow helpers only while Threads() leaves some free, and give
// every one back, whatever size each team ended up.
func TestConcurrentCallersShareCores(t *testing.T) {
	defer SetThreads(SetThreads(2))
	r := rand.New(rand.NewPCG(1, 2))
	a, b := randSlice(r, 300*200), randSlice(r, 200*100)
	want := make([]float32, 300*100)
	Gemm(false, false, 300, 100, 200, 1, a, 200, b, 100, 0, want, 100)
	x := randSlice(r, 1<<16)
	wantRelu := make([]float32, len(x))
	ReLU(wantRelu, x)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, len(want))
			y := make([]float32, len(x))
			for range 20 {
				if l := lent.Load(); l > int32(Threads()-1) {
					errs <- fmt.Sprintf("%d helpers lent with Threads() = %d", l, Threads())
					return
				}
				Gemm(false, false, 300, 100, 200, 1, a, 200, b, 100, 0, c, 100)
				ReLU(y, x)
				for i := range c {
					if c[i] != want[i] {
						errs <- fmt.Sprintf("gemm element %d: %v, want %v", i, c[i], want[i])
						return
					}
				}
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(wantRelu[i]) {
						errs <- fmt.Sprintf("relu element %d differs", i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if l := lent.Load(); l != 0 {
		t.Fatalf("%d helpers still lent after every call returned", l)
	}
}

// TestSumRowsThreads: SumRows adds each column's rows in order, whatever
// the thread count and the column count (bands of 16 and a short last one).
func TestSumRowsThreads(t *testing.T) {
	defer SetThreads(SetThreads(1))
	r := rand.New(rand.NewPCG(3, 3))
	for _, sh := range [][2]int{{1, 1}, {7, 10}, {3000, 33}, {5000, 32}, {200, 600}} {
		rows, cols := sh[0], sh[1]
		x := randSlice(r, rows*cols)
		want := make([]float32, cols)
		for j := range want {
			var s float32
			for i := 0; i < rows; i++ {
				s += x[i*cols+j]
			}
			want[j] = s
		}
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			got := randSlice(r, cols)
			SumRows(got, x, rows, cols)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%dx%d threads %d: column %d = %v, want %v", rows, cols, th, j, got[j], want[j])
				}
			}
		}
	}
}

// TestBatchNormReductionsThreads: the batch-norm statistics and gradient
// sums equal, bit for bit at any thread count, a serial float64 loop that
// adds in their documented order: up to 4 slots of contiguous rows (at
// least 256 rows each), each summed in row order, the slots then added in
// order.
func TestBatchNormReductionsThreads(t *testing.T) {
	defer SetThreads(SetThreads(1))
	r := rand.New(rand.NewPCG(4, 4))
	for _, sh := range [][2]int{{1, 3}, {9, 16}, {4000, 40}, {600, 256}, {1023, 5}, {131072, 16}} {
		rows, cols := sh[0], sh[1]
		slots := max(1, min(4, rows/256))
		x, dy := randSlice(r, rows*cols), randSlice(r, rows*cols)
		wm, wv := make([]float32, cols), make([]float32, cols)
		wg, wb := make([]float32, cols), make([]float32, cols)
		// sum adds f(i) over rows in slot order.
		sum := func(f func(i int) float64) float64 {
			var tot float64
			for k := 0; k < slots; k++ {
				var part float64
				for i := k * rows / slots; i < (k+1)*rows/slots; i++ {
					part += f(i)
				}
				if k == 0 {
					tot = part
				} else {
					tot += part
				}
			}
			return tot
		}
		for j := 0; j < cols; j++ {
			s := sum(func(i int) float64 { return float64(x[i*cols+j]) }) / float64(rows)
			sq := sum(func(i int) float64 { d := float64(x[i*cols+j]) - s; return d * d })
			sb := sum(func(i int) float64 { return float64(dy[i*cols+j]) })
			sg := sum(func(i int) float64 { return float64(dy[i*cols+j]) * float64(x[i*cols+j]) })
			wm[j], wv[j], wb[j], wg[j] = float32(s), float32(sq/float64(rows)), float32(sb), float32(sg)
		}
		gamma, inv := randSlice(r, cols), randSlice(r, cols)
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			m, v := make([]float32, cols), make([]float32, cols)
			ColumnMeanVar(x, rows, cols, m, v)
			dg, db, dx := make([]float32, cols), make([]float32, cols), make([]float32, rows*cols)
			BatchNormBackward(dy, x, dx, rows, cols, gamma, inv, dg, db)
			for j := 0; j < cols; j++ {
				if m[j] != wm[j] || v[j] != wv[j] || dg[j] != wg[j] || db[j] != wb[j] {
					t.Fatalf("%dx%d threads %d column %d: mean %v/%v var %v/%v dgamma %v/%v dbeta %v/%v", rows, cols, th, j, m[j], wm[j], v[j], wv[j], dg[j], wg[j], db[j], wb[j])
				}
			}
			// dx, element by element as the formula reads, left to right.
			n := float32(rows)
			for i := range rows {
				for j := range cols {
					k := i*cols + j
					want := gamma[j] * inv[j] / n * (n*dy[k] - wb[j] - x[k]*wg[j])
					if math.Float32bits(dx[k]) != math.Float32bits(want) {
						t.Fatalf("%dx%d threads %d: dx[%d,%d] = %v, the formula gives %v", rows, cols, th, i, j, dx[k], want)
					}
				}
			}
		}
	}
}

// TestBatchNormApplyRows: BatchNormApply and BatchNormApplyReLU, with and
// without xhat, give every element the formula's bits whatever the row
// width (narrow rows go many to a call) and thread count.
func TestBatchNormApplyRows(t *testing.T) {
	defer SetThreads(SetThreads(1))
	r := rand.New(rand.NewPCG(5, 5))
	for _, sh := range [][2]int{{1, 3}, {9, 16}, {4000, 40}, {600, 256}, {1023, 5}, {70, 513}, {131072, 16}, {33, 1}} {
		rows, cols := sh[0], sh[1]
		x := randSlice(r, rows*cols)
		mean, inv, gamma, beta := randSlice(r, cols), randSlice(r, cols), randSlice(r, cols), randSlice(r, cols)
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			for _, keep := range []bool{false, true} {
				for _, relu := range []bool{false, true} {
					y := make([]float32, rows*cols)
					var xhat []float32
					if keep {
						xhat = make([]float32, rows*cols)
					}
					apply := BatchNormApply
					if relu {
						apply = BatchNormApplyReLU
					}
					apply(x, y, xhat, rows, cols, mean, inv, gamma, beta)
					for i := range rows {
						for j := range cols {
							k := i*cols + j
							h := float32(x[k]-mean[j]) * inv[j]
							want := float32(gamma[j]*h) + beta[j]
							if relu {
								want = reluKeep(want)
							}
							if math.Float32bits(y[k]) != math.Float32bits(want) || (keep && math.Float32bits(xhat[k]) != math.Float32bits(h)) {
								t.Fatalf("%dx%d threads %d keep %v relu %v: [%d,%d] = %v, the formula gives %v", rows, cols, th, keep, relu, i, j, y[k], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestSumReLUParallel: the bits of SumParallel then ReLU, at any thread
// count, with dst the first operand or not.
func TestSumReLUParallel(t *testing.T) {
	defer SetThreads(SetThreads(1))
	r := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{0, 1, 7, 4096, 4097, 100000} {
		a, b := randSlice(r, n), randSlice(r, n)
		want := make([]float32, n)
		SumParallel(want, a, b)
		ReLU(want, want)
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			got := make([]float32, n)
			SumReLUParallel(got, a, b)
			a2 := append([]float32(nil), a...)
			SumReLUParallel(a2, a2, b)
			if i := firstBitDiff(got, want); i >= 0 {
				t.Fatalf("n=%d threads %d: [%d] = %v, want %v", n, th, i, got[i], want[i])
			}
			if i := firstBitDiff(a2, want); i >= 0 {
				t.Fatalf("n=%d threads %d, in place: [%d] = %v, want %v", n, th, i, a2[i], want[i])
			}
		}
	}
}
