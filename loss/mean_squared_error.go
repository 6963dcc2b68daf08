// This file follows keras/src/losses/losses.py, MeanSquaredError, mean_squared_error.

package loss

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MSE is Keras's mean_squared_error: the mean of (pred-target)² over the
// last axis for each sample.
type MSE struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (MSE) Name() string { return NameMSE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MSE) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l MSE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MSE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, kernel.SquaredError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l MSE) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(kernel.SquaredError, pred, target.Data, w, false, out), nil
}
