package metric

import (
	"github.com/gokeras/gokeras/tensor"
)

// Accuracy is Keras's metrics=["accuracy"]: on each Update it picks binary,
// sparse categorical or categorical accuracy from the shapes, as Keras's
// compile does. Predictions with a last axis of 1 (or of rank 1) are
// binary; targets of lower rank than the predictions, or with a last axis of
// 1 against several classes, are class labels; otherwise both are one-hot.
type Accuracy struct {
	// LogName is the name in logs and History; "" is "accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "accuracy".
func (a *Accuracy) Name() string { return nameOr(a.LogName, "accuracy") }

// Reset forgets every batch seen.
func (a *Accuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *Accuracy) Result() float64 { return a.m.result() }

// Update adds one batch.
func (a *Accuracy) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *Accuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	pLast := pred.Shape[len(pred.Shape)-1]
	tLast := target.Shape[len(target.Shape)-1]
	switch {
	case len(pred.Shape) == 1 || pLast == 1:
		updateBinary(&a.m, a.Name(), pred, target, BinaryThreshold, w)
	case len(target.Shape) < len(pred.Shape) || (tLast == 1 && pLast > 1):
		updateSparse(&a.m, a.Name(), pred, target, w)
	default:
		updateCategorical(&a.m, a.Name(), pred, target, w)
	}
}
