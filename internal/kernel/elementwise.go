package kernel

import (
	"math"
	"sync"
)

// Element-wise loops over flat slices. Long slices are split across
// threads in chunks of at least grainElems.
const grainElems = 1 << 15

// invSqrt2Pi is 1/√(2π), the standard normal density at 0.
const invSqrt2Pi = 0.3989422804014327

// Add does dst[i] += src[i].
func Add(dst, src []float32) { addVec(dst, src) }

// AddParallel is Add split across threads, for long slices.
func AddParallel(dst, src []float32) {
	src = src[:len(dst)]
	run(len(dst), grainElems, addBody, kargs{s: [8][]float32{0: dst, 1: src}})
}

func addBody(ka *kargs, lo, hi int) { addVec(ka.s[0][lo:hi], ka.s[1][lo:hi]) }

// CopyParallel is copy(dst, src) split across threads, for long slices
// (an activation or gradient of a training step is megabytes, and a serial
// copy leaves the other cores idle).
func CopyParallel(dst, src []float32) {
	src = src[:len(dst)]
	run(len(dst), grainElems, copyBody, kargs{s: [8][]float32{0: dst, 1: src}})
}

func copyBody(ka *kargs, lo, hi int) { copy(ka.s[0][lo:hi], ka.s[1][lo:hi]) }

// SumParallel does dst[i] = a[i] + b[i], split across threads: the bits of
// copy(dst, a) followed by Add(dst, b), in one pass over blocks that stay
// in cache. dst may be a.
func SumParallel(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	run(len(dst), grainElems, sumBody, kargs{s: [8][]float32{0: dst, 1: a, 2: b}})
}

// SumReLUParallel is SumParallel followed by ReLU(dst, dst), the ReLU
// applied to each block while it is in cache: the bits of the two passes.
func SumReLUParallel(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	run(len(dst), grainElems, sumBody, kargs{s: [8][]float32{0: dst, 1: a, 2: b}, i: [4]int{0: 1}})
}

// sumBlock is sumBody's block: 16 KiB of each operand, well inside L1 and L2.
const sumBlock = 4096

func sumBody(ka *kargs, lo, hi int) {
	dst, a, b := ka.s[0], ka.s[1], ka.s[2]
	for i := lo; i < hi; i += sumBlock {
		j := min(i+sumBlock, hi)
		add3Vec(dst[i:j], a[i:j], b[i:j])
		if ka.i[0] == 1 {
			reluVec(dst[i:j], dst[i:j])
		}
	}
}

// Scale does x[i] *= s.
func Scale(x []float32, s float32) { scaleVec(x, s) }

// Axpy does y[i] += a*x[i].
func Axpy(a float32, x, y []float32) { axpyVec(a, x, y) }

// Dot returns sum x[i]*y[i], accumulated in float64.
func Dot(x, y []float32) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return s
}

// AddBiasRows does x[r*cols+j] += bias[j] for every row r.
func AddBiasRows(x []float32, rows, cols int, bias []float32) {
	bias = bias[:cols]
	run(rows, max(1, grainElems/max(cols, 1)), addBiasRowsBody, kargs{s: [8][]float32{0: x, 1: bias}, i: [4]int{0: cols}})
}

// SumRows overwrites dst[j] with sum over r of x[r*cols+j] (a bias
// gradient). Each column's rows are added in order by one goroutine, the
// columns split in bands of 16 (a cache line of floats), so the result
// does not depend on the thread count.
func SumRows(dst, x []float32, rows, cols int) {
	dst = dst[:cols]
	_ = x[:rows*cols]
	bands := ceilDiv(cols, 16)
	grain := max(1, grainElems/max(1, 16*rows))
	run(bands, grain, sumRowsBody, kargs{s: [8][]float32{0: dst, 1: x}, i: [4]int{0: rows, 1: cols}})
}

