// This file follows keras/src/losses/losses.py, Poisson, poisson.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Poisson is Keras's poisson: the mean over the last axis of
// p - y*log(p + Epsilon). Predictions should be positive (end the model with
// an exponential or softplus activation); at p <= -Epsilon the loss is NaN, as in Keras.
type Poisson struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (Poisson) Name() string { return NamePoisson }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l Poisson) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l Poisson) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Poisson) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, poissonError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l Poisson) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(poissonError, pred, target.Data, w, false, out), nil
}

// poissonError sums p - y*log(p+Epsilon); the gradient is
// scale*(1 - y/(p+Epsilon)).
func poissonError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		pv, t := float64(v), float64(y[i])
		sum += pv - t*math.Log(pv+Epsilon)
		if grad != nil {
			grad[i] = float32(scale * (1 - t/(pv+Epsilon)))
		}
	}
	return sum
}
