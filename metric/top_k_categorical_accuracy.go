package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// topKDefault is Keras's k default for the top-k accuracies.
const topKDefault = 5

// TopKCategoricalAccuracy is Keras's TopKCategoricalAccuracy
// (keras/src/metrics/accuracy_metrics.py): the fraction of rows whose
// one-hot target's argmax is among the K largest predictions, as
// ops.in_top_k decides it (fewer than K predictions strictly above the
// target's; ties at the boundary count as in, as TensorFlow's in_top_k).
type TopKCategoricalAccuracy struct {
	// K is the number of top predictions; 0 is Keras's 5.
	K int
	// LogName is the name in logs and History; "" is
	// "top_k_categorical_accuracy".
	LogName string
	m       mean
}

// Name returns LogName, or "top_k_categorical_accuracy".
func (a *TopKCategoricalAccuracy) Name() string {
	return nameOr(a.LogName, "top_k_categorical_accuracy")
}

// Reset forgets every batch seen.
func (a *TopKCategoricalAccuracy) Reset() { a.m.reset() }

// Result returns the fraction of rows with the target in the top K.
func (a *TopKCategoricalAccuracy) Result() float64 { return a.m.result() }

// Update adds one batch: pred and target both (N, C) (or (N, ..., C)).
func (a *TopKCategoricalAccuracy) Update(pred, target *tensor.Tensor) {
	a.UpdateWeighted(pred, target, nil)
}

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *TopKCategoricalAccuracy) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkBatch(a.Name(), pred, target)
	if !pred.Shape.Equal(target.Shape) || len(pred.Shape) < 2 {
		panic(fmt.Sprintf("metric: %s needs one-hot targets of the predictions' shape (batch, classes), got %v and %v", a.Name(), pred.Shape, target.Shape))
	}
	rows, cols := rowsCols(pred)
	k := kOr(a.K)
	count := func(lo, hi int) float64 {
		n := 0
		for r := lo; r < hi; r++ {
			if inTopK(pred.Data[r*cols:(r+1)*cols], argmax(target.Data[r*cols:(r+1)*cols]), k) {
				n++
			}
		}
		return float64(n)
	}
	if w == nil {
		a.m.add(count(0, rows), rows)
		return
	}
	a.m.addWeighted(a.Name(), pred, rows, w, count)
}

func kOr(k int) int {
	if k == 0 {
		return topKDefault
	}
	return k
}

// argmax is the index of the largest value, the first on ties.
func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// inTopK reports whether fewer than k values of row are above row[target]
// (false for a label outside the row or a non-finite prediction, as
// TensorFlow's in_top_k).
func inTopK(row []float32, target, k int) bool {
	if target < 0 || target >= len(row) {
		return false
	}
	v := row[target]
	if v != v || v > 3.4e38 || v < -3.4e38 {
		return false
	}
	above := 0
	for _, x := range row {
		if x > v {
			above++
		}
	}
	return above < k
}
