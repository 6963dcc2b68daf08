// This file owns per-sample weights (Keras's sample_weight and
// class_weight, once the trainer has turned class weights into sample
// weights) in the losses.
//
// Keras 3 multiplies each sample's loss by its weight and then applies the
// reduction unchanged (keras/src/losses/loss.py, reduce_weighted_values):
// with the default "sum_over_batch_size" that is sum(w·l) divided by the
// number of per-sample loss values, not by the sum of the weights
// (divide-by-weights is the separate "mean_with_sample_weight" reduction).
// So a batch whose weights are all zero has loss 0, and weights of 2 on
// every sample double the loss and its gradient.
//
// Here a weight belongs to a sample (the first axis). Where one sample has
// several loss values (a (N, T, C) output, or several regression outputs
// averaged over the last axis), each of them is multiplied by the sample's
// weight and the divisor stays the number of values, which is what Keras
// computes when its per-sample losses are (N,). For per-sample losses of
// shape (N, T) Keras 3 multiplies them by (N,) weights with NumPy
// broadcasting, which fails unless T equals N; gokeras weights each
// sample's values instead, as Keras's weighted metrics do
// (keras/src/metrics/reduction_metrics.py, reduce_to_samplewise_values).

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// Weighted is a loss that takes per-sample weights. Every loss in this
// package is one.
type Weighted interface {
	Loss
	// ComputeWeighted is Compute with sample i's loss values (and their
	// gradient rows) multiplied by w[i]; w holds one weight per sample
	// (pred.Shape[0] of them), or is nil for Compute itself. The weighted
	// values are then reduced as the loss's Reduction says: with the
	// default "sum_over_batch_size", divided by the number of loss values,
	// not by the sum of the weights (see reduction.go).
	ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64
}

// checkWeights panics when w is neither nil nor one weight per sample:
// the trainer checks the user's weights first, so this is a programmer
// error.
func checkWeights(name string, pred *tensor.Tensor, w []float32) {
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("loss: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
}

// rowKernel is a loss loop over rows of cols predictions (targets of tcols
// values per row): it returns the summed loss of rows rows and writes
// their gradient, times scale, into g when g is non-nil.
type rowKernel func(g, p, t []float32, rows int, scale float64) float64

// weightedRows runs k over rows rows of cols predictions and tcols targets.
// With w nil that is one call over all of them. Otherwise the rows are
// split evenly among the len(w) samples and run one at a time, each row's
// loss and gradient scaled by its sample's weight; the losses are added in
// the same order as the single call adds them, so weights of exactly 1
// give the same bits wherever a row's loss is one term (one-hot or sparse
// targets, element-wise losses).
func weightedRows(k rowKernel, g, p, t, w []float32, rows, cols, tcols int, scale float64) float64 {
	if w == nil {
		return k(g, p, t, rows, scale)
	}
	per := rows / len(w)
	var sum float64
	for r := 0; r < rows; r++ {
		wi := float64(w[r/per])
		var gr []float32
		if g != nil {
			gr = g[r*cols : (r+1)*cols]
		}
		sum += wi * k(gr, p[r*cols:(r+1)*cols], t[r*tcols:(r+1)*tcols], 1, scale*wi)
	}
	return sum
}

// elementKernel is an element-wise loss loop (binary cross-entropy and the
// regression losses).
type elementKernel func(g, p, t []float32, scale float64) float64

// weightedElements is weightedRows for an element-wise loss: each element
// of pred is a row of one.
func weightedElements(k elementKernel, g, p, t, w []float32, scale float64) float64 {
	rk := func(g, p, t []float32, _ int, scale float64) float64 { return k(g, p, t, scale) }
	return weightedRows(rk, g, p, t, w, len(p), 1, 1, scale)
}
