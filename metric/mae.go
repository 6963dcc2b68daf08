package metric

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MAE is the mean absolute error over every value seen.
type MAE struct {
	// LogName is the name in logs and History; "" is "mae".
	LogName string
	m       mean
}

// Name returns LogName, or "mae".
func (a *MAE) Name() string { return nameOr(a.LogName, "mae") }

// Reset forgets every batch seen.
func (a *MAE) Reset() { a.m.reset() }

// Result returns the mean of |pred-target|.
func (a *MAE) Result() float64 { return a.m.result() }

// Update adds one batch; target has pred's size.
func (a *MAE) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *MAE) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	if w == nil {
		a.m.add(kernel.AbsoluteError(nil, pred.Data, target.Data, 0), len(pred.Data))
		return
	}
	a.m.addWeighted(a.Name(), pred, len(pred.Data), w, func(lo, hi int) float64 {
		return kernel.AbsoluteError(nil, pred.Data[lo:hi], target.Data[lo:hi], 0)
	})
}
