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

// DepthwiseConv2D is Keras's depthwise 2-D convolution
// (keras/src/layers/convolutional/depthwise_conv2d.py and
// base_depthwise_conv.py): each input channel c is convolved with its own
// DepthMultiplier filters, and filter m of channel c gives output channel
// c*DepthMultiplier+m. The kernel has Keras's shape (kh, kw, channels,
// depth_multiplier); the bias has one entry per output channel. Windows,
// strides, dilation and "same" padding are Conv2D's. It runs
// kernel.DepthwiseConv2DNHWC (portable Go loops over channels; no
// assembly).
type DepthwiseConv2D struct {
	Trainability
	Name                 string
	KernelSize           [2]int // (height, width)
	Strides              [2]int // zero means (1, 1)
	Padding              Padding
	DilationRate         [2]int // zero means (1, 1); Keras refuses it > 1 with strides > 1
	DepthMultiplier      int    // zero means 1
	Activation           activation.Func
	NoBias               bool // use_bias=False
	DepthwiseInitializer Initializer
	BiasInitializer      Initializer
	InputShape           tensor.Shape

	// Penalties added to the loss and projections after each optimizer
	// step (nil: none), as on Conv2D.
	DepthwiseRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	DepthwiseConstraint, BiasConstraint                        constraint.Constraint

	geom       kernel.ConvGeom
	kernel     Param // (KH, KW, C, DepthMultiplier)
	bias       Param // (C*DepthMultiplier)
	x          *tensor.Tensor
	z, y, dz   *tensor.Tensor
	act        *tensor.Tensor
	dx         *tensor.Tensor
	skipInputG bool
}

func init() {
	register("DepthwiseConv2D", func(r *cfgReader) Layer {
		d := &DepthwiseConv2D{
			KernelSize:           r.pair("kernel_size"),
			Strides:              r.pair("strides"),
			Padding:              r.padding("padding"),
			DilationRate:         r.pair("dilation_rate"),
			DepthMultiplier:      r.positiveInt("depth_multiplier", 1),
			Activation:           r.activation("activation"),
			NoBias:               !r.Bool("use_bias", true),
			DepthwiseInitializer: r.initializer("depthwise_initializer"),
			BiasInitializer:      r.initializer("bias_initializer"),
			InputShape:           r.inputShape(),

			DepthwiseRegularizer: r.readRegularizer("depthwise_regularizer"),
			BiasRegularizer:      r.readRegularizer("bias_regularizer"),
			ActivityRegularizer:  r.readRegularizer("activity_regularizer"),
			DepthwiseConstraint:  r.readConstraint("depthwise_constraint"),
			BiasConstraint:       r.readConstraint("bias_constraint"),
		}
		// Keys as base_depthwise_conv.py get_config writes them; its
		// __init__'s checks.
		if r.Err == nil {
			r.setErr(checkConvArgs(0, 1, pair(d.Strides, [2]int{1, 1}), pair(d.DilationRate, [2]int{1, 1})))
		}
		r.channelsLast()
		r.keras2Groups()
		return d
	})
}

// keras2Groups reads the groups key that Keras 2 writes (1) on
// Conv2DTranspose, DepthwiseConv2D and SeparableConv2D, whose configs
// extend Conv2D's there (keras 2.x layers/convolutional/); Keras 3 does
// not write it and takes no other value.
func (r *ConfigReader) keras2Groups() {
	r.onlyValue("groups", "Keras 2 writes groups=1 on this class and has no grouped "+r.class, 1)
}

