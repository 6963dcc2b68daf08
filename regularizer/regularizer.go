// Package regularizer owns Keras's weight and activity penalties
// (keras.regularizers: L1, L2, L1L2, OrthogonalRegularizer): their values,
// their gradients and their configs as Keras writes them. A layer takes one
// as kernel_regularizer, bias_regularizer or activity_regularizer; the
// training loop adds the penalties to the loss, as Keras's
// Trainer.compute_loss adds model.losses (keras/src/trainers/trainer.py),
// and their gradients to the weights' gradients.
package regularizer

import "github.com/gokeras/gokeras/tensor"

// Regularizer is a penalty on a tensor: a weight variable, or a layer's
// output for an activity regularizer.
type Regularizer interface {
	// Penalty returns the penalty of x, whose shape is shape (for an
	// activity regularizer, the batch axis included).
	Penalty(x []float32, shape tensor.Shape) float64
	// AddGrad adds dPenalty/dx to g, which has x's length.
	AddGrad(g, x []float32, shape tensor.Shape)
	// Config returns the Keras serialisation:
	// {"class_name": "L2", "config": {"l2": 0.01}, ...}.
	Config() map[string]any
}
