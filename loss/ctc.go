// This file follows keras/src/losses/losses.py, CTC and ctc, and
// keras/src/backend/tensorflow/nn.py, ctc_loss (tf.nn.ctc_loss with
// blank_index 0 on batch-major logits).

package loss

import (
	"fmt"
	"math"
	"sync"

	"github.com/gokeras/gokeras/tensor"
)

// NameCTC is Keras's name of the CTC loss.
const NameCTC = "ctc"

// CTC is Keras's CTC loss (Graves et al., "Connectionist Temporal
// Classification", 2006) for sequence outputs whose alignment to the
// labels is unknown, as in OCR: the predictions are logits (N, T, C) (a
// log-softmax is taken over C; Keras's TensorFlow backend treats them so
// even when the model ends in a softmax), the targets integer labels
// (N, L) padded with 0, which is also the blank class: a row's label
// sequence is its nonzero values, which must come first, each in [1, C).
// A sample's loss is -log of the summed probability of every path of T
// steps that reads as its labels once repeats are merged and blanks
// dropped, computed by the forward-backward recursions in float64. A
// sample whose labels cannot fit in T steps (each repeated label needs a
// blank between) has loss +Inf and no gradient, as tf.nn.ctc_loss gives.
type CTC struct {
	Reduction Reduction
}

// Name returns "ctc".
func (CTC) Name() string { return NameCTC }

// Check accepts logits (N, T, C) with C >= 2 and labels (N, L).
func (l CTC) Check(pred, target tensor.Shape) error {
	if err := l.Reduction.check(l.Name()); err != nil {
		return err
	}
	if len(pred) != 3 || pred[2] < 2 {
		return fmt.Errorf("loss: ctc takes logits (batch, time, classes) with class 0 the blank and at least one more, got predictions of shape %v; end the model with a Dense(classes) over a sequence axis", pred)
	}
	if len(target) != 2 || target[0] != pred[0] {
		return fmt.Errorf("loss: ctc takes label sequences (batch, max_length) padded with 0, got targets of shape %v for predictions %v", target, pred)
	}
	return nil
}

// TargetChecker is implemented by losses whose targets must hold
// particular values, which Check (shapes only) cannot see: the training
// loop calls CheckTargetValues once per data set, with the predictions'
// shape, before any batch reaches Compute (which panics on such values).
type TargetChecker interface {
	CheckTargetValues(pred tensor.Shape, target *tensor.Tensor) error
}

// CheckTargetValues returns an error when a row of target is not a label
// sequence for C classes: integers in [1, C) followed only by 0s.
func (l CTC) CheckTargetValues(pred tensor.Shape, target *tensor.Tensor) error {
	if err := l.Check(pred, target.Shape); err != nil {
		return err
	}
	c, width := pred[2], target.Shape[1]
	for r := range target.Shape[0] {
		row := target.Data[r*width : (r+1)*width]
		padded := false
		for i, v := range row {
			switch {
			case v != float32(int(v)) || v < 0 || int(v) >= c:
				return fmt.Errorf("loss: ctc label %v in row %d is not a class from 1 to %d (0 pads); give the last layer at least %v units or fix the labels", v, r, c-1, math.Max(float64(v)+1, float64(c)))
			case v == 0:
				padded = true
			case padded:
				return fmt.Errorf("loss: ctc row %d has label %v after a 0 at index %d; 0 is the blank that pads label sequences at their end, so classes start at 1", r, v, i-1)
			}
		}
	}
	return nil
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l CTC) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ctcWork is the scratch of one sample's recursions, pooled so that a
// training step allocates nothing.
type ctcWork struct {
	lp, alpha, beta []float64
	ext             []int
}

var ctcPool = sync.Pool{New: func() any { return new(ctcWork) }}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l CTC) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	n := pred.Shape[0]
	scale := l.Reduction.scale(n, 1, w)
	wk := ctcPool.Get().(*ctcWork)
	defer ctcPool.Put(wk)
	var sum float64
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = float64(w[i])
		}
		var g []float32
		if grad != nil {
			g = grad.Data[i*pred.Shape[1]*pred.Shape[2] : (i+1)*pred.Shape[1]*pred.Shape[2]]
		}
		sum += wi * wk.sample(g, pred, target, i, wi*scale)
	}
	return sum * scale
}

// Values returns the per-sample losses (see Unreduced): one per sample.
func (l CTC) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	if err := l.CheckTargetValues(pred.Shape, target); err != nil {
		return nil, err
	}
	n := pred.Shape[0]
	out = grow(out, n)
	wk := ctcPool.Get().(*ctcWork)
	defer ctcPool.Put(wk)
	for i := range n {
		v := wk.sample(nil, pred, target, i, 0)
		if w != nil {
			v *= float64(w[i])
		}
		out[i] = float32(v)
	}
	return out, nil
}

