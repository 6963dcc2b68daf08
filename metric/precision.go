package metric

import "github.com/gokeras/gokeras/tensor"

// Precision is Keras's Precision metric (keras/src/metrics/confusion_metrics.py):
// tp / (tp + fp) over every batch since Reset, weighted by the sample weights,
// 0 while the denominator is 0. See confusion.update for Threshold, TopK
// and ClassID. Keras's list of several thresholds, which gives one result
// per threshold, is not supported: a gokeras metric reports one number.
type Precision struct {
	// Threshold above which a prediction counts as positive; nil is 0.5,
	// or NEG_INF (-1e10) with TopK, as in Keras. Use 0 for logits.
	Threshold *float64
	// TopK, when positive, counts only the k largest predictions of each
	// row as positive.
	TopK int
	// ClassID, when set, restricts the counts to that column.
	ClassID *int
	// LogName is the name in logs and History; "" is "precision".
	LogName string
	c       confusion
}

// Name returns LogName, or "precision".
func (m *Precision) Name() string { return nameOr(m.LogName, "precision") }

// Reset forgets every batch seen.
func (m *Precision) Reset() { m.c.reset() }

// Result returns tp / (tp + fp).
func (m *Precision) Result() float64 { return divNoNaN(m.c.tp, m.c.tp+m.c.fp) }

// Update adds one batch: targets (0 or not) with one per prediction.
func (m *Precision) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *Precision) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.c.update(m.Name(), m.options(), pred, target, w)
}

func (m *Precision) options() confusionOptions {
	return confusionOptions{threshold: m.Threshold, topK: m.TopK, classID: m.ClassID}
}

func (m *Precision) fresh() Metric {
	return &Precision{Threshold: m.Threshold, TopK: m.TopK, ClassID: m.ClassID, LogName: m.LogName}
}
