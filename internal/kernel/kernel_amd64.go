//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg kernel"

// The Go wrappers check the bounds the assembly trusts.

func checkKernA(k int, a []float32, rs, ks int, b, c []float32, ldc, mr, nr int) {
	_ = c[(mr-1)*ldc+nr-1]
	if k > 0 {
		_, _ = a[(mr-1)*rs+(k-1)*ks], b[nr*k-1]
	}
}

func kern6x16AVX2(k int, a []float32, rs, ks int, b, c []float32, ldc int) {
	checkKernA(k, a, rs, ks, b, c, ldc, 6, 16)
	sgemmKern6x16AVX2(k, a, rs, ks, b, c, ldc)
}

func kern6x16AVX2Set(k int, a []float32, rs, ks int, b, c []float32, ldc int) {
	checkKernA(k, a, rs, ks, b, c, ldc, 6, 16)
	sgemmKern6x16AVX2Set(k, a, rs, ks, b, c, ldc)
}

func kern12x32AVX512(k int, a []float32, rs, ks int, b, c []float32, ldc int) {
	checkKernA(k, a, rs, ks, b, c, ldc, 12, 32)
	sgemmKern12x32AVX512(k, a, rs, ks, b, c, ldc)
}

func kern12x32AVX512Set(k int, a []float32, rs, ks int, b, c []float32, ldc int) {
	checkKernA(k, a, rs, ks, b, c, ldc, 12, 32)
	sgemmKern12x32AVX512Set(k, a, rs, ks, b, c, ldc)
}

func copyRows16(dst, src []float32, ld, rows int) {
	if rows > 0 {
		_, _ = dst[rows*16-1], src[(rows-1)*ld+15]
		copyRows16AVX(dst, src, ld, rows)
	}
}

func copyRows32(dst, src []float32, ld, rows int) {
	if rows > 0 {
		_, _ = dst[rows*32-1], src[(rows-1)*ld+31]
		copyRows32AVX(dst, src, ld, rows)
	}
}

var (
	gemmAVX2 = gemmKernel{name: "avx2 6x16", mr: 6, nr: 16, mc: 192, kc: 320, nc: 4096,
		kernA: kern6x16AVX2, kernASet: kern6x16AVX2Set}
	gemmAVX512 = gemmKernel{name: "avx512 12x32", mr: 12, nr: 32, mc: 144, kc: 256, nc: 4096,
		kernA: kern12x32AVX512, kernASet: kern12x32AVX512Set}
)

func init() {
	for _, g := range []*gemmKernel{&gemmAVX2, &gemmAVX512} {
		g.kern, g.kernSet = packedKern(g.mr, g.kernA), packedKern(g.mr, g.kernASet)
	}
	if cpu.X86.HasAVX {
		copyRowsFast = [2]func(dst, src []float32, ld, rows int){copyRows16, copyRows32}
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		gemmKernels = append(gemmKernels, &gemmAVX2)
		sgemm = gemmAVX2
	}
	if cpu.X86.HasAVX512F {
		gemmKernels = append(gemmKernels, &gemmAVX512)
		sgemm = gemmAVX512
	}
}

// Wrappers for the element-wise assembly: they check the bounds it trusts
// and finish the last len%8 elements with the portable twin.

func maxArgInitFast(y []float32, arg []int32, x []float32, base int) {
	n := len(y) &^ 7
	_, _ = arg[:len(y)], x[:len(y)]
	maxArgInitAVX2(y, arg, x, base)
	maxArgInitGeneric(y[n:], arg[n:], x[n:], base+n)
}

func maxArgUpdateFast(y []float32, arg []int32, x []float32, base int) {
	n := len(y) &^ 7
	_, _ = arg[:len(y)], x[:len(y)]
	maxArgUpdateAVX2(y, arg, x, base)
	maxArgUpdateGeneric(y[n:], arg[n:], x[n:], base+n)
}

func maxFast(y, x []float32) {
	n := len(y) &^ 7
	_ = x[:len(y)]
	maxAVX2(y, x)
	maxGeneric(y[n:], x[n:])
}

func maxPool2Fast(y, r0, r1 []float32, c int) {
	if c%8 != 0 || c <= 0 {
		maxPool2Generic(y, r0, r1, c)
		return
	}
	ow := len(y) / c
	_, _ = r0[:2*ow*c], r1[:2*ow*c]
	maxPool2AVX2(y[:ow*c], r0, r1, c)
}

func maxPool2ArgFast(y []float32, arg []int32, r0, r1 []float32, c, base, rs int) {
	if c%8 != 0 || c <= 0 {
		maxPool2ArgGeneric(y, arg, r0, r1, c, base, rs)
		return
	}
	ow := len(y) / c
	_, _, _ = arg[:ow*c], r0[:2*ow*c], r1[:2*ow*c]
	maxPool2ArgAVX2(y[:ow*c], arg, r0, r1, c, base, rs)
}

