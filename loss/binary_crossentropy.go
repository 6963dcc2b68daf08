// This file follows keras/src/losses/losses.py, BinaryCrossentropy.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// BinaryCrossentropy is Keras's binary_crossentropy: targets are 0/1 (or
// soft) values of the predictions' shape, typically (N, 1).
type BinaryCrossentropy struct {
	// FromLogits says the predictions are logits rather than sigmoid
	// probabilities. Keras's default is false.
	FromLogits bool
}

// Name returns "binary_crossentropy".
func (BinaryCrossentropy) Name() string { return NameBinaryCrossentropy }

// Check accepts targets of pred's shape, or that shape with or without a
// trailing axis of 1 (so (N,) labels fit (N, 1) predictions).
func (l BinaryCrossentropy) Check(pred, target tensor.Shape) error {
	if err := checkBatch(l.Name(), pred, target); err != nil {
		return err
	}
	if sameUpToTrailingOne(pred, target) {
		return nil
	}
	if len(pred) >= 2 && pred[len(pred)-1] > 1 && labelShape(pred, target) {
		return fmt.Errorf("loss: %s got targets of shape %v for predictions %v; for one integer class label per sample over %d classes use %s, or for binary labels end the model with Dense(1, activation=sigmoid)",
			l.Name(), target, pred, pred[len(pred)-1], NameSparseCategoricalCrossentropy)
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs one 0/1 target per prediction", l.Name(), target, pred)
}

// Compute returns the mean binary cross-entropy over every element. From
// probabilities they are clipped to [Epsilon, 1-Epsilon]; from logits the
// stable max(x,0) - x*y + log(1+exp(-|x|)) is used.
func (l BinaryCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l BinaryCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	scale := 1 / float64(len(pred.Data))
	k := func(g, p, t []float32, scale float64) float64 {
		if l.FromLogits {
			return kernel.BinaryCrossEntropyLogits(g, p, t, scale)
		}
		return kernel.BinaryCrossEntropyProbs(g, p, t, Epsilon, scale)
	}
	return weightedElements(k, gradData(grad), pred.Data, target.Data, w, scale) * scale
}
