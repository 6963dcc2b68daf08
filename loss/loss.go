// Package loss owns the training losses Keras users pass to compile as
// loss="sparse_categorical_crossentropy" and the like: their values, their
// gradients with respect to the predictions, and the shape checks that turn
// a wrong pairing of targets and loss into an error that says what to do.
//
// Every loss takes Keras's reduction argument (reduction.go); the
// default, "sum_over_batch_size", averages the per-sample losses after
// multiplying them by the sample weights when there are any (see
// weighted.go), and "none" gives per-sample losses (Values) but cannot be
// trained on. The formulas follow Keras 3 with the TensorFlow backend
// (keras/src/backend/tensorflow/nn.py and keras/src/losses/losses.py). Values are accumulated in float64, in index
// order, so they are deterministic. The loops of the first losses are in
// internal/kernel; the others are in their class's file.
package loss

import (
	"fmt"
	"slices"
	"strings"

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
	NameLogCosh                       = "log_cosh"
	NameKLDivergence                  = "kl_divergence"
	NamePoisson                       = "poisson"
	NameHinge                         = "hinge"
	NameSquaredHinge                  = "squared_hinge"
	NameCategoricalHinge              = "categorical_hinge"
	NameCosineSimilarity              = "cosine_similarity"
	NameMAPE                          = "mean_absolute_percentage_error"
	NameMSLE                          = "mean_squared_logarithmic_error"
	NameBinaryFocalCrossentropy       = "binary_focal_crossentropy"
	NameCategoricalFocalCrossentropy  = "categorical_focal_crossentropy"
)

// Loss is a Keras loss: its value over a batch, reduced as its Reduction
// says, and its gradient.
type Loss interface {
	Name() string // Keras name, e.g. "sparse_categorical_crossentropy"
	// Check returns an error saying what to do when targets of shape target
	// cannot be scored against predictions of shape pred (both include the
	// batch axis).
	Check(pred, target tensor.Shape) error
	// Compute returns the reduced loss of the batch and, when grad is non-nil,
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

// aliases maps every name Parse accepts to its loss at Keras's defaults:
// the names of Keras 3's loss functions and classes (keras.losses.get
// looks both up in ALL_OBJECTS_DICT, keras/src/losses/__init__.py), its
// short aliases (bce, kld, mae, mse, mape, msle, upper or lower case), the
// classes' default names (huber_loss, which gokeras writes to model files),
// and the Keras 2 names logcosh and kullback_leibler_divergence that old
// scripts use.
var aliases = map[string]Loss{
	NameSparseCategoricalCrossentropy: SparseCategoricalCrossentropy{},
	"SparseCategoricalCrossentropy":   SparseCategoricalCrossentropy{},
	NameCategoricalCrossentropy:       CategoricalCrossentropy{},
	"CategoricalCrossentropy":         CategoricalCrossentropy{},
	NameBinaryCrossentropy:            BinaryCrossentropy{},
	"BinaryCrossentropy":              BinaryCrossentropy{},
	"bce":                             BinaryCrossentropy{},
	"BCE":                             BinaryCrossentropy{},
	NameMSE:                           MSE{},
	"MeanSquaredError":                MSE{},
	"mse":                             MSE{},
	"MSE":                             MSE{},
	NameMAE:                           MAE{},
	"MeanAbsoluteError":               MAE{},
	"mae":                             MAE{},
	"MAE":                             MAE{},
	NameHuber:                         Huber{},
	"huber":                           Huber{},
	"Huber":                           Huber{},
	NameLogCosh:                       LogCosh{},
	"LogCosh":                         LogCosh{},
	"logcosh":                         LogCosh{},
	NameKLDivergence:                  KLDivergence{},
	"KLDivergence":                    KLDivergence{},
	"kld":                             KLDivergence{},
	"KLD":                             KLDivergence{},
	"kullback_leibler_divergence":     KLDivergence{},
	NamePoisson:                       Poisson{},
	"Poisson":                         Poisson{},
	NameHinge:                         Hinge{},
	"Hinge":                           Hinge{},
	NameSquaredHinge:                  SquaredHinge{},
	"SquaredHinge":                    SquaredHinge{},
	NameCategoricalHinge:              CategoricalHinge{},
	"CategoricalHinge":                CategoricalHinge{},
	NameCosineSimilarity:              CosineSimilarity{},
	"CosineSimilarity":                CosineSimilarity{},
	NameMAPE:                          MAPE{},
	"MeanAbsolutePercentageError":     MAPE{},
	"mape":                            MAPE{},
	"MAPE":                            MAPE{},
	NameMSLE:                          MSLE{},
	"MeanSquaredLogarithmicError":     MSLE{},
	"msle":                            MSLE{},
	"MSLE":                            MSLE{},
	NameBinaryFocalCrossentropy:       BinaryFocalCrossentropy{},
	"BinaryFocalCrossentropy":         BinaryFocalCrossentropy{},
	NameCategoricalFocalCrossentropy:  CategoricalFocalCrossentropy{},
	"CategoricalFocalCrossentropy":    CategoricalFocalCrossentropy{},
	NameDice:                          Dice{},
	"Dice":                            Dice{},
	NameTversky:                       Tversky{},
	"Tversky":                         Tversky{},
	NameIoU:                           IoU{},
	"IoU":                             IoU{},
	NameCircle:                        Circle{},
	"Circle":                          Circle{},
	NameCTC:                           CTC{},
	"CTC":                             CTC{},
}

// Parse returns the loss with Keras name or alias name (see aliases), with
// Keras's default options.
func Parse(name string) (Loss, error) {
	if l, ok := aliases[name]; ok {
		return l, nil
	}
	names := make([]string, 0, len(aliases))
	for n, l := range aliases {
		if n == l.Name() {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return nil, fmt.Errorf("loss: unknown loss %q; use one of %s (or their Keras class names and aliases such as mse, mae, kld, mape, msle, bce)", name, strings.Join(names, ", "))
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

// checkElementwise is Check for an element-wise loss with reduction r.
func checkElementwise(name string, r Reduction, pred, target tensor.Shape) error {
	if err := r.check(name); err != nil {
		return err
	}
	return checkRegression(name, pred, target)
}