func maxPool2BackFast(dx0, dx1, dy []float32, arg []int32, c, base, rs int) {
	if c%8 != 0 || c <= 0 {
		maxPool2BackGeneric(dx0, dx1, dy, arg, c, base, rs)
		return
	}
	ow := len(dy) / c
	_, _, _ = arg[:ow*c], dx0[:2*ow*c], dx1[:2*ow*c]
	maxPool2BackAVX2(dx0, dx1, dy[:ow*c], arg, c, base, rs)
}

func dropoutFast(y, x, mask []float32, i0, k0, k1, thr uint32, keep float32) {
	n := len(x) &^ 7
	_, _ = y[:len(x)], mask[:len(x)]
	dropoutAVX2(y, x, mask, i0, k0, k1, thr, keep)
	dropoutGeneric(y[n:], x[n:], mask[n:], i0+uint32(n), k0, k1, thr, keep)
}

// sumRowsFast returns the wrapper of the assembly for bands of w columns.
func sumRowsFast(w int, asm func(dst, x []float32, rows, stride int)) func(dst, x []float32, rows, stride int) {
	return func(dst, x []float32, rows, stride int) {
		if rows <= 0 || len(dst) != w {
			sumRowsGeneric(dst, x, rows, stride)
			return
		}
		_ = x[:(rows-1)*stride+w]
		asm(dst, x, rows, stride)
	}
}

// The batch-norm sums run the assembly on bands of 16 columns and the twin
// on the rest; every column adds its rows in order either way.
func colSumF64Fast(acc []float64, x []float32, rows, stride int) {
	if rows <= 0 {
		return
	}
	w := len(acc)
	_ = x[:(rows-1)*stride+w]
	j := 0
	for ; j+16 <= w; j += 16 {
		colSum16F64AVX2(acc[j:j+16], x[j:], rows, stride)
	}
	colSumF64Generic(acc[j:], x[j:], rows, stride)
}

func colSqDevF64Fast(acc, mu []float64, x []float32, rows, stride int) {
	if rows <= 0 {
		return
	}
	w := len(acc)
	_, _ = x[:(rows-1)*stride+w], mu[:w]
	j := 0
	for ; j+16 <= w; j += 16 {
		colSqDev16F64AVX2(acc[j:j+16], mu[j:j+16], x[j:], rows, stride)
	}
	colSqDevF64Generic(acc[j:], mu[j:], x[j:], rows, stride)
}

func colGradSumF64Fast(sb, sg []float64, dy, xhat []float32, rows, stride int) {
	if rows <= 0 {
		return
	}
	w := len(sb)
	_, _, _ = dy[:(rows-1)*stride+w], xhat[:(rows-1)*stride+w], sg[:w]
	j := 0
	for ; j+16 <= w; j += 16 {
		colGradSum16F64AVX2(sb[j:j+16], sg[j:j+16], dy[j:], xhat[j:], rows, stride)
	}
	colGradSumF64Generic(sb[j:], sg[j:], dy[j:], xhat[j:], rows, stride)
}

func reluFast(y, z []float32) {
	n := len(z) &^ 7
	_ = y[:len(z)]
	reluAVX2(y, z)
	reluGeneric(y[n:], z[n:])
}

func reluBackwardFast(dz, dy, y []float32) {
	n := len(y) &^ 7
	_, _ = dz[:len(y)], dy[:len(y)]
	reluBackwardAVX2(dz, dy, y)
	reluBackwardGeneric(dz[n:], dy[n:], y[n:])
}

func biasReLUFast(x, bias []float32) {
	n := len(x) &^ 7
	_ = bias[:len(x)]
	biasReLUAVX2(x, bias)
	biasReLUGeneric(x[n:], bias[n:])
}

func addFast(dst, src []float32) {
	n := len(dst) &^ 7
	_ = src[:len(dst)]
	addAVX2(dst, src)
	addGeneric(dst[n:], src[n:])
}

func add3Fast(dst, a, b []float32) {
	n := len(dst) &^ 7
	_, _ = a[:len(dst)], b[:len(dst)]
	add3AVX2(dst, a, b)
	add3Generic(dst[n:], a[n:], b[n:])
}

func adamFast(w, g, m, v []float32, lr, c1, c2, eps float32) {
	n := len(w) &^ 7
	_, _, _ = g[:len(w)], m[:len(w)], v[:len(w)]
	adamAVX2(w, g, m, v, lr, c1, c2, eps)
	adamGeneric(w[n:], g[n:], m[n:], v[n:], lr, c1, c2, eps)
}

