package metric

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// MeanAbsolutePercentageError is Keras's MeanAbsolutePercentageError
// (keras/src/metrics/regression_metrics.py, with the loss function of
// keras/src/losses/losses.py): 100·|target-pred|/max(|target|, 1e-7),
// averaged over every value (weighted per sample) since Reset.
type MeanAbsolutePercentageError struct {
	// LogName is the name in logs and History; "" is
	// "mean_absolute_percentage_error".
	LogName string
	m       mean
}

// Name returns LogName, or "mean_absolute_percentage_error".
func (a *MeanAbsolutePercentageError) Name() string {
	return nameOr(a.LogName, "mean_absolute_percentage_error")
}

// Reset forgets every batch seen.
func (a *MeanAbsolutePercentageError) Reset() { a.m.reset() }

// Result returns the mean absolute percentage error.
func (a *MeanAbsolutePercentageError) Result() float64 { return a.m.result() }

// Update adds one batch; target has pred's size.
func (a *MeanAbsolutePercentageError) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *MeanAbsolutePercentageError) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	sum := func(lo, hi int) float64 {
		s := 0.0
		for i := lo; i < hi; i++ {
			t := float64(target.Data[i])
			s += math.Abs((t - float64(pred.Data[i])) / max(math.Abs(t), epsilon))
		}
		return 100 * s
	}
	if w == nil {
		a.m.add(sum(0, len(pred.Data)), len(pred.Data))
		return
	}
	a.m.addWeighted(a.Name(), pred, len(pred.Data), w, sum)
}
