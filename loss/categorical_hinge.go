// This file follows keras/src/losses/losses.py, CategoricalHinge and
// categorical_hinge.

package loss

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// CategoricalHinge is Keras's categorical_hinge loss: per row of the last
// axis, max(neg - pos + 1, 0) with pos = sum(y*p) and neg = max((1-y)*p).
// Targets are one-hot rows (Keras converts nothing here).
type CategoricalHinge struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "categorical_hinge".
func (CategoricalHinge) Name() string { return NameCategoricalHinge }

// Check accepts targets of pred's shape.
func (l CategoricalHinge) Check(pred, target tensor.Shape) error {
	return checkRows(l.Name(), l.Reduction, pred, target)
}

// checkRows is Check for the losses with one value per row of the last
// axis, whose targets have the predictions' shape.
func checkRows(name string, r Reduction, pred, target tensor.Shape) error {
	if err := r.check(name); err != nil {
		return err
	}
	if err := checkBatch(name, pred, target); err != nil {
		return err
	}
	if len(pred) < 2 {
		return fmt.Errorf("loss: %s needs predictions of shape (batch, features), got %v; give the model an output axis", name, pred)
	}
	if target.Equal(pred) {
		return nil
	}
	if labelShape(pred, target) {
		return fmt.Errorf("loss: %s got targets of shape %v for predictions %v; these look like integer class labels, so one-hot encode them to %v",
			name, target, pred, pred)
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs targets of the predictions' shape", name, target, pred)
}

// Compute returns the reduced loss of the batch. The gradient is -y +
// (1-y)*[p_j is the maximum of (1-y)*p] where the hinge is active
// (neg - pos + 1 >= 0), with tied maxima sharing it equally, as TensorFlow's
// reduce_max gradient does.
func (l CategoricalHinge) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l CategoricalHinge) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	rows, cols := rowsCols(pred)
	return rowwise(l.Reduction, categoricalHinge, gradData(grad), pred.Data, target.Data, w, rows, cols, cols)
}

// Values returns the per-sample losses (see Unreduced).
func (l CategoricalHinge) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	rows, cols := rowsCols(pred)
	return rowValues(categoricalHinge, pred.Data, target.Data, w, rows, cols, cols, out), nil
}

// categoricalHinge is the row kernel of CategoricalHinge.
func categoricalHinge(grad, p, y []float32, rows int, scale float64) float64 {
	cols := len(p) / rows
	var sum float64
	for r := range rows {
		pr, yr := p[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		var pos float64
		neg := -1.0
		for j, v := range pr {
			t := float64(yr[j])
			pos += t * float64(v)
			if n := (1 - t) * float64(v); j == 0 || n > neg {
				neg = n
			}
		}
		m := neg - pos + 1
		if m > 0 {
			sum += m
		}
		if grad == nil {
			continue
		}
		g := grad[r*cols : (r+1)*cols]
		if m < 0 {
			clear(g)
			continue
		}
		ties := 0
		for j, v := range pr {
			if (1-float64(yr[j]))*float64(v) == neg {
				ties++
			}
		}
		for j, v := range pr {
			t := float64(yr[j])
			d := -t
			if (1-t)*float64(v) == neg {
				d += (1 - t) / float64(ties)
			}
			g[j] = float32(scale * d)
		}
	}
	return sum
}
