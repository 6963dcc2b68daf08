// This file follows keras/src/losses/losses.py, SquaredHinge and
// squared_hinge.

package loss

import (
	"github.com/gokeras/gokeras/tensor"
)

// SquaredHinge is Keras's squared_hinge loss: the mean over the last axis
// of max(1 - y*p, 0)². Targets are -1 or 1; when every target of the batch
// is 0 or 1, they are taken as 2y-1, as in Hinge.
type SquaredHinge struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "squared_hinge".
func (SquaredHinge) Name() string { return NameSquaredHinge }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l SquaredHinge) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced squared hinge loss of the batch; its gradient
// is -2y*max(1 - y*p, 0).
func (l SquaredHinge) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l SquaredHinge) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, hingeKernel(binaryLabels(target.Data), true), pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l SquaredHinge) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(hingeKernel(binaryLabels(target.Data), true), pred, target.Data, w, false, out), nil
}
