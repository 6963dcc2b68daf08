package constraint

import "github.com/gokeras/gokeras/tensor"

// UnitNorm is Keras's UnitNorm (keras.constraints.UnitNorm): each group of
// weights is divided by ε + ‖w‖, ε = 1e-7, the norm over Axis
// (keras/src/constraints/constraints.py).
type UnitNorm struct {
	// Axis lists the axes the norm is over; nil means Keras's default, axis 0.
	Axis []int
}

// Apply projects w in place.
func (c UnitNorm) Apply(w []float32, shape tensor.Shape) {
	scaleByNorm("UnitNorm", w, shape, axesOr(c.Axis), func(n float64) float64 { return 1 / (epsilon + n) })
}

// Check reports an axis the shape lacks.
func (c UnitNorm) Check(shape tensor.Shape) error {
	return checkAxes("UnitNorm", axesOr(c.Axis), shape)
}

// Config returns {"class_name": "UnitNorm", "config": {"axis": 0}, ...}.
func (c UnitNorm) Config() map[string]any {
	return wrap("UnitNorm", map[string]any{"axis": axisConfig(c.Axis)})
}
