package metric

import "github.com/gokeras/gokeras/tensor"

// FalseNegatives is Keras's FalseNegatives
// (keras/src/metrics/confusion_metrics.py): the number of values predicted
// negative whose target is positive, the sum of their sample weights when
// weighted, over every batch since Reset (see conditionCount for the
// threshold).
type FalseNegatives struct {
	// Threshold above which a prediction counts as positive; nil is
	// Keras's 0.5. Use 0 for logits.
	Threshold *float64
	// LogName is the name in logs and History; "" is "false_negatives".
	LogName string
	k       conditionCount
}

// Name returns LogName, or "false_negatives".
func (m *FalseNegatives) Name() string { return nameOr(m.LogName, "false_negatives") }

// Reset forgets every batch seen.
func (m *FalseNegatives) Reset() { m.k.c.reset() }

// Result returns the count.
func (m *FalseNegatives) Result() float64 { return m.k.c.fn }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *FalseNegatives) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *FalseNegatives) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.k.update(m.Name(), m.Threshold, pred, target, w)
}

func (m *FalseNegatives) fresh() Metric {
	return &FalseNegatives{Threshold: m.Threshold, LogName: m.LogName}
}
