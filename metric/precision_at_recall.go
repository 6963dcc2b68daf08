package metric

import "github.com/gokeras/gokeras/tensor"

// PrecisionAtRecall is Keras's PrecisionAtRecall
// (keras/src/metrics/confusion_metrics.py): the best precision tp/(tp+fp)
// among the thresholds where the recall tp/(tp+fn) is at least Recall, over
// every batch since Reset (see sensSpec for the thresholds and ClassID).
type PrecisionAtRecall struct {
	// Recall is the value the constrained rate must reach, in [0, 1]
	// (Keras's required recall).
	Recall float64
	// NumThresholds is the number of thresholds; 0 is Keras's 200.
	NumThresholds int
	// ClassID, when set, restricts the counts to that column.
	ClassID *int
	// LogName is the name in logs and History; "" is "precision_at_recall".
	LogName string
	s       sensSpec
}

// Name returns LogName, or "precision_at_recall".
func (m *PrecisionAtRecall) Name() string { return nameOr(m.LogName, "precision_at_recall") }

// Reset forgets every batch seen.
func (m *PrecisionAtRecall) Reset() { m.s.reset() }

// Result returns the best precision where the recall is at least Recall, 0
// when no threshold reaches it.
func (m *PrecisionAtRecall) Result() float64 { return m.s.best(m.Recall, sensitivity, precisionOf) }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *PrecisionAtRecall) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *PrecisionAtRecall) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.s.update(m.Name(), m.NumThresholds, m.ClassID, pred, target, w)
}

func (m *PrecisionAtRecall) check() error {
	return checkSensSpec("recall", m.Recall, m.NumThresholds, m.ClassID)
}

func (m *PrecisionAtRecall) fresh() Metric {
	return &PrecisionAtRecall{Recall: m.Recall, NumThresholds: m.NumThresholds, ClassID: m.ClassID, LogName: m.LogName}
}
