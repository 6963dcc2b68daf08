package kernel

import "math"

// The rest of keras.activations (keras/src/activations/activations.py, with
// the formulas of keras/src/backend/tensorflow/nn.py where Keras leaves the
// definition to the backend). Each forward body may run with y aliasing z;
// those that vectorise exp go through getExpBuf's 64-float buffers, as the
// bodies in elementwise.go do.

// SELU's constants (keras/src/activations/activations.py, selu: TensorFlow's
// tf.nn.selu, Klambauer et al. 2017).
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

// geluTanhC is √(2/π), the tanh-approximate GELU's scale.
const geluTanhC = 0.7978845608028654

// ReLU6 does y = min(max(z, 0), 6); -0 becomes +0 and NaN stays NaN.
func ReLU6(y, z []float32) {
	run(len(z), grainElems, relu6Body, kargs{s: [8][]float32{0: y, 1: z}})
}

// ReLU6Backward does dz = dy where 0 < y < 6, else 0, as TensorFlow's
// Relu6Grad (a NaN y gives 0).
func ReLU6Backward(dz, dy, y []float32) {
	run(len(dy), grainElems, relu6BackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// SELU does y = scale·z for z > 0, scale·alpha·(exp(z)-1) otherwise.
func SELU(y, z []float32) {
	run(len(z), grainElems, seluBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// SELUBackward does dz = scale·dy for y > 0 (z > 0), dy·(y + scale·alpha)
// otherwise: only the output is needed.
func SELUBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, seluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// SiLU does y = z·sigmoid(z) (Keras's silu, alias swish).
func SiLU(y, z []float32) {
	run(len(z), grainElems, siluBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// SiLUBackward does dz = dy·s·(1 + z·(1-s)), s = sigmoid(z).
func SiLUBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, siluBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// GELUTanh does Keras's gelu(approximate=True),
// y = z/2·(1 + tanh(√(2/π)·(z + 0.044715·z³))), computed as the equal
// z·sigmoid(2u) so that no exp overflows.
func GELUTanh(y, z []float32) {
	run(len(z), grainElems, geluTanhBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// GELUTanhBackward does dz = dy·(s + 2·z·s·(1-s)·u'), s = sigmoid(2u),
// u' = √(2/π)·(1 + 3·0.044715·z²).
func GELUTanhBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, geluTanhBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// Softplus does y = log(1 + exp(z)), as max(z, 0) + log1p(exp(-|z|)) so
// that nothing overflows.
func Softplus(y, z []float32) {
	run(len(z), grainElems, softplusBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// SoftplusBackward does dz = dy·sigmoid(z) from the output alone:
// sigmoid(z) = 1 - exp(-y), taken as -expm1(-y) so that it keeps its
// precision where y is tiny.
func SoftplusBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, softplusBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// Softsign does y = z/(1+|z|).
func Softsign(y, z []float32) {
	run(len(z), grainElems, softsignBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// SoftsignBackward does dz = dy/(1+|z|)² (from z: 1-|y| would cancel for
// large |z|).
func SoftsignBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, softsignBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// HardSigmoid does Keras 3's y = relu6(z+3)/6 (keras/src/backend/
// tensorflow/nn.py; Keras 2's was clip(0.2·z+0.5, 0, 1)).
func HardSigmoid(y, z []float32) {
	run(len(z), grainElems, hardSigmoidBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// HardSigmoidBackward does dz = dy/6 where 0 < y < 1 (-3 < z < 3), else 0.
func HardSigmoidBackward(dz, dy, y []float32) {
	run(len(dy), grainElems, hardSigmoidBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}})
}

// HardSiLU does y = z·relu6(z+3)/6 (Keras's hard_silu, alias hard_swish).
func HardSiLU(y, z []float32) {
	run(len(z), grainElems, hardSiLUBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// HardSiLUBackward does dz = 0 for z <= -3, dy for z >= 3, dy·(2z+3)/6
// between.
func HardSiLUBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, hardSiLUBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// Mish does y = z·tanh(softplus(z)), with tanh(log(1+e)) = n/(n+2) for
// n = e·(e+2), e = exp(z) (z capped at 20, past which the factor is 1 in
// float32).
func Mish(y, z []float32) {
	run(len(z), grainElems, mishBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// MishBackward does dz = dy·(t + z·(1-t²)·sigmoid(z)), t = tanh(softplus(z)).
func MishBackward(dz, dy, z []float32) {
	run(len(dy), grainElems, mishBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: z}})
}

// Exp does y = exp(z) (Keras's exponential): expVec where it is exact, and
// math.Exp outside expVec's clamped range, so exp(z) overflows to +Inf and
// underflows to subnormals and 0 as TensorFlow's does. Its derivative is
// y: Mul(dz, dy, y).
func Exp(y, z []float32) {
	run(len(z), grainElems, expBody, kargs{s: [8][]float32{0: y, 1: z}})
}

// LogSoftmaxRows does y[r,:] = z[r,:] - max - log(sum exp(z[r,:] - max))
// for each row, as tf.nn.log_softmax.
func LogSoftmaxRows(y, z []float32, rows, cols int) {
	run(rows, max(1, grainElems/max(cols, 1)), logSoftmaxRowsBody, kargs{s: [8][]float32{0: y, 1: z}, i: [4]int{0: cols}})
}

// LogSoftmaxRowsBackward does dz[r,j] = dy[r,j] - exp(y[r,j])·sum_k dy[r,k].
func LogSoftmaxRowsBackward(dz, dy, y []float32, rows, cols int) {
	run(rows, max(1, grainElems/max(cols, 1)), logSoftmaxRowsBackwardBody, kargs{s: [8][]float32{0: dz, 1: dy, 2: y}, i: [4]int{0: cols}})
}

func relu6Body(ka *kargs, lo, hi int) {
	y, z := ka.s[0][lo:hi], ka.s[1][lo:hi]
	y = y[:len(z)]
	for i, v := range z {
		if v <= 0 {
			v = 0
		} else if v > 6 {
			v = 6
		}
		y[i] = v
	}
}

func relu6BackwardBody(ka *kargs, lo, hi int) {
	dz, dy, y := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dz, y = dz[:len(dy)], y[:len(dy)]
	for i, g := range dy {
		if v := y[i]; v > 0 && v < 6 {
			dz[i] = g
		} else {
			dz[i] = 0
		}
	}
}

func seluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

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
				yc[i] = seluScale * (seluAlpha * expm1Small(v, e[i]))
			} else {
				yc[i] = seluScale * v
			}
		}
	}
}

func seluBackwardBody(ka *kargs, lo, hi int) {
	dz, dy, y := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dz, y = dz[:len(dy)], y[:len(dy)]
	for i, g := range dy {
		if v := y[i]; v > 0 {
			dz[i] = seluScale * g
		} else {
			dz[i] = g * (v + seluScale*seluAlpha)
		}
	}
}

// sigmoidOf returns sigmoid(v) given e = exp(-|v|).
func sigmoidOf(v, e float32) float32 {
	if v >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

// negAbsExp fills e with exp(-|k·v|) for the values of zc.
func negAbsExp(e, zc []float32, k float32) {
	for i, v := range zc {
		e[i] = -float32(math.Abs(float64(k * v)))
	}
	expVec(e, e)
}

func siluBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		negAbsExp(e, zc, 1)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			yc[i] = v * sigmoidOf(v, e[i])
		}
	}
}

func siluBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		negAbsExp(e, zc, 1)
		dc, gc := dz[c:c+len(zc)], dy[c:c+len(zc)]
		for i, v := range zc {
			s := sigmoidOf(v, e[i])
			dc[i] = gc[i] * (s * (1 + v*(1-s)))
		}
	}
}

// geluTanhU is u = √(2/π)·(z + 0.044715·z³), the tanh's argument.
func geluTanhU(v float32) float32 { return geluTanhC * (v + 0.044715*v*v*v) }

func geluTanhBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		for i, v := range zc {
			e[i] = -float32(math.Abs(float64(2 * geluTanhU(v))))
		}
		expVec(e, e)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			yc[i] = v * sigmoidOf(v, e[i]) // u has z's sign
		}
	}
}

func geluTanhBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		for i, v := range zc {
			e[i] = -float32(math.Abs(float64(2 * geluTanhU(v))))
		}
		expVec(e, e)
		dc, gc := dz[c:c+len(zc)], dy[c:c+len(zc)]
		for i, v := range zc {
			var d float32
			switch {
			case v > 10: // s is 1 and z³ could overflow
				d = 1
			case v < -10:
				d = 0
			default:
				s := sigmoidOf(v, e[i])
				du := geluTanhC * (1 + 3*0.044715*v*v)
				d = s + 2*v*s*(1-s)*du
			}
			if v != v {
				d = v
			}
			dc[i] = gc[i] * d
		}
	}
}

func softplusBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		negAbsExp(e, zc, 1)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			l := float32(math.Log1p(float64(e[i])))
			if v > 0 {
				yc[i] = v + l
			} else {
				yc[i] = l // a NaN v made e, so l, NaN
			}
		}
	}
}

func softplusBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		yc := y[c:min(c+len(buf), hi)]
		e := buf[:len(yc)]
		for i, v := range yc {
			e[i] = -v
		}
		expVec(e, e)
		dc, gc := dz[c:c+len(yc)], dy[c:c+len(yc)]
		for i, v := range yc {
			dc[i] = gc[i] * -expm1Small(-v, e[i])
		}
	}
}

func softsignBody(ka *kargs, lo, hi int) {
	y, z := ka.s[0][lo:hi], ka.s[1][lo:hi]
	y = y[:len(z)]
	for i, v := range z {
		y[i] = v / (1 + float32(math.Abs(float64(v))))
	}
}

func softsignBackwardBody(ka *kargs, lo, hi int) {
	dz, dy, z := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dz, z = dz[:len(dy)], z[:len(dy)]
	for i, g := range dy {
		d := 1 + float32(math.Abs(float64(z[i])))
		dz[i] = g / (d * d)
	}
}

// hardSigmoid1 is relu6(v+3)/6.
func hardSigmoid1(v float32) float32 {
	t := v + 3
	if t <= 0 {
		t = 0
	} else if t > 6 {
		t = 6
	}
	return t / 6
}

func hardSigmoidBody(ka *kargs, lo, hi int) {
	y, z := ka.s[0][lo:hi], ka.s[1][lo:hi]
	y = y[:len(z)]
	for i, v := range z {
		y[i] = hardSigmoid1(v)
	}
}

