package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// Poisson is Keras's Poisson metric
// (keras/src/metrics/probabilistic_metrics.py, a MeanMetricWrapper of the loss
// function): the mean over the last axis of p - y·log(p + 1e-7), from
// loss.Poisson's per-sample values, averaged over every sample (weighted as
// Keras's Mean) since Reset.
type Poisson struct {
	// LogName is the name in logs and History; "" is "poisson".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "poisson".
func (m *Poisson) Name() string { return nameOr(m.LogName, "poisson") }

// Reset forgets every batch seen.
func (m *Poisson) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *Poisson) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *Poisson) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *Poisson) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.Poisson{}, 1, pred, target, w)
}

func (m *Poisson) fresh() Metric { return &Poisson{LogName: m.LogName} }
