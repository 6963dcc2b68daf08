package kernel

import "math"

// The optimiser update loops, one pass over each variable. Scalars that do
// not depend on the element (bias-corrected step sizes) are computed by the
// caller.

// AdamUpdate applies Keras's Adam step with the bias correction folded into
// lr, and decoupled weight decay wd (AdamW) when wd > 0:
//
//	w -= w*wd
//	m += (g-m)*(1-b1);  v += (g²-v)*(1-b2);  w -= lr*m/(sqrt(v)+eps)
func AdamUpdate(w, g, m, v []float32, lr, b1, b2, eps, wd float32) {
	run(len(w), grainElems, adamUpdateBody, kargs{s: [8][]float32{0: w, 1: g, 2: m, 3: v}, f: [8]float32{0: lr, 1: b1, 2: b2, 3: eps, 4: wd}})
}

// SGDUpdate applies Keras's SGD: with momentum mu > 0,
//
//	m = mu*m - lr*g;  w += m          (nesterov: w += mu*m - lr*g)
//
// and plain w -= lr*g when mu == 0 (m may then be nil).
func SGDUpdate(w, g, m []float32, lr, mu float32, nesterov bool) {
	run(len(w), grainElems, sgdUpdateBody, kargs{s: [8][]float32{0: w, 1: g, 2: m}, f: [8]float32{0: lr, 1: mu}, flag: nesterov})
}

// RMSpropUpdate applies Keras 3's RMSprop (momentum 0, not centered):
//
//	v = rho*v + (1-rho)*g²;  w -= lr*g/sqrt(v+eps)
func RMSpropUpdate(w, g, v []float32, lr, rho, eps float32) {
	run(len(w), grainElems, rmspropUpdateBody, kargs{s: [8][]float32{0: w, 1: g, 2: v}, f: [8]float32{0: lr, 1: rho, 2: eps}})
}

// AdagradUpdate applies Keras's Adagrad: a += g²;  w -= lr*g/sqrt(a+eps).
func AdagradUpdate(w, g, a []float32, lr, eps float32) {
	run(len(w), grainElems, adagradUpdateBody, kargs{s: [8][]float32{0: w, 1: g, 2: a}, f: [8]float32{0: lr, 1: eps}})
}

func adamUpdateBody(ka *kargs, lo, hi int) {
	w := ka.s[0]
	g := ka.s[1]
	m := ka.s[2]
	v := ka.s[3]
	lr := ka.f[0]
	b1 := ka.f[1]
	b2 := ka.f[2]
	eps := ka.f[3]
	wd := ka.f[4]

	if wd == 0 {
		adamVec(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], lr, 1-b1, 1-b2, eps)
		return
	}
	for i := lo; i < hi; i++ {
		gi := g[i]
		w[i] -= float32(w[i] * wd)
		m[i] += float32((gi - m[i]) * (1 - b1))
		v[i] += float32((float32(gi*gi) - v[i]) * (1 - b2))
		w[i] -= float32(lr*m[i]) / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}

func sgdUpdateBody(ka *kargs, lo, hi int) {
	w := ka.s[0]
	g := ka.s[1]
	m := ka.s[2]
	lr := ka.f[0]
	mu := ka.f[1]
	nesterov := ka.flag

	if mu == 0 {
		sgdPlainVec(w[lo:hi], g[lo:hi], lr)
		return
	}
	sgdVec(w[lo:hi], g[lo:hi], m[lo:hi], lr, mu, nesterov)
}

func rmspropUpdateBody(ka *kargs, lo, hi int) {
	w := ka.s[0]
	g := ka.s[1]
	v := ka.s[2]
	lr := ka.f[0]
	rho := ka.f[1]
	eps := ka.f[2]

	rmspropVec(w[lo:hi], g[lo:hi], v[lo:hi], lr, rho, 1-rho, eps)
}

func adagradUpdateBody(ka *kargs, lo, hi int) {
	w := ka.s[0]
	g := ka.s[1]
	a := ka.s[2]
	lr := ka.f[0]
	eps := ka.f[1]

	adagradVec(w[lo:hi], g[lo:hi], a[lo:hi], lr, eps)
}
