package metric

import "github.com/gokeras/gokeras/tensor"

// IoU is Keras's IoU (keras/src/metrics/iou_metrics.py): the mean of
// TP/(TP+FP+FN) over the classes TargetClassIDs, from a
// NumClasses×NumClasses confusion matrix accumulated over every batch
// since Reset (see iouMatrix); with one id, that class's IoU. Class ids
// are read as MeanIoU reads them.
type IoU struct {
	// NumClasses is the number of classes (required, > 0).
	NumClasses int
	// TargetClassIDs are the classes averaged (required, each in
	// [0, NumClasses)).
	TargetClassIDs []int
	// IgnoreClass, when set, is a target class id whose entries count for
	// nothing.
	IgnoreClass *int
	// DenseTrue and DensePred are Keras's sparse_y_true=false and
	// sparse_y_pred=false: the argmax of the last axis is the class.
	DenseTrue, DensePred bool
	// LogName is the name in logs and History; "" is "io_u" (Keras's
	// automatic name for the class).
	LogName string

	m iouMatrix
}

// Name returns LogName, or "io_u".
func (a *IoU) Name() string { return nameOr(a.LogName, "io_u") }

// Reset forgets every batch seen.
func (a *IoU) Reset() { a.m.reset() }

// Update adds one batch.
func (a *IoU) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *IoU) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	a.m.update(a.Name(), iouOptions{classes: a.NumClasses, ignoreClass: a.IgnoreClass, denseTrue: a.DenseTrue, densePred: a.DensePred}, pred, target, w)
}

// Result returns the mean IoU of the target classes seen, 0 before any
// batch.
func (a *IoU) Result() float64 { return a.m.result(a.NumClasses, a.TargetClassIDs) }

func (a *IoU) fresh() Metric {
	return &IoU{NumClasses: a.NumClasses, TargetClassIDs: a.TargetClassIDs, IgnoreClass: a.IgnoreClass, DenseTrue: a.DenseTrue, DensePred: a.DensePred, LogName: a.LogName}
}
