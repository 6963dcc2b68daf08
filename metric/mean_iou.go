package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// MeanIoU is Keras's MeanIoU (keras/src/metrics/iou_metrics.py): the mean
// over classes of TP/(TP+FP+FN), from a NumClasses×NumClasses confusion
// matrix accumulated over every batch since Reset. Classes that never
// occur (in targets or predictions) are left out of the mean, as Keras's
// num_valid_entries does; Keras's ε = 1e-7 is in each denominator.
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

	cm []float64 // cm[true·NumClasses+pred]
}

// Name returns LogName, or "mean_io_u".
func (a *MeanIoU) Name() string { return nameOr(a.LogName, "mean_io_u") }

// Reset forgets every batch seen.
func (a *MeanIoU) Reset() { clear(a.cm) }

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
	checkBatch(a.Name(), pred, target)
	nc := a.NumClasses
	if nc <= 0 {
		panic(fmt.Sprintf("metric: %s needs num_classes > 0, got %d", a.Name(), nc))
	}
	nt, np := classCount(target, a.DenseTrue), classCount(pred, a.DensePred)
	if nt != np {
		panic(fmt.Sprintf("metric: %s needs one target class per predicted class, got predictions %v and targets %v", a.Name(), pred.Shape, target.Shape))
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", a.Name(), len(w), pred.Shape[0]))
	}
	if a.cm == nil {
		a.cm = make([]float64, nc*nc)
	}
	per := nt / pred.Shape[0]
	for i := range nt {
		t := classAt(target, a.DenseTrue, i)
		if a.IgnoreClass != nil && t == *a.IgnoreClass {
			continue
		}
		p := classAt(pred, a.DensePred, i)
		if t < 0 || t >= nc || p < 0 || p >= nc {
			panic(fmt.Sprintf("metric: %s got class %d (target) and %d (prediction); num_classes is %d, so ids are 0..%d", a.Name(), t, p, nc, nc-1))
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[i/per])
		}
		a.cm[t*nc+p] += wt
	}
}

// Result returns the mean IoU over the classes seen, 0 before any batch.
func (a *MeanIoU) Result() float64 {
	if a.cm == nil {
		return 0
	}
	nc := a.NumClasses
	sum, valid := 0.0, 0.0
	for c := range nc {
		row, col := 0.0, 0.0
		for k := range nc {
			row += a.cm[c*nc+k]
			col += a.cm[k*nc+c]
		}
		tp := a.cm[c*nc+c]
		den := row + col - tp
		if den > 1e-9 {
			valid++
		}
		sum += tp / (den + epsilon)
	}
	return sum / (valid + epsilon)
}

func (a *MeanIoU) fresh() Metric {
	return &MeanIoU{NumClasses: a.NumClasses, IgnoreClass: a.IgnoreClass, DenseTrue: a.DenseTrue, DensePred: a.DensePred, LogName: a.LogName}
}
