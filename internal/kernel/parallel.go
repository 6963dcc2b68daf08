package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the count SetThreads fixed, or 0: follow runtime.GOMAXPROCS,
// read at every call. Go changes GOMAXPROCS while a program runs (to a
// container's CPU limit since Go 1.25, or `go test -cpu`), and a team larger
// than the Ps available spins workers that cannot run.
var threads atomic.Int32

// Threads is the number of goroutines kernels split their work across:
// runtime.GOMAXPROCS(0) as it is now, unless SetThreads fixed a count.
func Threads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// SetThreads fixes the number of worker goroutines at n; n < 1 goes back to
// following runtime.GOMAXPROCS. It returns the previous setting (0 when it
// was following GOMAXPROCS), so defer SetThreads(SetThreads(n)) restores it.
func SetThreads(n int) int {
	if n < 1 {
		n = 0
	}
	return int(threads.Swap(int32(n)))
}

// teamJob is work that a team of goroutines runs together: run is called
// once with every tid in [0, team size).
type teamJob interface {
	run(tid int)
}

// worker is a persistent goroutine that runs one team member at a time.
// Between jobs it spins for a while before parking, so back-to-back calls
// do not pay for a goroutine wake-up.
type worker struct {
	state atomic.Int32 // workerSpinning, workerHasWork or workerParked
	call  teamCall
	wake  chan struct{}
}

const (
	workerSpinning = iota
	workerHasWork
	workerParked
)

type teamCall struct {
	job  teamJob
	tid  int
	team *team
}

// team tracks the helpers of one runTeam call.
type team struct {
	pending atomic.Int32
	done    chan struct{}
}

var (
	idleMu    sync.Mutex
	idle      []*worker
	teamsMu   sync.Mutex
	freeTeams []*team
)

// workerSpins is how many polls an idle worker makes before parking
// (roughly 100µs).
const workerSpins = 2000

func (w *worker) loop() {
	for {
		for i := 0; w.state.Load() != workerHasWork; i++ {
			if i < workerSpins {
				spinPause()
				continue
			}
			if w.state.CompareAndSwap(workerSpinning, workerParked) {
				<-w.wake
			}
		}
		c := w.call
		w.call = teamCall{}
		c.job.run(c.tid)
		w.state.Store(workerSpinning)
		idleMu.Lock()
		idle = append(idle, w)
		idleMu.Unlock()
		if c.team.pending.Add(-1) == 0 {
			c.team.done <- struct{}{}
		}
	}
}

// give hands c to an idle worker.
func (w *worker) give(c teamCall) {
	w.call = c
	if !w.state.CompareAndSwap(workerSpinning, workerHasWork) {
		w.state.Store(workerHasWork)
		w.wake <- struct{}{}
	}
}

// getWorkers returns up to n idle workers, starting new ones when none are
// idle so that nested calls never wait on each other.
func getWorkers(ws []*worker, n int) []*worker {
	idleMu.Lock()
	for len(ws) < n && len(idle) > 0 {
		ws = append(ws, idle[len(idle)-1])
		idle = idle[:len(idle)-1]
	}
	idleMu.Unlock()
	for len(ws) < n {
		w := &worker{wake: make(chan struct{}, 1)}
		go w.loop() // starts spinning, so give needs no wake-up

		ws = append(ws, w)
	}
	return ws
}

// lent counts the pooled workers lent to teams right now. A team takes as
// many helpers as Threads() leaves free, so concurrent callers (a server's
// requests predicting at once) share the cores with smaller teams, down to
// running inline, instead of stacking spinning helpers on the same cores;
// a kernel called from inside a team member runs inline too. No kernel's
// result depends on its team size (each splits its work by the shape, not
// by the team), so the bits are the same either way.
var lent atomic.Int32

// borrow reserves up to t-1 helpers and returns the team size granted;
// runTeam gives them back.
func borrow(t int) int {
	for t > 1 {
		l := lent.Load()
		free := int32(Threads()-1) - l
		if free <= 0 {
			return 1
		}
		h := min(int32(t-1), free)
		if lent.CompareAndSwap(l, l+h) {
			return int(h) + 1
		}
	}
	return 1
}

