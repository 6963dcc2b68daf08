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
