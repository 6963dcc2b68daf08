package kernel

import (
	"math"
	"sync"
)

// Batch normalisation over rows×cols data (every axis but the last is a
// row), one statistic per column. Reductions are accumulated in float64 in
// a fixed order that does not depend on the thread count, so they are
// deterministic: the rows are cut into bnSlots(rows) contiguous slots, each
// slot sums its rows in order (slots run in parallel), and the slots' sums
// are added in slot order.

// bnSlots is how many slots the reductions over rows use: up to 4 (a fixed
// number, not the thread count, so that any thread count gives the same
// bits), at least 256 rows each.
func bnSlots(rows int) int { return max(1, min(4, rows/256)) }

// slotRows is slot k's row range.
func slotRows(k, slots, rows int) (lo, hi int) { return k * rows / slots, (k + 1) * rows / slots }

// ColumnMeanVar overwrites mean and variance (biased, divided by rows) with
// each column's statistics.
func ColumnMeanVar(x []float32, rows, cols int, mean, variance []float32) {
	slots := bnSlots(rows)
	p := getF64((slots + 1) * cols)
	defer putF64(p)
	part, mu := (*p)[:slots*cols], (*p)[slots*cols:]
	a := kargs{s: [8][]float32{0: x}, i: [4]int{0: rows, 1: cols, 2: slots}, d: part}
	run(slots, 1, columnSumBody, a)
	addSlots(mu, part, slots, cols)
	for j := range mu {
		mu[j] /= float64(rows)
	}
	a.e = mu
	run(slots, 1, columnSqDevBody, a)
	for j := 0; j < cols; j++ {
		mean[j] = float32(mu[j])
	}
	addSlots(mu, part, slots, cols)
	for j := 0; j < cols; j++ {
		variance[j] = float32(mu[j] / float64(rows))
	}
}

// addSlots overwrites dst with the sum of the slots' partial sums, in slot
// order.
func addSlots(dst, part []float64, slots, cols int) {
	copy(dst, part[:cols])
	for k := 1; k < slots; k++ {
		for j, v := range part[k*cols : (k+1)*cols] {
			dst[j] += v
		}
	}
}

// columnSumBody sums each column of slots [lo, hi) into their partials.
func columnSumBody(ka *kargs, lo, hi int) {
	x, rows, cols, slots := ka.s[0], ka.i[0], ka.i[1], ka.i[2]
	for k := lo; k < hi; k++ {
		s := ka.d[k*cols : (k+1)*cols]
		clear(s)
		r0, r1 := slotRows(k, slots, rows)
		colSumF64(s, x[r0*cols:], r1-r0, cols)
	}
}

// columnSqDevBody sums each column's squared deviations from the mean
// (ka.e) over slots [lo, hi) into their partials.
func columnSqDevBody(ka *kargs, lo, hi int) {
	x, rows, cols, slots, mu := ka.s[0], ka.i[0], ka.i[1], ka.i[2], ka.e
	for k := lo; k < hi; k++ {
		sq := ka.d[k*cols : (k+1)*cols]
		clear(sq)
		r0, r1 := slotRows(k, slots, rows)
		colSqDevF64(sq, mu, x[r0*cols:], r1-r0, cols)
	}
}

// BatchNormApply does xhat = (x-mean)*invStd and y = gamma*xhat + beta per
// column; xhat may be nil when the caller does not need it.
func BatchNormApply(x, y, xhat []float32, rows, cols int, mean, invStd, gamma, beta []float32) {
	run(rows, max(1, grainElems/max(cols, 1)), batchNormApplyBody, kargs{s: [8][]float32{0: x, 1: y, 2: xhat, 3: mean, 4: invStd, 5: gamma, 6: beta}, i: [4]int{0: cols}})
}

