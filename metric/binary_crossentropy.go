package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// BinaryCrossentropy is Keras's BinaryCrossentropy metric
// (keras/src/metrics/probabilistic_metrics.py, a MeanMetricWrapper of
// binary_crossentropy): each sample's cross-entropy, from
// loss.BinaryCrossentropy's per-sample values (the mean over the last
// axis; give rank-1 predictions as (N, 1): Keras averages a rank-1 batch
// into one value), averaged over every sample (weighted as Keras's Mean)
// since Reset.
type BinaryCrossentropy struct {
	// FromLogits says the predictions are logits.
	FromLogits bool
	// LabelSmoothing in [0, 1] replaces targets y by y·(1-ls) + 0.5·ls.
	LabelSmoothing float64
	// LogName is the name in logs and History; "" is "binary_crossentropy".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "binary_crossentropy".
func (m *BinaryCrossentropy) Name() string { return nameOr(m.LogName, "binary_crossentropy") }

// Reset forgets every batch seen.
func (m *BinaryCrossentropy) Reset() { m.lm.reset() }

// Result returns the mean cross-entropy over the samples seen.
func (m *BinaryCrossentropy) Result() float64 { return m.lm.result() }

// Update adds one batch: 0/1 (or soft) targets of pred's shape.
func (m *BinaryCrossentropy) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *BinaryCrossentropy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	l := loss.BinaryCrossentropy{FromLogits: m.FromLogits, LabelSmoothing: m.LabelSmoothing}
	updateLoss(&m.lm, m.Name(), l, 1, pred, target, w)
}

func (m *BinaryCrossentropy) fresh() Metric {
	return &BinaryCrossentropy{FromLogits: m.FromLogits, LabelSmoothing: m.LabelSmoothing, LogName: m.LogName}
}