func sumRowsBody(ka *kargs, lo, hi int) {
	dst, x := ka.s[0], ka.s[1]
	rows, cols := ka.i[0], ka.i[1]
	// One pass over the rows per block of up to 64 of this member's
	// columns, which are contiguous.
	c, c1 := lo*16, min(hi*16, cols)
	for c < c1 {
		w := 64
		for w > c1-c {
			w /= 2
		}
		if w < 16 || rows == 0 {
			d := dst[c:c1]
			clear(d)
			for r := 0; r < rows; r++ {
				addGeneric(d, x[r*cols+c:r*cols+c1])
			}
			return
		}
		sumRowsVec[w/32](dst[c:c+w], x[c:], rows, cols)
		c += w
	}
}

// sumRowsGeneric writes the sums of the columns of a band of x (len(dst)
// columns, row stride stride) into dst, rows added in order: the twin of
// sumRows{16,32,64}AVX2.
func sumRowsGeneric(dst, x []float32, rows, stride int) {
	w := len(dst)
	clear(dst)
	for r := 0; r < rows; r++ {
		row := x[r*stride : r*stride+w]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// mapChunks runs fn over [0, n) in parallel chunks.
func mapChunks(n int, fn func(lo, hi int)) { parallelFor(n, grainElems, fn) }

// ReLU does y[i] = max(z[i], 0). y may alias z. Negative numbers and -0
// become +0 and NaN of either sign stays NaN, as in TensorFlow (a compare
// and a mask, no branch: random signs defeat branch prediction).
func ReLU(y, z []float32) {
	run(len(z), grainElems, reluBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// ReLUBackward does dz[i] = dy[i] where y[i] > 0, else 0 (NaN included),
// for y the output of ReLU. dz may alias dy.
func ReLUBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, reluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// BiasReLURows does x[r,j] = max(x[r,j]+bias[j], 0) in one pass, the
// epilogue of a Dense or Conv2D layer with activation relu.
func BiasReLURows(x []float32, rows, cols int, bias []float32) {
	bias = bias[:cols]
	run(rows, max(1, grainElems/max(cols, 1)), biasReluRowsBody, kargs{s: [8][]float32{0: x, 1: bias}, i: [4]int{0: cols}})
}

// LeakyReLU does y = z for z > 0, alpha*z otherwise.
func LeakyReLU(y, z []float32, alpha float32) {
	run(len(z), grainElems, leakyReluBody, kargs{s: [8][]float32{0: y, 1: z}, f: [8]float32{0: alpha}})
}

// LeakyReLUBackward does dz = dy for z > 0, alpha*dy otherwise.
func LeakyReLUBackward(dz, dy, z []float32, alpha float32) {
	run(len(dy), grainElems, leakyReluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}, f: [8]float32{0: alpha}})
}

// ELU does y = z for z > 0, alpha*(exp(z)-1) otherwise.
func ELU(y, z []float32, alpha float32) {
	run(len(z), grainElems, eluBody, kargs{s: [8][]float32{0: y, 1: z}, f: [8]float32{0: alpha}})
}

// ELUBackward does dz = dy for z > 0, dy*(y+alpha) otherwise.
func ELUBackward(dz, dy, z, y []float32, alpha float32) {
	run(len(dy), grainElems, eluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z, 3: y}, f: [8]float32{0: alpha}})
}

