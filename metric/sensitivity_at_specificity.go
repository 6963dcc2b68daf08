package metric

import "github.com/gokeras/gokeras/tensor"

// SensitivityAtSpecificity is Keras's SensitivityAtSpecificity
// (keras/src/metrics/confusion_metrics.py): the best sensitivity tp/(tp+fn)
// among the thresholds where the specificity tn/(tn+fp) is at least
// Specificity, over every batch since Reset (see sensSpec for the thresholds
// and ClassID).
type SensitivityAtSpecificity struct {
	// Specificity is the value the constrained rate must reach, in [0, 1]
	// (Keras's required specificity).
	Specificity float64
	// NumThresholds is the number of thresholds; 0 is Keras's 200.
	NumThresholds int
	// ClassID, when set, restricts the counts to that column.
	ClassID *int
	// LogName is the name in logs and History; "" is
	// "sensitivity_at_specificity".
	LogName string
	s       sensSpec
}

// Name returns LogName, or "sensitivity_at_specificity".
func (m *SensitivityAtSpecificity) Name() string {
	return nameOr(m.LogName, "sensitivity_at_specificity")
}

// Reset forgets every batch seen.
func (m *SensitivityAtSpecificity) Reset() { m.s.reset() }

// Result returns the best sensitivity where the specificity is at least
// Specificity, 0 when no threshold reaches it.
func (m *SensitivityAtSpecificity) Result() float64 {
	return m.s.best(m.Specificity, specificity, sensitivity)
}

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *SensitivityAtSpecificity) Update(pred, target *tensor.Tensor) {
	m.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *SensitivityAtSpecificity) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.s.update(m.Name(), m.NumThresholds, m.ClassID, pred, target, w)
}

func (m *SensitivityAtSpecificity) check() error {
	return checkSensSpec("specificity", m.Specificity, m.NumThresholds, m.ClassID)
}

func (m *SensitivityAtSpecificity) fresh() Metric {
	return &SensitivityAtSpecificity{Specificity: m.Specificity, NumThresholds: m.NumThresholds, ClassID: m.ClassID, LogName: m.LogName}
}
