// This file follows keras/src/losses/losses.py, LogCosh, log_cosh.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// LogCosh is Keras's log_cosh: with x = pred-target, the mean over the last
// axis of log(cosh(x)), computed as Keras does, x + softplus(-2x) - log(2),
// which does not overflow. Its gradient is tanh(x).
type LogCosh struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns Keras's name of the loss.
func (LogCosh) Name() string { return NameLogCosh }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l LogCosh) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l LogCosh) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l LogCosh) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, logCoshError, pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l LogCosh) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(logCoshError, pred, target.Data, w, false, out), nil
}

// logCoshError sums x + softplus(-2x) - log(2) with x = p-y; the gradient
// is scale*tanh(x).
func logCoshError(grad, p, y []float32, scale float64) float64 {
	y = y[:len(p)]
	var sum float64
	for i, v := range p {
		x := float64(v) - float64(y[i])
		sum += x + softplus(-2*x) - math.Ln2
		if grad != nil {
			grad[i] = float32(scale * math.Tanh(x))
		}
	}
	return sum
}

// softplus is log(1+exp(z)) without overflow.
func softplus(z float64) float64 {
	return math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
}
