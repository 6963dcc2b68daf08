package kernel

import (
	"fmt"
	"math"
)

// The loss, metric and gradient-clipping loops. Each loss function returns
// the sum of the per-row (or per-element) losses, accumulated in float64 in
// index order, and, when grad is non-nil, writes scale*dLoss/dinput into
// grad. They run on one goroutine: a loss touches each output element once,
// which is cheap next to the layers, and a serial sum is deterministic
// without a scratch buffer of partial sums.

// label converts a class index stored as float32 to an int, panicking when it
// is not an integer in [0, cols).
func label(v float32, row, cols int) int {
	y := int(v)
	if float32(y) != v || y < 0 || y >= cols {
		panic(fmt.Sprintf("kernel: label %v in row %d is not a class index in [0, %d)", v, row, cols))
	}
	return y
}

// rowLogSumExp returns the row maximum m and s = sum exp(z[j]-m).
func rowLogSumExp(z []float32) (m, s float64) {
	m = float64(z[0])
	for _, v := range z[1:] {
		if float64(v) > m {
			m = float64(v)
		}
	}
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	return m, s
}

// SparseSoftmaxCrossEntropy sums, over rows, logsumexp(z_r) - z_r[y_r]
// where y_r = labels[r] and z_r = logits[r*cols:(r+1)*cols]. The gradient
// is scale*(softmax(z_r) - onehot(y_r)).
func SparseSoftmaxCrossEntropy(grad, logits, labels []float32, rows, cols int, scale float64) float64 {
	var sum float64
	for r := 0; r < rows; r++ {
		z := logits[r*cols : (r+1)*cols]
		y := label(labels[r], r, cols)
		m, s := rowLogSumExp(z)
		sum += m + math.Log(s) - float64(z[y])
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range z {
				g[j] = float32(scale * math.Exp(float64(v)-m) / s)
			}
			g[y] -= float32(scale)
		}
	}
	return sum
}

// SoftmaxCrossEntropy sums, over rows, -sum_j t[j]*log_softmax(z)[j]. The
// gradient is scale*(softmax(z)*sum(t) - t), which is softmax(z)-t for
// one-hot targets.
func SoftmaxCrossEntropy(grad, logits, target []float32, rows, cols int, scale float64) float64 {
	var sum float64
	for r := 0; r < rows; r++ {
		z, t := logits[r*cols:(r+1)*cols], target[r*cols:(r+1)*cols]
		m, s := rowLogSumExp(z)
		lse := m + math.Log(s)
		var ts float64
		for j, v := range z {
			ts += float64(t[j])
			sum -= float64(t[j]) * (float64(v) - lse)
		}
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range z {
				g[j] = float32(scale * (math.Exp(float64(v)-m)/s*ts - float64(t[j])))
			}
		}
	}
	return sum
}

// clip returns p clamped to [eps, 1-eps] and whether it was inside (so that
// the gradient passes through, as tf.clip_by_value's does).
func clip(p, eps float64) (float64, bool) {
	switch {
	case p < eps:
		return eps, false
	case p > 1-eps:
		return 1 - eps, false
	}
	return p, true
}

// SparseCrossEntropyProbs sums, over rows, the TensorFlow form of sparse
// cross-entropy on probabilities: c = clip(p, eps, 1-eps), then
// -log(c[y]/sum(c)). The gradient is the exact derivative of that, zero
// where p was clipped: scale*(1/sum(c) - [j==y]/c[y]).
func SparseCrossEntropyProbs(grad, probs, labels []float32, rows, cols int, eps, scale float64) float64 {
	var sum float64
	for r := 0; r < rows; r++ {
		p := probs[r*cols : (r+1)*cols]
		y := label(labels[r], r, cols)
		var cs float64
		for _, v := range p {
			c, _ := clip(float64(v), eps)
			cs += c
		}
		cy, _ := clip(float64(p[y]), eps)
		sum += math.Log(cs) - math.Log(cy)
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range p {
				_, in := clip(float64(v), eps)
				d := 1 / cs
				if j == y {
					d -= 1 / cy
				}
				if !in {
					d = 0
				}
				g[j] = float32(scale * d)
			}
		}
	}
	return sum
}

