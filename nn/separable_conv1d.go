package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// SeparableConv1D is Keras's depthwise-separable 1-D convolution
// (keras/src/layers/convolutional/separable_conv1d.py and
// base_separable_conv.py) over (batch, steps, channels): a
// DepthwiseConv1D without bias or activation (kernel "depthwise_kernel",
// shape (kernel_size, channels, depth_multiplier)), then a pointwise
// convolution to Filters channels (kernel "pointwise_kernel", shape
// (1, channels*depth_multiplier, filters)), then the bias and the
// activation. Padding is "valid" or "same" (Keras's standardize_padding
// refuses "causal" here).
//
// It runs SeparableConv2D over the height-1 view of the input, whose
// kernels (1, kernel_size, channels, depth_multiplier) and (1, 1,
// channels*depth_multiplier, filters) are the same memory.
type SeparableConv1D struct {
	Trainability
	Name                 string
	Filters              int
	KernelSize           int
	Strides              int // zero means 1
	Padding              Padding
	DilationRate         int // zero means 1; Keras refuses it > 1 with strides > 1
	DepthMultiplier      int // zero means 1
	Activation           activation.Func
	NoBias               bool // use_bias=False
	DepthwiseInitializer Initializer
	PointwiseInitializer Initializer
	BiasInitializer      Initializer
	InputShape           tensor.Shape

	// Penalties and projections as on SeparableConv2D, on the kernels'
	// 1-D shapes.
	DepthwiseRegularizer, PointwiseRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	DepthwiseConstraint, PointwiseConstraint, BiasConstraint                         constraint.Constraint

	conv SeparableConv2D
	height1
}

func init() {
	register("SeparableConv1D", func(r *cfgReader) Layer {
		c := &SeparableConv1D{
			Filters:              r.Int("filters", 0),
			KernelSize:           r.single("kernel_size"),
			Strides:              r.single("strides"),
			Padding:              r.padding("padding"),
			DilationRate:         r.single("dilation_rate"),
			DepthMultiplier:      r.positiveInt("depth_multiplier", 1),
			Activation:           r.activation("activation"),
			NoBias:               !r.Bool("use_bias", true),
			DepthwiseInitializer: r.initializer("depthwise_initializer"),
			PointwiseInitializer: r.initializer("pointwise_initializer"),
			BiasInitializer:      r.initializer("bias_initializer"),
			InputShape:           r.inputShape(),

			DepthwiseRegularizer: r.readRegularizer("depthwise_regularizer"),
			PointwiseRegularizer: r.readRegularizer("pointwise_regularizer"),
			BiasRegularizer:      r.readRegularizer("bias_regularizer"),
			ActivityRegularizer:  r.readRegularizer("activity_regularizer"),
			DepthwiseConstraint:  r.readConstraint("depthwise_constraint"),
			PointwiseConstraint:  r.readConstraint("pointwise_constraint"),
			BiasConstraint:       r.readConstraint("bias_constraint"),
		}
		// Keys as base_separable_conv.py get_config writes them; its
		// __init__'s checks.
		if r.Err == nil {
			r.setErr(checkConvArgs(0, 1, [2]int{1, max(c.Strides, 1)}, [2]int{1, max(c.DilationRate, 1)}))
		}
		r.channelsLast()
		r.keras2Groups()
		// Keras 2's SeparableConv1D writes Conv's kernel_* keys too; its
		// build never uses them.
		r.noOp("kernel_initializer", "kernel_regularizer", "kernel_constraint")
		return c
	})
}

func (c *SeparableConv1D) LayerName() string                { return c.Name }
func (c *SeparableConv1D) SetLayerName(s string)            { c.Name = s }
func (c *SeparableConv1D) Class() string                    { return "SeparableConv1D" }
func (c *SeparableConv1D) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *SeparableConv1D) SkipInputGrad(skip bool)          { c.skip(&c.conv, skip) }
func (c *SeparableConv1D) ActivationFunc() activation.Func  { return c.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *SeparableConv1D) OutputRegularizer() regularizer.Regularizer {
	return c.ActivityRegularizer
}

func (c *SeparableConv1D) multiplier() int { return max(c.DepthMultiplier, 1) }

