// This file follows keras/src/losses/losses.py, Dice and dice (Keras 3).

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// Dice is Keras's Dice loss for segmentation: 1 - 2·Σ(t·p)/(Σt + Σp +
// Epsilon), with targets t (masks in [0, 1]) and predictions p (a sigmoid
// or softmax output) of the same shape.
//
// Axis is Keras's axis. Nil, Keras's default (None), takes the sums over
// the whole batch: one loss for the batch. Every axis but the batch's,
// e.g. []int{1, 2, 3} for (batch, height, width, channels) predictions
// (negative indices count from the end), takes them per sample: one loss
// per sample, reduced as Reduction says. Other subsets of axes are not
// implemented.
//
// A batch-wide loss is one value, as in Keras: sample weights multiply it
// by their sum (the reductions then divide as they would divide the
// weighted per-sample values: by the batch size for "sum_over_batch_size",
// by the weights' sum for "mean_with_sample_weight"), and Values gives each
// sample the batch's loss times its weight.
type Dice struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
	Axis      []int
}

// NameDice is Keras's name of the Dice loss.
const NameDice = "dice"

// Name returns "dice".
func (Dice) Name() string { return NameDice }

// perSample reports whether axis covers every axis of pred but the batch,
// and returns an error for any other non-nil axis. It allocates nothing:
// Compute calls it every batch.
func (l Dice) perSample(pred tensor.Shape) (bool, error) {
	return perSampleAxis(l.Name(), l.Axis, pred)
}

// perSampleAxis is perSample for the segmentation losses that take Keras's
// axis (Dice, IoU).
func perSampleAxis(name string, axis []int, pred tensor.Shape) (bool, error) {
	if axis == nil {
		return false, nil
	}
	rank := len(pred)
	var seen uint64 // bit a: axis a named
	ok := len(axis) == rank-1 && rank <= 64
	for _, a := range axis {
		if a < 0 {
			a += rank
		}
		if a < 1 || a >= rank || a >= 64 || seen&(1<<a) != 0 {
			ok = false
			break
		}
		seen |= 1 << a
	}
	if !ok {
		return false, fmt.Errorf("loss: %s with axis %v on predictions of shape %v is not implemented; gokeras takes axis null (the whole batch) or every axis but the batch's (%v)", name, axis, pred, allButBatch(rank))
	}
	return true, nil
}

func allButBatch(rank int) []int {
	a := make([]int, 0, rank)
	for i := 1; i < rank; i++ {
		a = append(a, i)
	}
	return a
}

// checkMasks checks the shapes of the segmentation losses: targets of the
// predictions' shape, up to a trailing axis of 1.
func checkMasks(name string, r Reduction, pred, target tensor.Shape) error {
	if err := r.check(name); err != nil {
		return err
	}
	if err := checkBatch(name, pred, target); err != nil {
		return err
	}
	if !sameUpToTrailingOne(pred, target) {
		return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs a target mask of the predictions' shape", name, target, pred)
	}
	return nil
}

// Check accepts targets of pred's shape, up to a trailing axis of 1, and
// an axis gokeras implements.
func (l Dice) Check(pred, target tensor.Shape) error {
	return l.checkAs(l.Name(), pred, target)
}

// checkAs is Check for a segmentation loss named name with Dice's axis
// and reduction (Dice, IoU).
func (l Dice) checkAs(name string, pred, target tensor.Shape) error {
	if err := checkMasks(name, l.Reduction, pred, target); err != nil {
		return err
	}
	if len(pred) < 2 && l.Axis != nil {
		return fmt.Errorf("loss: %s with axis %v needs predictions with an axis besides the batch, got %v", name, l.Axis, pred)
	}
	_, err := perSampleAxis(name, l.Axis, pred)
	return err
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l Dice) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Dice) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	if per, _ := l.perSample(pred.Shape); per {
		n := pred.Shape[0]
		cols := len(pred.Data) / n
		return rowwise(l.Reduction, diceRows, gradData(grad), pred.Data, target.Data, w, n, cols, cols)
	}
	f := batchWide(l.Reduction, w, pred.Shape[0])
	return f * diceRows(gradData(grad), pred.Data, target.Data, 1, f)
}

// Values returns the per-sample losses (see Unreduced).
func (l Dice) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	n := pred.Shape[0]
	if per, _ := l.perSample(pred.Shape); per {
		cols := len(pred.Data) / n
		return rowValues(diceRows, pred.Data, target.Data, w, n, cols, cols, out), nil
	}
	return broadcast(diceRows(nil, pred.Data, target.Data, 1, 1), w, n, out), nil
}

// batchWide returns what reduction r makes of a batch-wide loss value L
// (Keras's scalar): L itself without weights; with weights w, Keras
// multiplies L by each weight (a value per sample) and reduces those, so
// L·Σw for "sum", L·Σw/n for "sum_over_batch_size" and "mean", and L for
// "mean_with_sample_weight" (0 when the weights sum to 0); a batch of one
// gives L·w under every reduction. It returns the factor.
func batchWide(r Reduction, w []float32, n int) float64 {
	if w == nil {
		return 1
	}
	var s float64
	for _, v := range w {
		s += float64(v)
	}
	if n == 1 {
		// Keras squeezes a single weight to a scalar, and a scalar is not
		// reduced: L·w under every reduction.
		return s
	}
	switch r {
	case Sum:
		return s
	case MeanWithSampleWeight:
		if s == 0 {
			return 0
		}
		return 1
	}
	return s / float64(n)
}

// broadcast gives each of n samples the batch-wide value v, times its
// weight when w is non-nil.
func broadcast(v float64, w []float32, n int, out []float32) []float32 {
	out = grow(out, n)
	for i := range out {
		s := v
		if w != nil {
			s *= float64(w[i])
		}
		out[i] = float32(s)
	}
	return out
}

// diceRows is Dice's row kernel: rows rows of p and t (len(p)/rows each),
// the loss of each row 1 - 2I/D with I = Σ t·p and D = Σt + Σp + Epsilon,
// and the gradient scale·∂/∂p_j = -2·scale·(t_j·D - I)/D².
func diceRows(g, p, t []float32, rows int, scale float64) float64 {
	cols := len(p) / rows
	t = t[:len(p)]
	var sum float64
	for r := range rows {
		pr, tr := p[r*cols:(r+1)*cols], t[r*cols:(r+1)*cols]
		var in, st, sp float64
		for j, v := range pr {
			y := float64(tr[j])
			in += y * float64(v)
			st += y
			sp += float64(v)
		}
		d := st + sp + Epsilon
		sum += 1 - 2*in/d
		if g == nil {
			continue
		}
		gr := g[r*cols : (r+1)*cols]
		for j := range pr {
			gr[j] = float32(-2 * scale * (float64(tr[j])*d - in) / (d * d))
		}
	}
	return sum
}
