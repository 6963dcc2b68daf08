// This file follows keras/src/losses/losses.py, CategoricalCrossentropy.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// CategoricalCrossentropy is Keras's categorical_crossentropy: targets are
// one-hot (or soft) rows of the predictions' shape.
type CategoricalCrossentropy struct {
	// FromLogits says the predictions are logits rather than probabilities.
	// Keras's default is false.
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the targets y by
	// y*(1-ls) + ls/C, as Keras's label_smoothing does (default 0).
	LabelSmoothing float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size". NoReduction cannot be trained on (Check says
	// so); Values gives the per-sample losses.
	Reduction Reduction
}

// Name returns "categorical_crossentropy".
func (CategoricalCrossentropy) Name() string { return NameCategoricalCrossentropy }

// Check accepts targets of pred's shape.
func (l CategoricalCrossentropy) Check(pred, target tensor.Shape) error {
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
	if target.Equal(pred) {
		return nil
	}
	if labelShape(pred, target) {
		return fmt.Errorf("loss: %s got targets of shape %v for predictions %v; these look like integer class labels, so use %s, or one-hot encode them to %v",
			l.Name(), target, pred, NameSparseCategoricalCrossentropy, pred)
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs one-hot targets of the predictions' shape",
		l.Name(), target, pred)
}

// Compute returns the mean categorical cross-entropy. From probabilities it
// rescales each row to sum to 1 and clips to [Epsilon, 1-Epsilon] before the
// log, as Keras does; from logits it uses a stable log-softmax.
func (l CategoricalCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l CategoricalCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	rows, cols := rowsCols(pred)
	scale := l.Reduction.scale(rows, 1, w)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return categorical(gradData(grad), pred.Data, t, w, rows, cols, l.FromLogits, scale) * scale
}

// categorical returns the summed categorical cross-entropy of pred against
// rows of targets t, each row's times its sample's weight when w is
// non-nil, and writes its gradient (scaled) into grad when non-nil.
func categorical(grad, pred, t, w []float32, rows, cols int, fromLogits bool, scale float64) float64 {
	k := func(g, p, t []float32, rows int, scale float64) float64 {
		if fromLogits {
			return kernel.SoftmaxCrossEntropy(g, p, t, rows, cols, scale)
		}
		return kernel.CrossEntropyProbs(g, p, t, rows, cols, Epsilon, scale)
	}
	return weightedRows(k, grad, pred, t, w, rows, cols, cols, scale)
}

// categoricalFromSoftmax is categorical from probabilities with the
// gradient with respect to the logits: (probs*sum(t) - t)*scale.
func categoricalFromSoftmax(probs, t, w, gradLogits []float32, rows, cols int, scale float64) float64 {
	value := func(_, p, t []float32, rows int, scale float64) float64 {
		return kernel.CrossEntropyProbs(nil, p, t, rows, cols, Epsilon, scale)
	}
	sum := weightedRows(value, nil, probs, t, w, rows, cols, cols, scale)
	if gradLogits != nil {
		grad := func(g, p, t []float32, rows int, scale float64) float64 {
			kernel.SoftmaxCrossEntropyGradFromProbs(g, p, t, rows, cols, scale)
			return 0
		}
		weightedRows(grad, gradLogits, probs, t, w, rows, cols, cols, scale)
	}
	return sum
}

// ComputeFromSoftmax returns the same value as Compute on probs and writes
// the gradient with respect to the logits, (probs*sum(t) - t)/N, which is
// (probs - onehot)/N for one-hot targets. It panics when FromLogits is set.
func (l CategoricalCrossentropy) ComputeFromSoftmax(probs, target, gradLogits *tensor.Tensor) float64 {
	return l.ComputeFromSoftmaxWeighted(probs, target, nil, gradLogits)
}

// ComputeFromSoftmaxWeighted is ComputeFromSoftmax with per-sample weights
// (see Weighted).
func (l CategoricalCrossentropy) ComputeFromSoftmaxWeighted(probs, target *tensor.Tensor, w []float32, gradLogits *tensor.Tensor) float64 {
	if l.FromLogits {
		panic("loss: ComputeFromSoftmax called on a from_logits loss; check with loss.Fused first")
	}
	mustCheck(l, probs, target, gradLogits)
	checkWeights(l.Name(), probs, w)
	rows, cols := rowsCols(probs)
	scale := l.Reduction.scale(rows, 1, w)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return categoricalFromSoftmax(probs.Data, t, w, gradData(gradLogits), rows, cols, scale) * scale
}

// categoricalKernel is the row kernel of categorical cross-entropy.
func categoricalKernel(cols int, fromLogits bool) rowKernel {
	return func(g, p, t []float32, rows int, scale float64) float64 {
		if fromLogits {
			return kernel.SoftmaxCrossEntropy(g, p, t, rows, cols, scale)
		}
		return kernel.CrossEntropyProbs(g, p, t, rows, cols, Epsilon, scale)
	}
}

// Values returns the per-sample losses (see Unreduced).
func (l CategoricalCrossentropy) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	rows, cols := rowsCols(pred)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return rowValues(categoricalKernel(cols, l.FromLogits), pred.Data, t, w, rows, cols, cols, out), nil
}
