package nn

import (
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// normAffine is the per-channel gamma and beta that LayerNormalization and
// GroupNormalization apply after normalising: y = xhat*gamma + beta, with
// Keras's keys center, scale, {gamma,beta}_{initializer,regularizer,
// constraint} (keras/src/layers/normalization/layer_normalization.py and
// group_normalization.py). Without scale or center the weight is not
// created; the kernels then use ones or zeros.
type normAffine struct {
	gamma, beta Param
}

// readAffineKeys reads the keys the two layers share besides axis and
// epsilon. gokeras initialises gamma with ones and beta with zeros, Keras's
// defaults; another initializer is an error naming the key.
func readAffineKeys(r *cfgReader) (noScale, noCenter bool, gr, br regularizer.Regularizer, gc, bc constraint.Constraint) {
	noScale, noCenter = !r.Bool("scale", true), !r.Bool("center", true)
	r.fixedInitializer("beta_initializer", Zeros)
	r.fixedInitializer("gamma_initializer", Ones)
	gr, br = r.readRegularizer("gamma_regularizer"), r.readRegularizer("beta_regularizer")
	gc, bc = r.readConstraint("gamma_constraint"), r.readConstraint("beta_constraint")
	return
}

// writeAffineKeys writes them back as Keras's get_config does.
func writeAffineKeys(m map[string]any, noScale, noCenter bool, gr, br regularizer.Regularizer, gc, bc constraint.Constraint) {
	m["center"] = !noCenter
	m["scale"] = !noScale
	m["beta_initializer"] = initConfig(Zeros, Zeros)
	m["gamma_initializer"] = initConfig(Ones, Ones)
	m["gamma_regularizer"] = regularizer.Serialize(gr)
	m["beta_regularizer"] = regularizer.Serialize(br)
	m["gamma_constraint"] = constraint.Serialize(gc)
	m["beta_constraint"] = constraint.Serialize(bc)
}

// build creates gamma (ones) and beta (zeros) for c channels, with their
// regularizers and constraints.
func (a *normAffine) build(c int, gr, br regularizer.Regularizer, gc, bc constraint.Constraint) error {
	a.gamma = Param{Name: "gamma", Value: tensor.New(c), Grad: tensor.New(c)}
	a.gamma.Value.Fill(1)
	a.beta = Param{Name: "beta", Value: tensor.New(c), Grad: tensor.New(c)}
	if err := withPenalty(&a.gamma, "gamma", gr, gc); err != nil {
		return err
	}
	return withPenalty(&a.beta, "beta", br, bc)
}

// params lists gamma and beta when the layer has them, in Keras's order.
func (a *normAffine) params(noScale, noCenter bool) []*Param {
	var ps []*Param
	if !noScale {
		ps = append(ps, &a.gamma)
	}
	if !noCenter {
		ps = append(ps, &a.beta)
	}
	return ps
}

// affineShapes is params for ParamShapes.
func affineShapes(c int, noScale, noCenter bool) []ParamShape {
	var ps []ParamShape
	if !noScale {
		ps = append(ps, ParamShape{"gamma", tensor.Shape{c}})
	}
	if !noCenter {
		ps = append(ps, ParamShape{"beta", tensor.Shape{c}})
	}
	return ps
}

// readLastAxis accepts axis -1 or [-1] (or absent), the only axis gokeras
// normalises over; what names the layer's alternative for the message.
func readLastAxis(r *cfgReader) {
	if ax := r.ints("axis"); len(ax) > 0 && (len(ax) != 1 || ax[0] != -1) && r.Err == nil {
		r.unsupported("axis", ax, "gokeras normalises the last axis (-1), the channels of a channels_last tensor")
	}
}
