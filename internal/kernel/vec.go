package kernel

import "math"

// Inner loops that have an assembly version on amd64. Each variable starts
// as its portable twin below; kernel_amd64.go points it at the assembly at
// start-up when the CPU has AVX2. The assembly equals the twin bit for bit
// (vec_amd64_test.go), so results never depend on the CPU.
var (
	maxArgInit   = maxArgInitGeneric
	maxArgUpdate = maxArgUpdateGeneric
	maxVec       = maxGeneric
	maxPool2Row  = maxPool2Generic
	maxPool2Arg  = maxPool2ArgGeneric
	maxPool2Back = maxPool2BackGeneric
	reluVec      = reluGeneric
	reluBackVec  = reluBackwardGeneric
	biasReLUVec  = biasReLUGeneric
	addVec       = addGeneric
	add3Vec      = add3Generic
	adamVec      = adamGeneric
	sgdVec       = sgdGeneric
	sgdPlainVec  = sgdPlainGeneric
	rmspropVec   = rmspropGeneric
	adagradVec   = adagradGeneric
	expVec       = expGeneric
	scaleVec     = scaleGeneric
	axpyVec      = axpyGeneric
	bnApplyVec   = bnApplyGeneric
	bnBackDxVec  = bnBackDxGeneric
	dropoutVec   = dropoutGeneric
	// sumRowsVec[w/32] sums bands of w = 16, 32 and 64 columns.
	sumRowsVec = [3]func(dst, x []float32, rows, stride int){sumRowsGeneric, sumRowsGeneric, sumRowsGeneric}
	// Batch normalisation's float64 column sums over len(acc) columns.
	colSumF64       = colSumF64Generic
	colSqDevF64     = colSqDevF64Generic
	colGradSumF64   = colGradSumF64Generic
	winoIn          = winoInGeneric
	winoOut         = winoOutGeneric
	winoGradOut     = winoGradOutGeneric
	winoIn4         = winoIn4Generic
	winoOut4        = winoOut4Generic
	winoGradOut4    = winoGradOut4Generic
	winoFilter4     = winoFilter4Generic
	winoFilterGrad4 = winoFilterGrad4Generic
	// wino4Fast is whether winoIn4 and friends are assembly: only then is
	// F(4x4) faster than F(2x2), whose transforms are cheaper per tile.
	wino4Fast = false
)

// maxArgInitGeneric starts a max-pool window with its first cell:
// y[i] = x[i] and arg[i] = base+i.
func maxArgInitGeneric(y []float32, arg []int32, x []float32, base int) {
	arg, x = arg[:len(y)], x[:len(y)]
	for i := range y {
		y[i], arg[i] = x[i], int32(base+i)
	}
}

// maxArgUpdateGeneric lets cell x beat the running maximum y where it is
// larger, or NaN (NaN propagates, as in TensorFlow), recording base+i.
func maxArgUpdateGeneric(y []float32, arg []int32, x []float32, base int) {
	arg, x = arg[:len(y)], x[:len(y)]
	for i := range y {
		if x[i] > y[i] || x[i] != x[i] {
			y[i], arg[i] = x[i], int32(base+i)
		}
	}
}

// maxPool2Generic is one output row of a 2x2, stride-2 max pool without
// the winners: r0 and r1 are the two input rows (2*len(y) floats each,
// c channels per pixel) and y gets each window's maximum, its cells taken
// in the order maxGeneric would see them (top-left, top-right,
// bottom-left, bottom-right), so NaN propagates the same way.
func maxPool2Generic(y, r0, r1 []float32, c int) {
	r0, r1 = r0[:2*len(y)], r1[:2*len(y)]
	for o := 0; o+c <= len(y); o += c {
		a, b := r0[2*o:2*o+c], r0[2*o+c:2*o+2*c]
		d, e := r1[2*o:2*o+c], r1[2*o+c:2*o+2*c]
		yo := y[o : o+c]
		for i := range yo {
			v := a[i]
			for _, x := range [3]float32{b[i], d[i], e[i]} {
				if x > v || x != x {
					v = x
				}
			}
			yo[i] = v
		}
	}
}

