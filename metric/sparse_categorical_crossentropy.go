package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// SparseCategoricalCrossentropy is Keras's SparseCategoricalCrossentropy
// metric (keras/src/metrics/probabilistic_metrics.py, a MeanMetricWrapper
// of sparse_categorical_crossentropy): each row's cross-entropy against an
// integer class label (classes on the last axis, Keras's axis -1, the only
// one gokeras takes), from loss.SparseCategoricalCrossentropy's per-sample
// values, averaged over every sample (weighted as Keras's Mean) since
// Reset.
type SparseCategoricalCrossentropy struct {
	// FromLogits says the predictions are logits.
	FromLogits bool
	// LogName is the name in logs and History; "" is
	// "sparse_categorical_crossentropy".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "sparse_categorical_crossentropy".
func (m *SparseCategoricalCrossentropy) Name() string {
	return nameOr(m.LogName, "sparse_categorical_crossentropy")
}

// Reset forgets every batch seen.
func (m *SparseCategoricalCrossentropy) Reset() { m.lm.reset() }

// Result returns the mean cross-entropy over the samples seen.
func (m *SparseCategoricalCrossentropy) Result() float64 { return m.lm.result() }

// Update adds one batch: pred (N, classes), target (N,) or (N, 1) labels.
func (m *SparseCategoricalCrossentropy) Update(pred, target *tensor.Tensor) {
	m.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *SparseCategoricalCrossentropy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.SparseCategoricalCrossentropy{FromLogits: m.FromLogits}, 1, pred, target, w)
}

func (m *SparseCategoricalCrossentropy) fresh() Metric {
	return &SparseCategoricalCrossentropy{FromLogits: m.FromLogits, LogName: m.LogName}
}