// runTeam runs job with team size t, which borrow granted: tid 0 on the
// calling goroutine and the rest on pooled workers, and returns when all
// have finished.
func runTeam(t int, job teamJob) {
	if t <= 1 {
		job.run(0)
		return
	}
	defer lent.Add(-int32(t - 1))
	var buf [16]*worker
	ws := getWorkers(buf[:0], t-1)
	teamsMu.Lock()
	var tm *team
	if n := len(freeTeams); n > 0 {
		tm = freeTeams[n-1]
		freeTeams = freeTeams[:n-1]
	}
	teamsMu.Unlock()
	if tm == nil {
		tm = &team{done: make(chan struct{}, 1)}
	}
	tm.pending.Store(int32(t - 1))
	for i, w := range ws {
		w.give(teamCall{job: job, tid: i + 1, team: tm})
	}
	job.run(0)
	for i := 0; i < 1000 && tm.pending.Load() != 0; i++ {
		spinPause()
	}
	<-tm.done
	teamsMu.Lock()
	freeTeams = append(freeTeams, tm)
	teamsMu.Unlock()
}

func spinPause() {
	for i := 0; i < 30; i++ {
		procyield()
	}
}

//go:noinline
func procyield() {}

// spinBarrier synchronises the members of one team. Waiters spin briefly
// (the usual case is a short load imbalance) and then sleep, so that a
// member the OS has descheduled does not leave the others burning CPU.
type spinBarrier struct {
	n        int32
	count    atomic.Int32
	gen      atomic.Uint32
	sleepers atomic.Int32
	mu       sync.Mutex
	cond     sync.Cond
}

// barrierSpins is how many polls a waiter makes before sleeping (~50µs).
const barrierSpins = 1000

func (b *spinBarrier) reset(n int) {
	b.n = int32(n)
	b.count.Store(0)
	b.cond.L = &b.mu
}

func (b *spinBarrier) wait() {
	if b.n <= 1 {
		return
	}
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		if b.sleepers.Load() > 0 {
			b.mu.Lock()
			b.cond.Broadcast()
			b.mu.Unlock()
		}
		return
	}
	for i := 0; i < barrierSpins; i++ {
		if b.gen.Load() != g {
			return
		}
		spinPause()
	}
	b.mu.Lock()
	b.sleepers.Add(1)
	for b.gen.Load() == g {
		b.cond.Wait()
	}
	b.sleepers.Add(-1)
	b.mu.Unlock()
}

// forJob is parallelFor's team job.
type forJob struct {
	n, t int
	fn   func(lo, hi int)
}

func (j *forJob) run(tid int) { j.fn(tid*j.n/j.t, (tid+1)*j.n/j.t) }

var forJobs = sync.Pool{New: func() any { return new(forJob) }}

// parallelFor calls fn over [0, n) split into at most Threads() contiguous
// chunks of at least grain items, and waits. With one chunk it runs inline.
func parallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	t := Threads()
	if c := (n + grain - 1) / grain; c < t {
		t = c
	}
	if t = borrow(t); t <= 1 {
		fn(0, n)
		return
	}
	j := forJobs.Get().(*forJob)
	j.n, j.t, j.fn = n, t, fn
	runTeam(t, j)
	j.fn = nil
	forJobs.Put(j)
}

// ParallelFor is parallelFor for callers outside the package (layers with
// per-sample loops that are not worth a dedicated kernel).
func ParallelFor(n, grain int, fn func(lo, hi int)) { parallelFor(n, grain, fn) }

// kargs carries a kernel's arguments to its worker goroutines. Kernels
// pass a top-level function and a kargs instead of a closure: a closure
// handed to other goroutines is a heap allocation on every call, and
// training must not allocate per step.
type kargs struct {
	s    [8][]float32
	d, e []float64 // float64 partial sums and their inputs (batch norm)
	f    [8]float32
	i    [4]int
	flag bool
	g    *ConvGeom
	arg  []int32
	wp   *winoPlan
}

// argJob is run's team job, reused through argJobs.
type argJob struct {
	kargs
	body func(k *kargs, lo, hi int)
	n, t int
}

func (j *argJob) run(tid int) { j.body(&j.kargs, tid*j.n/j.t, (tid+1)*j.n/j.t) }

var argJobs = sync.Pool{New: func() any { return new(argJob) }}

// run calls body over [0, n) split into at most Threads() contiguous
// chunks of at least grain items, and waits; it is parallelFor without the
// closure.
func run(n, grain int, body func(k *kargs, lo, hi int), a kargs) {
	if n <= 0 {
		return
	}
	t := Threads()
	if c := (n + max(grain, 1) - 1) / max(grain, 1); c < t {
		t = c
	}
	t = borrow(t)
	j := argJobs.Get().(*argJob)
	j.kargs, j.body, j.n, j.t = a, body, n, max(t, 1)
	if j.t == 1 {
		body(&j.kargs, 0, n)
	} else {
		runTeam(j.t, j)
	}
	j.kargs, j.body = kargs{}, nil
	argJobs.Put(j)
}