// maxPool2ArgGeneric is maxPool2Generic for training: it also records in
// arg each winner's flat index into the input, where r0 starts at index
// base and r1 = r0 + rs. Ties go to the first cell, as in maxArgUpdate.
func maxPool2ArgGeneric(y []float32, arg []int32, r0, r1 []float32, c, base, rs int) {
	r0, r1, arg = r0[:2*len(y)], r1[:2*len(y)], arg[:len(y)]
	for o := 0; o+c <= len(y); o += c {
		for i := range c {
			p := 2*o + i
			v, a := r0[p], base+p
			for _, cand := range [3]struct {
				x float32
				a int
			}{{r0[p+c], base + p + c}, {r1[p], base + rs + p}, {r1[p+c], base + rs + p + c}} {
				if cand.x > v || cand.x != cand.x {
					v, a = cand.x, cand.a
				}
			}
			y[o+i], arg[o+i] = v, int32(a)
		}
	}
}

// maxPool2BackGeneric is the backward pass of one output row of a 2x2,
// stride-2 max pool: every cell of the two input rows dx0 and dx1 (which
// start at flat index base and base+rs) gets the gradient of its window
// if it won the window, else zero. It overwrites 2*len(dy) floats of each.
func maxPool2BackGeneric(dx0, dx1, dy []float32, arg []int32, c, base, rs int) {
	dx0, dx1, arg = dx0[:2*len(dy)], dx1[:2*len(dy)], arg[:len(dy)]
	pick := func(a int32, p int, g float32) float32 {
		if int(a) == p {
			return g
		}
		return 0
	}
	for o := 0; o+c <= len(dy); o += c {
		for i := range c {
			p, a, g := 2*o+i, arg[o+i], dy[o+i]
			dx0[p] = pick(a, base+p, g)
			dx0[p+c] = pick(a, base+p+c, g)
			dx1[p] = pick(a, base+rs+p, g)
			dx1[p+c] = pick(a, base+rs+p+c, g)
		}
	}
}

// maxGeneric is maxArgUpdateGeneric without the winners.
func maxGeneric(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		if x[i] > y[i] || x[i] != x[i] {
			y[i] = x[i]
		}
	}
}

// reluKeep is ReLU on one value: z where !(z <= 0), so that NaN (of
// either sign: Inf-Inf gives x86's negative default NaN) passes through as
// in TensorFlow, and -0 and negatives become +0.
func reluKeep(v float32) float32 {
	if !(v <= 0) {
		return v
	}
	return 0
}

func reluGeneric(y, z []float32) {
	y = y[:len(z)]
	for i, v := range z {
		y[i] = reluKeep(v)
	}
}

