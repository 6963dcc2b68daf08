// This file owns Keras's reduction argument: how the per-sample loss values
// (after any sample weights) become the one number that is minimised.
//
// Keras 3 (keras/src/losses/loss.py, reduce_values) sums the weighted
// values and then, for "sum_over_batch_size" and "mean", divides by the
// number of values; for "mean_with_sample_weight" it divides by the sum of
// the sample weights instead (divide_no_nan, so all-zero weights give 0),
// or by the number of values when there are no weights; "sum" does not
// divide; None and "none" return the values themselves.
//
// A loss "value" here is what Keras's loss function returns for one
// position: one per sample for (N, C) predictions, one per sample and step
// for (N, T, C). Losses that take the mean over the last axis (MSE, binary
// cross-entropy, hinge, ...) hold the sum of that axis's terms and divide
// it by its length inside the value.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// Reduction is Keras's reduction argument of a loss. The zero value is
// Keras's default, "sum_over_batch_size".
type Reduction string

// The reductions Keras 3 accepts (keras/src/losses/loss.py,
// standardize_reduction); Keras's None is NoReduction.
const (
	SumOverBatchSize     Reduction = "sum_over_batch_size"
	Sum                  Reduction = "sum"
	Mean                 Reduction = "mean"
	MeanWithSampleWeight Reduction = "mean_with_sample_weight"
	NoReduction          Reduction = "none"
)

// reductions lists the valid values, in the order errors show them.
var reductions = []Reduction{SumOverBatchSize, Sum, Mean, MeanWithSampleWeight, NoReduction}

// keras returns the reduction as a config writes it: the default for the
// zero value, and "none" for NoReduction (Keras writes null when it was
// given None and "none" when given the string; it reads both).
func (r Reduction) keras() string {
	if r == "" {
		return string(SumOverBatchSize)
	}
	return string(r)
}

// ParseReduction reads a reduction as Keras's config holds it: one of the
// strings above, or nil for Keras's None.
func ParseReduction(v any) (Reduction, error) {
	if v == nil {
		return NoReduction, nil
	}
	s, ok := v.(string)
	if ok {
		for _, r := range reductions {
			if Reduction(s) == r {
				return r, nil
			}
		}
	}
	return "", fmt.Errorf("reduction %v is not one of %q, %q, %q, %q, %q or null", v, SumOverBatchSize, Sum, Mean, MeanWithSampleWeight, NoReduction)
}

// check returns an error for a reduction that Keras rejects, and for
// NoReduction, which leaves one value per sample: training needs one
// number, so such a loss can only give per-sample values (see Unreduced).
func (r Reduction) check(name string) error {
	switch r {
	case "", SumOverBatchSize, Sum, Mean, MeanWithSampleWeight:
		return nil
	case NoReduction:
		return fmt.Errorf("loss: %s has reduction \"none\", which returns one loss per sample and cannot be trained on; compile with reduction %q (the default), %q, %q or %q, and call Values for the per-sample losses",
			name, SumOverBatchSize, Sum, Mean, MeanWithSampleWeight)
	}
	return fmt.Errorf("loss: %s has reduction %q; use one of %q (the default), %q, %q, %q or %q", name, string(r), SumOverBatchSize, Sum, Mean, MeanWithSampleWeight, NoReduction)
}

// scale returns the factor that turns the sum of a batch's weighted loss
// terms into the reduced loss: values is the number of loss values, inner
// the divisor inside each value (the length of the last axis for losses that
// take its mean, else 1), w the sample weights or nil.
func (r Reduction) scale(values int, inner float64, w []float32) float64 {
	switch r {
	case Sum:
		return 1 / inner
	case MeanWithSampleWeight:
		if w == nil {
			break
		}
		// Keras divides by the sum of the weights broadcast to the values:
		// each sample's weight counts once per value of that sample.
		var s float64
		for _, v := range w {
			s += float64(v)
		}
		s *= float64(values) / float64(len(w))
		if s == 0 {
			return 0 // divide_no_nan
		}
		return 1 / (inner * s)
	}
	return 1 / (float64(values) * inner)
}

// Unreduced is a loss that returns its per-sample values, as a Keras loss
// with reduction None does. Every loss in this package is one.
type Unreduced interface {
	Loss
	// Values writes the loss values of the batch into out (grown when
	// short) and returns it: one per position of the predictions without
	// their last axis, in order, each times its sample's weight when w is
	// non-nil. It ignores the loss's Reduction and returns an error when
	// the shapes do not fit.
	Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error)
}

// lastAxis returns the length of pred's last axis, or 1 for predictions of
// rank 1, which gokeras scores as (N, 1) (Keras would average a rank-1
// batch into one value).
func lastAxis(pred *tensor.Tensor) int {
	if len(pred.Shape) < 2 {
		return 1
	}
	return pred.Shape[len(pred.Shape)-1]
}

// elementwise runs an element-wise loss kernel under reduction r. Each loss
// value is the sum of the last axis's terms, divided by that axis's length
// unless sumLast is set (Keras's KL divergence sums it).
func elementwise(r Reduction, k elementKernel, pred *tensor.Tensor, target, w []float32, grad *tensor.Tensor, sumLast bool) float64 {
	c := lastAxis(pred)
	inner := float64(c)
	if sumLast {
		inner = 1
	}
	scale := r.scale(len(pred.Data)/c, inner, w)
	return weightedElements(k, gradData(grad), pred.Data, target, w, scale) * scale
}

// rowwise runs a loss kernel whose value is one per row of cols
// predictions (tcols targets) under reduction r.
func rowwise(r Reduction, k rowKernel, g, p, t, w []float32, rows, cols, tcols int) float64 {
	scale := r.scale(rows, 1, w)
	return weightedRows(k, g, p, t, w, rows, cols, tcols, scale) * scale
}

// grow returns out with length n.
func grow[T float32 | float64](out []T, n int) []T {
	if cap(out) < n {
		return make([]T, n)
	}
	return out[:n]
}

// elementValues is Values for an element-wise loss (see elementwise).
func elementValues(k elementKernel, pred *tensor.Tensor, target, w []float32, sumLast bool, out []float32) []float32 {
	c := lastAxis(pred)
	n := len(pred.Data) / c
	out = grow(out, n)
	for v := range n {
		s := k(nil, pred.Data[v*c:(v+1)*c], target[v*c:(v+1)*c], 1)
		if !sumLast {
			s /= float64(c)
		}
		if w != nil {
			s *= float64(w[v/(n/len(w))])
		}
		out[v] = float32(s)
	}
	return out
}

// rowValues is Values for a loss with one value per row.
func rowValues(k rowKernel, p, t, w []float32, rows, cols, tcols int, out []float32) []float32 {
	out = grow(out, rows)
	for r := range rows {
		s := k(nil, p[r*cols:(r+1)*cols], t[r*tcols:(r+1)*tcols], 1, 1)
		if w != nil {
			s *= float64(w[r/(rows/len(w))])
		}
		out[r] = float32(s)
	}
	return out
}

// valuesCheck is the shape and weight check of Values, with an error
// instead of a panic.
func valuesCheck[L Loss](l L, pred, target *tensor.Tensor, w []float32) error {
	if err := l.Check(pred.Shape, target.Shape); err != nil {
		return err
	}
	if w != nil && len(w) != pred.Shape[0] {
		return fmt.Errorf("loss: %s got %d sample weights for a batch of %d; pass one weight per sample", l.Name(), len(w), pred.Shape[0])
	}
	return nil
}
