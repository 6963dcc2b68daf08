package metric

import "github.com/gokeras/gokeras/tensor"

// OneHotMeanIoU is Keras's OneHotMeanIoU (keras/src/metrics/iou_metrics.py):
// MeanIoU with one-hot targets (the argmax of the last axis is the class)
// and, by default, scores as predictions (their argmax is the class); the
// mean IoU over the classes seen in every batch since Reset (see
// iouMatrix).
type OneHotMeanIoU struct {
	// NumClasses is the number of classes (required, > 0).
	NumClasses int
	// IgnoreClass, when set, is a target class id whose entries count for
	// nothing.
	IgnoreClass *int
	// SparsePred is Keras's sparse_y_pred (default false): predictions are
	// class ids.
	SparsePred bool
	// LogName is the name in logs and History; "" is "one_hot_mean_io_u".
	LogName string

	m iouMatrix
}

// Name returns LogName, or "one_hot_mean_io_u".
func (a *OneHotMeanIoU) Name() string { return nameOr(a.LogName, "one_hot_mean_io_u") }

// Reset forgets every batch seen.
func (a *OneHotMeanIoU) Reset() { a.m.reset() }

// Update adds one batch.
func (a *OneHotMeanIoU) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *OneHotMeanIoU) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	a.m.update(a.Name(), iouOptions{classes: a.NumClasses, ignoreClass: a.IgnoreClass, denseTrue: true, densePred: !a.SparsePred}, pred, target, w)
}

// Result returns the mean IoU over the classes seen, 0 before any batch.
func (a *OneHotMeanIoU) Result() float64 { return a.m.result(a.NumClasses, nil) }

func (a *OneHotMeanIoU) fresh() Metric {
	return &OneHotMeanIoU{NumClasses: a.NumClasses, IgnoreClass: a.IgnoreClass, SparsePred: a.SparsePred, LogName: a.LogName}
}
