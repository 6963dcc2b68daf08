package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// The metrics of Keras's loss functions (keras/src/metrics/
// probabilistic_metrics.py, hinge_metrics.py, regression_metrics.py) are
// MeanMetricWrapper: the loss function's per-sample values, averaged by
// reduction_metrics.py's Mean. Here the values come from the loss
// package's Values, so each metric computes exactly its loss, in float32
// as Keras does, summed in float64. As in the loss package, predictions of
// rank 1 are scored as (N, 1), one value per sample, where Keras would
// average a rank-1 batch into one value counted as one sample.

// valuer is a loss of the loss package, with its per-sample values.
type valuer interface {
	Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error)
}

// lossMean is a Mean over a loss's per-sample values, with the buffer
// those values are written into (reused from batch to batch).
type lossMean struct {
	m   mean
	buf []float32
}

func (lm *lossMean) reset()          { lm.m.reset() }
func (lm *lossMean) result() float64 { return lm.m.result() }

// update adds one batch of l's values times sign (-1 turns the cosine
// similarity loss into the metric). Each sample's value is the mean of its
// values (one per row of the last axis), weighted as Mean does; shapes l
// refuses panic, as the other metrics' do.
func updateLoss[L valuer](lm *lossMean, name string, l L, sign float64, pred, target *tensor.Tensor, w []float32) {
	checkBatch(name, pred, target)
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	out, err := l.Values(pred, target, nil, lm.buf)
	if err != nil {
		panic(fmt.Sprintf("metric: %s: %v", name, err))
	}
	lm.buf = out
	sum := func(lo, hi int) float64 {
		s := 0.0
		for _, v := range out[lo:hi] {
			s += float64(v)
		}
		return sign * s
	}
	if w == nil {
		lm.m.add(sum(0, len(out)), len(out))
		return
	}
	lm.m.addWeighted(name, pred, len(out), w, sum)
}
