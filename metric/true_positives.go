package metric

import "github.com/gokeras/gokeras/tensor"

// TruePositives is Keras's TruePositives
// (keras/src/metrics/confusion_metrics.py): the number of values predicted
// positive whose target is positive, the sum of their sample weights when
// weighted, over every batch since Reset (see conditionCount for the
// threshold).
type TruePositives struct {
	// Threshold above which a prediction counts as positive; nil is
	// Keras's 0.5. Use 0 for logits.
	Threshold *float64
	// LogName is the name in logs and History; "" is "true_positives".
	LogName string
	k       conditionCount
}

// Name returns LogName, or "true_positives".
func (m *TruePositives) Name() string { return nameOr(m.LogName, "true_positives") }

// Reset forgets every batch seen.
func (m *TruePositives) Reset() { m.k.c.reset() }

// Result returns the count.
func (m *TruePositives) Result() float64 { return m.k.c.tp }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *TruePositives) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *TruePositives) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.k.update(m.Name(), m.Threshold, pred, target, w)
}

func (m *TruePositives) fresh() Metric {
	return &TruePositives{Threshold: m.Threshold, LogName: m.LogName}
}