func (d *DepthwiseConv2D) LayerName() string                { return d.Name }
func (d *DepthwiseConv2D) SetLayerName(s string)            { d.Name = s }
func (d *DepthwiseConv2D) Class() string                    { return "DepthwiseConv2D" }
func (d *DepthwiseConv2D) DeclaredInputShape() tensor.Shape { return d.InputShape }
func (d *DepthwiseConv2D) SkipInputGrad(skip bool)          { d.skipInputG = skip }
func (d *DepthwiseConv2D) ActivationFunc() activation.Func  { return d.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (d *DepthwiseConv2D) OutputRegularizer() regularizer.Regularizer { return d.ActivityRegularizer }

func (d *DepthwiseConv2D) multiplier() int { return max(d.DepthMultiplier, 1) }

// geometry checks the configuration and input shape in and returns the
// window geometry (N left zero).
func (d *DepthwiseConv2D) geometry(in tensor.Shape) (kernel.ConvGeom, error) {
	return depthwiseGeometry(d.Class(), in, d.KernelSize, d.Strides, d.DilationRate, d.Padding, d.DepthMultiplier)
}

// depthwiseGeometry is DepthwiseConv2D's and SeparableConv2D's geometry.
func depthwiseGeometry(class string, in tensor.Shape, ks, strides, dilation [2]int, pad Padding, dm int) (kernel.ConvGeom, error) {
	var g kernel.ConvGeom
	if dm < 0 {
		return g, fmt.Errorf("depth_multiplier is %d; give %s a positive depth multiplier (1, the default, keeps the channel count)", dm, class)
	}
	if ks[0] <= 0 || ks[1] <= 0 {
		return g, fmt.Errorf("kernel_size is %v; give %s a positive kernel size such as (3, 3)", ks, class)
	}
	s := pair(strides, [2]int{1, 1})
	if s[0] <= 0 || s[1] <= 0 {
		return g, fmt.Errorf("strides %v must be positive", s)
	}
	d := pair(dilation, [2]int{1, 1})
	if err := checkConvArgs(0, 1, s, d); err != nil {
		return g, err
	}
	if len(in) != 3 {
		return g, fmt.Errorf("input shape %v has %d axes besides the batch; %s takes (batch, height, width, channels): reshape the images to add a channel axis, e.g. (28, 28, 1)", in, len(in), class)
	}
	g = kernel.ConvGeom{H: in[0], W: in[1], C: in[2], KH: ks[0], KW: ks[1], SH: s[0], SW: s[1]}
	if d != [2]int{1, 1} {
		g.DH, g.DW = d[0], d[1]
	}
	// The dilated window spans (k-1)*rate+1 cells (compute_conv_output_shape
	// in keras/src/ops/operation_utils.py; TensorFlow's SAME padding).
	ekh, ekw := (g.KH-1)*d[0]+1, (g.KW-1)*d[1]+1
	g.OH, g.PadT = windowGeometry(g.H, ekh, g.SH, pad)
	g.OW, g.PadL = windowGeometry(g.W, ekw, g.SW, pad)
	if g.OH <= 0 || g.OW <= 0 {
		return g, fmt.Errorf("kernel %dx%d (spanning %dx%d with dilation_rate %v) is larger than the %dx%d input with padding \"valid\"; use a smaller kernel_size or dilation_rate, or padding=\"same\"", g.KH, g.KW, ekh, ekw, d, g.H, g.W)
	}
	return g, nil
}

func (d *DepthwiseConv2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := d.geometry(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.OH, g.OW, g.C * d.multiplier()}, nil
}

func (d *DepthwiseConv2D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	g, err := d.geometry(in)
	if err != nil {
		return nil, err
	}
	dm := d.multiplier()
	ps := []ParamShape{{"kernel", tensor.Shape{g.KH, g.KW, g.C, dm}}}
	if !d.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{g.C * dm}})
	}
	return ps, nil
}

