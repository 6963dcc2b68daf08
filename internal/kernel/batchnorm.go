package kernel

import (
	"math"
	"sync"
)

// Batch normalisation over rows×cols data (every axis but the last is a
// row), one statistic per column. Reductions run per column in row order,
// accumulated in float64, so they are deterministic.

// ColumnMeanVar overwrites mean and variance (biased, divided by rows) with
// each column's statistics.
func ColumnMeanVar(x []float32, rows, cols int, mean, variance []float32) {
	p := getF64(2 * cols)
	defer f64Pool.Put(p)
	sum := *p
	s, sq := sum[:cols], sum[cols:]
	for r := 0; r < rows; r++ {
		for j, v := range x[r*cols : (r+1)*cols] {
			s[j] += float64(v)
		}
	}
	for j := range s {
		s[j] /= float64(rows)
	}
	for r := 0; r < rows; r++ {
		for j, v := range x[r*cols : (r+1)*cols] {
			d := float64(v) - s[j]
			sq[j] += d * d
		}
	}
	for j := 0; j < cols; j++ {
		mean[j] = float32(s[j])
		variance[j] = float32(sq[j] / float64(rows))
	}
}

// BatchNormApply does xhat = (x-mean)*invStd and y = gamma*xhat + beta per
// column; xhat may be nil when the caller does not need it.
func BatchNormApply(x, y, xhat []float32, rows, cols int, mean, invStd, gamma, beta []float32) {
	run(rows, max(1, grainElems/max(cols, 1)), batchNormApplyBody, kargs{s: [8][]float32{0: x, 1: y, 2: xhat, 3: mean, 4: invStd, 5: gamma, 6: beta}, i: [4]int{0: cols}})
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
	p := getF64(2 * cols)
	defer f64Pool.Put(p)
	acc := *p
	sb, sg := acc[:cols], acc[cols:]
	for r := 0; r < rows; r++ {
		off := r * cols
		for j, g := range dy[off : off+cols] {
			sb[j] += float64(g)
			sg[j] += float64(g) * float64(xhat[off+j])
		}
	}
	for j := 0; j < cols; j++ {
		dbeta[j], dgamma[j] = float32(sb[j]), float32(sg[j])
	}
	n := float32(rows)
	run(rows, max(1, grainElems/max(cols, 1)), batchNormBackwardBody, kargs{s: [8][]float32{0: dx, 1: gamma, 2: invStd, 3: dy, 4: dbeta, 5: xhat, 6: dgamma}, f: [8]float32{0: n}, i: [4]int{0: cols}})
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

	for r := lo; r < hi; r++ {
		var hr []float32
		if xhat != nil {
			hr = xhat[r*cols : (r+1)*cols]
		}
		bnApplyVec(y[r*cols:(r+1)*cols], hr, x[r*cols:(r+1)*cols], mean, invStd, gamma, beta)
	}
}

func batchNormBackwardBody(ka *kargs, lo, hi int) {
	dx := ka.s[0]
	gamma := ka.s[1]
	invStd := ka.s[2]
	dy := ka.s[3]
	dbeta := ka.s[4]
	xhat := ka.s[5]
	dgamma := ka.s[6]
	cols := ka.i[0]
	n := ka.f[0]

	for r := lo; r < hi; r++ {
		off := r * cols
		for j := 0; j < cols; j++ {
			dx[off+j] = gamma[j] * invStd[j] / n * (n*dy[off+j] - dbeta[j] - xhat[off+j]*dgamma[j])
		}
	}
}

// f64Pool holds float64 accumulators for the per-column reductions, so
// batch normalisation does not allocate per training step. It holds
// pointers, and callers put back the pointer they got: putting the address
// of a local slice would allocate its header on every call.
var f64Pool sync.Pool

// getF64 returns n zeroed float64s; put the pointer back when done.
func getF64(n int) *[]float64 {
	if p, ok := f64Pool.Get().(*[]float64); ok && cap(*p) >= n {
		*p = (*p)[:n]
		clear(*p)
		return p
	}
	s := make([]float64, n)
	return &s
}
