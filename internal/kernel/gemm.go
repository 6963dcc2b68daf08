package kernel

import (
	"fmt"
	"sync"
)

// gemmKernel is a register-blocked micro-kernel and the cache blocking that
// suits it. kern computes, for i < mr and j < nr,
//
//	c[i*ldc+j] += sum over p < k of a[p*mr+i] * b[p*nr+j]
//
// where a is an mr-row panel of A packed k-major and b an nr-column panel of B
// packed k-major (see packPanels).
type gemmKernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	kern       func(k int, a, b, c []float32, ldc int)
	// kernSet, when not nil, is kern with "=" in place of "+=" (C is
	// overwritten with 0 + sum); Gemm uses it when beta == 0 to save a pass
	// over C.
	kernSet func(k int, a, b, c []float32, ldc int)
	// kernA and kernASet, when not nil, are kern and kernSet reading A(i, p)
	// from a[i*rs+p*ks]: rs == 1, ks == mr is a packed panel, and the other
	// strides read op(A) in place without packing.
	kernA, kernASet func(k int, a []float32, rs, ks int, b, c []float32, ldc int)
}

// gemmKernels lists every kernel this CPU can run, generic first; tests
// check each of them.
var gemmKernels = []*gemmKernel{&gemmGeneric}

// sgemm is the kernel Gemm uses; amd64 replaces it at init when the CPU
// supports a faster one.
var sgemm = gemmGeneric

// gemmDirectTransA lets kernA read a transposed A in place too.
var gemmDirectTransA = true

// gemmAOuterMax is the largest packed B block (bytes) for which the A
// panel stays in L1 and B panels stream from L2.
var gemmAOuterMax = 400 << 10

var gemmGeneric = gemmKernel{name: "generic 4x4", mr: 4, nr: 4, mc: 64, kc: 256, nc: 1024, kern: kern4x4Generic}

// GemmKernelName reports which micro-kernel Gemm dispatches to.
func GemmKernelName() string { return sgemm.name }

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(A) is m×k (A is k×m when transA), op(B) is k×n (B is n×k when transB)
// and C is m×n; lda, ldb and ldc are the row strides. With beta == 0, C is
// overwritten and its old contents (even NaN) are ignored.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmWith(&sgemm, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	bad := func(name string, s []float32, rows, cols, ld int) {
		if rows > 0 && cols > 0 && (ld < cols || len(s) < (rows-1)*ld+cols) {
			panic(fmt.Sprintf("kernel: gemm %s is %dx%d with stride %d but has %d elements", name, rows, cols, ld, len(s)))
		}
	}
	bad("A", a, ar, ac, lda)
	bad("B", b, br, bc, ldb)
	bad("C", c, m, n, ldc)
}

// gemmCtx is one Gemm call shared by the team that runs it. Contexts and
// their pack buffers are recycled, so steady-state calls do not allocate.
type gemmCtx struct {
	g              *gemmKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	set            bool // beta == 0: the first k block overwrites C
	direct         bool // kernA reads A in place, no packing
	directB        bool // B is already one packed panel (n == nr == ldb): read in place
	aOuter         bool // loop A panels outside B panels (B block fits L2)

	t, tm, tn  int // team size and its tm×tn grid over C
	mc, kc, nc int // blocking for this shape
	alen       int // per-member A pack and edge tile length in abuf
	bbuf       [2][]float32
	abuf       [][]float32 // per team member
	bar        spinBarrier
}

var (
	ctxMu   sync.Mutex
	ctxFree []*gemmCtx
)

func growBuf(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n, n+n/8)
}

