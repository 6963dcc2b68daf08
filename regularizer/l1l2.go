package regularizer

import (
	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// L1L2 is Keras's L1L2 regularizer (keras.regularizers.L1L2): the penalty
// is l1·Σ|x| + l2·Σx². Both factors default to 0, as in Keras's class;
// the name "l1_l2" gives 0.01 for both (Parse).
type L1L2 struct {
	L1, L2 float64
}

// Penalty returns l1·Σ|x| + l2·Σx², summed in float64. As Keras, a zero
// factor's term is not computed (so it adds nothing even for an infinite x).
func (r L1L2) Penalty(x []float32, _ tensor.Shape) float64 {
	var p float64
	if r.L1 != 0 {
		p += keras32(r.L1) * sumAbs(x)
	}
	if r.L2 != 0 {
		p += keras32(r.L2) * sumSquares(x)
	}
	return p
}

// AddGrad adds l1·sign(x) + 2·l2·x to g.
func (r L1L2) AddGrad(g, x []float32, _ tensor.Shape) {
	if r.L1 != 0 {
		addSign(g, x, keras32(r.L1))
	}
	if r.L2 != 0 {
		addScaled(g, x, 2*keras32(r.L2))
	}
}

// Config returns {"class_name": "L1L2", "config": {"l1": ..., "l2": ...}, ...}.
func (r L1L2) Config() map[string]any {
	return wrap("L1L2", map[string]any{"l1": r.L1, "l2": r.L2})
}

// Check reports a negative or non-finite factor.
func (r L1L2) Check(tensor.Shape) error {
	if err := checkFactor("L1L2", "l1", r.L1); err != nil {
		return err
	}
	return checkFactor("L1L2", "l2", r.L2)
}

// readL1L2 reads an L1L2 config; def is both factors' default (0 for the
// class, 0.01 for the name "l1_l2").
func readL1L2(c *config.Reader, def float64) Regularizer {
	l1, _ := factor(c, "L1L2", "l1", def)
	l2, _ := factor(c, "L1L2", "l2", def)
	return L1L2{L1: l1, L2: l2}
}
