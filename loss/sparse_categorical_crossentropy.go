// This file follows keras/src/losses/losses.py, SparseCategoricalCrossentropy.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// SparseCategoricalCrossentropy is Keras's sparse_categorical_crossentropy:
// targets are class indices stored as float32, of shape (N,) or (N, 1) for
// predictions (N, C) (more axes between are allowed, as in Keras).
type SparseCategoricalCrossentropy struct {
	// FromLogits says the predictions are logits rather than probabilities.
	// Keras's default is false.
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the one-hot target y by
	// y*(1-ls) + ls/C. Keras 3's sparse loss has no such option (only
	// CategoricalCrossentropy does); here it makes the loss exactly
	// categorical_crossentropy on the smoothed one-hot rows, so integer
	// labels need not be expanded by the user.
	LabelSmoothing float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size". NoReduction cannot be trained on (Check says
	// so); Values gives the per-sample losses.
	Reduction Reduction
}

// Name returns "sparse_categorical_crossentropy".
func (SparseCategoricalCrossentropy) Name() string { return NameSparseCategoricalCrossentropy }

// Check accepts targets of pred's shape without its last axis, or with a last
// axis of 1.
func (l SparseCategoricalCrossentropy) Check(pred, target tensor.Shape) error {
	if err := l.Reduction.check(l.Name()); err != nil {
		return err
	}
	if err := checkSmoothing(l.Name(), l.LabelSmoothing); err != nil {
		return err
	}
	if err := checkBatch(l.Name(), pred, target); err != nil {
		return err
	}
	if len(pred) < 2 {
		return fmt.Errorf("loss: %s needs predictions of shape (batch, classes), got %v; end the model with a Dense layer of one unit per class", l.Name(), pred)
	}
	if labelShape(pred, target) {
		return nil
	}
	c := pred[len(pred)-1]
	if len(target) == len(pred) && target[len(target)-1] > 1 {
		return fmt.Errorf("loss: %s got targets of shape %v for predictions %v; targets with one column per class are one-hot, so use %s, or pass integer class labels of shape %v",
			l.Name(), target, pred, NameCategoricalCrossentropy, pred[:len(pred)-1])
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs one integer class label in [0, %d) per sample, shape %v",
		l.Name(), target, pred, c, pred[:len(pred)-1])
}

// Compute returns the mean sparse cross-entropy. From probabilities it
// follows the TensorFlow backend exactly: clip to [Epsilon, 1-Epsilon], take
// the log, and apply sparse softmax cross-entropy to that, which renormalises
// the clipped row. It panics on a label outside [0, C); see CheckTargets.
func (l SparseCategoricalCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l SparseCategoricalCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	rows, cols := rowsCols(pred)
	scale := l.Reduction.scale(rows, 1, w)
	if l.LabelSmoothing != 0 {
		t := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, true)
		defer targetPool.Put(t)
		return categorical(gradData(grad), pred.Data, *t, w, rows, cols, l.FromLogits, scale) * scale
	}
	k := func(g, p, t []float32, rows int, scale float64) float64 {
		if l.FromLogits {
			return kernel.SparseSoftmaxCrossEntropy(g, p, t, rows, cols, scale)
		}
		return kernel.SparseCrossEntropyProbs(g, p, t, rows, cols, Epsilon, scale)
	}
	return weightedRows(k, gradData(grad), pred.Data, target.Data, w, rows, cols, 1, scale) * scale
}

// ComputeFromSoftmax returns the same value as Compute on probs and writes
// the gradient with respect to the logits, (probs - onehot)/N. It panics
// when FromLogits is set: the predictions would then not be probabilities.
func (l SparseCategoricalCrossentropy) ComputeFromSoftmax(probs, target, gradLogits *tensor.Tensor) float64 {
	return l.ComputeFromSoftmaxWeighted(probs, target, nil, gradLogits)
}

// ComputeFromSoftmaxWeighted is ComputeFromSoftmax with per-sample weights
// (see Weighted).
func (l SparseCategoricalCrossentropy) ComputeFromSoftmaxWeighted(probs, target *tensor.Tensor, w []float32, gradLogits *tensor.Tensor) float64 {
	if l.FromLogits {
		panic("loss: ComputeFromSoftmax called on a from_logits loss; check with loss.Fused first")
	}
	mustCheck(l, probs, target, gradLogits)
	checkWeights(l.Name(), probs, w)
	rows, cols := rowsCols(probs)
	scale := l.Reduction.scale(rows, 1, w)
	if l.LabelSmoothing != 0 {
		t := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, true)
		defer targetPool.Put(t)
		return categoricalFromSoftmax(probs.Data, *t, w, gradData(gradLogits), rows, cols, scale) * scale
	}
	value := func(_, p, t []float32, rows int, scale float64) float64 {
		return kernel.SparseCrossEntropyProbs(nil, p, t, rows, cols, Epsilon, scale)
	}
	sum := weightedRows(value, nil, probs.Data, target.Data, w, rows, cols, 1, scale)
	if gradLogits != nil {
		grad := func(g, p, t []float32, rows int, scale float64) float64 {
			kernel.SparseSoftmaxCrossEntropyGradFromProbs(g, p, t, rows, cols, scale)
			return 0
		}
		weightedRows(grad, gradLogits.Data, probs.Data, target.Data, w, rows, cols, 1, scale)
	}
	return sum * scale
}

// Values returns the per-sample losses (see Unreduced). It does not
// check that the labels are class indices; see CheckTargets.
func (l SparseCategoricalCrossentropy) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	if err := CheckTargets(target, lastAxis(pred)); err != nil {
		return nil, err
	}
	rows, cols := rowsCols(pred)
	if l.LabelSmoothing != 0 {
		t := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, true)
		defer targetPool.Put(t)
		return rowValues(categoricalKernel(cols, l.FromLogits), pred.Data, *t, w, rows, cols, cols, out), nil
	}
	k := func(g, p, t []float32, rows int, scale float64) float64 {
		if l.FromLogits {
			return kernel.SparseSoftmaxCrossEntropy(g, p, t, rows, cols, scale)
		}
		return kernel.SparseCrossEntropyProbs(g, p, t, rows, cols, Epsilon, scale)
	}
	return rowValues(k, pred.Data, target.Data, w, rows, cols, 1, out), nil
}
