package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// iouMatrix is what the IoU metrics share, Keras's _IoUBase and IoU.result
// (keras/src/metrics/iou_metrics.py): a classes×classes confusion matrix
// of target class against predicted class, weighted by the sample weights
// and accumulated over every batch since Reset, and the mean IoU
// TP/(TP+FP+FN) of chosen classes over it. A chosen class that never
// occurs (in targets or predictions) is left out of the mean, as Keras's
// num_valid_entries does; Keras's ε = 1e-7 is in each denominator.
type iouMatrix struct {
	cm []float64 // cm[true·classes+pred]
}

// iouOptions say how class ids are read. Class ids are values truncated to
// integers, as Keras's int cast does, or, when dense, the argmax of each
// row of the last axis; with binary, a prediction is class 1 when it is
// >= threshold and class 0 otherwise (BinaryIoU). Targets equal to
// ignoreClass count for nothing.
type iouOptions struct {
	classes              int
	ignoreClass          *int
	denseTrue, densePred bool
	binary               bool
	threshold            float32
}

func (m *iouMatrix) reset() { clear(m.cm) }

func (m *iouMatrix) update(name string, o iouOptions, pred, target *tensor.Tensor, w []float32) {
	checkBatch(name, pred, target)
	nc := o.classes
	if nc <= 0 {
		panic(fmt.Sprintf("metric: %s needs num_classes > 0, got %d", name, nc))
	}
	nt, np := classCount(target, o.denseTrue), classCount(pred, o.densePred)
	if nt != np {
		panic(fmt.Sprintf("metric: %s needs one target class per predicted class, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	if m.cm == nil {
		m.cm = make([]float64, nc*nc)
	}
	per := nt / pred.Shape[0]
	for i := range nt {
		t := classAt(target, o.denseTrue, i)
		if o.ignoreClass != nil && t == *o.ignoreClass {
			continue
		}
		var p int
		if o.binary {
			if pred.Data[i] >= o.threshold {
				p = 1
			}
		} else {
			p = classAt(pred, o.densePred, i)
		}
		if t < 0 || t >= nc || p < 0 || p >= nc {
			panic(fmt.Sprintf("metric: %s got class %d (target) and %d (prediction); num_classes is %d, so ids are 0..%d", name, t, p, nc, nc-1))
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[i/per])
		}
		m.cm[t*nc+p] += wt
	}
}

// result is the mean IoU of the classes ids (every class when ids is
// nil), 0 before any batch.
func (m *iouMatrix) result(classes int, ids []int) float64 {
	if m.cm == nil {
		return 0
	}
	sum, valid := 0.0, 0.0
	one := func(c int) {
		row, col := 0.0, 0.0
		for k := range classes {
			row += m.cm[c*classes+k]
			col += m.cm[k*classes+c]
		}
		tp := m.cm[c*classes+c]
		den := row + col - tp
		if den > 1e-9 {
			valid++
		}
		sum += tp / (den + epsilon)
	}
	if ids == nil {
		for c := range classes {
			one(c)
		}
	} else {
		for _, c := range ids {
			one(c)
		}
	}
	return sum / (valid + epsilon)
}

// checkIDs reports target_class_ids Keras refuses (or that would index
// outside the matrix).
func checkIDs(ids []int, classes int) error {
	if len(ids) == 0 {
		return fmt.Errorf("target_class_ids is empty; give the class ids to average, e.g. [0]")
	}
	for _, c := range ids {
		if c < 0 || c >= classes {
			return fmt.Errorf("target class id %d is out of range, which is [0, %d)", c, classes)
		}
	}
	return nil
}
