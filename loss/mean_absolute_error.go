package loss

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MAE is Keras's mean_absolute_error: mean of |pred-target|.
type MAE struct{}

// Name returns "mean_absolute_error".
func (MAE) Name() string { return NameMAE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MAE) Check(pred, target tensor.Shape) error { return checkRegression(l.Name(), pred, target) }

// Compute returns the mean absolute error; its gradient is 0 where
// pred == target, as the sign function's is.
func (l MAE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MAE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	scale := 1 / float64(len(pred.Data))
	return weightedElements(kernel.AbsoluteError, gradData(grad), pred.Data, target.Data, w, scale) * scale
}