// BatchNormApplyReLU is BatchNormApply followed by ReLU(y, y), with the
// ReLU applied to each block while it is in cache: the bits of the two
// passes in one. xhat keeps the normalised values, before the ReLU.
func BatchNormApplyReLU(x, y, xhat []float32, rows, cols int, mean, invStd, gamma, beta []float32) {
	run(rows, max(1, grainElems/max(cols, 1)), batchNormApplyBody, kargs{s: [8][]float32{0: x, 1: y, 2: xhat, 3: mean, 4: invStd, 5: gamma, 6: beta}, i: [4]int{0: cols, 1: 1}})
}

// InvStd does out[j] = 1/sqrt(variance[j]+eps).
func InvStd(out, variance []float32, eps float32) {
	for j, v := range variance {
		out[j] = float32(1 / math.Sqrt(float64(v)+float64(eps)))
	}
}

// BatchNormBackward computes, for training-mode batch normalisation,
//
//	dbeta = Σ dy;  dgamma = Σ dy*xhat
//	dx = gamma*invStd/rows * (rows*dy - dbeta - xhat*dgamma)
//
// overwriting dgamma, dbeta and dx.
func BatchNormBackward(dy, xhat, dx []float32, rows, cols int, gamma, invStd, dgamma, dbeta []float32) {
	slots := bnSlots(rows)
	p := getF64((2*slots + 2) * cols)
	defer putF64(p)
	part, tot := (*p)[:2*slots*cols], (*p)[2*slots*cols:]
	run(slots, 1, bnGradSumBody, kargs{s: [8][]float32{0: dy, 1: xhat}, i: [4]int{0: rows, 1: cols, 2: slots}, d: part})
	addSlots(tot, part, slots, 2*cols)
	for j := 0; j < cols; j++ {
		dbeta[j], dgamma[j] = float32(tot[j]), float32(tot[cols+j])
	}
	n := float32(rows)
	// Each column's factor gamma*invStd/n, computed once rather than per
	// element (a division per element was most of the pass); the same
	// operations in the same order, so the same bits.
	cp := getF32(cols)
	defer putF32(cp)
	coef := *cp
	for j := range coef {
		coef[j] = gamma[j] * invStd[j] / n
	}
	run(rows, max(1, grainElems/max(cols, 1)), batchNormBackwardBody, kargs{s: [8][]float32{0: dx, 1: coef, 3: dy, 4: dbeta, 5: xhat, 6: dgamma}, f: [8]float32{0: n}, i: [4]int{0: cols}})
}

// bnGradSumBody sums dy and dy*xhat per column over slots [lo, hi) into
// their partials (2*cols per slot: the dy sums, then the dy*xhat sums).
func bnGradSumBody(ka *kargs, lo, hi int) {
	dy, xhat, rows, cols, slots := ka.s[0], ka.s[1], ka.i[0], ka.i[1], ka.i[2]
	for k := lo; k < hi; k++ {
		sb := ka.d[2*k*cols : (2*k+1)*cols]
		sg := ka.d[(2*k+1)*cols : (2*k+2)*cols]
		clear(sb)
		clear(sg)
		r0, r1 := slotRows(k, slots, rows)
		colGradSumF64(sb, sg, dy[r0*cols:], xhat[r0*cols:], r1-r0, cols)
	}
}

func batchNormApplyBody(ka *kargs, lo, hi int) {
	x := ka.s[0]
	y := ka.s[1]
	xhat := ka.s[2]
	mean := ka.s[3]
	invStd := ka.s[4]
	gamma := ka.s[5]
	beta := ka.s[6]
	cols := ka.i[0]
	relu := ka.i[1] == 1

	// Narrow rows (resnet20's 16 channels) cost a call each: with the
	// per-column vectors repeated over m rows, m rows go per call instead,
	// the same operations on every element.
	m := 1
	if cols < biasTile {
		m = biasTile / cols
		p := getF32(4 * m * cols)
		defer putF32(p)
		mean, invStd, gamma, beta = tileRows(*p, m, cols, mean, invStd, gamma, beta)
	}
	for r := lo; r < hi; r += m {
		k := min(m, hi-r)
		var hr []float32
		if xhat != nil {
			hr = xhat[r*cols : (r+k)*cols]
		}
		yr := y[r*cols : (r+k)*cols]
		bnApplyVec(yr, hr, x[r*cols:(r+k)*cols], mean, invStd, gamma, beta)
		if relu {
			reluVec(yr, yr)
		}
	}
}

