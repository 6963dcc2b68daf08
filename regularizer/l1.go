package regularizer

import (
	"math"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// L1 is Keras's L1 regularizer (keras.regularizers.L1): the penalty is
// l1·Σ|x|. Its gradient is l1·sign(x), 0 where x is 0: TensorFlow's
// gradient of abs, grad·sign(x) (tensorflow/python/ops/math_grad.py,
// _AbsGrad), as PyTorch's; JAX's abs gives +1 at 0, and gokeras follows
// the TensorFlow backend, Keras's default.
type L1 struct {
	// L1 is the factor; zero means Keras's default, 0.01.
	L1 float64

	zero bool // a config said l1 = 0
}

// Factor returns the factor in effect (the default for a zero L1).
func (r L1) Factor() float64 { return orDefault(r.L1, r.zero, 0.01) }

// Penalty returns l1·Σ|x|, summed in float64.
func (r L1) Penalty(x []float32, _ tensor.Shape) float64 {
	return keras32(r.Factor()) * sumAbs(x)
}

// AddGrad adds l1·sign(x) to g.
func (r L1) AddGrad(g, x []float32, _ tensor.Shape) {
	addSign(g, x, keras32(r.Factor()))
}

// Config returns {"class_name": "L1", "config": {"l1": ...}, ...}.
func (r L1) Config() map[string]any { return wrap("L1", map[string]any{"l1": r.Factor()}) }

// Check reports a negative or non-finite factor.
func (r L1) Check(tensor.Shape) error { return checkFactor("L1", "l1", r.Factor()) }

func readL1(c *config.Reader) Regularizer {
	f, zero := factor(c, "L1", "l1", 0.01)
	return L1{L1: f, zero: zero}
}

func sumAbs(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += math.Abs(float64(v))
	}
	return s
}

// addSign adds f·sign(x) to g.
func addSign(g, x []float32, f float64) {
	g = g[:len(x)]
	for i, v := range x {
		g[i] += float32(f * sign(float64(v)))
	}
}
