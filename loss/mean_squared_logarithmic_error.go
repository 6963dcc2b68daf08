// This file follows keras/src/losses/losses.py, MeanSquaredLogarithmicError, mean_squared_logarithmic_error.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// MSLE is Keras's mean_squared_logarithmic_error: the mean over the last
// axis of (log(max(p, Epsilon)+1) - log(max(y, Epsilon)+1))². The gradient is
// 0 where p < Epsilon.
type MSLE struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (MSLE) Name() string { return NameMSLE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MSLE) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l MSLE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MSLE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, squaredLogError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l MSLE) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(squaredLogError, pred, target.Data, w, false, out), nil
}

// squaredLogError sums (log(max(p,Epsilon)+1) - log(max(y,Epsilon)+1))²; the
// gradient is scale*2*d/(p+1) where p >= Epsilon (tf.maximum passes the
// gradient to its first argument on ties), else 0.
func squaredLogError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		pv := float64(v)
		a := math.Log(math.Max(pv, Epsilon) + 1)
		b := math.Log(math.Max(float64(y[i]), Epsilon) + 1)
		d := a - b
		sum += d * d
		if grad != nil {
			var g float64
			if pv >= Epsilon {
				g = 2 * d / (pv + 1)
			}
			grad[i] = float32(scale * g)
		}
	}
	return sum
}
