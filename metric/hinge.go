package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// Hinge is Keras's Hinge metric (keras/src/metrics/hinge_metrics.py, a
// MeanMetricWrapper of the loss function): the mean over the last axis of
// max(1 - y·p, 0), with 0/1 targets turned into -1/1, from loss.Hinge's per-
// sample values, averaged over every sample (weighted as Keras's Mean) since
// Reset.
type Hinge struct {
	// LogName is the name in logs and History; "" is "hinge".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "hinge".
func (m *Hinge) Name() string { return nameOr(m.LogName, "hinge") }

// Reset forgets every batch seen.
func (m *Hinge) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *Hinge) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *Hinge) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *Hinge) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.Hinge{}, 1, pred, target, w)
}

func (m *Hinge) fresh() Metric { return &Hinge{LogName: m.LogName} }