// Sigmoid does y = 1/(1+exp(-z)), computed without overflow for large |z|.
func Sigmoid(y, z []float32) {
	run(len(z), grainElems, sigmoidBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// SigmoidBackward does dz = dy*y*(1-y).
func SigmoidBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, sigmoidBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// Tanh does y = tanh(z).
func Tanh(y, z []float32) {
	run(len(z), grainElems, tanhBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// TanhBackward does dz = dy*(1-y²).
func TanhBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, tanhBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// GELU does the exact y = z*Φ(z) = z/2*(1+erf(z/√2)), Keras's default
// (approximate=False).
func GELU(y, z []float32) {
	run(len(z), grainElems, geluBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// GELUBackward does dz = dy*(Φ(z) + z*φ(z)).
func GELUBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, geluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// SoftmaxRows does y[r,:] = exp(z[r,:]-max)/sum for each of rows rows,
// subtracting the row maximum so that no exp overflows.
func SoftmaxRows(y, z []float32, rows, cols int) {
	run(rows, max(1, grainElems/max(cols, 1)), softmaxRowsBody, kargs{s: [8][]float32{0: y, 1: z}, i: [4]int{0: cols}})
}

// SoftmaxRowsBackward does dz[r,j] = y[r,j]*(dy[r,j] - sum_k dy[r,k]*y[r,k]).
func SoftmaxRowsBackward(dz, dy, y []float32, rows, cols int) {
	run(rows, max(1, grainElems/max(cols, 1)), softmaxRowsBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}, i: [4]int{0: cols}})
}

// Mul does dst[i] = a[i]*b[i].
func Mul(dst, a, b []float32) {
	run(len(dst), grainElems, mulBody, kargs{s: [8][]float32{0: dst, 1: a, 2: b}})
}

func addBiasRowsBody(ka *kargs, lo, hi int) {
	x := ka.s[0]
	bias := ka.s[1]
	cols := ka.i[0]

	if cols >= biasTile {
		for r := lo; r < hi; r++ {
			Add(x[r*cols:(r+1)*cols], bias)
		}
		return
	}
	// Narrow rows (a 16-filter convolution's) cost a call each: add the
	// bias repeated over m rows to m rows at a time instead, the same sum
	// for every element.
	m := biasTile / cols
	p := getF32(m * cols)
	defer putF32(p)
	tile, _, _, _ := tileRows(*p, m, cols, bias)
	for r := lo; r < hi; r += m {
		k := min(m, hi-r)
		Add(x[r*cols:(r+k)*cols], tile[:k*cols])
	}
}

// biasTile is about how many floats addBiasRowsBody adds per call.
const biasTile = 512

func reluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	reluVec(y[lo:hi], z[lo:hi])
}

func reluBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]

	reluBackVec(dz[lo:hi], dy[lo:hi], y[lo:hi])
}

func biasReluRowsBody(ka *kargs, lo, hi int) {
	x := ka.s[0]
	bias := ka.s[1]
	cols := ka.i[0]

	// As addBiasRowsBody: narrow rows go m to a call.
	m := 1
	if cols < biasTile {
		m = biasTile / cols
		p := getF32(m * cols)
		defer putF32(p)
		bias, _, _, _ = tileRows(*p, m, cols, bias)
	}
	for r := lo; r < hi; r += m {
		k := min(m, hi-r)
		biasReLUVec(x[r*cols:(r+k)*cols], bias)
	}
}

func leakyReluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]
	alpha := ka.f[0]

	for i := lo; i < hi; i++ {
		v := z[i]
		if v < 0 {
			v *= alpha
		}
		y[i] = v
	}
}

func leakyReluBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]
	alpha := ka.f[0]

	for i := lo; i < hi; i++ {
		if z[i] > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = alpha * dy[i]
		}
	}
}

func eluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]
	alpha := ka.f[0]

	// exp vectorised through a small buffer (y may alias z); near 0,
	// exp(v)-1 would cancel, so a Taylor polynomial gives expm1 there.
	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		expVec(e, zc)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			if v <= 0 {
				yc[i] = alpha * expm1Small(v, e[i])
			} else {
				yc[i] = v
			}
		}
	}
}

// expm1Small is exp(v)-1 given e = exp(v): e-1 unless |v| < 1/8, where a
// degree-6 Taylor polynomial is exact to float32 precision.
func expm1Small(v, e float32) float32 {
	if v > -0.125 && v < 0.125 {
		return v * (1 + v*(1.0/2+v*(1.0/6+v*(1.0/24+v*(1.0/120+v*(1.0/720))))))
	}
	return e - 1
}

func eluBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]
	y := ka.s[3]
	alpha := ka.f[0]

	for i := lo; i < hi; i++ {
		if z[i] > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = dy[i] * (y[i] + alpha)
		}
	}
}

func sigmoidBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	// e = exp(-|z|) vectorised through a small buffer (y may alias z),
	// then 1/(1+e) or e/(1+e) by sign, so that exp never overflows.
	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		for i, v := range zc {
			e[i] = -float32(math.Abs(float64(v)))
		}
		expVec(e, e)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			if v >= 0 {
				yc[i] = 1 / (1 + e[i])
			} else {
				yc[i] = e[i] / (1 + e[i])
			}
		}
	}
}

func sigmoidBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]

	for i := lo; i < hi; i++ {
		dz[i] = dy[i] * y[i] * (1 - y[i])
	}
}

func tanhBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	// Cephes tanhf (single/tanhf.c): 1 - 2/(exp(2|x|)+1) with the exp
	// vectorised through a small buffer (y may alias z), and its odd
	// polynomial for |x| < 0.625 where that formula would cancel.
	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		for i, v := range zc {
			e[i] = 2 * float32(math.Abs(float64(v)))
		}
		expVec(e, e)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			a := float32(math.Abs(float64(v)))
			var t float32
			if a < 0.625 {
				z2 := v * v
				t = ((((-5.70498872745e-3*z2+2.06390887954e-2)*z2-5.37397155531e-2)*z2+1.33314422036e-1)*z2-3.33332819422e-1)*z2*v + v
			} else {
				t = 1 - 2/(e[i]+1)
				if v < 0 {
					t = -t
				}
			}
			if v != v {
				t = v
			}
			yc[i] = t
		}
	}
}

func tanhBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]

	for i := lo; i < hi; i++ {
		dz[i] = dy[i] * (1 - y[i]*y[i])
	}
}

func geluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	// 0.5·x·(1 + erf(x/√2)) = x·Φ(x), Φ from erfc's exponential (vectorised
	// through a small buffer; y may alias z).
	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		for i, v := range zc {
			e[i] = erfcExponent(v)
		}
		expVec(e, e)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			yc[i] = v * normalCDF(v, e[i])
		}
	}
}

// erfcExponent and normalCDF compute Φ(x) = ½·erfc(-x/√2) by Numerical
// Recipes' erfcc (Press et al., 2nd ed., §6.2: fractional error below
// 1.2e-7 everywhere), erfc(a) = t·exp(erfcExponent) with t = 1/(1+a/2),
// so that the exp can be taken over a whole buffer in between.
func erfcExponent(x float32) float32 {
	a := float32(math.Abs(float64(x))) * (1 / math.Sqrt2)
	t := 1 / (1 + 0.5*a)
	return -a*a - 1.26551223 + t*(1.00002368+t*(0.37409196+t*(0.09678418+t*(-0.18628806+t*(0.27886807+t*(-1.13520398+t*(1.48851587+t*(-0.82215223+t*0.17087277))))))))
}

func normalCDF(x, e float32) float32 {
	a := float32(math.Abs(float64(x))) * (1 / math.Sqrt2)
	half := 0.5 * e / (1 + 0.5*a) // ½·erfc(|x|/√2)
	if x < 0 {
		return half
	}
	return 1 - half
}

func geluBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]

	// d/dx = Φ(x) + x·φ(x), the exps vectorised as in geluBody.
	bb, pb := getExpBuf(), getExpBuf()
	defer putExpBuf(bb)
	defer putExpBuf(pb)
	buf, pdf := bb[:], pb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e, p := buf[:len(zc)], pdf[:len(zc)]
		for i, v := range zc {
			e[i] = erfcExponent(v)
			p[i] = -0.5 * v * v
		}
		expVec(e, e)
		expVec(p, p)
		dc, yc := dz[c:c+len(zc)], dy[c:c+len(zc)]
		for i, v := range zc {
			dc[i] = yc[i] * (normalCDF(v, e[i]) + v*invSqrt2Pi*p[i])
		}
	}
}

func softmaxRowsBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]
	cols := ka.i[0]

	for r := lo; r < hi; r++ {
		zr, yr := z[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		m := zr[0]
		for _, v := range zr[1:] {
			if v > m {
				m = v
			}
		}
		for j, v := range zr {
			yr[j] = v - m
		}
		expVec(yr, yr)
		var s float64
		for _, e := range yr {
			s += float64(e)
		}
		Scale(yr, float32(1/s))
	}
}

func softmaxRowsBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]
	cols := ka.i[0]

	for r := lo; r < hi; r++ {
		yr, dyr, dzr := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dz[r*cols:(r+1)*cols]
		s := float32(Dot(dyr, yr))
		for j := range yr {
			dzr[j] = yr[j] * (dyr[j] - s)
		}
	}
}

func mulBody(ka *kargs, lo, hi int) {
	dst := ka.s[0]
	a := ka.s[1]
	b := ka.s[2]

	a, b = a[lo:hi], b[lo:hi]
	for i, v := range a {
		dst[lo+i] = v * b[i]
	}
}

// Dropout writes mask[i] = keep where draw i is at least thr and 0 where
// it is not, and y[i] = x[i]*mask[i]. Draw i is dropDraw(i, key): a
// counter-based stream, so chunks run in parallel (and in SIMD lanes) and
// the mask depends only on key and i, never on the thread count. y may
// alias x. Indices are 32-bit: past 2³² elements the draws repeat.
func Dropout(y, x, mask []float32, key uint64, thr uint32, keep float32) {
	n := len(x)
	_, _ = y[:n], mask[:n]
	run(n, grainElems, dropoutBody, kargs{s: [8][]float32{0: y, 1: x, 2: mask}, f: [8]float32{0: keep}, i: [4]int{0: int(uint32(key)), 1: int(uint32(key >> 32)), 2: int(thr)}})
}

func dropoutBody(ka *kargs, lo, hi int) {
	y, x, mask := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dropoutVec(y, x, mask, uint32(lo), uint32(ka.i[0]), uint32(ka.i[1]), uint32(ka.i[2]), ka.f[0])
}

// dropDraw is element i's 32-bit draw under key (k0, k1): two rounds of
// Chris Wellons's lowbias32 integer hash (nullprogram.com/blog/2018/07/31),
// the key added before the first and mixed in before the second. 32-bit
// lanes, so AVX2 computes eight at once (dropoutAVX2).
func dropDraw(i, k0, k1 uint32) uint32 {
	return lowbias32(lowbias32(i+k0) ^ k1)
}

func lowbias32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

func dropoutGeneric(y, x, mask []float32, i0, k0, k1, thr uint32, keep float32) {
	_, _ = y[:len(x)], mask[:len(x)]
	for i, v := range x {
		m := keepIf(dropDraw(i0+uint32(i), k0, k1) >= thr, keep)
		mask[i], y[i] = m, v*m
	}
}

func keepIf(ok bool, keep float32) float32 {
	if ok {
		return keep
	}
	return 0
}

// expFree holds the 64-float buffers through which the activation bodies
// vectorise exp. A local array would do, but expVec is a function variable,
// so escape analysis cannot see that it keeps nothing and moves such an
// array to the heap on every call: one allocation per batch per layer. A
// free list as scratch's, not a sync.Pool, which a garbage collection
// empties.
var expFree = struct {
	mu   sync.Mutex
	free []*[64]float32
}{free: make([]*[64]float32, 0, scratchKeep)}

func getExpBuf() *[64]float32 {
	expFree.mu.Lock()
	defer expFree.mu.Unlock()
	if n := len(expFree.free); n > 0 {
		b := expFree.free[n-1]
		expFree.free = expFree.free[:n-1]
		return b
	}
	return new([64]float32)
}

func putExpBuf(b *[64]float32) {
	expFree.mu.Lock()
	defer expFree.mu.Unlock()
	if len(expFree.free) < scratchKeep {
		expFree.free = append(expFree.free, b)
	}
}
