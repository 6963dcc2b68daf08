// This file follows keras/src/losses/losses.py, Tversky and tversky
// (Keras 3).

package loss

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Tversky is Keras's Tversky loss: 1 - I/(I + Alpha·FP + Beta·FN +
// Epsilon), with I = Σ t·p, FP = Σ (1-p)·t and FN = Σ p·(1-t), as Keras
// names them (keras/src/losses/losses.py, tversky). Alpha and Beta nil are
// Keras's 0.5 each, which makes it the Dice loss. Axis is Keras's (newer
// versions have it; older ones sum over the whole batch, as nil does):
// nil or every axis but the batch's, as Dice's. Sample weights and Values
// work as Dice's.
type Tversky struct {
	Reduction   Reduction
	Alpha, Beta *float64
	Axis        []int
}

// NameTversky is Keras's name of the Tversky loss.
const NameTversky = "tversky"

// TverskyAlphaBeta is Keras's default alpha and beta of Tversky.
const TverskyAlphaBeta = 0.5

// Name returns "tversky".
func (Tversky) Name() string { return NameTversky }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l Tversky) Check(pred, target tensor.Shape) error {
	if err := (Dice{Reduction: l.Reduction, Axis: l.Axis}).checkAs(l.Name(), pred, target); err != nil {
		return err
	}
	if a, b := l.alphaBeta(); !(a >= 0 && b >= 0) || math.IsInf(a+b, 0) {
		return fmt.Errorf("loss: tversky with alpha %v and beta %v: give finite numbers >= 0 (Keras's defaults are 0.5 and 0.5)", a, b)
	}
	return nil
}

func (l Tversky) alphaBeta() (a, b float64) {
	a, b = TverskyAlphaBeta, TverskyAlphaBeta
	if l.Alpha != nil {
		a = *l.Alpha
	}
	if l.Beta != nil {
		b = *l.Beta
	}
	return a, b
}

// Compute returns the reduced loss of the batch and writes its gradient
// into grad when non-nil.
func (l Tversky) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Tversky) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	a, b := l.alphaBeta()
	if per, _ := perSampleAxis(l.Name(), l.Axis, pred.Shape); per {
		n := pred.Shape[0]
		cols := len(pred.Data) / n
		rows := func(g, p, t []float32, rows int, scale float64) float64 {
			return tverskyRows(g, p, t, rows, a, b, scale)
		}
		return rowwise(l.Reduction, rows, gradData(grad), pred.Data, target.Data, w, n, cols, cols)
	}
	f := batchWide(l.Reduction, w, pred.Shape[0])
	return f * tverskyRows(gradData(grad), pred.Data, target.Data, 1, a, b, f)
}

// Values returns the per-sample losses (see Unreduced).
func (l Tversky) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	a, b := l.alphaBeta()
	n := pred.Shape[0]
	if per, _ := perSampleAxis(l.Name(), l.Axis, pred.Shape); per {
		cols := len(pred.Data) / n
		rows := func(g, p, t []float32, rows int, scale float64) float64 {
			return tverskyRows(g, p, t, rows, a, b, scale)
		}
		return rowValues(rows, pred.Data, target.Data, w, n, cols, cols, out), nil
	}
	return broadcast(tverskyRows(nil, pred.Data, target.Data, 1, a, b, 1), w, n, out), nil
}

// tverskyRows is Tversky's kernel over rows rows of p and t (len(p)/rows
// each): with I = Σ t·p, FP = Σ (1-p)·t, FN = Σ p·(1-t) and
// D = I + a·FP + b·FN + Epsilon, a row's loss is 1 - I/D and
// ∂/∂p_j = -(t_j·D - I·(t_j - a·t_j + b·(1-t_j)))/D². It returns the sum
// of the rows' losses and writes scale times the gradient into g.
func tverskyRows(g, p, t []float32, rows int, a, b, scale float64) float64 {
	cols := len(p) / rows
	t = t[:len(p)]
	var sum float64
	for r := range rows {
		pr, tr := p[r*cols:(r+1)*cols], t[r*cols:(r+1)*cols]
		var in, fp, fn float64
		for j, v := range pr {
			y, q := float64(tr[j]), float64(v)
			in += y * q
			fp += (1 - q) * y
			fn += q * (1 - y)
		}
		d := in + a*fp + b*fn + Epsilon
		sum += 1 - in/d
		if g == nil {
			continue
		}
		gr := g[r*cols : (r+1)*cols]
		for j := range pr {
			y := float64(tr[j])
			gr[j] = float32(-scale * (y*d - in*(y-a*y+b*(1-y))) / (d * d))
		}
	}
	return sum
}
