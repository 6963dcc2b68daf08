package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// KLDivergence is Keras's KLDivergence metric
// (keras/src/metrics/probabilistic_metrics.py, a MeanMetricWrapper of the loss
// function): the sum over the last axis of y·log(y/p), both clipped to [1e-7,
// 1], from loss.KLDivergence's per-sample values, averaged over every sample
// (weighted as Keras's Mean) since Reset.
type KLDivergence struct {
	// LogName is the name in logs and History; "" is "kl_divergence".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "kl_divergence".
func (m *KLDivergence) Name() string { return nameOr(m.LogName, "kl_divergence") }

// Reset forgets every batch seen.
func (m *KLDivergence) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *KLDivergence) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *KLDivergence) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *KLDivergence) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.KLDivergence{}, 1, pred, target, w)
}

func (m *KLDivergence) fresh() Metric { return &KLDivergence{LogName: m.LogName} }
