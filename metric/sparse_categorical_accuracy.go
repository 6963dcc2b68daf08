package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// SparseCategoricalAccuracy is the fraction of rows whose argmax equals the
// integer class label (ties go to the first index).
type SparseCategoricalAccuracy struct {
	// LogName is the name in logs and History; "" is "sparse_categorical_accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "sparse_categorical_accuracy".
func (a *SparseCategoricalAccuracy) Name() string {
	return nameOr(a.LogName, "sparse_categorical_accuracy")
}

// Reset forgets every batch seen.
func (a *SparseCategoricalAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *SparseCategoricalAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: pred (N, C), target (N,) or (N, 1).
func (a *SparseCategoricalAccuracy) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *SparseCategoricalAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	updateSparse(&a.m, a.Name(), pred, target, w)
}

func updateSparse(m *mean, name string, pred, target *tensor.Tensor, w []float32) {
	rows, cols := rowsCols(pred)
	if len(pred.Shape) < 2 || len(target.Data) != rows {
		panic(fmt.Sprintf("metric: %s needs predictions (batch, classes) and one class label per row, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
	if w == nil {
		m.add(float64(kernel.CountArgmaxLabel(pred.Data, target.Data, rows, cols)), rows)
		return
	}
	m.addWeighted(name, pred, rows, w, func(lo, hi int) float64 {
		return float64(kernel.CountArgmaxLabel(pred.Data[lo*cols:hi*cols], target.Data[lo:hi], hi-lo, cols))
	})
}
