package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// CosineSimilarity is Keras's CosineSimilarity metric
// (keras/src/metrics/regression_metrics.py, a MeanMetricWrapper of its
// cosine_similarity): per row of the last axis (Keras's axis -1, the only
// one gokeras takes), sum(t̂·p̂) with x̂ = x/max(‖x‖, 1e-7), averaged over
// every sample (weighted as Keras's Mean) since Reset. It is the negative
// of loss.CosineSimilarity's per-sample values, which it uses, and goes
// up as predictions improve.
type CosineSimilarity struct {
	// LogName is the name in logs and History; "" is "cosine_similarity".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "cosine_similarity".
func (m *CosineSimilarity) Name() string { return nameOr(m.LogName, "cosine_similarity") }

// Reset forgets every batch seen.
func (m *CosineSimilarity) Reset() { m.lm.reset() }

// Result returns the mean cosine similarity over the samples seen.
func (m *CosineSimilarity) Result() float64 { return m.lm.result() }

// Update adds one batch: pred (N, ..., features), target of its shape.
func (m *CosineSimilarity) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *CosineSimilarity) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.CosineSimilarity{}, -1, pred, target, w)
}

func (m *CosineSimilarity) fresh() Metric { return &CosineSimilarity{LogName: m.LogName} }
