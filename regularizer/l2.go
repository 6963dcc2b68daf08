package regularizer

import (
	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// L2 is Keras's L2 regularizer (keras.regularizers.L2): the penalty is
// l2·Σx², its gradient 2·l2·x. With plain SGD it is weight decay: a step
// is w - lr·(g + 2·l2·w).
type L2 struct {
	// L2 is the factor; zero means Keras's default, 0.01.
	L2 float64

	zero bool // a config said l2 = 0
}

// Factor returns the factor in effect (the default for a zero L2).
func (r L2) Factor() float64 { return orDefault(r.L2, r.zero, 0.01) }

// Penalty returns l2·Σx², summed in float64.
func (r L2) Penalty(x []float32, _ tensor.Shape) float64 {
	return keras32(r.Factor()) * sumSquares(x)
}

// AddGrad adds 2·l2·x to g.
func (r L2) AddGrad(g, x []float32, _ tensor.Shape) {
	addScaled(g, x, 2*keras32(r.Factor()))
}

// Config returns {"class_name": "L2", "config": {"l2": ...}, ...}.
func (r L2) Config() map[string]any { return wrap("L2", map[string]any{"l2": r.Factor()}) }

// Check reports a negative or non-finite factor.
func (r L2) Check(tensor.Shape) error { return checkFactor("L2", "l2", r.Factor()) }

func readL2(c *config.Reader) Regularizer {
	f, zero := factor(c, "L2", "l2", 0.01)
	return L2{L2: f, zero: zero}
}

func sumSquares(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// addScaled adds f·x to g.
func addScaled(g, x []float32, f float64) {
	g = g[:len(x)]
	for i, v := range x {
		g[i] += float32(f * float64(v))
	}
}
