// This file follows keras/src/losses/losses.py, Circle and circle
// (Keras 3), and the mask-aware reduction of keras/src/losses/loss.py
// (apply_mask).

package loss

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Circle is Keras's Circle loss (Sun et al., "Circle Loss", 2020) for
// metric learning: the targets are integer labels (N,) or (N, 1), the
// predictions L2-normalised embeddings (N, D) (a UnitNormalization layer
// last). For each sample i, with d_ij = max(1 - p_i·p_j, 0) the cosine
// distances to the batch's samples, positive pairs j (same label; not i
// itself when RemoveDiagonal) score -γ·max(m + d, 0)·(m - d) and negative
// pairs (another label) γ·max(1 + m - d, 0)·(1 - m - d); the loss is
// softplus(logsumexp(positives) + logsumexp(negatives)). As in Keras, the
// pair weights are not held constant in the gradient, and a sample
// without positive or without negative pairs has loss 0 and is left out
// of the mean ("sum_over_batch_size" divides by the samples with a
// positive loss, plus 1e-7). Gamma and Margin nil are Keras's 80 and 0.4;
// KeepDiagonal false is Keras's remove_diagonal=True.
type Circle struct {
	Reduction     Reduction
	Gamma, Margin *float64
	KeepDiagonal  bool
}

// NameCircle is Keras's name of the Circle loss.
const NameCircle = "circle"

// Keras's defaults of Circle's gamma and margin.
const (
	CircleGamma  = 80.0
	CircleMargin = 0.4
)

// Name returns "circle".
func (Circle) Name() string { return NameCircle }

func (l Circle) gammaMargin() (g, m float64) {
	g, m = CircleGamma, CircleMargin
	if l.Gamma != nil {
		g = *l.Gamma
	}
	if l.Margin != nil {
		m = *l.Margin
	}
	return g, m
}

// Check accepts embeddings (N, D) with one label per sample.
func (l Circle) Check(pred, target tensor.Shape) error {
	if err := l.Reduction.check(l.Name()); err != nil {
		return err
	}
	if g, m := l.gammaMargin(); !(g > 0) || math.IsInf(g, 1) || math.IsNaN(m) || math.IsInf(m, 0) {
		return fmt.Errorf("loss: circle with gamma %v and margin %v: give a finite gamma > 0 and a finite margin (Keras's defaults are %v and %v)", g, m, CircleGamma, CircleMargin)
	}
	if len(pred) != 2 {
		return fmt.Errorf("loss: circle takes embeddings (batch, dim), got predictions of shape %v; end the model with a Dense layer and UnitNormalization", pred)
	}
	if !(len(target) == 1 && target[0] == pred[0]) && !(len(target) == 2 && target[0] == pred[0] && target[1] == 1) {
		return fmt.Errorf("loss: circle takes one integer label per sample, (%d,) or (%d, 1), got targets of shape %v", pred[0], pred[0], target)
	}
	return nil
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l Circle) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Circle) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	n := pred.Shape[0]
	// The per-sample losses first, to know which count.
	var sum, valid, wsum float64
	for i := range n {
		li := l.row(nil, pred, target, i, 0)
		if float32(li) > 0 { // Keras's mask: circle_loss > 0, in float32
			wi := 1.0
			if w != nil {
				wi = float64(w[i])
			}
			sum += wi * li
			valid++
			wsum += wi
		}
	}
	var scale float64 // d reduced / d (w_i · loss_i) for a counted sample
	switch l.Reduction {
	case Sum:
		scale = 1
	case Mean:
		scale = 1 / float64(n)
	case MeanWithSampleWeight:
		if wsum != 0 {
			scale = 1 / wsum
		}
	default:
		scale = 1 / (valid + Epsilon)
	}
	if grad != nil {
		clear(grad.Data)
		for i := range n {
			wi := 1.0
			if w != nil {
				wi = float64(w[i])
			}
			if li := l.row(nil, pred, target, i, 0); float32(li) > 0 {
				l.row(grad.Data, pred, target, i, wi*scale)
			}
		}
	}
	return sum * scale
}

