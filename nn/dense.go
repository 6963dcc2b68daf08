package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Dense is Keras's fully connected layer: y = activation(x·kernel + bias).
// As in Keras (keras/src/layers/core/dense.py), the kernel applies to the
// last axis of an input of any rank: (batch, ..., features) gives
// (batch, ..., units), every leading position a row of one matrix product.
type Dense struct {
	Trainability
	Name              string
	Units             int
	Activation        activation.Func
	NoBias            bool // use_bias=False
	KernelInitializer Initializer
	BiasInitializer   Initializer
	InputShape        tensor.Shape // optional: declares the model input, like input_shape=

	// Penalties added to the loss (nil: none): of the kernel, of the bias,
	// and of the layer's output for each batch (summed over the batch, as
	// Keras 3 does). Keras's kernel_regularizer, bias_regularizer and
	// activity_regularizer.
	KernelRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	// Projections applied after each optimizer step (nil: none), Keras's
	// kernel_constraint and bias_constraint.
	KernelConstraint, BiasConstraint constraint.Constraint

	in         int // features: the input's last axis
	kernel     Param
	bias       Param
	x          *tensor.Tensor // input of the last Forward
	z, y, dx   *tensor.Tensor
	act        *tensor.Tensor // f(z) when the backward pass also needs z
	dz         *tensor.Tensor
	skipInputG bool
	yShape     tensor.Shape // the last Forward's output shape, reused
}

func init() {
	// Keys as keras/src/layers/core/dense.py get_config writes them.
	register("Dense", func(r *cfgReader) Layer {
		d := &Dense{
			Units:             r.Int("units", 0),
			Activation:        r.activation("activation"),
			NoBias:            !r.Bool("use_bias", true),
			KernelInitializer: r.initializer("kernel_initializer"),
			BiasInitializer:   r.initializer("bias_initializer"),
			InputShape:        r.inputShape(),

			KernelRegularizer:   r.readRegularizer("kernel_regularizer"),
			BiasRegularizer:     r.readRegularizer("bias_regularizer"),
			ActivityRegularizer: r.readRegularizer("activity_regularizer"),
			KernelConstraint:    r.readConstraint("kernel_constraint"),
			BiasConstraint:      r.readConstraint("bias_constraint"),
		}
		r.loraKeys()
		r.null("quantization_config", "gokeras does not quantize weights")
		return d
	})
}

func (d *Dense) LayerName() string                { return d.Name }
func (d *Dense) SetLayerName(s string)            { d.Name = s }
func (d *Dense) Class() string                    { return "Dense" }
func (d *Dense) DeclaredInputShape() tensor.Shape { return d.InputShape }
func (d *Dense) SkipInputGrad(skip bool)          { d.skipInputG = skip }
func (d *Dense) ActivationFunc() activation.Func  { return d.Activation }

func (d *Dense) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if d.Units <= 0 {
		return nil, fmt.Errorf("units is %d; give Dense a positive number of units", d.Units)
	}
	if len(in) == 0 || in[len(in)-1] <= 0 {
		return nil, fmt.Errorf("input shape %v has no feature axis; Dense takes (batch, ..., features)", in)
	}
	if err := d.BiasInitializer.checkBias(); err != nil {
		return nil, err
	}
	out := in.Clone()
	out[len(out)-1] = d.Units
	return out, nil
}

func (d *Dense) Build(in tensor.Shape, rng *rand.Rand) error {
	out, err := d.OutputShape(in)
	if err != nil {
		return err
	}
	if err := checkActivity(d.ActivityRegularizer, out); err != nil {
		return err
	}
	d.in = in[len(in)-1]
	d.kernel = Param{Name: "kernel", Value: tensor.New(d.in, d.Units), Grad: tensor.New(d.in, d.Units)}
	if err := withPenalty(&d.kernel, "kernel", d.KernelRegularizer, d.KernelConstraint); err != nil {
		return err
	}
	d.KernelInitializer.or(GlorotUniform).fillKernel(d.kernel.Value.Data, 1, 1, d.in, d.Units, rng)
	if !d.NoBias {
		d.bias = Param{Name: "bias", Value: tensor.New(d.Units), Grad: tensor.New(d.Units)}
		if err := withPenalty(&d.bias, "bias", d.BiasRegularizer, d.BiasConstraint); err != nil {
			return err
		}
		d.BiasInitializer.or(Zeros).fill(d.bias.Value.Data, d.Units, d.Units, rng) // Keras: fans of shape (units,)
	}
	return nil
}

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (d *Dense) OutputRegularizer() regularizer.Regularizer { return d.ActivityRegularizer }

func (d *Dense) Params() []*Param {
	if d.NoBias {
		return []*Param{&d.kernel}
	}
	return []*Param{&d.kernel, &d.bias}
}

// Forward treats every position of the leading axes as a row: for x of
// shape (batch, ..., features) the product is one GEMM of
// batch·prod(...) rows, as Keras's tensordot over the last axis.
func (d *Dense) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	n := len(x.Data) / d.in
	d.x = x
	d.yShape = append(append(d.yShape[:0], x.Shape[:len(x.Shape)-1]...), d.Units)
	d.z = tensor.Ensure(d.z, d.yShape...)
	kernel.Gemm(false, false, n, d.Units, d.in, 1, x.Data, d.in, d.kernel.Value.Data, d.Units, 0, d.z.Data, d.Units)
	d.y = activate(d.Activation, d.z, &d.act, n, d.Units, biasOf(&d.bias, d.NoBias))
	return d.y
}

func (d *Dense) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if d.Activation == activation.Linear {
		return d.BackwardLinear(dy)
	}
	n := len(dy.Data) / d.Units
	d.dz = tensor.Ensure(d.dz, dy.Shape...)
	d.Activation.Backward(d.dz.Data, dy.Data, d.z.Data, d.y.Data, n, d.Units)
	return d.BackwardLinear(d.dz)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the
// activation; the trainer uses it for the fused softmax + cross-entropy.
func (d *Dense) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	n := len(dz.Data) / d.Units
	kernel.Gemm(true, false, d.in, d.Units, n, 1, d.x.Data, d.in, dz.Data, d.Units, 0, d.kernel.Grad.Data, d.Units)
	if !d.NoBias {
		kernel.SumRows(d.bias.Grad.Data, dz.Data, n, d.Units)
	}
	if d.skipInputG {
		return nil
	}
	d.dx = tensor.Ensure(d.dx, d.x.Shape...)
	kernel.Gemm(false, true, n, d.in, d.Units, 1, dz.Data, d.Units, d.kernel.Value.Data, d.Units, 0, d.dx.Data, d.in)
	return d.dx
}

func (d *Dense) Config() map[string]any {
	m := baseConfig(d.Name, d.InputShape)
	m["units"] = d.Units
	m["activation"] = d.Activation.String()
	m["use_bias"] = !d.NoBias
	m["kernel_initializer"] = initConfig(d.KernelInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(d.BiasInitializer, Zeros)
	m["kernel_regularizer"] = regularizer.Serialize(d.KernelRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(d.BiasRegularizer)
	m["kernel_constraint"] = constraint.Serialize(d.KernelConstraint)
	m["bias_constraint"] = constraint.Serialize(d.BiasConstraint)
	// Keras's Layer.get_config writes activity_regularizer only when set
	// (keras/src/layers/layer.py); Dense's own get_config does not.
	if d.ActivityRegularizer != nil {
		m["activity_regularizer"] = regularizer.Serialize(d.ActivityRegularizer)
	}
	return m
}
