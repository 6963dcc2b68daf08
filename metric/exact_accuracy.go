package metric

import (
	"github.com/gokeras/gokeras/tensor"
)

// ExactAccuracy is Keras's Accuracy class (keras/src/metrics/
// accuracy_metrics.py, a MeanMetricWrapper of accuracy): the fraction of
// values where the prediction equals the target exactly, averaged over
// every sample (weighted as Keras's Mean) since Reset. It is what
// {"class_name": "Accuracy"} and FromConfig("Accuracy", ...) give; the
// name "accuracy" (Parse) is compile's choice by shape, Accuracy.
type ExactAccuracy struct {
	// LogName is the name in logs and History; "" is "accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "accuracy".
func (a *ExactAccuracy) Name() string { return nameOr(a.LogName, "accuracy") }

// Reset forgets every batch seen.
func (a *ExactAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of predictions equal to their targets.
func (a *ExactAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch; target has pred's size.
func (a *ExactAccuracy) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *ExactAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	equal := func(lo, hi int) float64 {
		n := 0
		for i := lo; i < hi; i++ {
			if pred.Data[i] == target.Data[i] {
				n++
			}
		}
		return float64(n)
	}
	if w == nil {
		a.m.add(equal(0, len(pred.Data)), len(pred.Data))
		return
	}
	a.m.addWeighted(a.Name(), pred, len(pred.Data), w, equal)
}

func (a *ExactAccuracy) fresh() Metric { return &ExactAccuracy{LogName: a.LogName} }
