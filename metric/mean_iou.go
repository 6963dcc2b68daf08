package metric

import "github.com/gokeras/gokeras/tensor"

// MeanIoU is Keras's MeanIoU (keras/src/metrics/iou_metrics.py): the mean
// over classes of TP/(TP+FP+FN), from a NumClasses×NumClasses confusion
// matrix accumulated over every batch since Reset (see iouMatrix).
//
// By default (Keras's sparse_y_true and sparse_y_pred true) targets and
// predictions are class ids, truncated to integers as Keras's int cast
// does; with DenseTrue or DensePred they are scores over the last axis and
// their argmax is the class. Sample weights weigh each sample's entries.
// Keras's default integer dtype truncates fractional weights (and warns);
// gokeras uses them as given.
type MeanIoU struct {
	// NumClasses is the number of classes (required, > 0).
	NumClasses int
	// IgnoreClass, when set, is a target class id whose entries count for
	// nothing.
	IgnoreClass *int
	// DenseTrue and DensePred are Keras's sparse_y_true=false and
	// sparse_y_pred=false.
	DenseTrue, DensePred bool
	// LogName is the name in logs and History; "" is "mean_io_u" (Keras's
	// automatic name for the class).
	LogName string

	m iouMatrix
}

// Name returns LogName, or "mean_io_u".
func (a *MeanIoU) Name() string { return nameOr(a.LogName, "mean_io_u") }

// Reset forgets every batch seen.
func (a *MeanIoU) Reset() { a.m.reset() }

// Update adds one batch.
func (a *MeanIoU) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// classCount is the number of class ids t holds: one per value, or one
// per row of its last axis when dense.
func classCount(t *tensor.Tensor, dense bool) int {
	if !dense {
		return len(t.Data)
	}
	rows, _ := rowsCols(t)
	return rows
}

// classAt is the i-th class id of t: its value truncated to an integer, or
// the argmax of its i-th row when dense.
func classAt(t *tensor.Tensor, dense bool, i int) int {
	if !dense {
		return int(t.Data[i])
	}
	_, cols := rowsCols(t)
	return argmax(t.Data[i*cols : (i+1)*cols])
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *MeanIoU) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	a.m.update(a.Name(), iouOptions{classes: a.NumClasses, ignoreClass: a.IgnoreClass, denseTrue: a.DenseTrue, densePred: a.DensePred}, pred, target, w)
}

// Result returns the mean IoU over the classes seen, 0 before any batch.
func (a *MeanIoU) Result() float64 { return a.m.result(a.NumClasses, nil) }

func (a *MeanIoU) fresh() Metric {
	return &MeanIoU{NumClasses: a.NumClasses, IgnoreClass: a.IgnoreClass, DenseTrue: a.DenseTrue, DensePred: a.DensePred, LogName: a.LogName}
}
