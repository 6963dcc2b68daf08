// This file follows keras/src/losses/losses.py, MeanAbsoluteError, mean_absolute_error.

package loss

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MAE is Keras's mean_absolute_error: the mean of |pred-target| over the
// last axis for each sample; its gradient is 0 where pred == target, as the
// sign function's is.
type MAE struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (MAE) Name() string { return NameMAE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MAE) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l MAE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MAE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, kernel.AbsoluteError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l MAE) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(kernel.AbsoluteError, pred, target.Data, w, false, out), nil
}
