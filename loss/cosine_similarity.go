// This file follows keras/src/losses/losses.py, CosineSimilarity and
// cosine_similarity, with the L2 normalisation of keras/src/ops/nn.py
// (_normalize): x * min(rsqrt(sum(x²)), 1/Epsilon).

package loss

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// CosineSimilarity is Keras's cosine_similarity loss: per row of the last
// axis, -sum(t̂*p̂) with x̂ = x/max(‖x‖, Epsilon). It lies in [-1, 1]; -1
// means the prediction points the target's way, and a zero vector gives 0.
type CosineSimilarity struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "cosine_similarity".
func (CosineSimilarity) Name() string { return NameCosineSimilarity }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l CosineSimilarity) Check(pred, target tensor.Shape) error {
	if err := l.Reduction.check(l.Name()); err != nil {
		return err
	}
	if err := checkBatch(l.Name(), pred, target); err != nil {
		return err
	}
	if len(pred) < 2 {
		return fmt.Errorf("loss: %s needs predictions of shape (batch, features), got %v; give the model an output axis", l.Name(), pred)
	}
	if sameUpToTrailingOne(pred, target) {
		return nil
	}
	return fmt.Errorf("loss: %s cannot score targets of shape %v against predictions %v; it needs targets of the predictions' shape", l.Name(), target, pred)
}

// Compute returns the reduced loss of the batch. Where ‖p‖ >= Epsilon the
// gradient is -(t̂ - (p·t̂)p/‖p‖²)/‖p‖, else -t̂/Epsilon (tf.minimum passes
// the gradient to rsqrt on ties).
func (l CosineSimilarity) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l CosineSimilarity) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	rows, cols := rowsCols(pred)
	return rowwise(l.Reduction, cosineSimilarity, gradData(grad), pred.Data, target.Data, w, rows, cols, cols)
}

// Values returns the per-sample losses (see Unreduced).
func (l CosineSimilarity) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	rows, cols := rowsCols(pred)
	return rowValues(cosineSimilarity, pred.Data, target.Data, w, rows, cols, cols, out), nil
}

// cosineSimilarity is the row kernel of CosineSimilarity.
func cosineSimilarity(grad, p, y []float32, rows int, scale float64) float64 {
	cols := len(p) / rows
	var sum float64
	for r := range rows {
		pr, yr := p[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		var pp, tt, pt float64
		for j, v := range pr {
			a, b := float64(v), float64(yr[j])
			pp += a * a
			tt += b * b
			pt += a * b
		}
		np, nt := math.Sqrt(pp), math.Sqrt(tt)
		dt := math.Max(nt, Epsilon)
		dp := math.Max(np, Epsilon)
		sum -= pt / (dp * dt)
		if grad == nil {
			continue
		}
		g := grad[r*cols : (r+1)*cols]
		for j, v := range pr {
			u := float64(yr[j]) / dt
			var d float64
			if np >= Epsilon {
				d = -(u - pt/dt*float64(v)/pp) / np
			} else {
				d = -u / Epsilon
			}
			g[j] = float32(scale * d)
		}
	}
	return sum
}
