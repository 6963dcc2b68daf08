package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// CategoricalAccuracy is the fraction of rows whose argmax equals the
// target's argmax (ties go to the first index).
type CategoricalAccuracy struct {
	// LogName is the name in logs and History; "" is "categorical_accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "categorical_accuracy".
func (a *CategoricalAccuracy) Name() string { return nameOr(a.LogName, "categorical_accuracy") }

// Reset forgets every batch seen.
func (a *CategoricalAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *CategoricalAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: pred and target both (N, C).
func (a *CategoricalAccuracy) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *CategoricalAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	updateCategorical(&a.m, a.Name(), pred, target, w)
}

func updateCategorical(m *mean, name string, pred, target *tensor.Tensor, w []float32) {
	if !pred.Shape.Equal(target.Shape) {
		panic(fmt.Sprintf("metric: %s needs one-hot targets of the predictions' shape %v, got %v", name, pred.Shape, target.Shape))
	}
	rows, cols := rowsCols(pred)
	if w == nil {
		m.add(float64(kernel.CountArgmaxEqual(pred.Data, target.Data, rows, cols)), rows)
		return
	}
	m.addWeighted(name, pred, rows, w, func(lo, hi int) float64 {
		return float64(kernel.CountArgmaxEqual(pred.Data[lo*cols:hi*cols], target.Data[lo*cols:hi*cols], hi-lo, cols))
	})
}
