// Package metric owns the running metrics Keras users pass to compile as
// metrics=["accuracy"]: each accumulates over the batches of an epoch and
// reports the mean over every sample seen since Reset. Passed as
// weighted_metrics, they take per-sample weights (UpdateWeighted) and
// report the weighted mean, as Keras's Mean does
// (keras/src/metrics/reduction_metrics.py).
//
// The semantics follow Keras 3 (keras/src/metrics/accuracy_metrics.py,
// regression_metrics.py, and the choice of accuracy by shape in
// keras/src/trainers/compile_utils.py, get_metric). The loops are in
// internal/kernel.
package metric

import (
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// BinaryThreshold is Keras's default threshold for binary accuracy: a
// prediction above it counts as 1.
const BinaryThreshold = 0.5

// Metric accumulates a mean over batches.
type Metric interface {
	Name() string // "accuracy", "mae", "mse"
	Reset()
	Update(pred, target *tensor.Tensor) // accumulate one batch
	Result() float64                    // mean over all samples seen since Reset
}

// names lists every name Parse accepts.
var names = []string{
	"accuracy", "acc",
	"sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
	"mae", "mean_absolute_error",
	"mse", "mean_squared_error",
}

// Parse returns a fresh metric for a Keras name or alias.
func Parse(name string) (Metric, error) {
	switch name {
	case "accuracy", "acc":
		return &Accuracy{}, nil
	case "sparse_categorical_accuracy":
		return &SparseCategoricalAccuracy{}, nil
	case "categorical_accuracy":
		return &CategoricalAccuracy{}, nil
	case "binary_accuracy":
		return &BinaryAccuracy{}, nil
	case "mae", "mean_absolute_error":
		return &MAE{}, nil
	case "mse", "mean_squared_error":
		return &MSE{}, nil
	}
	return nil, fmt.Errorf("metric: unknown metric %q; use one of %s", name, strings.Join(names, ", "))
}

// Weighted is a metric that takes per-sample weights, for Keras's
// weighted_metrics. Every metric in this package is one.
type Weighted interface {
	Metric
	// UpdateWeighted accumulates one batch with w[i] the weight of sample
	// i (one per sample, pred.Shape[0] of them); nil w is Update. As in
	// Keras, a sample's value is the mean over its values (its rows, or its
	// outputs), and Result becomes sum(w·value)/sum(w), 0 while the weights
	// seen sum to 0 (keras/src/metrics/reduction_metrics.py, Mean and
	// reduce_to_samplewise_values).
	UpdateWeighted(pred, target *tensor.Tensor, w []float32)
}

// mean is a running sum and count (a sum of weights when weighted);
// Result of an empty mean is 0, as Keras's divide_no_nan gives.
type mean struct {
	sum, count float64
}

func (m *mean) add(sum float64, n int) { m.sum += sum; m.count += float64(n) }
func (m *mean) reset()                 { *m = mean{} }
func (m *mean) result() float64 {
	if m.count == 0 {
		return 0
	}
	return m.sum / m.count
}

// addWeighted adds one batch, given sampleSum(lo, hi), the sum of the
// per-value results (correct predictions, errors) of values [lo, hi): each
// sample's mean value times its weight, and the weights.
func (m *mean) addWeighted(name string, pred *tensor.Tensor, values int, w []float32, sampleSum func(lo, hi int) float64) {
	if len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	per := values / len(w)
	for i, wi := range w {
		m.sum += float64(wi) * sampleSum(i*per, (i+1)*per) / float64(per)
		m.count += float64(wi)
	}
}

// checkBatch panics when pred and target do not have the same batch size.
func checkBatch(name string, pred, target *tensor.Tensor) {
	if len(pred.Shape) == 0 || len(target.Shape) == 0 || pred.Shape[0] != target.Shape[0] {
		panic(fmt.Sprintf("metric: %s got predictions %v and targets %v; they need the same batch axis", name, pred.Shape, target.Shape))
	}
}

// rowsCols splits pred into rows of its last axis.
func rowsCols(pred *tensor.Tensor) (rows, cols int) {
	cols = pred.Shape[len(pred.Shape)-1]
	return len(pred.Data) / cols, cols
}

// Accuracy is Keras's metrics=["accuracy"]: on each Update it picks binary,
// sparse categorical or categorical accuracy from the shapes, as Keras's
// compile does. Predictions with a last axis of 1 (or of rank 1) are
// binary; targets of lower rank than the predictions, or with a last axis of
// 1 against several classes, are class labels; otherwise both are one-hot.
type Accuracy struct{ m mean }

// Name returns "accuracy".
func (*Accuracy) Name() string { return "accuracy" }

// Reset forgets every batch seen.
func (a *Accuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *Accuracy) Result() float64 { return a.m.result() }

// Update adds one batch.
func (a *Accuracy) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *Accuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	pLast := pred.Shape[len(pred.Shape)-1]
	tLast := target.Shape[len(target.Shape)-1]
	switch {
	case len(pred.Shape) == 1 || pLast == 1:
		updateBinary(&a.m, a.Name(), pred, target, BinaryThreshold, w)
	case len(target.Shape) < len(pred.Shape) || (tLast == 1 && pLast > 1):
		updateSparse(&a.m, a.Name(), pred, target, w)
	default:
		updateCategorical(&a.m, a.Name(), pred, target, w)
	}
}

