package constraint

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// MinMaxNorm is Keras's MinMaxNorm (keras.constraints.MinMaxNorm): each
// group of weights is scaled by d/(ε + ‖w‖), ε = 1e-7, with
// d = rate·clip(‖w‖, min_value, max_value) + (1-rate)·‖w‖, the norm over
// Axis (keras/src/constraints/constraints.py). rate 1 enforces the bounds
// at once, a smaller rate moves the norm part of the way each step.
type MinMaxNorm struct {
	// MinValue is the lower bound (Keras's default is 0).
	MinValue float64
	// MaxValue is the upper bound; zero means Keras's default, 1.
	MaxValue float64
	// Rate is how far to move into the bounds; zero means Keras's default, 1.
	Rate float64
	// Axis lists the axes the norm is over; nil means axis 0.
	Axis []int

	zeroMax, zeroRate bool // a config said max_value = 0, rate = 0
}

// Max returns the upper bound in effect.
func (c MinMaxNorm) Max() float64 { return orDefault(c.MaxValue, c.zeroMax, 1) }

// RateValue returns the rate in effect.
func (c MinMaxNorm) RateValue() float64 { return orDefault(c.Rate, c.zeroRate, 1) }

// Apply projects w in place.
func (c MinMaxNorm) Apply(w []float32, shape tensor.Shape) {
	lo, hi, rate := keras32(c.MinValue), keras32(c.Max()), keras32(c.RateValue())
	scaleByNorm("MinMaxNorm", w, shape, axesOr(c.Axis), func(n float64) float64 {
		return (rate*clip(n, lo, hi) + (1-rate)*n) / (epsilon + n)
	})
}

// Check reports bounds that are not 0 <= min_value <= max_value, a rate
// that is not a number, or an axis the shape lacks.
func (c MinMaxNorm) Check(shape tensor.Shape) error {
	lo, hi, rate := c.MinValue, c.Max(), c.RateValue()
	if !finite(lo) || !finite(hi) || lo < 0 || lo > hi {
		return fmt.Errorf("constraint: MinMaxNorm bounds min_value %v, max_value %v; want 0 <= min_value <= max_value", lo, hi)
	}
	if !finite(rate) {
		return fmt.Errorf("constraint: MinMaxNorm rate is %v; want a number such as 1 (enforce at once)", rate)
	}
	return checkAxes("MinMaxNorm", axesOr(c.Axis), shape)
}

// Config returns {"class_name": "MinMaxNorm", "config": {"min_value": 0,
// "max_value": 1, "rate": 1, "axis": 0}, ...}.
func (c MinMaxNorm) Config() map[string]any {
	return wrap("MinMaxNorm", map[string]any{"min_value": c.MinValue, "max_value": c.Max(), "rate": c.RateValue(), "axis": axisConfig(c.Axis)})
}
