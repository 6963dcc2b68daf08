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

// SeparableConv2D is Keras's depthwise-separable 2-D convolution
// (keras/src/layers/convolutional/separable_conv2d.py and
// base_separable_conv.py): a DepthwiseConv2D without bias or activation
// (kernel "depthwise_kernel", shape (kh, kw, channels, depth_multiplier)),
// then a 1x1 convolution to Filters channels (kernel "pointwise_kernel",
// shape (1, 1, channels*depth_multiplier, filters)), then the bias and the
// activation. The pointwise step is one matrix product for the whole batch.
type SeparableConv2D struct {
	Trainability
	Name                 string
	Filters              int
	KernelSize           [2]int // (height, width)
	Strides              [2]int // zero means (1, 1)
	Padding              Padding
	DilationRate         [2]int // zero means (1, 1); Keras refuses it > 1 with strides > 1
	DepthMultiplier      int    // zero means 1
	Activation           activation.Func
	NoBias               bool // use_bias=False
	DepthwiseInitializer Initializer
	PointwiseInitializer Initializer
	BiasInitializer      Initializer
	InputShape           tensor.Shape

	// Penalties added to the loss and projections after each optimizer
	// step (nil: none), as on Conv2D.
	DepthwiseRegularizer, PointwiseRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	DepthwiseConstraint, PointwiseConstraint, BiasConstraint                         constraint.Constraint

	dw         DepthwiseConv2D // the depthwise step: no bias, linear
	pointwise  Param           // (1, 1, C*DepthMultiplier, Filters)
	bias       Param
	mid        *tensor.Tensor // the depthwise output
	z, y, dz   *tensor.Tensor
	act        *tensor.Tensor
	dmid       *tensor.Tensor
	skipInputG bool
}

func init() {
	register("SeparableConv2D", func(r *cfgReader) Layer {
		c := &SeparableConv2D{
			Filters:              r.Int("filters", 0),
			KernelSize:           r.pair("kernel_size"),
			Strides:              r.pair("strides"),
			Padding:              r.padding("padding"),
			DilationRate:         r.pair("dilation_rate"),
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
			r.setErr(checkConvArgs(0, 1, pair(c.Strides, [2]int{1, 1}), pair(c.DilationRate, [2]int{1, 1})))
		}
		r.channelsLast()
		r.keras2Groups()
		// Keras 2's SeparableConv2D writes Conv's kernel_* keys too; its
		// build never uses them.
		r.noOp("kernel_initializer", "kernel_regularizer", "kernel_constraint")
		return c
	})
}

func (c *SeparableConv2D) LayerName() string                { return c.Name }
func (c *SeparableConv2D) SetLayerName(s string)            { c.Name = s }
func (c *SeparableConv2D) Class() string                    { return "SeparableConv2D" }
func (c *SeparableConv2D) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *SeparableConv2D) SkipInputGrad(skip bool)          { c.skipInputG = skip }
func (c *SeparableConv2D) ActivationFunc() activation.Func  { return c.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *SeparableConv2D) OutputRegularizer() regularizer.Regularizer { return c.ActivityRegularizer }

func (c *SeparableConv2D) multiplier() int { return max(c.DepthMultiplier, 1) }

func (c *SeparableConv2D) geometry(in tensor.Shape) (kernel.ConvGeom, error) {
	if c.Filters <= 0 {
		return kernel.ConvGeom{}, fmt.Errorf("filters is %d; give SeparableConv2D a positive number of filters", c.Filters)
	}
	return depthwiseGeometry(c.Class(), in, c.KernelSize, c.Strides, c.DilationRate, c.Padding, c.DepthMultiplier)
}

func (c *SeparableConv2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.OH, g.OW, c.Filters}, nil
}

