package metric

import "github.com/gokeras/gokeras/tensor"

// SpecificityAtSensitivity is Keras's SpecificityAtSensitivity
// (keras/src/metrics/confusion_metrics.py): the best specificity tn/(tn+fp)
// among the thresholds where the sensitivity tp/(tp+fn) is at least
// Sensitivity, over every batch since Reset (see sensSpec for the thresholds
// and ClassID).
type SpecificityAtSensitivity struct {
	// Sensitivity is the value the constrained rate must reach, in [0, 1]
	// (Keras's required sensitivity).
	Sensitivity float64
	// NumThresholds is the number of thresholds; 0 is Keras's 200.
	NumThresholds int
	// ClassID, when set, restricts the counts to that column.
	ClassID *int
	// LogName is the name in logs and History; "" is
	// "specificity_at_sensitivity".
	LogName string
	s       sensSpec
}

// Name returns LogName, or "specificity_at_sensitivity".
func (m *SpecificityAtSensitivity) Name() string {
	return nameOr(m.LogName, "specificity_at_sensitivity")
}

// Reset forgets every batch seen.
func (m *SpecificityAtSensitivity) Reset() { m.s.reset() }

// Result returns the best specificity where the sensitivity is at least
// Sensitivity, 0 when no threshold reaches it.
func (m *SpecificityAtSensitivity) Result() float64 {
	return m.s.best(m.Sensitivity, sensitivity, specificity)
}

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *SpecificityAtSensitivity) Update(pred, target *tensor.Tensor) {
	m.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *SpecificityAtSensitivity) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.s.update(m.Name(), m.NumThresholds, m.ClassID, pred, target, w)
}

func (m *SpecificityAtSensitivity) check() error {
	return checkSensSpec("sensitivity", m.Sensitivity, m.NumThresholds, m.ClassID)
}

func (m *SpecificityAtSensitivity) fresh() Metric {
	return &SpecificityAtSensitivity{Sensitivity: m.Sensitivity, NumThresholds: m.NumThresholds, ClassID: m.ClassID, LogName: m.LogName}
}
