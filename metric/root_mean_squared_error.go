package metric

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// RootMeanSquaredError is Keras's RootMeanSquaredError
// (keras/src/metrics/regression_metrics.py): the square root of the
// (weighted) mean squared error over every batch since Reset.
type RootMeanSquaredError struct {
	// LogName is the name in logs and History; "" is
	// "root_mean_squared_error".
	LogName string
	mse     MSE
}

// Name returns LogName, or "root_mean_squared_error".
func (a *RootMeanSquaredError) Name() string { return nameOr(a.LogName, "root_mean_squared_error") }

// Reset forgets every batch seen.
func (a *RootMeanSquaredError) Reset() { a.mse.Reset() }

// Result returns sqrt(mean((pred-target)²)).
func (a *RootMeanSquaredError) Result() float64 { return math.Sqrt(a.mse.Result()) }

// Update adds one batch; target has pred's size.
func (a *RootMeanSquaredError) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *RootMeanSquaredError) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	a.mse.LogName = a.Name()
	a.mse.UpdateWeighted(pred, target, w)
}
