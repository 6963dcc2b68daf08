package metric

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// MSE is the mean squared error over every value seen.
type MSE struct {
	// LogName is the name in logs and History; "" is "mse".
	LogName string
	m       mean
}

// Name returns LogName, or "mse".
func (a *MSE) Name() string { return nameOr(a.LogName, "mse") }

// Reset forgets every batch seen.
func (a *MSE) Reset() { a.m.reset() }

// Result returns the mean of (pred-target)².
func (a *MSE) Result() float64 { return a.m.result() }

// Update adds one batch; target has pred's size.
func (a *MSE) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *MSE) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	if w == nil {
		a.m.add(kernel.SquaredError(nil, pred.Data, target.Data, 0), len(pred.Data))
		return
	}
	a.m.addWeighted(a.Name(), pred, len(pred.Data), w, func(lo, hi int) float64 {
		return kernel.SquaredError(nil, pred.Data[lo:hi], target.Data[lo:hi], 0)
	})
}
