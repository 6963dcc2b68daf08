package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// SquaredHinge is Keras's SquaredHinge metric
// (keras/src/metrics/hinge_metrics.py, a MeanMetricWrapper of the loss
// function): the mean over the last axis of max(1 - y·p, 0)², with 0/1 targets
// turned into -1/1, from loss.SquaredHinge's per-sample values, averaged over
// every sample (weighted as Keras's Mean) since Reset.
type SquaredHinge struct {
	// LogName is the name in logs and History; "" is "squared_hinge".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "squared_hinge".
func (m *SquaredHinge) Name() string { return nameOr(m.LogName, "squared_hinge") }

// Reset forgets every batch seen.
func (m *SquaredHinge) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *SquaredHinge) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *SquaredHinge) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *SquaredHinge) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.SquaredHinge{}, 1, pred, target, w)
}

func (m *SquaredHinge) fresh() Metric { return &SquaredHinge{LogName: m.LogName} }