func (c *SeparableConv2D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	dm := c.multiplier()
	ps := []ParamShape{
		{"depthwise_kernel", tensor.Shape{g.KH, g.KW, g.C, dm}},
		{"pointwise_kernel", tensor.Shape{1, 1, g.C * dm, c.Filters}},
	}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (c *SeparableConv2D) Build(in tensor.Shape, rng *rand.Rand) error {
	g, err := c.geometry(in)
	if err != nil {
		return err
	}
	if err := c.BiasInitializer.checkBias(); err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, tensor.Shape{g.OH, g.OW, c.Filters}); err != nil {
		return err
	}
	// Keras's build order: depthwise, pointwise, bias.
	c.dw = DepthwiseConv2D{
		Name: c.Name, KernelSize: c.KernelSize, Strides: c.Strides, DilationRate: c.DilationRate, Padding: c.Padding,
		DepthMultiplier: c.DepthMultiplier, NoBias: true,
		DepthwiseInitializer: c.DepthwiseInitializer,
		DepthwiseRegularizer: c.DepthwiseRegularizer, DepthwiseConstraint: c.DepthwiseConstraint,
		skipInputG: c.skipInputG,
	}
	if err := c.dw.Build(in, rng); err != nil {
		return err
	}
	c.dw.kernel.Name = "depthwise_kernel"
	mid := g.C * c.multiplier()
	c.pointwise = Param{Name: "pointwise_kernel", Value: tensor.New(1, 1, mid, c.Filters), Grad: tensor.New(1, 1, mid, c.Filters)}
	if err := withPenalty(&c.pointwise, "pointwise", c.PointwiseRegularizer, c.PointwiseConstraint); err != nil {
		return err
	}
	if err := c.PointwiseInitializer.checkShape("pointwise_initializer", 4); err != nil {
		return err
	}
	c.PointwiseInitializer.or(GlorotUniform).fillKernel(c.pointwise.Value.Data, 1, 1, mid, c.Filters, rng)
	if !c.NoBias {
		c.bias = Param{Name: "bias", Value: tensor.New(c.Filters), Grad: tensor.New(c.Filters)}
		if err := withPenalty(&c.bias, "bias", c.BiasRegularizer, c.BiasConstraint); err != nil {
			return err
		}
		c.BiasInitializer.or(Zeros).fill(c.bias.Value.Data, c.Filters, c.Filters, rng)
	}
	return nil
}

func (c *SeparableConv2D) Params() []*Param {
	if c.NoBias {
		return []*Param{&c.dw.kernel, &c.pointwise}
	}
	return []*Param{&c.dw.kernel, &c.pointwise, &c.bias}
}

func (c *SeparableConv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	c.mid = c.dw.Forward(x, training)
	g := &c.dw.geom
	rows, mid := g.N*g.OH*g.OW, g.C*c.multiplier()
	c.z = tensor.Ensure(c.z, g.N, g.OH, g.OW, c.Filters)
	kernel.Gemm(false, false, rows, c.Filters, mid, 1, c.mid.Data, mid, c.pointwise.Value.Data, c.Filters, 0, c.z.Data, c.Filters)
	c.y = activate(c.Activation, c.z, &c.act, rows, c.Filters, biasOf(&c.bias, c.NoBias))
	return c.y
}

func (c *SeparableConv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if c.Activation == activation.Linear {
		return c.BackwardLinear(dy)
	}
	c.dz = tensor.Ensure(c.dz, dy.Shape...)
	g := &c.dw.geom
	c.Activation.Backward(c.dz.Data, dy.Data, c.z.Data, c.y.Data, g.N*g.OH*g.OW, c.Filters)
	return c.BackwardLinear(c.dz)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *SeparableConv2D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	g := &c.dw.geom
	rows, mid := g.N*g.OH*g.OW, g.C*c.multiplier()
	kernel.Gemm(true, false, mid, c.Filters, rows, 1, c.mid.Data, mid, dz.Data, c.Filters, 0, c.pointwise.Grad.Data, c.Filters)
	if !c.NoBias {
		kernel.SumRows(c.bias.Grad.Data, dz.Data, rows, c.Filters)
	}
	c.dmid = tensor.Ensure(c.dmid, g.N, g.OH, g.OW, mid)
	kernel.Gemm(false, true, rows, mid, c.Filters, 1, dz.Data, c.Filters, c.pointwise.Value.Data, c.Filters, 0, c.dmid.Data, mid)
	c.dw.skipInputG = c.skipInputG
	return c.dw.BackwardLinear(c.dmid)
}

func (c *SeparableConv2D) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	s := pair(c.Strides, [2]int{1, 1})
	m["depth_multiplier"] = c.multiplier()
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize[0], c.KernelSize[1]}
	m["strides"] = []int{s[0], s[1]}
	m["padding"] = c.Padding.String()
	m["data_format"] = "channels_last"
	d := pair(c.DilationRate, [2]int{1, 1})
	m["dilation_rate"] = []int{d[0], d[1]}
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
