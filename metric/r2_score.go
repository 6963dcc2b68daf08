package metric

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// R2Score is Keras's R2Score (keras/src/metrics/regression_metrics.py),
// the coefficient of determination 1 - Σ(target-pred)²/Σ(target-mean)²
// per output column, from weighted sums accumulated over every batch since
// Reset. Predictions and targets are (batch, outputs).
//
// ClassAggregation "uniform_average" (Keras's default, also "") averages
// the columns, "variance_weighted_average" weighs them by their target
// variance; Keras's None (one score per column) is "none": Results returns
// them, and Result their mean. NumRegressors > 0 gives the adjusted R²
// with n the number of values seen (Keras counts values, not rows), falling
// back to R² when NumRegressors ≥ n-1, as Keras does (with a warning).
type R2Score struct {
	// ClassAggregation is "uniform_average" (""), "variance_weighted_average"
	// or "none".
	ClassAggregation string
	// NumRegressors is the number of independent regressors; 0 is plain R².
	NumRegressors int
	// LogName is the name in logs and History; "" is "r2_score".
	LogName string

	sum, squares, residual, count []float64
	values                        float64
}

// Name returns LogName, or "r2_score".
func (a *R2Score) Name() string { return nameOr(a.LogName, "r2_score") }

func (a *R2Score) check() error {
	switch a.ClassAggregation {
	case "", "uniform_average", "variance_weighted_average", "none":
	default:
		return fmt.Errorf("class_aggregation %q is not one of null, \"uniform_average\", \"variance_weighted_average\"", a.ClassAggregation)
	}
	if a.NumRegressors < 0 {
		return fmt.Errorf("num_regressors %d must be >= 0", a.NumRegressors)
	}
	return nil
}

// Reset forgets every batch seen.
func (a *R2Score) Reset() {
	clear(a.sum)
	clear(a.squares)
	clear(a.residual)
	clear(a.count)
	a.values = 0
}

// Update adds one batch: pred and target (batch, outputs).
func (a *R2Score) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (a *R2Score) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	if err := a.check(); err != nil {
		panic(fmt.Sprintf("metric: %s: %v", a.Name(), err))
	}
	checkSize(a.Name(), pred, target)
	if len(pred.Shape) != 2 {
		panic(fmt.Sprintf("metric: %s needs predictions (batch, outputs), got %v", a.Name(), pred.Shape))
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", a.Name(), len(w), pred.Shape[0]))
	}
	rows, cols := pred.Shape[0], pred.Shape[1]
	if a.sum == nil {
		a.sum, a.squares = make([]float64, cols), make([]float64, cols)
		a.residual, a.count = make([]float64, cols), make([]float64, cols)
	} else if len(a.sum) != cols {
		panic(fmt.Sprintf("metric: %s counted %d outputs so far, got predictions %v", a.Name(), len(a.sum), pred.Shape))
	}
	for r := range rows {
		wt := 1.0
		if w != nil {
			wt = float64(w[r])
		}
		for j := range cols {
			t, p := float64(target.Data[r*cols+j]), float64(pred.Data[r*cols+j])
			a.sum[j] += t * wt
			a.squares[j] += t * t * wt
			a.residual[j] += (t - p) * (t - p) * wt
			a.count[j] += wt
		}
	}
	a.values += float64(len(pred.Data))
}

// Results returns the score of each output column (adjusted when
// NumRegressors is set), nil before any batch.
func (a *R2Score) Results() []float64 {
	if a.sum == nil {
		return nil
	}
	out := make([]float64, len(a.sum))
	for j := range out {
		out[j] = a.adjust(a.raw(j))
	}
	return out
}

// raw is column j's score and its total sum of squares.
func (a *R2Score) raw(j int) (score, total float64) {
	mean := a.sum[j] / a.count[j]
	total = a.squares[j] - a.sum[j]*mean
	score = 1 - a.residual[j]/total
	if math.IsInf(score, 0) {
		score = 0
	}
	return score, total
}

// adjust applies the adjusted R² when NumRegressors asks for it.
func (a *R2Score) adjust(r2 float64, _ float64) float64 {
	p, n := float64(a.NumRegressors), a.values
	if a.NumRegressors == 0 || p >= n-1 {
		return r2
	}
	return 1 - (1-r2)*(n-1)/(n-p-1)
}

// Result returns the aggregated score, 0 before any batch.
func (a *R2Score) Result() float64 {
	if a.sum == nil {
		return 0
	}
	var r2 float64
	if a.ClassAggregation == "variance_weighted_average" {
		num, den := 0.0, 0.0
		for j := range a.sum {
			s, total := a.raw(j)
			num += total * s
			den += total
		}
		r2 = num / den
	} else {
		for j := range a.sum {
			s, _ := a.raw(j)
			r2 += s
		}
		r2 /= float64(len(a.sum))
	}
	return a.adjust(r2, 0)
}

func (a *R2Score) fresh() Metric {
	return &R2Score{ClassAggregation: a.ClassAggregation, NumRegressors: a.NumRegressors, LogName: a.LogName}
}