// Values returns the per-sample losses (see Unreduced).
func (l Circle) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	n := pred.Shape[0]
	if cap(out) < n {
		out = make([]float32, n)
	}
	out = out[:n]
	for i := range n {
		v := l.row(nil, pred, target, i, 0)
		if w != nil {
			v *= float64(w[i])
		}
		out[i] = float32(v)
	}
	return out, nil
}

// row returns sample i's loss and, when g is non-nil, adds scale times its
// gradient with respect to the embeddings into g: with s_ij = p_i·p_j,
// each pair's score a_ij depends on d_ij = max(1 - s_ij, 0), and
// ∂loss_i/∂a_ij = σ(P + N)·softmax_j, ∂s_ij/∂p_i = p_j, ∂s_ij/∂p_j = p_i.
func (l Circle) row(g []float32, pred, target *tensor.Tensor, i int, scale float64) float64 {
	gamma, m := l.gammaMargin()
	n, dim := pred.Shape[0], pred.Shape[1]
	pi := pred.Data[i*dim : (i+1)*dim]
	yi := int32(target.Data[i])
	// score is pair (i, j)'s a_ij, its derivative in s_ij, and whether the
	// pair is positive; ok is false for the diagonal left out.
	score := func(j int) (a, dads float64, pos, ok bool) {
		if j == i && !l.KeepDiagonal {
			return 0, 0, false, false
		}
		pj := pred.Data[j*dim : (j+1)*dim]
		var s float64
		for k, v := range pi {
			s += float64(v) * float64(pj[k])
		}
		d := max(1-s, 0)
		clamp := 0.0 // dd/ds: -1 where 1 - s > 0, else 0
		if 1-s > 0 {
			clamp = -1
		}
		if int32(target.Data[j]) == yi {
			// -γ·max(m + d, 0)·(m - d)
			if m+d > 0 {
				return -gamma * (m + d) * (m - d), clamp * 2 * gamma * d, true, true
			}
			return 0, 0, true, true
		}
		// γ·max(1 + m - d, 0)·(1 - m - d)
		if 1+m-d > 0 {
			return gamma * (1 + m - d) * (1 - m - d), clamp * -2 * gamma * (1 - d), false, true
		}
		return 0, 0, false, true
	}
	maxP, maxN := math.Inf(-1), math.Inf(-1)
	for j := range n {
		a, _, pos, ok := score(j)
		switch {
		case !ok:
		case pos:
			maxP = max(maxP, a)
		default:
			maxN = max(maxN, a)
		}
	}
	if math.IsInf(maxP, -1) || math.IsInf(maxN, -1) {
		return 0 // no positive or no negative pair: softplus(-inf)
	}
	var sumP, sumN float64
	for j := range n {
		a, _, pos, ok := score(j)
		switch {
		case !ok:
		case pos:
			sumP += math.Exp(a - maxP)
		default:
			sumN += math.Exp(a - maxN)
		}
	}
	z := maxP + math.Log(sumP) + maxN + math.Log(sumN)
	if g == nil {
		return softplus(z)
	}
	sig := 1 / (1 + math.Exp(-z))
	for j := range n {
		a, dads, pos, ok := score(j)
		if !ok || dads == 0 {
			continue
		}
		soft := math.Exp(a-maxN) / sumN
		if pos {
			soft = math.Exp(a-maxP) / sumP
		}
		c := scale * sig * soft * dads
		pj := pred.Data[j*dim : (j+1)*dim]
		gi, gj := g[i*dim:(i+1)*dim], g[j*dim:(j+1)*dim]
		for k := range dim {
			gi[k] += float32(c * float64(pj[k]))
			gj[k] += float32(c * float64(pi[k]))
		}
	}
	return softplus(z)
}
