// Package loss owns the training losses Keras users pass to compile as
// loss="sparse_categorical_crossentropy" and the like: their values, their
// gradients with respect to the predictions, and the shape checks that turn
// a wrong pairing of targets and loss into an error that says what to do.
//
// Every loss uses Keras's default reduction, "sum_over_batch_size": the
// per-sample losses are averaged, after multiplying them by the sample
// weights when there are any (see weighted.go). The formulas follow Keras 3 with the
// TensorFlow backend (keras/src/backend/tensorflow/nn.py and
// keras/src/losses/losses.py). Values are accumulated in float64, in index
// order, so they are deterministic. The loops are in internal/kernel.
package loss

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Epsilon is Keras's backend.epsilon(), the clip margin for losses computed
// from probabilities (keras/src/backend/config.py).
const Epsilon = 1e-7

// HuberDelta is Keras's default delta for the Huber loss
// (keras/src/losses/losses.py, class Huber).
const HuberDelta = 1.0

// Keras names of the losses, as Name returns them.
const (
	NameSparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
	NameCategoricalCrossentropy       = "categorical_crossentropy"
	NameBinaryCrossentropy            = "binary_crossentropy"
	NameMSE                           = "mean_squared_error"
	NameMAE                           = "mean_absolute_error"
	NameHuber                         = "huber_loss"
)

// Loss is a Keras loss with reduction "sum_over_batch_size" (mean over the batch).
type Loss interface {
	Name() string // Keras name, e.g. "sparse_categorical_crossentropy"
	// Check returns an error saying what to do when targets of shape target
	// cannot be scored against predictions of shape pred (both include the
	// batch axis).
	Check(pred, target tensor.Shape) error
	// Compute returns the mean loss of the batch and, when grad is non-nil,
	// writes dLoss/dpred (same shape as pred) into grad. It may panic on
	// shapes Check rejects.
	Compute(pred, target, grad *tensor.Tensor) float64
}

// SoftmaxFused is implemented by the cross-entropy losses when they take
// probabilities: given p = softmax(logits) it returns the loss and writes the
// fused, stable dLoss/dlogits = (p - onehot)/N into gradLogits, each row
// times its sample's weight with ComputeFromSoftmaxWeighted.
//
// Keras with the TensorFlow backend does the same: when the predictions come
// straight from a softmax, the loss reads the logits instead
// (_get_logits in keras/src/backend/tensorflow/nn.py). Use Fused to find out
// whether a loss should take this path.
type SoftmaxFused interface {
	Loss
	ComputeFromSoftmax(probs, target, gradLogits *tensor.Tensor) float64
	ComputeFromSoftmaxWeighted(probs, target *tensor.Tensor, w []float32, gradLogits *tensor.Tensor) float64
}

// Fused returns l as a SoftmaxFused when it is a cross-entropy that takes
// probabilities (FromLogits false), so that a model whose last layer is a
// softmax may skip that layer's backward pass.
func Fused(l Loss) (SoftmaxFused, bool) {
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		return v, !v.FromLogits
	case *SparseCategoricalCrossentropy:
		return v, !v.FromLogits
	case CategoricalCrossentropy:
		return v, !v.FromLogits
	case *CategoricalCrossentropy:
		return v, !v.FromLogits
	}
	return nil, false
}

// names lists every name Parse accepts, in the order the error shows them.
var names = []string{
	NameSparseCategoricalCrossentropy,
	NameCategoricalCrossentropy,
	NameBinaryCrossentropy,
	"mse", NameMSE,
	"mae", NameMAE,
	"huber", NameHuber,
}

// Parse returns the loss with Keras name or alias name, with default options.
func Parse(name string) (Loss, error) {
	switch name {
	case NameSparseCategoricalCrossentropy:
		return SparseCategoricalCrossentropy{}, nil
	case NameCategoricalCrossentropy:
		return CategoricalCrossentropy{}, nil
	case NameBinaryCrossentropy:
		return BinaryCrossentropy{}, nil
	case "mse", NameMSE:
		return MSE{}, nil
	case "mae", NameMAE:
		return MAE{}, nil
	case "huber", NameHuber:
		return Huber{}, nil
	}
	return nil, fmt.Errorf("loss: unknown loss %q; use one of %s", name, strings.Join(names, ", "))
}

// CheckTargets returns an error when any value of target is not an integer
// class index in [0, classes), as sparse_categorical_crossentropy needs.
// Check sees only shapes; call this once per data set.
func CheckTargets(target *tensor.Tensor, classes int) error {
	i := kernel.FirstBadLabel(target.Data, classes)
	if i < 0 {
		return nil
	}
	v := target.Data[i]
	if v != float32(int(v)) {
		return fmt.Errorf("loss: label %v at index %d is not an integer; %s needs integer class indices from 0 to %d (use categorical_crossentropy for one-hot or soft targets)",
			v, i, NameSparseCategoricalCrossentropy, classes-1)
	}
	return fmt.Errorf("loss: label %v at index %d is outside [0, %d); %s needs integer class indices from 0 to %d, so give the last layer at least %d units or fix the labels",
		v, i, classes, NameSparseCategoricalCrossentropy, classes-1, int(v)+1)
}

// rowsCols splits pred into rows of its last axis.
func rowsCols(pred *tensor.Tensor) (rows, cols int) {
	cols = pred.Shape[len(pred.Shape)-1]
	return len(pred.Data) / cols, cols
}

// mustCheck panics with l's own error when Check rejects the shapes, and
// when grad does not match pred. It is generic so that passing a loss
// struct does not box it (an allocation per training step).
func mustCheck[L Loss](l L, pred, target, grad *tensor.Tensor) {
	if err := l.Check(pred.Shape, target.Shape); err != nil {
		panic(err)
	}
	if grad != nil && len(grad.Data) != len(pred.Data) {
		panic(fmt.Sprintf("loss: %s gradient has shape %v, want the predictions' %v", l.Name(), grad.Shape, pred.Shape))
	}
}