func gemmWith(g *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmTeam(g, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmSerial is Gemm on the calling goroutine only, for callers that
// already split their work across threads.
func gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmTeam(&sgemm, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmTeam(g *gemmKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k <= 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if s := splitKSlices(g, m, n, k); s > 1 {
		gemmSplitK(g, threads, s, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ctxMu.Lock()
	var x *gemmCtx
	if l := len(ctxFree); l > 0 {
		x = ctxFree[l-1]
		ctxFree = ctxFree[:l-1]
	}
	ctxMu.Unlock()
	if x == nil {
		x = new(gemmCtx)
	}
	*x = gemmCtx{
		g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		set:    beta == 0 && g.kernSet != nil,
		direct: g.kernA != nil && alpha == 1 && (!transA || gemmDirectTransA),
		// Row-major B with exactly nr columns is laid out as its own
		// packed panel: b[p*nr+j].
		directB: !transB && n == g.nr && ldb == g.nr,
		bbuf:    x.bbuf, abuf: x.abuf,
	}
	granted := borrow(threads)
	x.plan(granted)
	if surplus := granted - x.t; surplus > 0 {
		lent.Add(-int32(surplus)) // plan chose a smaller team
	}
	if x.t == 1 {
		x.run(0)
	} else {
		runTeam(x.t, x)
	}
	x.a, x.b, x.c, x.g = nil, nil, nil, nil
	ctxMu.Lock()
	ctxFree = append(ctxFree, x)
	ctxMu.Unlock()
}

// plan picks the team size and how it splits C: into tm row bands and tn
// column bands, whichever gives the most even share of micro-tiles.
func (x *gemmCtx) plan(t int) {
	g := x.g
	mp := (x.m + g.mr - 1) / g.mr
	// Even blocks: k = 576 with kc = 256 is better as 3×192 than 256+256+64.
	// kc only depends on k, so the reduction order does not depend on t.
	x.kc = ceilDiv(x.k, ceilDiv(x.k, g.kc))
	x.kc = min(ceilDiv(x.kc, 8)*8, g.kc)
	if x.k <= 3*g.kc && x.k*min(x.n, g.nc)*4 <= gemmAOuterMax {
		// All of B fits L2: one k block, one pass over C.
		x.kc = x.k
	}
	x.nc = ceilDiv(x.n, ceilDiv(x.n, g.nc))
	x.nc = min(ceilDiv(x.nc, g.nr)*g.nr, max(g.nr, g.nc/g.nr*g.nr))
	np := (min(x.nc, x.n) + g.nr - 1) / g.nr
	// Not worth waking helpers for tiny products.
	if work := x.m * x.n * x.k; work < 1<<16 {
		t = 1
	}
	t = max(1, min(t, mp*np))
	best := -1
	// On a tie, column bands (small tm) let each member pack its own B
	// panels and never wait at a barrier, but every member reads all of A:
	// worth it while A is small enough to come from cache (1024³: 4 MB),
	// not when it streams from memory (a weight gradient's im2col: 75 MB).
	colsFirst := x.m*x.k <= 2<<20
	for i := 0; i < t; i++ {
		tm := t - i
		if colsFirst {
			tm = 1 + i
		}
		if t%tm != 0 {
			continue
		}
		tn := t / tm
		cost := ((mp + tm - 1) / tm) * ((np + tn - 1) / tn)
		if best < 0 || cost < best {
			best, x.tm, x.tn = cost, tm, tn
		}
	}
	x.t = t
	x.bar.reset(t)
	// Row bands of whole panels, cut into even mc blocks.
	band := ceilDiv(mp, x.tm) * g.mr
	x.mc = ceilDiv(band, ceilDiv(band, g.mc))
	x.mc = min(ceilDiv(x.mc, g.mr)*g.mr, max(g.mr, g.mc/g.mr*g.mr))
	kc, nc := min(x.kc, x.k), min(x.nc, x.n)
	x.aOuter = kc*nc*4 <= gemmAOuterMax
	// With B panels outside, only one A panel has to stay cached; otherwise
	// a whole mc×kc block of A does, and strides that map its rows to a few
	// cache sets thrash, so A is packed.
	x.direct = x.direct && (x.aOuter || !cacheAliased(x.lda))
	bn := ((nc + g.nr - 1) / g.nr) * g.nr * kc
	x.bbuf[0] = growBuf(x.bbuf[0], bn)
	if ceilDiv(x.k, x.kc)*ceilDiv(x.n, x.nc) > 1 {
		x.bbuf[1] = growBuf(x.bbuf[1], bn)
	}
	for len(x.abuf) < t {
		x.abuf = append(x.abuf, nil)
	}
	x.alen = ((min(x.mc, x.m)+g.mr-1)/g.mr)*g.mr*kc + g.mr*g.nr
	an := x.alen
	if x.tm == 1 && t > 1 {
		// Column bands pack their own B panels.
		an += (ceilDiv(np, x.tn) + 1) * g.nr * kc
	}
	for i := 0; i < t; i++ {
		x.abuf[i] = growBuf(x.abuf[i], an)
	}
}

// run is one team member's share: it packs its slice of every B block and
// computes its own band of C, so each C element is reduced by one goroutine
// in the same order whatever the team size.
func (x *gemmCtx) run(tid int) {
	g := x.g
	mr, nr := g.mr, g.nr
	m, n, k, ldc := x.m, x.n, x.k, x.ldc
	c := x.c
	// Row band in whole micro-panels.
	ti, tj := tid/x.tn, tid%x.tn
	mp := (m + mr - 1) / mr
	r0, r1 := min(m, ti*mp/x.tm*mr), min(m, (ti+1)*mp/x.tm*mr)
	an := x.alen - mr*nr
	ap, tile, bown := x.abuf[tid][:an], x.abuf[tid][an:x.alen], x.abuf[tid][x.alen:]
	iter := 0
	for jc := 0; jc < n; jc += x.nc {
		nb := min(x.nc, n-jc)
		npanels := (nb + nr - 1) / nr
		p0, p1 := tj*npanels/x.tn, (tj+1)*npanels/x.tn
		if !x.set && x.beta != 1 && r0 < r1 && p0 < p1 {
			cj0, cj1 := jc+p0*nr, min(jc+p1*nr, n)
			scaleC(r1-r0, cj1-cj0, x.beta, c[r0*ldc+cj0:], ldc)
		}
		for pc := 0; pc < k; pc += x.kc {
			kb := min(x.kc, k-pc)
			bpack := x.bbuf[iter&1][:npanels*nr*kb]
			iter++
			set := x.set && pc == 0
			pb := 0 // index in bpack of panel 0
			if x.directB {
				bpack = x.b[pc*nr : (pc+kb)*nr]
			} else if x.tm == 1 && x.t > 1 {
				// Column bands only: each member packs just the panels it
				// uses into its own buffer, and nobody waits.
				bpack, pb = bown[:(p1-p0)*nr*kb], p0
				packPanels(x.transB, x.b, x.ldb, jc+p0*nr, nb-p0*nr, pc, kb, nr, 1, bpack, 0, p1-p0)
			} else {
				// Pack this member's share of the B panels, then wait for the rest.
				packPanels(x.transB, x.b, x.ldb, jc, nb, pc, kb, nr, 1, bpack, tid*npanels/x.t, (tid+1)*npanels/x.t)
				x.bar.wait()
			}
			for ic := r0; ic < r1; ic += x.mc {
				mb := min(x.mc, r1-ic)
				mpanels := (mb + mr - 1) / mr
				switch {
				case !x.direct:
					packPanels(!x.transA, x.a, x.lda, ic, mb, pc, kb, mr, x.alpha, ap, 0, mpanels)
				case mb%mr != 0:
					// The last panel is short: pack it, reading past A is not allowed.
					packPanels(!x.transA, x.a, x.lda, ic, mb, pc, kb, mr, x.alpha, ap, mpanels-1, mpanels)
				}
				if x.aOuter {
					for ip := 0; ip < mpanels; ip++ {
						for jp := p0; jp < p1; jp++ {
							x.tile(ap, tile, bpack, ic+ip*mr, ip, jc+jp*nr, jp-pb, pc, kb, set)
						}
					}
					continue
				}
				for jp := p0; jp < p1; jp++ {
					for ip := 0; ip < mpanels; ip++ {
						x.tile(ap, tile, bpack, ic+ip*mr, ip, jc+jp*nr, jp-pb, pc, kb, set)
					}
				}
			}
		}
	}
}

// tile runs the micro-kernel for the C block at (i0, j0): A panel ip of ap
// (or A itself when direct), B panel jp of bpack, k block [pc, pc+kb).
func (x *gemmCtx) tile(ap, tile, bpack []float32, i0, ip, j0, jp, pc, kb int, set bool) {
	g := x.g
	mr, nr, ldc, c := g.mr, g.nr, x.ldc, x.c
	mrr, nrr := min(mr, x.m-i0), min(nr, x.n-j0)
	bpan := bpack[jp*nr*kb : (jp+1)*nr*kb]
	apan, rs, ks := ap[ip*mr*kb:(ip+1)*mr*kb], 1, mr
	if x.direct && mrr == mr {
		if x.transA {
			apan, rs, ks = x.a[pc*x.lda+i0:], 1, x.lda
		} else {
			apan, rs, ks = x.a[i0*x.lda+pc:], x.lda, 1
		}
	}
	cc, ldcc := c[i0*ldc+j0:], ldc
	edge := mrr < mr || nrr < nr
	if edge {
		cc, ldcc = tile[:mr*nr], nr
		clear(cc)
	}
	switch {
	case g.kernA != nil && set && !edge:
		g.kernASet(kb, apan, rs, ks, bpan, cc, ldcc)
	case g.kernA != nil:
		g.kernA(kb, apan, rs, ks, bpan, cc, ldcc)
	case set && !edge:
		g.kernSet(kb, apan, bpan, cc, ldcc)
	default:
		g.kern(kb, apan, bpan, cc, ldcc)
	}
	if !edge {
		return
	}
	for i := 0; i < mrr; i++ {
		row := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nrr]
		tr := cc[i*nr : i*nr+nrr]
		if set {
			copy(row, tr)
			continue
		}
		for j := range row {
			row[j] += tr[j]
		}
	}
}

// splitKSlice is the k extent of one slice of a split-k product.
const splitKSlice = 8192

// splitKSlices returns how many k slices gemmSplitK cuts a product into,
// or 1 when the usual plan suits it. A C of a few micro-tiles over a long
// k (a first layer's weight gradient: 16×32 summed over 160000 im2col
// rows) gives a team nothing to share and streams all of B through one
// packing loop; cut along k instead. The choice depends only on the shape
// and the kernel, never on the team size, so neither do the bits.
func splitKSlices(g *gemmKernel, m, n, k int) int {
	tiles := ceilDiv(m, g.mr) * ceilDiv(n, g.nr)
	if tiles > 8 || k < 2*splitKSlice {
		return 1
	}
	return ceilDiv(k, splitKSlice)
}

// splitKJob is one split-k product: slice i of k goes to part[i*m*n:],
// computed by one team member with the serial Gemm.
type splitKJob struct {
	g              *gemmKernel
	transA, transB bool
	m, n, k, s, t  int
	a, b           []float32
	lda, ldb       int
	part           []float32
}

var (
	splitMu   sync.Mutex
	splitFree []*splitKJob
)

func (j *splitKJob) run(tid int) {
	mn := j.m * j.n
	for i := tid * j.s / j.t; i < (tid+1)*j.s/j.t; i++ {
		p0, p1 := i*j.k/j.s, (i+1)*j.k/j.s
		// Columns p0.. of a row-major operand start at p0, rows at p0·ld.
		var a, b []float32
		if j.transA {
			a = j.a[p0*j.lda:]
		} else {
			a = j.a[p0:]
		}
		if j.transB {
			b = j.b[p0:]
		} else {
			b = j.b[p0*j.ldb:]
		}
		gemmTeam(j.g, 1, j.transA, j.transB, j.m, j.n, p1-p0, 1, a, j.lda, b, j.ldb, 0, j.part[i*mn:(i+1)*mn], j.n)
	}
}

// gemmSplitK computes C = alpha·Σ_i op(A)_i·op(B)_i + beta·C over s k
// slices, the members taking whole slices, then adds the partial products
// in slice order.
func gemmSplitK(g *gemmKernel, threads, s int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	splitMu.Lock()
	var j *splitKJob
	if l := len(splitFree); l > 0 {
		j = splitFree[l-1]
		splitFree = splitFree[:l-1]
	}
	splitMu.Unlock()
	if j == nil {
		j = new(splitKJob)
	}
	*j = splitKJob{g: g, transA: transA, transB: transB, m: m, n: n, k: k, s: s, t: borrow(min(threads, s)),
		a: a, b: b, lda: lda, ldb: ldb, part: growBuf(j.part, s*m*n)}
	runTeam(j.t, j)
	mn := m * n
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for jj := range row {
			e := i*n + jj
			sum := j.part[e]
			for sl := 1; sl < s; sl++ {
				sum += j.part[sl*mn+e]
			}
			if beta == 0 {
				row[jj] = alpha * sum
			} else {
				row[jj] = alpha*sum + beta*row[jj]
			}
		}
	}
	j.a, j.b, j.g = nil, nil, nil
	splitMu.Lock()
	splitFree = append(splitFree, j)
	splitMu.Unlock()
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// GemmRef is the textbook triple loop, the reference the blocked versions
// are tested against. It accumulates in float64.
func GemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float32(0)
			if beta != 0 {
				old = beta * c[i*ldc+j]
			}
			c[i*ldc+j] = alpha*float32(s) + old
		}
	}
}

// cacheAliased reports whether rows ld floats apart fall into only a few
// cache sets (a stride of a multiple of 1 KiB), so that reading A in place
// would thrash L1 and L2 and packing it is faster.
func cacheAliased(ld int) bool { return (ld*4)%1024 == 0 }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// packedKern adapts a strided kernel to the packed-panel kern signature.
func packedKern(mr int, f func(k int, a []float32, rs, ks int, b, c []float32, ldc int)) func(k int, a, b, c []float32, ldc int) {
	return func(k int, a, b, c []float32, ldc int) { f(k, a, 1, mr, b, c, ldc) }
}
