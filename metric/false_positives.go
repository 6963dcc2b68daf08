package metric

import "github.com/gokeras/gokeras/tensor"

// FalsePositives is Keras's FalsePositives
// (keras/src/metrics/confusion_metrics.py): the number of values predicted
// positive whose target is negative, the sum of their sample weights when
// weighted, over every batch since Reset (see conditionCount for the
// threshold).
type FalsePositives struct {
	// Threshold above which a prediction counts as positive; nil is
	// Keras's 0.5. Use 0 for logits.
	Threshold *float64
	// LogName is the name in logs and History; "" is "false_positives".
	LogName string
	k       conditionCount
}

// Name returns LogName, or "false_positives".
func (m *FalsePositives) Name() string { return nameOr(m.LogName, "false_positives") }

// Reset forgets every batch seen.
func (m *FalsePositives) Reset() { m.k.c.reset() }

// Result returns the count.
func (m *FalsePositives) Result() float64 { return m.k.c.fp }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *FalsePositives) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *FalsePositives) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.k.update(m.Name(), m.Threshold, pred, target, w)
}

func (m *FalsePositives) fresh() Metric {
	return &FalsePositives{Threshold: m.Threshold, LogName: m.LogName}
}