// gradData is grad's slice, or nil.
func gradData(grad *tensor.Tensor) []float32 {
	if grad == nil {
		return nil
	}
	return grad.Data
}

// checkBatch checks that pred and target are non-empty with the same batch size.
func checkBatch(name string, pred, target tensor.Shape) error {
	if len(pred) == 0 || pred.Size() <= 0 {
		return fmt.Errorf("loss: %s got empty predictions of shape %v; predictions need a batch axis and at least one value", name, pred)
	}
	if len(target) == 0 || target.Size() <= 0 {
		return fmt.Errorf("loss: %s got empty targets of shape %v; targets need a batch axis and at least one value", name, target)
	}
	if pred[0] != target[0] {
		return fmt.Errorf("loss: %s got %d targets for %d predictions; pass one target per sample", name, target[0], pred[0])
	}
	return nil
}

// labelShape reports whether target holds one class index per row of pred:
// pred without its last axis, or that with a trailing axis of 1.
func labelShape(pred, target tensor.Shape) bool {
	lead := pred[:len(pred)-1]
	if target.Equal(lead) {
		return true
	}
	return len(target) == len(pred) && target[len(target)-1] == 1 && target[:len(target)-1].Equal(lead)
}

// sameUpToTrailingOne reports whether a and b are equal, or equal once a
// trailing axis of 1 is dropped from the longer, as Keras's
// squeeze_or_expand_to_same_rank allows.
func sameUpToTrailingOne(a, b tensor.Shape) bool {
	switch {
	case a.Equal(b):
		return true
	case len(a) == len(b)+1:
		return a[len(a)-1] == 1 && a[:len(b)].Equal(b)
	case len(b) == len(a)+1:
		return b[len(b)-1] == 1 && b[:len(a)].Equal(a)
	}
	return false
}

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
}

// Name returns "sparse_categorical_crossentropy".
func (SparseCategoricalCrossentropy) Name() string { return NameSparseCategoricalCrossentropy }

// Check accepts targets of pred's shape without its last axis, or with a last
// axis of 1.
func (l SparseCategoricalCrossentropy) Check(pred, target tensor.Shape) error {
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
	scale := 1 / float64(rows)
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
	scale := 1 / float64(rows)
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

// CategoricalCrossentropy is Keras's categorical_crossentropy: targets are
// one-hot (or soft) rows of the predictions' shape.
type CategoricalCrossentropy struct {
	// FromLogits says the predictions are logits rather than probabilities.
	// Keras's default is false.
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the targets y by
	// y*(1-ls) + ls/C, as Keras's label_smoothing does (default 0).
	LabelSmoothing float64
}

// Name returns "categorical_crossentropy".
func (CategoricalCrossentropy) Name() string { return NameCategoricalCrossentropy }

// Check accepts targets of pred's shape.
func (l CategoricalCrossentropy) Check(pred, target tensor.Shape) error {
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
	scale := 1 / float64(rows)
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

// targetPool holds the smoothed-target buffers, so that training with
// label smoothing does not allocate per step.
var targetPool = sync.Pool{New: func() any { return new([]float32) }}

// smoothTargets returns y*(1-ls) + ls/cols for the rows of target (one-hot
// or soft rows, or class indices when sparse) in a buffer from targetPool,
// which the caller puts back. A sparse label outside [0, cols) panics, as
// the sparse kernels do; see CheckTargets.
func smoothTargets(target []float32, rows, cols int, ls float64, sparse bool) *[]float32 {
	p := targetPool.Get().(*[]float32)
	n := rows * cols
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	buf := (*p)[:n]
	*p = buf
	keep, off := float32(1-ls), float32(ls/float64(cols))
	if !sparse {
		for i, v := range target[:n] {
			buf[i] = v*keep + off
		}
		return p
	}
	for i := range buf {
		buf[i] = off
	}
	for r, v := range target[:rows] {
		c := int(v)
		if float32(c) != v || c < 0 || c >= cols {
			panic(fmt.Sprintf("loss: label %v at index %d is not a class index in [0, %d); see CheckTargets", v, r, cols))
		}
		buf[r*cols+c] += keep
	}
	return p
}

// checkSmoothing checks a label_smoothing value.
func checkSmoothing(name string, ls float64) error {
	if !(ls >= 0 && ls <= 1) {
		return fmt.Errorf("loss: %s label_smoothing is %v; use a value in [0, 1], e.g. 0.1", name, ls)
	}
	return nil
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
	scale := 1 / float64(rows)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return categoricalFromSoftmax(probs.Data, t, w, gradData(gradLogits), rows, cols, scale) * scale
}

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

// checkRegression is Check for the element-wise regression losses.
func checkRegression(name string, pred, target tensor.Shape) error {
	if err := checkBatch(name, pred, target); err != nil {
		return err
	}
	if sameUpToTrailingOne(pred, target) {
		return nil
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs one target per prediction, so make the last layer's output match the targets",
		name, target, pred)
}

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

// MAE is Keras's mean_absolute_error: mean of |pred-target|.
type MAE struct{}

// Name returns "mean_absolute_error".
func (MAE) Name() string { return NameMAE }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l MAE) Check(pred, target tensor.Shape) error { return checkRegression(l.Name(), pred, target) }

// Compute returns the mean absolute error; its gradient is 0 where
// pred == target, as the sign function's is.
func (l MAE) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l MAE) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	scale := 1 / float64(len(pred.Data))
	return weightedElements(kernel.AbsoluteError, gradData(grad), pred.Data, target.Data, w, scale) * scale
}

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