// tileRows repeats each of the cols-long vectors vs m times, one after
// the other in buf (len(vs)·m·cols floats), and returns the repeats.
func tileRows(buf []float32, m, cols int, vs ...[]float32) (a, b, c, d []float32) {
	out := [4][]float32{}
	for i, v := range vs {
		t := buf[i*m*cols : (i+1)*m*cols]
		for r := range m {
			copy(t[r*cols:(r+1)*cols], v[:cols])
		}
		out[i] = t
	}
	return out[0], out[1], out[2], out[3]
}

func batchNormBackwardBody(ka *kargs, lo, hi int) {
	dx, coef, dy, dbeta, xhat, dgamma := ka.s[0], ka.s[1], ka.s[3], ka.s[4], ka.s[5], ka.s[6]
	cols := ka.i[0]
	n := ka.f[0]
	// As batchNormApplyBody: narrow rows go m to a call.
	m := 1
	if cols < biasTile {
		m = biasTile / cols
		p := getF32(3 * m * cols)
		defer putF32(p)
		coef, dbeta, dgamma, _ = tileRows(*p, m, cols, coef, dbeta, dgamma)
	}
	for r := lo; r < hi; r += m {
		k := min(m, hi-r)
		off, end := r*cols, (r+k)*cols
		bnBackDxVec(dx[off:end], dy[off:end], xhat[off:end], coef, dbeta, dgamma, n)
	}
}

// scratch is a free list of buffers for the kernels' per-call scratch
// (batch norm's float64 accumulators and per-column factors, the tiled
// bias and batch-norm vectors), so that a warm training step allocates
// nothing. Unlike a sync.Pool it is not emptied by the garbage collector,
// which made a collection during a step allocate again. It keeps at most
// scratchKeep buffers; get takes any that is large enough. Callers put
// back the pointer they got: putting the address of a local slice would
// allocate its header on every call.
type scratch[T float32 | float64] struct {
	mu   sync.Mutex
	free []*[]T
}

// scratchKeep bounds each list: a few buffers per thread.
const scratchKeep = 64

var (
	f32Scratch = scratch[float32]{free: make([]*[]float32, 0, scratchKeep)}
	f64Scratch = scratch[float64]{free: make([]*[]float64, 0, scratchKeep)}
)

// get returns n elements (not zeroed), of a buffer that holds at least
// min floats, so that the callers' sizes share buffers.
func (l *scratch[T]) get(n, min int) *[]T {
	l.mu.Lock()
	for i := len(l.free) - 1; i >= 0; i-- {
		if p := l.free[i]; cap(*p) >= n {
			l.free[i] = l.free[len(l.free)-1]
			l.free = l.free[:len(l.free)-1]
			l.mu.Unlock()
			*p = (*p)[:n]
			return p
		}
	}
	l.mu.Unlock()
	s := make([]T, n, max(n, min))
	return &s
}

func (l *scratch[T]) put(p *[]T) {
	l.mu.Lock()
	if len(l.free) < scratchKeep {
		l.free = append(l.free, p)
	}
	l.mu.Unlock()
}

// getF32 returns n float32s (not zeroed); putF32 the pointer when done.
// Buffers hold at least 4·biasTile floats: the tiled vectors of
// batchNormApplyBody, the largest common request.
func getF32(n int) *[]float32 { return f32Scratch.get(n, 4*biasTile) }

func putF32(p *[]float32) { f32Scratch.put(p) }

// getF64 returns n zeroed float64s; putF64 the pointer when done.
func getF64(n int) *[]float64 {
	p := f64Scratch.get(n, 0)
	clear(*p)
	return p
}

func putF64(p *[]float64) { f64Scratch.put(p) }
