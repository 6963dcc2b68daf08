package constraint

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// MaxNorm is Keras's MaxNorm (keras.constraints.MaxNorm): each group of
// weights, the elements that share an index outside Axis, is scaled by
// clip(‖w‖, 0, max_value)/(ε + ‖w‖), ε = 1e-7, the norm over Axis
// (keras/src/constraints/constraints.py). For a Dense kernel (inputs,
// units) and the default axis 0 that bounds each unit's incoming weights;
// for a Conv2D kernel (h, w, channels, filters) use Axis []int{0, 1, 2}
// to bound each filter. Note that, as in Keras, a norm under the bound is
// still scaled by ‖w‖/(ε + ‖w‖), a hair below 1.
type MaxNorm struct {
	// MaxValue is the bound; zero means Keras's default, 2.
	MaxValue float64
	// Axis lists the axes the norm is over (negative ones count from the
	// end); nil means Keras's default, axis 0.
	Axis []int

	zero bool // a config said max_value = 0
}

// Max returns the bound in effect (the default for a zero MaxValue).
func (c MaxNorm) Max() float64 { return orDefault(c.MaxValue, c.zero, 2) }

// Apply projects w in place.
func (c MaxNorm) Apply(w []float32, shape tensor.Shape) {
	hi := keras32(c.Max())
	scaleByNorm("MaxNorm", w, shape, axesOr(c.Axis), func(n float64) float64 {
		return clip(n, 0, hi) / (epsilon + n)
	})
}

// Check reports a bad bound or an axis the shape lacks.
func (c MaxNorm) Check(shape tensor.Shape) error {
	if m := c.Max(); !finite(m) || m < 0 {
		return fmt.Errorf("constraint: MaxNorm max_value is %v; want a non-negative number", m)
	}
	return checkAxes("MaxNorm", axesOr(c.Axis), shape)
}

// Config returns {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}, ...}.
func (c MaxNorm) Config() map[string]any {
	return wrap("MaxNorm", map[string]any{"max_value": c.Max(), "axis": axisConfig(c.Axis)})
}
