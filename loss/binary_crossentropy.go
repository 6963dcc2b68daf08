// This file follows keras/src/losses/losses.py, BinaryCrossentropy and
// binary_crossentropy.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// BinaryCrossentropy is Keras's binary_crossentropy: targets are 0/1 (or
// soft) values of the predictions' shape, typically (N, 1). Each sample's
// loss is the mean over the last axis.
type BinaryCrossentropy struct {
	// FromLogits says the predictions are logits rather than sigmoid
	// probabilities. Keras's default is false.
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the targets y by
	// y*(1-ls) + 0.5*ls, as Keras's label_smoothing does (default 0).
	LabelSmoothing float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "binary_crossentropy".
func (BinaryCrossentropy) Name() string { return NameBinaryCrossentropy }

// Check accepts targets of pred's shape, or that shape with or without a
// trailing axis of 1 (so (N,) labels fit (N, 1) predictions).
func (l BinaryCrossentropy) Check(pred, target tensor.Shape) error {
	return checkBinary(l.Name(), l.Reduction, l.LabelSmoothing, pred, target)
}

// checkBinary is Check for the binary cross-entropies.
func checkBinary(name string, r Reduction, ls float64, pred, target tensor.Shape) error {
	if err := r.check(name); err != nil {
		return err
	}
	if err := checkSmoothing(name, ls); err != nil {
		return err
	}
	if err := checkBatch(name, pred, target); err != nil {
		return err
	}
	if sameUpToTrailingOne(pred, target) {
		return nil
	}
	if len(pred) >= 2 && pred[len(pred)-1] > 1 && labelShape(pred, target) {
		return fmt.Errorf("loss: %s got targets of shape %v for predictions %v; for one integer class label per sample over %d classes use %s, or for binary labels end the model with Dense(1, activation=sigmoid)",
			name, target, pred, pred[len(pred)-1], NameSparseCategoricalCrossentropy)
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs one 0/1 target per prediction", name, target, pred)
}

// Compute returns the binary cross-entropy of the batch. From
// probabilities they are clipped to [Epsilon, 1-Epsilon]; from logits the
// stable max(x,0) - x*y + log(1+exp(-|x|)) is used.
func (l BinaryCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// kernel returns the element-wise kernel.
func (l BinaryCrossentropy) kernel() elementKernel {
	if l.FromLogits {
		return kernel.BinaryCrossEntropyLogits
	}
	return func(g, p, t []float32, scale float64) float64 {
		return kernel.BinaryCrossEntropyProbs(g, p, t, Epsilon, scale)
	}
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l BinaryCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	if l.LabelSmoothing != 0 {
		t := smoothBinary(target.Data, len(pred.Data), l.LabelSmoothing)
		defer targetPool.Put(t)
		return elementwise(l.Reduction, l.kernel(), pred, *t, w, grad, false)
	}
	return elementwise(l.Reduction, l.kernel(), pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l BinaryCrossentropy) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	if l.LabelSmoothing != 0 {
		t := smoothBinary(target.Data, len(pred.Data), l.LabelSmoothing)
		defer targetPool.Put(t)
		return elementValues(l.kernel(), pred, *t, w, false, out), nil
	}
	return elementValues(l.kernel(), pred, target.Data, w, false, out), nil
}
