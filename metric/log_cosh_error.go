package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// LogCoshError is Keras's LogCoshError metric
// (keras/src/metrics/regression_metrics.py, a MeanMetricWrapper of the loss
// function): the mean over the last axis of log(cosh(p - y)), from
// loss.LogCosh's per-sample values, averaged over every sample (weighted as
// Keras's Mean) since Reset.
type LogCoshError struct {
	// LogName is the name in logs and History; "" is "logcosh".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "logcosh".
func (m *LogCoshError) Name() string { return nameOr(m.LogName, "logcosh") }

// Reset forgets every batch seen.
func (m *LogCoshError) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *LogCoshError) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *LogCoshError) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *LogCoshError) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.LogCosh{}, 1, pred, target, w)
}

func (m *LogCoshError) fresh() Metric { return &LogCoshError{LogName: m.LogName} }