// logAdd is log(exp(a) + exp(b)) without overflow.
func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// sample returns sample i's loss and, when g is non-nil, writes scale
// times its gradient with respect to the logits into g. With lp the
// log-softmax of the logits and l' the labels with blanks around and
// between them (S = 2L+1 states), α[t][s] is the log-probability of the
// paths of steps 0..t that end in state s, β[t][s] that of the steps
// after t from state s; the gradient at (t, c) is
// softmax(x_t)_c - Σ_{s: l'_s = c} exp(α[t][s] + β[t][s] - log P).
func (wk *ctcWork) sample(g []float32, pred, target *tensor.Tensor, i int, scale float64) float64 {
	T, C := pred.Shape[1], pred.Shape[2]
	x := pred.Data[i*T*C : (i+1)*T*C]
	width := target.Shape[1]
	row := target.Data[i*width : (i+1)*width]
	wk.ext = append(wk.ext[:0], 0)
	for _, v := range row {
		if v == 0 {
			break
		}
		wk.ext = append(wk.ext, int(v), 0)
	}
	ext, S := wk.ext, len(wk.ext)
	for _, c := range ext {
		if c < 0 || c >= C {
			panic(fmt.Sprintf("loss: ctc label %d is not a class of %d; see CTC.CheckTargetValues", c, C))
		}
	}
	wk.lp, wk.alpha, wk.beta = grow(wk.lp, T*C), grow(wk.alpha, T*S), grow(wk.beta, T*S)
	lp, alpha, beta := wk.lp, wk.alpha, wk.beta
	for t := range T {
		xt, lt := x[t*C:(t+1)*C], lp[t*C:(t+1)*C]
		m := math.Inf(-1)
		for _, v := range xt {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for _, v := range xt {
			s += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(s)
		for c, v := range xt {
			lt[c] = float64(v) - lse
		}
	}
	// skip reports whether state s may be entered from s-2 (a label
	// different from the one before the blank between them).
	skip := func(s int) bool { return s >= 2 && ext[s] != 0 && ext[s] != ext[s-2] }
	inf := math.Inf(-1)
	for s := range S {
		alpha[s] = inf
	}
	alpha[0] = lp[ext[0]]
	if S > 1 {
		alpha[1] = lp[ext[1]]
	}
	for t := 1; t < T; t++ {
		prev, cur := alpha[(t-1)*S:t*S], alpha[t*S:(t+1)*S]
		for s := range S {
			a := prev[s]
			if s >= 1 {
				a = logAdd(a, prev[s-1])
			}
			if skip(s) {
				a = logAdd(a, prev[s-2])
			}
			cur[s] = a + lp[t*C+ext[s]]
		}
	}
	last := alpha[(T-1)*S : T*S]
	logP := last[S-1]
	if S > 1 {
		logP = logAdd(logP, last[S-2])
	}
	if math.IsInf(logP, -1) {
		if g != nil {
			clear(g)
		}
		return math.Inf(1)
	}
	if g == nil {
		return -logP
	}
	for s := range S {
		beta[(T-1)*S+s] = inf
	}
	beta[(T-1)*S+S-1] = 0
	if S > 1 {
		beta[(T-1)*S+S-2] = 0
	}
	for t := T - 2; t >= 0; t-- {
		next, cur, lnext := beta[(t+1)*S:(t+2)*S], beta[t*S:(t+1)*S], lp[(t+1)*C:(t+2)*C]
		for s := range S {
			b := next[s] + lnext[ext[s]]
			if s+1 < S {
				b = logAdd(b, next[s+1]+lnext[ext[s+1]])
			}
			if s+2 < S && skip(s+2) {
				b = logAdd(b, next[s+2]+lnext[ext[s+2]])
			}
			cur[s] = b
		}
	}
	for t := range T {
		gt, lt := g[t*C:(t+1)*C], lp[t*C:(t+1)*C]
		for c := range gt {
			gt[c] = float32(scale * math.Exp(lt[c]))
		}
		for s := range S {
			occ := math.Exp(alpha[t*S+s] + beta[t*S+s] - logP)
			gt[ext[s]] -= float32(scale * occ)
		}
	}
	return -logP
}

// CTCGreedyDecode reads the label sequences out of CTC logits (N, T, C),
// as keras.ops.ctc_decode(strategy="greedy", mask_index=0) does with the
// TensorFlow backend (tf.nn.ctc_greedy_decoder): per sample, the most
// likely class at each of its first lengths[i] steps (all T when lengths
// is nil), repeats merged unless keepRepeats, blanks (0) dropped. The
// score of a sample is TensorFlow's: minus the sum over its steps of the
// largest logit. A tie picks the lower class.
func CTCGreedyDecode(pred *tensor.Tensor, lengths []int, keepRepeats bool) (decoded [][]int, scores []float64, err error) {
	if len(pred.Shape) != 3 || pred.Shape[2] < 1 {
		return nil, nil, fmt.Errorf("loss: ctc decoding takes logits (batch, time, classes), got shape %v", pred.Shape)
	}
	n, T, C := pred.Shape[0], pred.Shape[1], pred.Shape[2]
	if lengths != nil && len(lengths) != n {
		return nil, nil, fmt.Errorf("loss: ctc decoding got %d sequence lengths for a batch of %d", len(lengths), n)
	}
	decoded, scores = make([][]int, n), make([]float64, n)
	for i := range n {
		steps := T
		if lengths != nil {
			if lengths[i] < 0 || lengths[i] > T {
				return nil, nil, fmt.Errorf("loss: ctc decoding: sequence length %d of sample %d is outside [0, %d]", lengths[i], i, T)
			}
			steps = lengths[i]
		}
		prev := -1
		seq := []int{}
		for t := range steps {
			row := pred.Data[(i*T+t)*C : (i*T+t+1)*C]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			scores[i] -= float64(row[best])
			if best != 0 && (keepRepeats || best != prev) {
				seq = append(seq, best)
			}
			prev = best
		}
		decoded[i] = seq
	}
	return decoded, scores, nil
}