// reluBackwardGeneric passes dy where y > 0 and zero elsewhere (NaN too,
// as TensorFlow's ReluGrad: gradients * (features > 0)).
func reluBackwardGeneric(dz, dy, y []float32) {
	dz, dy = dz[:len(y)], dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

// biasReLUGeneric does x[i] = relu(x[i]+bias[i]) for one row.
func biasReLUGeneric(x, bias []float32) {
	bias = bias[:len(x)]
	for i, b := range bias {
		x[i] = reluKeep(x[i] + b)
	}
}

// add3Generic does dst[i] = a[i] + b[i].
func add3Generic(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

func addGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// adamGeneric is Adam's update without weight decay; c1 = 1-β1 and
// c2 = 1-β2. The conversions forbid fused multiply-adds, so the compiled
// loop rounds each step exactly as the assembly does.
func adamGeneric(w, g, m, v []float32, lr, c1, c2, eps float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		m[i] += float32((g[i] - m[i]) * c1)
		v[i] += float32((float32(g[i]*g[i]) - v[i]) * c2)
		w[i] -= float32(lr*m[i]) / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}

// sgdGeneric is SGD with momentum mu (Nesterov's variant when nesterov).
// The conversions forbid fused multiply-adds, as in adamGeneric.
func sgdGeneric(w, g, m []float32, lr, mu float32, nesterov bool) {
	g, m = g[:len(w)], m[:len(w)]
	for i := range w {
		m[i] = float32(mu*m[i]) - float32(lr*g[i])
		if nesterov {
			w[i] += float32(mu*m[i]) - float32(lr*g[i])
		} else {
			w[i] += m[i]
		}
	}
}

// sgdPlainGeneric is SGD without momentum.
func sgdPlainGeneric(w, g []float32, lr float32) {
	g = g[:len(w)]
	for i := range w {
		w[i] -= float32(lr * g[i])
	}
}

// rmspropGeneric is RMSprop's update with c = 1-rho.
func rmspropGeneric(w, g, v []float32, lr, rho, c, eps float32) {
	g, v = g[:len(w)], v[:len(w)]
	for i := range w {
		v[i] = float32(rho*v[i]) + float32(float32(c*g[i])*g[i])
		w[i] -= float32(lr*g[i]) / float32(math.Sqrt(float64(v[i]+eps)))
	}
}

// adagradGeneric is Adagrad's update.
func adagradGeneric(w, g, a []float32, lr, eps float32) {
	g, a = g[:len(w)], a[:len(w)]
	for i := range w {
		a[i] += float32(g[i] * g[i])
		w[i] -= float32(lr*g[i]) / float32(math.Sqrt(float64(a[i]+eps)))
	}
}

// expGeneric writes exp(src[i]) to dst[i] in float32 with Cephes's expf
// (Stephen L. Moshier, Cephes Math Library, single/expf.c): relative error
// within about 2 ulp. Inputs are clamped to [-87.34, 88.38], so the result
// is never 0 or +Inf (tiny or huge instead); NaN stays NaN. Each product is
// rounded on its own, as the assembly does.
func expGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		if float32(88.3762626647949) < x {
			x = 88.3762626647949
		}
		if float32(-87.3365478515625) > x {
			x = -87.3365478515625
		}
		fx := float32(math.Floor(float64(float32(float32(x*1.44269504088896341) + 0.5))))
		x -= float32(fx * 0.693359375)
		x -= float32(fx * -2.12194440e-4)
		z := float32(x * x)
		y := float32(1.9875691500e-4 * x)
		y = float32(float32(y+1.3981999507e-3) * x)
		y = float32(float32(y+8.3334519073e-3) * x)
		y = float32(float32(y+4.1665795894e-2) * x)
		y = float32(float32(y+1.6666665459e-1) * x)
		y = float32(y + 5.0000001201e-1)
		y = float32(float32(y*z)+x) + 1
		dst[i] = y * math.Float32frombits(uint32(int32(fx)+127)<<23)
	}
}

