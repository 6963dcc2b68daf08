// This file follows keras/src/losses/losses.py, KLDivergence, kl_divergence.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// KLDivergence is Keras's kl_divergence: with targets and predictions
// clipped to [Epsilon, 1], the sum over the last axis of
// y*log(y/p). The gradient is -y/p, and 0 where p was clipped.
type KLDivergence struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (KLDivergence) Name() string { return NameKLDivergence }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l KLDivergence) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l KLDivergence) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l KLDivergence) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, klDivergence, pred, target.Data, w, grad, true)
}

// Values returns the per-sample losses (see Unreduced).
func (l KLDivergence) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(klDivergence, pred, target.Data, w, true, out), nil
}

// klDivergence sums yc*log(yc/pc) with yc, pc clipped to [Epsilon, 1]; the
// gradient is -scale*yc/pc where p was inside the clip range, else 0 (as
// tf.clip_by_value's).
func klDivergence(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		yc := math.Min(math.Max(float64(y[i]), Epsilon), 1)
		pv := float64(v)
		pc := math.Min(math.Max(pv, Epsilon), 1)
		sum += yc * math.Log(yc/pc)
		if grad != nil {
			var d float64
			if pv >= Epsilon && pv <= 1 {
				d = -yc / pc
			}
			grad[i] = float32(scale * d)
		}
	}
	return sum
}
