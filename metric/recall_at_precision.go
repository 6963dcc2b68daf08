package metric

import "github.com/gokeras/gokeras/tensor"

// RecallAtPrecision is Keras's RecallAtPrecision
// (keras/src/metrics/confusion_metrics.py): the best recall tp/(tp+fn) among
// the thresholds where the precision tp/(tp+fp) is at least Precision, over
// every batch since Reset (see sensSpec for the thresholds and ClassID).
type RecallAtPrecision struct {
	// Precision is the value the constrained rate must reach, in [0, 1]
	// (Keras's required precision).
	Precision float64
	// NumThresholds is the number of thresholds; 0 is Keras's 200.
	NumThresholds int
	// ClassID, when set, restricts the counts to that column.
	ClassID *int
	// LogName is the name in logs and History; "" is "recall_at_precision".
	LogName string
	s       sensSpec
}

// Name returns LogName, or "recall_at_precision".
func (m *RecallAtPrecision) Name() string { return nameOr(m.LogName, "recall_at_precision") }

// Reset forgets every batch seen.
func (m *RecallAtPrecision) Reset() { m.s.reset() }

// Result returns the best recall where the precision is at least Precision, 0
// when no threshold reaches it.
func (m *RecallAtPrecision) Result() float64 { return m.s.best(m.Precision, precisionOf, sensitivity) }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *RecallAtPrecision) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *RecallAtPrecision) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.s.update(m.Name(), m.NumThresholds, m.ClassID, pred, target, w)
}

func (m *RecallAtPrecision) check() error {
	return checkSensSpec("precision", m.Precision, m.NumThresholds, m.ClassID)
}

func (m *RecallAtPrecision) fresh() Metric {
	return &RecallAtPrecision{Precision: m.Precision, NumThresholds: m.NumThresholds, ClassID: m.ClassID, LogName: m.LogName}
}