func sgdFast(w, g, m []float32, lr, mu float32, nesterov bool) {
	n := len(w) &^ 7
	_, _ = g[:len(w)], m[:len(w)]
	sgdAVX2(w, g, m, lr, mu, nesterov)
	sgdGeneric(w[n:], g[n:], m[n:], lr, mu, nesterov)
}

func sgdPlainFast(w, g []float32, lr float32) {
	n := len(w) &^ 7
	_ = g[:len(w)]
	sgdPlainAVX2(w, g, lr)
	sgdPlainGeneric(w[n:], g[n:], lr)
}

func rmspropFast(w, g, v []float32, lr, rho, c, eps float32) {
	n := len(w) &^ 7
	_, _ = g[:len(w)], v[:len(w)]
	rmspropAVX2(w, g, v, lr, rho, c, eps)
	rmspropGeneric(w[n:], g[n:], v[n:], lr, rho, c, eps)
}

func adagradFast(w, g, a []float32, lr, eps float32) {
	n := len(w) &^ 7
	_, _ = g[:len(w)], a[:len(w)]
	adagradAVX2(w, g, a, lr, eps)
	adagradGeneric(w[n:], g[n:], a[n:], lr, eps)
}

func expFast(dst, src []float32) {
	n := len(src) &^ 7
	_ = dst[:len(src)]
	expAVX2(dst, src)
	expGeneric(dst[n:], src[n:])
}

func scaleFast(x []float32, s float32) {
	n := len(x) &^ 7
	scaleAVX2(x, s)
	scaleGeneric(x[n:], s)
}

func axpyFast(a float32, x, y []float32) {
	n := len(x) &^ 7
	_ = y[:len(x)]
	axpyAVX2(a, x, y)
	axpyGeneric(a, x[n:], y[n:])
}

func bnApplyFast(y, xhat, x, mean, invStd, gamma, beta []float32) {
	n := len(x)
	n8 := n &^ 7
	_, _, _, _, _ = y[:n], mean[:n], invStd[:n], gamma[:n], beta[:n]
	if xhat != nil {
		_ = xhat[:n]
		bnApplyKeepAVX2(y, xhat, x, mean, invStd, gamma, beta)
		bnApplyGeneric(y[n8:], xhat[n8:], x[n8:], mean[n8:], invStd[n8:], gamma[n8:], beta[n8:])
		return
	}
	bnApplyAVX2(y, x, mean, invStd, gamma, beta)
	bnApplyGeneric(y[n8:], nil, x[n8:], mean[n8:], invStd[n8:], gamma[n8:], beta[n8:])
}

func bnBackDxFast(dx, dy, xhat, coef, dbeta, dgamma []float32, n float32) {
	m := len(dx)
	m8 := m &^ 7
	_, _, _, _, _ = dy[:m], xhat[:m], coef[:m], dbeta[:m], dgamma[:m]
	bnBackDxAVX2(dx, dy, xhat, coef, dbeta, dgamma, n)
	bnBackDxGeneric(dx[m8:], dy[m8:], xhat[m8:], coef[m8:], dbeta[m8:], dgamma[m8:], n)
}

func winoInFast(v []float32, vs int, d []float32, rs, cs, n int) {
	if n <= 0 {
		return
	}
	_, _ = v[15*vs+n-1], d[3*rs+3*cs+n-1]
	winoInAVX2(v, vs, d, rs, cs, n)
	if n8 := n &^ 7; n8 < n {
		winoInGeneric(v[n8:], vs, d[n8:], rs, cs, n-n8)
	}
}

func winoOutFast(y []float32, rs, cs int, m []float32, ms, n int) {
	if n <= 0 {
		return
	}
	_, _ = y[rs+cs+n-1], m[15*ms+n-1]
	winoOutAVX2(y, rs, cs, m, ms, n)
	if n8 := n &^ 7; n8 < n {
		winoOutGeneric(y[n8:], rs, cs, m[n8:], ms, n-n8)
	}
}

func winoGradOutFast(m []float32, ms int, dy []float32, rs, cs, n int) {
	if n <= 0 {
		return
	}
	_, _ = m[15*ms+n-1], dy[rs+cs+n-1]
	winoGradOutAVX2(m, ms, dy, rs, cs, n)
	if n8 := n &^ 7; n8 < n {
		winoGradOutGeneric(m[n8:], ms, dy[n8:], rs, cs, n-n8)
	}
}

// The F(4x4) transforms run 16 channels at a time with AVX-512, then 8
// with AVX2, then the Go twin on the rest.
var winoAVX512 = cpu.X86.HasAVX512F

