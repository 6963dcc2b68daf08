package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// BinaryAccuracy is the fraction of values where (pred > Threshold) equals
// the 0/1 target.
type BinaryAccuracy struct {
	// Threshold above which a prediction counts as 1; nil is Keras's
	// BinaryThreshold (0.5).
	Threshold *float64
	// LogName is the name in logs and History; "" is "binary_accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "binary_accuracy".
func (a *BinaryAccuracy) Name() string { return nameOr(a.LogName, "binary_accuracy") }

// Reset forgets every batch seen.
func (a *BinaryAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *BinaryAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: target has pred's size, e.g. (N,) for pred (N, 1).
func (a *BinaryAccuracy) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *BinaryAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	th := BinaryThreshold
	if a.Threshold != nil {
		th = *a.Threshold
	}
	updateBinary(&a.m, a.Name(), pred, target, th, w)
}

func updateBinary(m *mean, name string, pred, target *tensor.Tensor, threshold float64, w []float32) {
	if len(pred.Data) != len(target.Data) {
		panic(fmt.Sprintf("metric: %s needs one 0/1 target per prediction, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
	if w == nil {
		m.add(float64(kernel.CountThresholdEqual(pred.Data, target.Data, float32(threshold))), len(pred.Data))
		return
	}
	m.addWeighted(name, pred, len(pred.Data), w, func(lo, hi int) float64 {
		return float64(kernel.CountThresholdEqual(pred.Data[lo:hi], target.Data[lo:hi], float32(threshold)))
	})
}