func (d *DepthwiseConv2D) Build(in tensor.Shape, rng *rand.Rand) error {
	g, err := d.geometry(in)
	if err != nil {
		return err
	}
	if err := d.BiasInitializer.checkBias(); err != nil {
		return err
	}
	dm := d.multiplier()
	co := g.C * dm
	if err := checkActivity(d.ActivityRegularizer, tensor.Shape{g.OH, g.OW, co}); err != nil {
		return err
	}
	d.geom = g
	// Keras names the depthwise kernel "kernel" (base_depthwise_conv.py build).
	d.kernel = Param{Name: "kernel", Value: tensor.New(g.KH, g.KW, g.C, dm), Grad: tensor.New(g.KH, g.KW, g.C, dm)}
	if err := withPenalty(&d.kernel, "depthwise", d.DepthwiseRegularizer, d.DepthwiseConstraint); err != nil {
		return err
	}
	// compute_fans of (kh, kw, C, dm): fan_in = kh*kw*C, fan_out = kh*kw*dm.
	if err := d.DepthwiseInitializer.checkShape("depthwise_initializer", 4); err != nil {
		return err
	}
	d.DepthwiseInitializer.or(GlorotUniform).fillKernel(d.kernel.Value.Data, g.KH, g.KW, g.C, dm, rng)
	if !d.NoBias {
		d.bias = Param{Name: "bias", Value: tensor.New(co), Grad: tensor.New(co)}
		if err := withPenalty(&d.bias, "bias", d.BiasRegularizer, d.BiasConstraint); err != nil {
			return err
		}
		d.BiasInitializer.or(Zeros).fill(d.bias.Value.Data, co, co, rng)
	}
	return nil
}

func (d *DepthwiseConv2D) Params() []*Param {
	if d.NoBias {
		return []*Param{&d.kernel}
	}
	return []*Param{&d.kernel, &d.bias}
}

func (d *DepthwiseConv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g := &d.geom
	g.N = x.Len()
	d.x = x
	co := g.C * d.multiplier()
	d.z = tensor.Ensure(d.z, g.N, g.OH, g.OW, co)
	kernel.DepthwiseConv2DNHWC(g, d.multiplier(), x.Data, d.kernel.Value.Data, d.z.Data)
	d.y = activate(d.Activation, d.z, &d.act, g.N*g.OH*g.OW, co, biasOf(&d.bias, d.NoBias))
	return d.y
}

func (d *DepthwiseConv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if d.Activation == activation.Linear {
		return d.BackwardLinear(dy)
	}
	d.dz = tensor.Ensure(d.dz, dy.Shape...)
	g := &d.geom
	d.Activation.Backward(d.dz.Data, dy.Data, d.z.Data, d.y.Data, g.N*g.OH*g.OW, g.C*d.multiplier())
	return d.BackwardLinear(d.dz)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (d *DepthwiseConv2D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	g := &d.geom
	dm := d.multiplier()
	kernel.DepthwiseConv2DBackwardFilterNHWC(g, dm, d.x.Data, dz.Data, d.kernel.Grad.Data)
	if !d.NoBias {
		kernel.SumRows(d.bias.Grad.Data, dz.Data, g.N*g.OH*g.OW, g.C*dm)
	}
	if d.skipInputG {
		return nil
	}
	d.dx = tensor.Ensure(d.dx, g.N, g.H, g.W, g.C)
	kernel.DepthwiseConv2DBackwardInputNHWC(g, dm, dz.Data, d.kernel.Value.Data, d.dx.Data)
	return d.dx
}

func (d *DepthwiseConv2D) Config() map[string]any {
	m := baseConfig(d.Name, d.InputShape)
	s := pair(d.Strides, [2]int{1, 1})
	m["depth_multiplier"] = d.multiplier()
	m["kernel_size"] = []int{d.KernelSize[0], d.KernelSize[1]}
	m["strides"] = []int{s[0], s[1]}
	m["padding"] = d.Padding.String()
	m["data_format"] = "channels_last"
	dil := pair(d.DilationRate, [2]int{1, 1})
	m["dilation_rate"] = []int{dil[0], dil[1]}
	m["activation"] = d.Activation.String()
	m["use_bias"] = !d.NoBias
	m["depthwise_initializer"] = initConfig(d.DepthwiseInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(d.BiasInitializer, Zeros)
	m["depthwise_regularizer"] = regularizer.Serialize(d.DepthwiseRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(d.BiasRegularizer)
	m["activity_regularizer"] = regularizer.Serialize(d.ActivityRegularizer)
	m["depthwise_constraint"] = constraint.Serialize(d.DepthwiseConstraint)
	m["bias_constraint"] = constraint.Serialize(d.BiasConstraint)
	return m
}