func scaleGeneric(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

func axpyGeneric(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}

// bnApplyGeneric normalises one row: h = (x-mean)·invStd, kept in xhat
// when it is not nil, and y = gamma·h + beta.
func bnApplyGeneric(y, xhat, x, mean, invStd, gamma, beta []float32) {
	n := len(x)
	y, mean, invStd, gamma, beta = y[:n], mean[:n], invStd[:n], gamma[:n], beta[:n]
	for j, v := range x {
		h := float32(v-mean[j]) * invStd[j]
		if xhat != nil {
			xhat[j] = h
		}
		y[j] = float32(gamma[j]*h) + beta[j]
	}
}

// bnBackDxGeneric writes batch norm's input gradient for one run of
// columns: dx = coef·(n·dy − dbeta − xhat·dgamma), coef = gamma·invStd/n.
func bnBackDxGeneric(dx, dy, xhat, coef, dbeta, dgamma []float32, n float32) {
	m := len(dx)
	dy, xhat, coef, dbeta, dgamma = dy[:m], xhat[:m], coef[:m], dbeta[:m], dgamma[:m]
	for j := range dx {
		dx[j] = coef[j] * (n*dy[j] - dbeta[j] - xhat[j]*dgamma[j])
	}
}

// swapIn sets *p to v and records how to undo it.
func swapIn[T any](undo *[]func(), p *T, v T) {
	old := *p
	*p = v
	*undo = append(*undo, func() { *p = old })
}

// UsePortable switches every kernel to its portable Go version, as the
// purego build tag does, and returns a function that switches back. It is
// for tests that compare the two in one process; it must not run while
// kernels are in use.
func UsePortable() (restore func()) {
	var undo []func()
	swapIn(&undo, &sgemm, gemmGeneric)
	swapIn(&undo, &copyRowsFast, [2]func(dst, src []float32, ld, rows int){})
	swapIn(&undo, &maxArgInit, maxArgInitGeneric)
	swapIn(&undo, &maxArgUpdate, maxArgUpdateGeneric)
	swapIn(&undo, &maxVec, maxGeneric)
	swapIn(&undo, &maxPool2Row, maxPool2Generic)
	swapIn(&undo, &maxPool2Arg, maxPool2ArgGeneric)
	swapIn(&undo, &maxPool2Back, maxPool2BackGeneric)
	swapIn(&undo, &reluVec, reluGeneric)
	swapIn(&undo, &reluBackVec, reluBackwardGeneric)
	swapIn(&undo, &biasReLUVec, biasReLUGeneric)
	swapIn(&undo, &addVec, addGeneric)
	swapIn(&undo, &add3Vec, add3Generic)
	swapIn(&undo, &adamVec, adamGeneric)
	swapIn(&undo, &sgdVec, sgdGeneric)
	swapIn(&undo, &sgdPlainVec, sgdPlainGeneric)
	swapIn(&undo, &rmspropVec, rmspropGeneric)
	swapIn(&undo, &adagradVec, adagradGeneric)
	swapIn(&undo, &expVec, expGeneric)
	swapIn(&undo, &scaleVec, scaleGeneric)
	swapIn(&undo, &axpyVec, axpyGeneric)
	swapIn(&undo, &bnApplyVec, bnApplyGeneric)
	swapIn(&undo, &bnBackDxVec, bnBackDxGeneric)
	swapIn(&undo, &colSumF64, colSumF64Generic)
	swapIn(&undo, &colSqDevF64, colSqDevF64Generic)
	swapIn(&undo, &colGradSumF64, colGradSumF64Generic)
	swapIn(&undo, &winoIn, winoInGeneric)
	swapIn(&undo, &winoOut, winoOutGeneric)
	swapIn(&undo, &winoGradOut, winoGradOutGeneric)
	swapIn(&undo, &winoIn4, winoIn4Generic)
	swapIn(&undo, &winoOut4, winoOut4Generic)
	swapIn(&undo, &winoGradOut4, winoGradOut4Generic)
	swapIn(&undo, &winoFilter4, winoFilter4Generic)
	swapIn(&undo, &winoFilterGrad4, winoFilterGrad4Generic)
	swapIn(&undo, &wino4Fast, false)
	return func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
}

// colSumF64Generic adds the rows of x, stride floats apart, to acc in row
// order: acc[j] += float64(x[r*stride+j]) for j < len(acc).
func colSumF64Generic(acc []float64, x []float32, rows, stride int) {
	for r := range rows {
		for j, v := range x[r*stride : r*stride+len(acc)] {
			acc[j] += float64(v)
		}
	}
}

// colSqDevF64Generic adds the squared deviations of the rows of x from mu
// to acc in row order.
func colSqDevF64Generic(acc, mu []float64, x []float32, rows, stride int) {
	mu = mu[:len(acc)]
	for r := range rows {
		for j, v := range x[r*stride : r*stride+len(acc)] {
			d := float64(v) - mu[j]
			acc[j] += d * d
		}
	}
}

// colGradSumF64Generic adds the rows of dy to sb and of dy*xhat to sg, in
// row order.
func colGradSumF64Generic(sb, sg []float64, dy, xhat []float32, rows, stride int) {
	sg = sg[:len(sb)]
	for r := range rows {
		off := r * stride
		xr := xhat[off : off+len(sb)]
		for j, v := range dy[off : off+len(sb)] {
			g := float64(v)
			sb[j] += g
			sg[j] += g * float64(xr[j])
		}
	}
}