// conv2D is the SeparableConv2D over (1, steps, channels) this layer runs
// as; the kernels' penalties and projections are attached after Build.
func (c *SeparableConv1D) conv2D(in tensor.Shape) (SeparableConv2D, error) {
	if c.Filters <= 0 {
		return SeparableConv2D{}, fmt.Errorf("filters is %d; give SeparableConv1D a positive number of filters", c.Filters)
	}
	if err := check1DConv(c.Class(), c.KernelSize, c.Strides, c.DilationRate, c.DepthMultiplier, c.Padding, in); err != nil {
		return SeparableConv2D{}, err
	}
	one := func(v int) [2]int { return [2]int{1, max(v, 1)} }
	return SeparableConv2D{
		Name: c.Name, Filters: c.Filters, KernelSize: [2]int{1, c.KernelSize}, Strides: one(c.Strides),
		Padding: c.Padding, DilationRate: one(c.DilationRate), DepthMultiplier: c.DepthMultiplier,
		Activation: c.Activation, NoBias: c.NoBias,
		DepthwiseInitializer: c.DepthwiseInitializer, PointwiseInitializer: c.PointwiseInitializer,
		BiasInitializer: c.BiasInitializer, BiasRegularizer: c.BiasRegularizer, BiasConstraint: c.BiasConstraint,
	}, nil
}

func (c *SeparableConv1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	cv, err := c.conv2D(in)
	if err != nil {
		return nil, err
	}
	return outputShape1D(c.Class(), &cv, in)
}

// kernelShapes are Keras's depthwise (kernel_size, channels,
// depth_multiplier) and pointwise (1, channels*depth_multiplier, filters).
func (c *SeparableConv1D) kernelShapes(in tensor.Shape) (tensor.Shape, tensor.Shape) {
	dm := c.multiplier()
	return tensor.Shape{c.KernelSize, in[1], dm}, tensor.Shape{1, in[1] * dm, c.Filters}
}

func (c *SeparableConv1D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := c.OutputShape(in); err != nil {
		return nil, err
	}
	dw, pw := c.kernelShapes(in)
	ps := []ParamShape{{"depthwise_kernel", dw}, {"pointwise_kernel", pw}}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (c *SeparableConv1D) Build(in tensor.Shape, rng *rand.Rand) error {
	out, err := c.OutputShape(in)
	if err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, out); err != nil {
		return err
	}
	if c.conv, err = c.conv2D(in); err != nil {
		return err
	}
	if err := c.build(c.Class(), &c.conv, in, rng); err != nil {
		return err
	}
	dw, pw := c.kernelShapes(in)
	if err := as1D(&c.conv.dw.kernel, dw, "depthwise", c.DepthwiseRegularizer, c.DepthwiseConstraint); err != nil {
		return err
	}
	return as1D(&c.conv.pointwise, pw, "pointwise", c.PointwiseRegularizer, c.PointwiseConstraint)
}

func (c *SeparableConv1D) Params() []*Param { return c.conv.Params() }

func (c *SeparableConv1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return c.forward(&c.conv, x, training)
}

func (c *SeparableConv1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return c.backward(&c.conv, dy)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *SeparableConv1D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	return c.input(c.conv.BackwardLinear(c.grad(dz)))
}

func (c *SeparableConv1D) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	m["depth_multiplier"] = c.multiplier()
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize}
	m["strides"] = []int{max(c.Strides, 1)}
	m["padding"] = c.Padding.String()
	m["data_format"] = "channels_last"
	m["dilation_rate"] = []int{max(c.DilationRate, 1)}
	m["activation"] = c.Activation.String()
	m["use_bias"] = !c.NoBias
	m["depthwise_initializer"] = initConfig(c.DepthwiseInitializer, GlorotUniform)
	m["pointwise_initializer"] = initConfig(c.PointwiseInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(c.BiasInitializer, Zeros)
	m["depthwise_regularizer"] = regularizer.Serialize(c.DepthwiseRegularizer)
	m["pointwise_regularizer"] = regularizer.Serialize(c.PointwiseRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(c.BiasRegularizer)
	m["activity_regularizer"] = regularizer.Serialize(c.ActivityRegularizer)
	m["depthwise_constraint"] = constraint.Serialize(c.DepthwiseConstraint)
	m["pointwise_constraint"] = constraint.Serialize(c.PointwiseConstraint)
	m["bias_constraint"] = constraint.Serialize(c.BiasConstraint)
	return m
}