// SparseCategoricalAccuracy is the fraction of rows whose argmax equals the
// integer class label (ties go to the first index).
type SparseCategoricalAccuracy struct{ m mean }

// Name returns "sparse_categorical_accuracy".
func (*SparseCategoricalAccuracy) Name() string { return "sparse_categorical_accuracy" }

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

// CategoricalAccuracy is the fraction of rows whose argmax equals the
// target's argmax (ties go to the first index).
type CategoricalAccuracy struct{ m mean }

// Name returns "categorical_accuracy".
func (*CategoricalAccuracy) Name() string { return "categorical_accuracy" }

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

// BinaryAccuracy is the fraction of values where (pred > Threshold) equals
// the 0/1 target.
type BinaryAccuracy struct {
	// Threshold above which a prediction counts as 1; 0 means Keras's
	// BinaryThreshold (0.5).
	Threshold float64
	m         mean
}

// Name returns "binary_accuracy".
func (*BinaryAccuracy) Name() string { return "binary_accuracy" }

// Reset forgets every batch seen.
func (a *BinaryAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of correct predictions.
func (a *BinaryAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: target has pred's size, e.g. (N,) for pred (N, 1).
func (a *BinaryAccuracy) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *BinaryAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	th := a.Threshold
	if th == 0 {
		th = BinaryThreshold
	}
	updateBinary(&a.m, a.Name(), pred, target, th, w)
}

func updateBinary(m *mean, name string, pred, target *tensor.Tensor, threshold float64, w []float32) {
	if len(pred.Data) != len(target.Data) {
		panic(fmt.Sprintf("metric: %s needs one 0/1 target per prediction, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
	if w == nil {
		m.add(float64(kernel.CountThresholdEqual(pred.Data, target.Data, float32(threshold))), len(pred.Data))
		return
	}
	m.addWeighted(name, pred, len(pred.Data), w, func(lo, hi int) float64 {
		return float64(kernel.CountThresholdEqual(pred.Data[lo:hi], target.Data[lo:hi], float32(threshold)))
	})
}

// checkSize panics when pred and target hold different numbers of values.
func checkSize(name string, pred, target *tensor.Tensor) {
	checkBatch(name, pred, target)
	if len(pred.Data) != len(target.Data) {
		panic(fmt.Sprintf("metric: %s needs one target per prediction, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
}

// MAE is the mean absolute error over every value seen.
type MAE struct{ m mean }

// Name returns "mae".
func (*MAE) Name() string { return "mae" }

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

// MSE is the mean squared error over every value seen.
type MSE struct{ m mean }

// Name returns "mse".
func (*MSE) Name() string { return "mse" }

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

// Fresh returns a new metric of m's kind and settings with nothing
// accumulated, for a second evaluation running at the same time as one
// using m (metrics keep running sums). ok is false for a metric type this
// package does not define.
func Fresh(m Metric) (c Metric, ok bool) {
	switch v := m.(type) {
	case *Accuracy:
		return &Accuracy{}, true
	case *SparseCategoricalAccuracy:
		return &SparseCategoricalAccuracy{}, true
	case *CategoricalAccuracy:
		return &CategoricalAccuracy{}, true
	case *BinaryAccuracy:
		return &BinaryAccuracy{Threshold: v.Threshold}, true
	case *MAE:
		return &MAE{}, true
	case *MSE:
		return &MSE{}, true
	}
	return nil, false
}
