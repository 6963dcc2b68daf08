package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// MeanSquaredLogarithmicError is Keras's MeanSquaredLogarithmicError metric
// (keras/src/metrics/regression_metrics.py, a MeanMetricWrapper of the loss
// function): the mean over the last axis of (log(max(y,ε)+1) -
// log(max(p,ε)+1))², from loss.MSLE's per-sample values, averaged over every
// sample (weighted as Keras's Mean) since Reset.
type MeanSquaredLogarithmicError struct {
	// LogName is the name in logs and History; "" is
	// "mean_squared_logarithmic_error".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "mean_squared_logarithmic_error".
func (m *MeanSquaredLogarithmicError) Name() string {
	return nameOr(m.LogName, "mean_squared_logarithmic_error")
}

// Reset forgets every batch seen.
func (m *MeanSquaredLogarithmicError) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *MeanSquaredLogarithmicError) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *MeanSquaredLogarithmicError) Update(pred, target *tensor.Tensor) {
	m.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *MeanSquaredLogarithmicError) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.MSLE{}, 1, pred, target, w)
}

func (m *MeanSquaredLogarithmicError) fresh() Metric {
	return &MeanSquaredLogarithmicError{LogName: m.LogName}
}
