// This file follows keras/src/losses/losses.py, MeanAbsolutePercentageError, mean_absolute_percentage_error.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// MAPE is Keras's mean_absolute_percentage_error: the mean over the last
// axis of 100*|y-p|/max(|y|, Epsilon).
type MAPE struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (MAPE) Name() string { return NameMAPE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MAPE) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l MAPE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MAPE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, absolutePercentageError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l MAPE) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(absolutePercentageError, pred, target.Data, w, false, out), nil
}

// absolutePercentageError sums 100*|y-p|/max(|y|, Epsilon); the gradient is
// scale*100*sign(p-y)/max(|y|, Epsilon), 0 where p == y.
func absolutePercentageError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		d := float64(v) - float64(y[i])
		den := math.Max(math.Abs(float64(y[i])), Epsilon)
		sum += 100 * math.Abs(d) / den
		if grad != nil {
			var s float64
			switch {
			case d > 0:
				s = 1
			case d < 0:
				s = -1
			}
			grad[i] = float32(scale * 100 * s / den)
		}
	}
	return sum
}
