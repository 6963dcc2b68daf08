package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// SparseTopKCategoricalAccuracy is Keras's SparseTopKCategoricalAccuracy
// (keras/src/metrics/accuracy_metrics.py): the fraction of rows whose
// integer label is among the K largest predictions (see
// TopKCategoricalAccuracy for ties). Keras's from_sorted_ids is not
// supported.
type SparseTopKCategoricalAccuracy struct {
	// K is the number of top predictions; 0 is Keras's 5.
	K int
	// LogName is the name in logs and History; "" is
	// "sparse_top_k_categorical_accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "sparse_top_k_categorical_accuracy".
func (a *SparseTopKCategoricalAccuracy) Name() string {
	return nameOr(a.LogName, "sparse_top_k_categorical_accuracy")
}

// Reset forgets every batch seen.
func (a *SparseTopKCategoricalAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of rows with the label in the top K.
func (a *SparseTopKCategoricalAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: pred (N, C), target (N,) or (N, 1).
func (a *SparseTopKCategoricalAccuracy) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *SparseTopKCategoricalAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	rows, cols := rowsCols(pred)
	if len(pred.Shape) < 2 || len(target.Data) != rows {
		panic(fmt.Sprintf("metric: %s needs predictions (batch, classes) and one class label per row, got predictions %v and targets %v", a.Name(), pred.Shape, target.Shape))
	}
	k := kOr(a.K)
	count := func(lo, hi int) float64 {
		n := 0
		for r := lo; r < hi; r++ {
			// Keras casts the label to int32.
			if inTopK(pred.Data[r*cols:(r+1)*cols], int(target.Data[r]), k) {
				n++
			}
		}
		return float64(n)
	}
	if w == nil {
		a.m.add(count(0, rows), rows)
		return
	}
	a.m.addWeighted(a.Name(), pred, rows, w, count)
}
