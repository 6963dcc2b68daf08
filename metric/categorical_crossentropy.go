package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// CategoricalCrossentropy is Keras's CategoricalCrossentropy metric
// (keras/src/metrics/probabilistic_metrics.py, a MeanMetricWrapper of
// categorical_crossentropy): each row's cross-entropy against one-hot (or
// soft) targets over the last axis (Keras's axis -1, the only one gokeras
// takes), from loss.CategoricalCrossentropy's per-sample values, averaged
// over every sample (weighted as Keras's Mean) since Reset.
type CategoricalCrossentropy struct {
	// FromLogits says the predictions are logits.
	FromLogits bool
	// LabelSmoothing in [0, 1] replaces targets y by y·(1-ls) + ls/classes.
	LabelSmoothing float64
	// LogName is the name in logs and History; "" is
	// "categorical_crossentropy".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "categorical_crossentropy".
func (m *CategoricalCrossentropy) Name() string {
	return nameOr(m.LogName, "categorical_crossentropy")
}

// Reset forgets every batch seen.
func (m *CategoricalCrossentropy) Reset() { m.lm.reset() }

// Result returns the mean cross-entropy over the samples seen.
func (m *CategoricalCrossentropy) Result() float64 { return m.lm.result() }

// Update adds one batch: pred (N, ..., classes), target of its shape.
func (m *CategoricalCrossentropy) Update(pred, target *tensor.Tensor) {
	m.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *CategoricalCrossentropy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	l := loss.CategoricalCrossentropy{FromLogits: m.FromLogits, LabelSmoothing: m.LabelSmoothing}
	updateLoss(&m.lm, m.Name(), l, 1, pred, target, w)
}

func (m *CategoricalCrossentropy) fresh() Metric {
	return &CategoricalCrossentropy{FromLogits: m.FromLogits, LabelSmoothing: m.LabelSmoothing, LogName: m.LogName}
}
