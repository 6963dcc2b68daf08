package kernel

import (
	"runtime"
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
