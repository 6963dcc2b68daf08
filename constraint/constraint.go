// Package constraint owns Keras's weight constraints (keras.constraints:
// MaxNorm, MinMaxNorm, NonNeg, UnitNorm): projections the optimizer applies
// to a variable after each update, as Keras's optimizer does in
// _apply_weight_constraints (keras/src/optimizers/base_optimizer.py), and
// their configs as Keras writes them.
package constraint

import "github.com/gokeras/gokeras/tensor"

// Constraint projects a weight variable in place after an optimizer step.
type Constraint interface {
	// Apply replaces w (of shape shape) by its projection.
	Apply(w []float32, shape tensor.Shape)
	// Config returns the Keras serialisation:
	// {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}, ...}.
	Config() map[string]any
}
