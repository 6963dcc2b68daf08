package metric

import (
	"fmt"
	"slices"

	"github.com/gokeras/gokeras/tensor"
)

// negInf is Keras's NEG_INF (keras/src/metrics/metrics_utils.py): the
// value top_k gives the predictions outside the top k, and the default
// threshold with top_k.
const negInf = -1e10

// confusion holds the weighted true positive, false positive, false
// negative and true negative counts at one threshold, as Precision,
// Recall and the counts (TruePositives, ...) keep them
// (keras/src/metrics/metrics_utils.py, update_confusion_matrix_variables,
// with one threshold).
type confusion struct {
	tp, fp, fn, tn float64
	scratch        []float32 // one row, for top_k
}

// options of the confusion counts, Keras's thresholds, top_k and class_id.
type confusionOptions struct {
	threshold *float64
	topK      int // 0: none
	classID   *int
}

func (o confusionOptions) check() error {
	if o.threshold != nil && !(*o.threshold >= 0 && *o.threshold <= 1) {
		return fmt.Errorf("thresholds %v is outside [0, 1]", *o.threshold)
	}
	if o.topK < 0 {
		return fmt.Errorf("top_k %d must be positive", o.topK)
	}
	if o.classID != nil && *o.classID < 0 {
		return fmt.Errorf("class_id %d must be non-negative", *o.classID)
	}
	return nil
}

// update adds one batch. A value is predicted positive when it is above
// the threshold (0.5, or NEG_INF with top_k) after top_k set every value
// outside the k largest of its row (ties to the lower index, as ops.top_k)
// to NEG_INF; class_id keeps only that column. Targets are true when not 0.
func (c *confusion) update(name string, o confusionOptions, pred, target *tensor.Tensor, w []float32) {
	checkSize(name, pred, target)
	if err := o.check(); err != nil {
		panic(fmt.Sprintf("metric: %s: %v", name, err))
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	cols := pred.Shape[len(pred.Shape)-1]
	if len(pred.Shape) == 1 {
		cols = 1
		if o.classID != nil {
			panic(fmt.Sprintf("metric: %s with class_id needs predictions (batch, classes), got %v", name, pred.Shape))
		}
	}
	if o.classID != nil && *o.classID >= cols {
		panic(fmt.Sprintf("metric: %s has class_id %d but the predictions %v have %d classes", name, *o.classID, pred.Shape, cols))
	}
	th := float32(BinaryThreshold)
	if o.topK > 0 {
		th = negInf
	}
	if o.threshold != nil {
		th = float32(*o.threshold)
	}
	rows := len(pred.Data) / cols
	per := len(pred.Data) / pred.Shape[0]
	var kth float32
	for r := range rows {
		row := pred.Data[r*cols : (r+1)*cols]
		trow := target.Data[r*cols : (r+1)*cols]
		left := 0 // how many of the values equal to kth are still in the top k
		if o.topK > 0 {
			kth, left = c.kthLargest(row, o.topK)
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[r*cols/per])
		}
		for j, p := range row {
			if o.topK > 0 {
				switch {
				case p > kth:
				case p == kth && left > 0:
					left--
				default:
					p = negInf
				}
			}
			if o.classID != nil && j != *o.classID {
				continue
			}
			predPos, truePos := p > th, trow[j] != 0
			switch {
			case predPos && truePos:
				c.tp += wt
			case predPos:
				c.fp += wt
			case truePos:
				c.fn += wt
			default:
				c.tn += wt
			}
		}
	}
}

// kthLargest returns the k-th largest value of row (the smallest kept by
// top_k) and how many values equal to it top_k keeps.
func (c *confusion) kthLargest(row []float32, k int) (kth float32, ties int) {
	if k >= len(row) {
		k = len(row)
	}
	if cap(c.scratch) < len(row) {
		c.scratch = make([]float32, len(row))
	}
	s := c.scratch[:len(row)]
	copy(s, row)
	slices.Sort(s)
	kth = s[len(s)-k]
	ties = k
	for _, v := range row {
		if v > kth {
			ties--
		}
	}
	return kth, ties
}

func (c *confusion) reset() { c.tp, c.fp, c.fn, c.tn = 0, 0, 0, 0 }