// CrossEntropyProbs sums, over rows, Keras's categorical cross-entropy on
// probabilities: q = p/sum(p), c = clip(q, eps, 1-eps), -sum t*log(c). The
// gradient is its exact derivative: with g_k = -t_k/c_k where q_k was not
// clipped (else 0), dL/dp_j = (g_j - sum_k g_k q_k)/sum(p), times scale.
func CrossEntropyProbs(grad, probs, target []float32, rows, cols int, eps, scale float64) float64 {
	var sum float64
	for r := 0; r < rows; r++ {
		p, t := probs[r*cols:(r+1)*cols], target[r*cols:(r+1)*cols]
		var ps float64
		for _, v := range p {
			ps += float64(v)
		}
		var gq float64 // sum_k g_k q_k
		for j, v := range p {
			q := float64(v) / ps
			c, in := clip(q, eps)
			sum -= float64(t[j]) * math.Log(c)
			if in {
				gq -= float64(t[j]) / c * q
			}
		}
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range p {
				c, in := clip(float64(v)/ps, eps)
				var gj float64
				if in {
					gj = -float64(t[j]) / c
				}
				g[j] = float32(scale * (gj - gq) / ps)
			}
		}
	}
	return sum
}

// SoftmaxCrossEntropyGradFromProbs writes the gradient of categorical
// cross-entropy with respect to the logits that produced probs by softmax:
// grad = scale*(probs*sum(t) - t) per row.
func SoftmaxCrossEntropyGradFromProbs(grad, probs, target []float32, rows, cols int, scale float64) {
	for r := 0; r < rows; r++ {
		p, t, g := probs[r*cols:(r+1)*cols], target[r*cols:(r+1)*cols], grad[r*cols:(r+1)*cols]
		var ts float64
		for _, v := range t {
			ts += float64(v)
		}
		for j, v := range p {
			g[j] = float32(scale * (float64(v)*ts - float64(t[j])))
		}
	}
}

// SparseSoftmaxCrossEntropyGradFromProbs writes the gradient of sparse
// cross-entropy with respect to the logits that produced probs by softmax:
// grad = scale*(probs - onehot(label)) per row.
func SparseSoftmaxCrossEntropyGradFromProbs(grad, probs, labels []float32, rows, cols int, scale float64) {
	for r := 0; r < rows; r++ {
		p, g := probs[r*cols:(r+1)*cols], grad[r*cols:(r+1)*cols]
		y := label(labels[r], r, cols)
		for j, v := range p {
			g[j] = float32(scale * float64(v))
		}
		g[y] = float32(scale * (float64(p[y]) - 1))
	}
}

// BinaryCrossEntropyProbs sums -(y*log(c) + (1-y)*log(1-c)) with
// c = clip(p, eps, 1-eps). The gradient is scale*(c-y)/(c*(1-c)) where p was
// not clipped, else 0.
func BinaryCrossEntropyProbs(grad, p, y []float32, eps, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		c, in := clip(float64(v), eps)
		t := float64(y[i])
		sum -= t*math.Log(c) + (1-t)*math.Log(1-c)
		if grad != nil {
			var d float64
			if in {
				d = (c - t) / (c * (1 - c))
			}
			grad[i] = float32(scale * d)
		}
	}
	return sum
}

// BinaryCrossEntropyLogits sums the stable form of sigmoid cross-entropy,
// max(x,0) - x*y + log(1+exp(-|x|)). The gradient is scale*(sigmoid(x)-y).
func BinaryCrossEntropyLogits(grad, x, y []float32, scale float64) float64 {
	y = y[:len(x)]
	var sum float64
	for i, v := range x {
		xv, t := float64(v), float64(y[i])
		e := math.Exp(-math.Abs(xv))
		sum += math.Max(xv, 0) - xv*t + math.Log1p(e)
		if grad != nil {
			var s float64 // sigmoid(x), computed without overflow
			if xv >= 0 {
				s = 1 / (1 + e)
			} else {
				s = e / (1 + e)
			}
			grad[i] = float32(scale * (s - t))
		}
	}
	return sum
}

