package metric

import "github.com/gokeras/gokeras/tensor"

// TrueNegatives is Keras's TrueNegatives
// (keras/src/metrics/confusion_metrics.py): the number of values predicted
// negative whose target is negative, the sum of their sample weights when
// weighted, over every batch since Reset (see conditionCount for the
// threshold).
type TrueNegatives struct {
	// Threshold above which a prediction counts as positive; nil is
	// Keras's 0.5. Use 0 for logits.
	Threshold *float64
	// LogName is the name in logs and History; "" is "true_negatives".
	LogName string
	k       conditionCount
}

// Name returns LogName, or "true_negatives".
func (m *TrueNegatives) Name() string { return nameOr(m.LogName, "true_negatives") }

// Reset forgets every batch seen.
func (m *TrueNegatives) Reset() { m.k.c.reset() }

// Result returns the count.
func (m *TrueNegatives) Result() float64 { return m.k.c.tn }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *TrueNegatives) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *TrueNegatives) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.k.update(m.Name(), m.Threshold, pred, target, w)
}

func (m *TrueNegatives) fresh() Metric {
	return &TrueNegatives{Threshold: m.Threshold, LogName: m.LogName}
}
