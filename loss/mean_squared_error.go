package loss

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MSE is Keras's mean_squared_error: mean of (pred-target)².
type MSE struct{}

// Name returns "mean_squared_error".
func (MSE) Name() string { return NameMSE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MSE) Check(pred, target tensor.Shape) error { return checkRegression(l.Name(), pred, target) }

// Compute returns the mean over the last axis, then over the batch, which is
// the mean over every element.
func (l MSE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MSE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	scale := 1 / float64(len(pred.Data))
	return weightedElements(kernel.SquaredError, gradData(grad), pred.Data, target.Data, w, scale) * scale
}
