package metric

import (
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// CategoricalHinge is Keras's CategoricalHinge metric
// (keras/src/metrics/hinge_metrics.py, a MeanMetricWrapper of the loss
// function): per row, max(max((1-y)·p) - sum(y·p) + 1, 0), from
// loss.CategoricalHinge's per-sample values, averaged over every sample
// (weighted as Keras's Mean) since Reset.
type CategoricalHinge struct {
	// LogName is the name in logs and History; "" is "categorical_hinge".
	LogName string
	lm      lossMean
}

// Name returns LogName, or "categorical_hinge".
func (m *CategoricalHinge) Name() string { return nameOr(m.LogName, "categorical_hinge") }

// Reset forgets every batch seen.
func (m *CategoricalHinge) Reset() { m.lm.reset() }

// Result returns the mean over the samples seen.
func (m *CategoricalHinge) Result() float64 { return m.lm.result() }

// Update adds one batch; target has pred's shape.
func (m *CategoricalHinge) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *CategoricalHinge) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	updateLoss(&m.lm, m.Name(), loss.CategoricalHinge{}, 1, pred, target, w)
}

func (m *CategoricalHinge) fresh() Metric { return &CategoricalHinge{LogName: m.LogName} }
