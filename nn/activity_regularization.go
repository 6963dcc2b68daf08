package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// ActivityRegularization is Keras's ActivityRegularization layer
// (keras/src/layers/regularization/activity_regularization.py): the
// identity, with L1L2(L1, L2) of its output, summed over the batch, added
// to the loss. Its backward pass is the identity too; the Stack adds the
// penalty's gradient (l1·sign(y) + 2·l2·y) to the gradient it passes on.
type ActivityRegularization struct {
	Trainability
	Name   string
	L1, L2 float64 // the factors; Keras's defaults are 0 and 0
	// InputShape optionally declares the model input, like input_shape=.
	InputShape tensor.Shape
}

func init() {
	// Keras's get_config writes l1 and l2 and pops activity_regularizer
	// (it is made from l1 and l2), so that key is refused here as for
	// every layer that does not read it.
	register("ActivityRegularization", func(r *cfgReader) Layer {
		a := &ActivityRegularization{L1: r.Num("l1", 0), L2: r.Num("l2", 0), InputShape: r.inputShape()}
		if r.Err == nil {
			if err := a.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		return a
	})
}

func (a *ActivityRegularization) LayerName() string                { return a.Name }
func (a *ActivityRegularization) SetLayerName(s string)            { a.Name = s }
func (a *ActivityRegularization) Class() string                    { return "ActivityRegularization" }
func (a *ActivityRegularization) DeclaredInputShape() tensor.Shape { return a.InputShape }
func (a *ActivityRegularization) Params() []*Param                 { return nil }

// OutputRegularizer returns L1L2(L1, L2), or nil when both are 0 (whose
// penalty is 0).
func (a *ActivityRegularization) OutputRegularizer() regularizer.Regularizer {
	if a.L1 == 0 && a.L2 == 0 {
		return nil
	}
	return regularizer.L1L2{L1: a.L1, L2: a.L2}
}

// check refuses the factors Keras's L1L2 refuses (validate_float_arg).
func (a *ActivityRegularization) check() error {
	for _, f := range []struct {
		key string
		v   float64
	}{{"l1", a.L1}, {"l2", a.L2}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%s is %v; want a non-negative factor such as 0.01 (Keras's L1L2 refuses it too)", f.key, f.v)
		}
	}
	return nil
}

func (a *ActivityRegularization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	return in.Clone(), nil
}

func (a *ActivityRegularization) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := a.OutputShape(in)
	return err
}

func (a *ActivityRegularization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor { return x }

func (a *ActivityRegularization) Backward(dy *tensor.Tensor) *tensor.Tensor { return dy }

func (a *ActivityRegularization) Config() map[string]any {
	m := baseConfig(a.Name, a.InputShape)
	m["l1"] = a.L1
	m["l2"] = a.L2
	return m
}