func hardSigmoidBackwardBody(ka *kargs, lo, hi int) {
	dz, dy, y := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dz, y = dz[:len(dy)], y[:len(dy)]
	for i, g := range dy {
		if v := y[i]; v > 0 && v < 1 {
			dz[i] = g / 6
		} else {
			dz[i] = 0
		}
	}
}

func hardSiLUBody(ka *kargs, lo, hi int) {
	y, z := ka.s[0][lo:hi], ka.s[1][lo:hi]
	y = y[:len(z)]
	for i, v := range z {
		y[i] = v * hardSigmoid1(v)
	}
}

func hardSiLUBackwardBody(ka *kargs, lo, hi int) {
	dz, dy, z := ka.s[0][lo:hi], ka.s[1][lo:hi], ka.s[2][lo:hi]
	dz, z = dz[:len(dy)], z[:len(dy)]
	for i, g := range dy {
		switch v := z[i]; {
		case v <= -3:
			dz[i] = 0
		case v >= 3:
			dz[i] = g
		default: // relu6(v+3)/6 + v/6, NaN included
			dz[i] = g * ((2*v + 3) / 6)
		}
	}
}

// mishExp fills e with exp(min(v, 20)) for the values of zc.
func mishExp(e, zc []float32) {
	for i, v := range zc {
		if v > 20 {
			v = 20
		}
		e[i] = v
	}
	expVec(e, e)
}

func mishBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		mishExp(e, zc)
		yc := y[c : c+len(zc)]
		for i, v := range zc {
			n := e[i] * (e[i] + 2)
			yc[i] = v * (n / (n + 2))
		}
	}
}

func mishBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	z := ka.s[2]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for c := lo; c < hi; c += len(buf) {
		zc := z[c:min(c+len(buf), hi)]
		e := buf[:len(zc)]
		mishExp(e, zc)
		dc, gc := dz[c:c+len(zc)], dy[c:c+len(zc)]
		for i, v := range zc {
			n := e[i] * (e[i] + 2)
			t := n / (n + 2)
			s := e[i] / (1 + e[i])
			dc[i] = gc[i] * (t + v*(1-t*t)*s)
		}
	}
}

// expMin and expMax bound the inputs expVec computes exactly (it clamps
// outside them).
const (
	expMin = -87.3365478515625
	expMax = 88.3762626647949
)

func expBody(ka *kargs, lo, hi int) {
	y, z := ka.s[0][lo:hi], ka.s[1][lo:hi]
	y = y[:len(z)]
	// Out-of-range inputs are read before expVec overwrites an aliased y.
	// The common case (none) takes one pass over each value.
	for i, v := range z {
		if v < expMin || v > expMax {
			expOutOfRange(y, z, i)
			return
		}
	}
	expVec(y, z)
}

// expOutOfRange finishes Exp for a chunk whose value i is outside expVec's
// range: element by element, in float64 where expVec would clamp.
func expOutOfRange(y, z []float32, i int) {
	expVec(y[:i], z[:i])
	for ; i < len(z); i++ {
		if v := z[i]; v < expMin || v > expMax {
			y[i] = float32(math.Exp(float64(v)))
		} else {
			expVec(y[i:i+1], z[i:i+1])
		}
	}
}

func logSoftmaxRowsBody(ka *kargs, lo, hi int) {
	y := ka.s[0]
	z := ka.s[1]
	cols := ka.i[0]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
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
		var s float64
		for c := 0; c < cols; c += len(buf) {
			yc := yr[c:min(c+len(buf), cols)]
			e := buf[:len(yc)]
			expVec(e, yc)
			for _, v := range e {
				s += float64(v)
			}
		}
		ls := float32(math.Log(s))
		for j := range yr {
			yr[j] -= ls
		}
	}
}

func logSoftmaxRowsBackwardBody(ka *kargs, lo, hi int) {
	dz := ka.s[0]
	dy := ka.s[1]
	y := ka.s[2]
	cols := ka.i[0]

	bb := getExpBuf()
	defer putExpBuf(bb)
	buf := bb[:]
	for r := lo; r < hi; r++ {
		yr, dyr, dzr := y[r*cols:(r+1)*cols], dy[r*cols:(r+1)*cols], dz[r*cols:(r+1)*cols]
		var s float64
		for _, g := range dyr {
			s += float64(g)
		}
		sum := float32(s)
		for c := 0; c < cols; c += len(buf) {
			yc := yr[c:min(c+len(buf), cols)]
			e := buf[:len(yc)]
			expVec(e, yc)
			for i, p := range e {
				dzr[c+i] = dyr[c+i] - p*sum
			}
		}
	}
}
