package nn

import (
	"fmt"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Regularizers and constraints on a layer's weights and output, as Keras's
// kernel_regularizer, bias_regularizer, activity_regularizer,
// kernel_constraint and bias_constraint: the layer reads them from its
// config here, and its Build hands them to the weights' Params (see
// withPenalty), where train.Model finds them.

// readRegularizer reads a regularizer key (regularizer.Parse); absent or
// null is none.
func (r *ConfigReader) readRegularizer(key string) regularizer.Regularizer {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	reg, err := regularizer.Parse(v)
	if err != nil {
		r.Failf("%s: %v", key, err)
	}
	return reg
}

// readConstraint reads a constraint key (constraint.Parse); absent or null
// is none.
func (r *ConfigReader) readConstraint(key string) constraint.Constraint {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	c, err := constraint.Parse(v)
	if err != nil {
		r.Failf("%s: %v", key, err)
	}
	return c
}

// withPenalty sets p's regularizer and constraint after checking them
// against p's shape; what is "kernel" or "bias", for the message.
func withPenalty(p *Param, what string, reg regularizer.Regularizer, c constraint.Constraint) error {
	if err := regularizer.Check(reg, p.Value.Shape); err != nil {
		return fmt.Errorf("%s_regularizer: %w", what, err)
	}
	if err := constraint.Check(c, p.Value.Shape); err != nil {
		return fmt.Errorf("%s_constraint: %w", what, err)
	}
	p.Regularizer, p.Constraint = reg, c
	return nil
}

// checkActivity checks an activity regularizer against a layer's output
// shape out (per sample; the batch axis is added as of unknown size).
func checkActivity(reg regularizer.Regularizer, out tensor.Shape) error {
	if err := regularizer.Check(reg, append(tensor.Shape{-1}, out...)); err != nil {
		return fmt.Errorf("activity_regularizer: %w", err)
	}
	return nil
}
