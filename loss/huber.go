// This file follows keras/src/losses/losses.py, Huber and huber.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Huber is Keras's Huber loss: with x = pred-target, 0.5x² where |x| <= Delta
// and Delta*(|x| - 0.5*Delta) elsewhere, averaged over the last axis.
type Huber struct {
	// Delta is where the loss turns from quadratic to linear; 0 means
	// Keras's default HuberDelta (1.0).
	Delta float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "huber_loss", Keras's name for the Huber class.
func (Huber) Name() string { return NameHuber }

// delta returns the effective Delta.
func (l Huber) delta() float64 {
	if l.Delta == 0 {
		return HuberDelta
	}
	return l.Delta
}

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l Huber) Check(pred, target tensor.Shape) error {
	if l.Delta < 0 {
		return fmt.Errorf("loss: %s delta is %v; use a positive delta (0 means Keras's %v)", l.Name(), l.Delta, HuberDelta)
	}
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced Huber loss of the batch.
func (l Huber) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// kernel returns the element-wise kernel.
func (l Huber) kernel() elementKernel {
	delta := l.delta()
	return func(g, p, t []float32, scale float64) float64 { return kernel.HuberError(g, p, t, delta, scale) }
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Huber) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, l.kernel(), pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l Huber) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(l.kernel(), pred, target.Data, w, false, out), nil
}
