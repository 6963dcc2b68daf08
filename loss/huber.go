package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Huber is Keras's huber loss: with x = pred-target, 0.5x² where |x| <= Delta
// and Delta*(|x| - 0.5*Delta) elsewhere.
type Huber struct {
	// Delta is where the loss turns from quadratic to linear; 0 means
	// Keras's default HuberDelta (1.0).
	Delta float64
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
	return checkRegression(l.Name(), pred, target)
}

// Compute returns the mean Huber loss over every element.
func (l Huber) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Huber) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	scale := 1 / float64(len(pred.Data))
	delta := l.delta()
	k := func(g, p, t []float32, scale float64) float64 { return kernel.HuberError(g, p, t, delta, scale) }
	return weightedElements(k, gradData(grad), pred.Data, target.Data, w, scale) * scale
}
