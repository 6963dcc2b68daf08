// This file follows keras/src/losses/losses.py, CategoricalFocalCrossentropy
// and categorical_focal_crossentropy.

package loss

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// CategoricalFocalCrossentropy is Keras's categorical_focal_crossentropy:
// per row, with q = p/sum(p) clipped to [Epsilon, 1-Epsilon] (p the softmax
// of the logits when FromLogits), sum_j Alpha*(1-q_j)^Gamma*(-y_j*log q_j).
// Targets are one-hot (or soft) rows of the predictions' shape.
type CategoricalFocalCrossentropy struct {
	// Alpha weighs every class; nil means Keras's FocalAlpha (0.25). Keras
	// also takes one weight per class, which gokeras does not.
	Alpha *float64
	// Gamma is the focusing exponent; nil means Keras's FocalGamma (2).
	Gamma *float64
	// FromLogits says the predictions are logits rather than probabilities
	// (Keras's default false).
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the targets y by
	// y*(1-ls) + ls/C (default 0).
	LabelSmoothing float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "categorical_focal_crossentropy".
func (CategoricalFocalCrossentropy) Name() string { return NameCategoricalFocalCrossentropy }

// alphaGamma returns the effective Alpha and Gamma.
func (l CategoricalFocalCrossentropy) alphaGamma() (alpha, gamma float64) {
	return orDefault(l.Alpha, FocalAlpha), orDefault(l.Gamma, FocalGamma)
}

// Check accepts targets of pred's shape.
func (l CategoricalFocalCrossentropy) Check(pred, target tensor.Shape) error {
	alpha, gamma := l.alphaGamma()
	if err := checkFocal(l.Name(), alpha, gamma); err != nil {
		return err
	}
	if err := checkSmoothing(l.Name(), l.LabelSmoothing); err != nil {
		return err
	}
	return checkRows(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced loss of the batch.
func (l CategoricalFocalCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// kernel returns the row kernel.
func (l CategoricalFocalCrossentropy) kernel() rowKernel {
	alpha, gamma := l.alphaGamma()
	return func(g, p, t []float32, rows int, scale float64) float64 {
		return categoricalFocal(g, p, t, rows, scale, alpha, gamma, l.FromLogits)
	}
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l CategoricalFocalCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	rows, cols := rowsCols(pred)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return rowwise(l.Reduction, l.kernel(), gradData(grad), pred.Data, t, w, rows, cols, cols)
}

// Values returns the per-sample losses (see Unreduced).
func (l CategoricalFocalCrossentropy) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	rows, cols := rowsCols(pred)
	t := target.Data
	if l.LabelSmoothing != 0 {
		p := smoothTargets(target.Data, rows, cols, l.LabelSmoothing, false)
		defer targetPool.Put(p)
		t = *p
	}
	return rowValues(l.kernel(), pred.Data, t, w, rows, cols, cols, out), nil
}

// categoricalFocal sums the focal loss of rows rows and writes its exact
// gradient (times scale) into grad when non-nil. It stores nothing between
// passes: the softmax and the normalised, clipped q are recomputed.
func categoricalFocal(grad, x, y []float32, rows int, scale, alpha, gamma float64, fromLogits bool) float64 {
	cols := len(x) / rows
	var sum float64
	for r := range rows {
		xr, yr := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		// p_j = prob(j): the softmax of the logits, or the inputs.
		m, s := 0.0, 1.0
		if fromLogits {
			m = math.Inf(-1)
			for _, v := range xr {
				m = math.Max(m, float64(v))
			}
			s = 0
			for _, v := range xr {
				s += math.Exp(float64(v) - m)
			}
		}
		prob := func(j int) float64 {
			if fromLogits {
				return math.Exp(float64(xr[j])-m) / s
			}
			return float64(xr[j])
		}
		var ps float64
		for j := range xr {
			ps += prob(j)
		}
		// g_j = d loss / d q_j, 0 where q_j was clipped.
		term := func(j int) (f, g, q float64) {
			q = prob(j) / ps
			c := math.Min(math.Max(q, Epsilon), 1-Epsilon)
			t := float64(yr[j])
			mod := math.Pow(1-c, gamma)
			f = alpha * mod * (-t * math.Log(c))
			if q >= Epsilon && q <= 1-Epsilon {
				g = -alpha * mod * t / c
				if gamma != 0 {
					g += alpha * gamma * math.Pow(1-c, gamma-1) * t * math.Log(c)
				}
			}
			return f, g, q
		}
		var gq float64 // sum_k g_k q_k
		for j := range xr {
			f, g, q := term(j)
			sum += f
			gq += g * q
		}
		if grad == nil {
			continue
		}
		gr := grad[r*cols : (r+1)*cols]
		if !fromLogits {
			for j := range xr {
				_, g, _ := term(j)
				gr[j] = float32(scale * (g - gq) / ps)
			}
			continue
		}
		// h_j = d loss / d p_j; through the softmax,
		// d loss / d x_j = p_j*(h_j - sum_k p_k h_k).
		var ph float64
		for j := range xr {
			_, g, _ := term(j)
			ph += prob(j) * (g - gq) / ps
		}
		for j := range xr {
			_, g, _ := term(j)
			gr[j] = float32(scale * prob(j) * ((g-gq)/ps - ph))
		}
	}
	return sum
}
