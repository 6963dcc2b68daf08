package metric

import "github.com/gokeras/gokeras/tensor"

// BinaryIoU is Keras's BinaryIoU (keras/src/metrics/iou_metrics.py): IoU
// with two classes, where a prediction >= Threshold is class 1 and below
// it class 0, and targets are 0/1 (truncated to integers). Result is the
// mean IoU of TargetClassIDs over every batch since Reset (see iouMatrix).
type BinaryIoU struct {
	// TargetClassIDs are the classes averaged: [0], [1] or nil, Keras's
	// default (0, 1).
	TargetClassIDs []int
	// Threshold at or above which a prediction is class 1; nil is Keras's
	// 0.5.
	Threshold *float64
	// LogName is the name in logs and History; "" is "binary_io_u".
	LogName string

	m iouMatrix
}

// Name returns LogName, or "binary_io_u".
func (a *BinaryIoU) Name() string { return nameOr(a.LogName, "binary_io_u") }

// Reset forgets every batch seen.
func (a *BinaryIoU) Reset() { a.m.reset() }

// Update adds one batch: 0/1 targets with one per prediction.
func (a *BinaryIoU) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

func (a *BinaryIoU) threshold() float64 {
	if a.Threshold == nil {
		return BinaryThreshold
	}
	return *a.Threshold
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *BinaryIoU) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	a.m.update(a.Name(), iouOptions{classes: 2, binary: true, threshold: float32(a.threshold())}, pred, target, w)
}

// Result returns the mean IoU of the target classes seen, 0 before any
// batch.
func (a *BinaryIoU) Result() float64 { return a.m.result(2, a.TargetClassIDs) }

func (a *BinaryIoU) fresh() Metric {
	return &BinaryIoU{TargetClassIDs: a.TargetClassIDs, Threshold: a.Threshold, LogName: a.LogName}
}