// split runs the AVX-512 kernel f16 on the first n rounded down to 16
// elements (when the CPU has it), the AVX2 kernel f8 on the next 8 if
// there are, and returns how many are done.
func split(n int, f16, f8 func(off, n int)) int {
	done := 0
	if winoAVX512 && n >= 16 {
		f16(0, n)
		done = n &^ 15
	}
	if n-done >= 8 {
		f8(done, n-done)
		done += (n - done) &^ 7
	}
	return done
}

func winoIn4Fast(v []float32, vs int, d []float32, rs, cs, n int) {
	if n <= 0 {
		return
	}
	_, _ = v[35*vs+n-1], d[5*rs+5*cs+n-1]
	done := split(n, func(o, n int) { winoIn4AVX512(v[o:], vs, d[o:], rs, cs, n) },
		func(o, n int) { winoIn4AVX2(v[o:], vs, d[o:], rs, cs, n) })
	if done < n {
		winoIn4Generic(v[done:], vs, d[done:], rs, cs, n-done)
	}
}

func winoOut4Fast(y []float32, rs, cs int, m []float32, ms, n int) {
	if n <= 0 {
		return
	}
	_, _ = y[3*rs+3*cs+n-1], m[35*ms+n-1]
	done := split(n, func(o, n int) { winoOut4AVX512(y[o:], rs, cs, m[o:], ms, n) },
		func(o, n int) { winoOut4AVX2(y[o:], rs, cs, m[o:], ms, n) })
	if done < n {
		winoOut4Generic(y[done:], rs, cs, m[done:], ms, n-done)
	}
}

func winoGradOut4Fast(m []float32, ms int, dy []float32, rs, cs, n int) {
	if n <= 0 {
		return
	}
	_, _ = m[35*ms+n-1], dy[3*rs+3*cs+n-1]
	done := split(n, func(o, n int) { winoGradOut4AVX512(m[o:], ms, dy[o:], rs, cs, n) },
		func(o, n int) { winoGradOut4AVX2(m[o:], ms, dy[o:], rs, cs, n) })
	if done < n {
		winoGradOut4Generic(m[done:], ms, dy[done:], rs, cs, n-done)
	}
}

func winoFilter4Fast(u, w []float32, plane, n int) {
	if n <= 0 {
		return
	}
	_, _ = u[35*plane+n-1], w[8*plane+n-1]
	done := split(n, func(o, n int) { winoFilter4AVX512(u[o:], w[o:], plane, n) },
		func(o, n int) { winoFilter4AVX2(u[o:], w[o:], plane, n) })
	if done < n {
		winoFilter4Generic(u[done:], w[done:], plane, n-done)
	}
}

func winoFilterGrad4Fast(dw, du []float32, plane, n int) {
	if n <= 0 {
		return
	}
	_, _ = du[35*plane+n-1], dw[8*plane+n-1]
	done := split(n, func(o, n int) { winoFilterGrad4AVX512(dw[o:], du[o:], plane, n) },
		func(o, n int) { winoFilterGrad4AVX2(dw[o:], du[o:], plane, n) })
	if done < n {
		winoFilterGrad4Generic(dw[done:], du[done:], plane, n-done)
	}
}

func init() {
	if cpu.X86.HasAVX2 {
		winoFilter4, winoFilterGrad4 = winoFilter4Fast, winoFilterGrad4Fast
		winoIn, winoOut, winoGradOut = winoInFast, winoOutFast, winoGradOutFast
		winoIn4, winoOut4, winoGradOut4, wino4Fast = winoIn4Fast, winoOut4Fast, winoGradOut4Fast, true
		maxArgInit, maxArgUpdate, maxVec, maxPool2Row = maxArgInitFast, maxArgUpdateFast, maxFast, maxPool2Fast
		maxPool2Arg, maxPool2Back = maxPool2ArgFast, maxPool2BackFast
		reluVec, reluBackVec, biasReLUVec = reluFast, reluBackwardFast, biasReLUFast
		addVec, add3Vec, adamVec = addFast, add3Fast, adamFast
		sgdVec, sgdPlainVec, rmspropVec, adagradVec = sgdFast, sgdPlainFast, rmspropFast, adagradFast
		expVec, scaleVec, axpyVec, bnApplyVec, bnBackDxVec = expFast, scaleFast, axpyFast, bnApplyFast, bnBackDxFast
		dropoutVec = dropoutFast
		colSumF64, colSqDevF64, colGradSumF64 = colSumF64Fast, colSqDevF64Fast, colGradSumF64Fast
		sumRowsVec = [3]func(dst, x []float32, rows, stride int){sumRowsFast(16, sumRows16AVX2), sumRowsFast(32, sumRows32AVX2), sumRowsFast(64, sumRows64AVX2)}
	}
}
