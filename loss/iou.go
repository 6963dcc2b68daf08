// This file follows keras/src/losses/losses.py, IoU and iou (Keras 3).

package loss

import "github.com/gokeras/gokeras/tensor"

// IoU is Keras's IoU (intersection over union, Jaccard) loss for
// segmentation: 1 - I/(Σt + Σp - I + Epsilon) with I = Σ t·p, targets t
// (masks in [0, 1]) and predictions p of the same shape. Axis, sample
// weights and Values work as Dice's: nil sums over the whole batch, every
// axis but the batch's gives one loss per sample.
type IoU struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
	Axis      []int
}

// NameIoU is Keras's name of the IoU loss.
const NameIoU = "iou"

// Name returns "iou".
func (IoU) Name() string { return NameIoU }

// Check accepts targets of pred's shape, up to a trailing axis of 1, and
// an axis gokeras implements.
func (l IoU) Check(pred, target tensor.Shape) error {
	return Dice{Reduction: l.Reduction, Axis: l.Axis}.checkAs(l.Name(), pred, target)
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l IoU) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l IoU) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	if per, _ := perSampleAxis(l.Name(), l.Axis, pred.Shape); per {
		n := pred.Shape[0]
		cols := len(pred.Data) / n
		return rowwise(l.Reduction, iouRows, gradData(grad), pred.Data, target.Data, w, n, cols, cols)
	}
	f := batchWide(l.Reduction, w, pred.Shape[0])
	return f * iouRows(gradData(grad), pred.Data, target.Data, 1, f)
}

// Values returns the per-sample losses (see Unreduced).
func (l IoU) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	n := pred.Shape[0]
	if per, _ := perSampleAxis(l.Name(), l.Axis, pred.Shape); per {
		cols := len(pred.Data) / n
		return rowValues(iouRows, pred.Data, target.Data, w, n, cols, cols, out), nil
	}
	return broadcast(iouRows(nil, pred.Data, target.Data, 1, 1), w, n, out), nil
}

// iouRows is IoU's row kernel: the loss of each row 1 - I/D with
// I = Σ t·p and D = Σt + Σp - I + Epsilon, and the gradient
// scale·∂/∂p_j = -scale·(t_j·D - I·(1 - t_j))/D².
func iouRows(g, p, t []float32, rows int, scale float64) float64 {
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
		d := st + sp - in + Epsilon
		sum += 1 - in/d
		if g == nil {
			continue
		}
		gr := g[r*cols : (r+1)*cols]
		for j := range pr {
			y := float64(tr[j])
			gr[j] = float32(-scale * (y*d - in*(1-y)) / (d * d))
		}
	}
	return sum
}