// SquaredError sums (p-y)². The gradient is scale*2*(p-y).
func SquaredError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		d := float64(v) - float64(y[i])
		sum += d * d
		if grad != nil {
			grad[i] = float32(scale * 2 * d)
		}
	}
	return sum
}

// AbsoluteError sums |p-y|. The gradient is scale*sign(p-y), 0 where p == y.
func AbsoluteError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		d := float64(v) - float64(y[i])
		sum += math.Abs(d)
		if grad != nil {
			var s float64
			switch {
			case d > 0:
				s = scale
			case d < 0:
				s = -scale
			}
			grad[i] = float32(s)
		}
	}
	return sum
}

// HuberError sums 0.5*d² where |d| <= delta and delta*(|d| - 0.5*delta)
// elsewhere, with d = p-y. The gradient is scale*d inside and
// scale*delta*sign(d) outside.
func HuberError(grad, p, y []float32, delta, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		d := float64(v) - float64(y[i])
		a := math.Abs(d)
		g := d
		if a <= delta {
			sum += 0.5 * d * d
		} else {
			sum += delta * (a - 0.5*delta)
			g = math.Copysign(delta, d)
		}
		if grad != nil {
			grad[i] = float32(scale * g)
		}
	}
	return sum
}

// FirstBadLabel returns the index of the first value in labels that is not
// an integer in [0, classes), or -1 when all are.
func FirstBadLabel(labels []float32, classes int) int {
	for i, v := range labels {
		y := int(v)
		if float32(y) != v || y < 0 || y >= classes {
			return i
		}
	}
	return -1
}

// argmax returns the index of the largest value in x, the first on ties.
func argmax(x []float32) int {
	best := 0
	for j, v := range x[1:] {
		if v > x[best] {
			best = j + 1
		}
	}
	return best
}

// CountArgmaxEqual counts the rows where argmax(pred) == argmax(target),
// ties going to the first index (categorical accuracy).
func CountArgmaxEqual(pred, target []float32, rows, cols int) int {
	n := 0
	for r := 0; r < rows; r++ {
		if argmax(pred[r*cols:(r+1)*cols]) == argmax(target[r*cols:(r+1)*cols]) {
			n++
		}
	}
	return n
}

// CountArgmaxLabel counts the rows where argmax(pred) == labels[r], ties
// going to the first index (sparse categorical accuracy). A label that is
// not a class index never matches.
func CountArgmaxLabel(pred, labels []float32, rows, cols int) int {
	n := 0
	for r := 0; r < rows; r++ {
		if float32(argmax(pred[r*cols:(r+1)*cols])) == labels[r] {
			n++
		}
	}
	return n
}

// CountThresholdEqual counts the i where (pred[i] > threshold ? 1 : 0)
// equals target[i] (binary accuracy).
func CountThresholdEqual(pred, target []float32, threshold float32) int {
	target = target[:len(pred)]
	n := 0
	for i, v := range pred {
		var b float32
		if v > threshold {
			b = 1
		}
		if b == target[i] {
			n++
		}
	}
	return n
}

// ClipValues does dst[i] = min(max(src[i], lo), hi); NaN passes through.
// dst may alias src.
func ClipValues(dst, src []float32, lo, hi float32) {
	src = src[:len(dst)]
	run(len(dst), grainElems, clipValuesBody, kargs{s: [8][]float32{0: dst, 1: src}, f: [8]float32{0: lo, 1: hi}})
}

func clipValuesBody(ka *kargs, a, b int) {
	dst := ka.s[0]
	src := ka.s[1]
	lo := ka.f[0]
	hi := ka.f[1]

	for i := a; i < b; i++ {
		v := src[i]
		if v < lo {
			v = lo
		} else if v > hi {
			v = hi
		}
		dst[i] = v
	}
}
