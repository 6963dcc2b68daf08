package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// DepthwiseConv1D is Keras's depthwise 1-D convolution
// (keras/src/layers/convolutional/depthwise_conv1d.py and
// base_depthwise_conv.py) over (batch, steps, channels): each channel c is
// convolved with its own DepthMultiplier filters, and filter m of channel
// c gives output channel c*DepthMultiplier+m. The kernel has Keras's shape
// (kernel_size, channels, depth_multiplier); the bias has one entry per
// output channel. Windows, strides, dilation and "same" padding are
// Conv1D's (no "causal": Keras's standardize_padding refuses it here).
//
// It runs DepthwiseConv2D over the height-1 view of the input, whose
// kernel (1, kernel_size, channels, depth_multiplier) is the same memory.
type DepthwiseConv1D struct {
	Trainability
	Name                 string
	KernelSize           int
	Strides              int // zero means 1
	Padding              Padding
	DilationRate         int // zero means 1; Keras refuses it > 1 with strides > 1
	DepthMultiplier      int // zero means 1
	Activation           activation.Func
	NoBias               bool // use_bias=False
	DepthwiseInitializer Initializer
	BiasInitializer      Initializer
	InputShape           tensor.Shape

	// Penalties and projections as on DepthwiseConv2D; the kernel they see
	// is (kernel_size, channels, depth_multiplier).
	DepthwiseRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	DepthwiseConstraint, BiasConstraint                        constraint.Constraint

	conv DepthwiseConv2D
	height1
}

func init() {
	register("DepthwiseConv1D", func(r *cfgReader) Layer {
		d := &DepthwiseConv1D{
			KernelSize:           r.single("kernel_size"),
			Strides:              r.single("strides"),
			Padding:              r.padding("padding"),
			DilationRate:         r.single("dilation_rate"),
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
			r.setErr(checkConvArgs(0, 1, [2]int{1, max(d.Strides, 1)}, [2]int{1, max(d.DilationRate, 1)}))
		}
		r.channelsLast()
		r.keras2Groups()
		return d
	})
}

func (d *DepthwiseConv1D) LayerName() string                { return d.Name }
func (d *DepthwiseConv1D) SetLayerName(s string)            { d.Name = s }
func (d *DepthwiseConv1D) Class() string                    { return "DepthwiseConv1D" }
func (d *DepthwiseConv1D) DeclaredInputShape() tensor.Shape { return d.InputShape }
func (d *DepthwiseConv1D) SkipInputGrad(skip bool)          { d.skip(&d.conv, skip) }
func (d *DepthwiseConv1D) ActivationFunc() activation.Func  { return d.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (d *DepthwiseConv1D) OutputRegularizer() regularizer.Regularizer {
	return d.ActivityRegularizer
}

// check1DConv checks the 1-D arguments of a depthwise or separable layer
// in their own terms, before the 2-D layer's checks.
func check1DConv(class string, k, strides, dilation, dm int, pad Padding, in tensor.Shape) error {
	if k <= 0 {
		return fmt.Errorf("kernel_size is %d; give %s a positive kernel size such as 3", k, class)
	}
	if strides < 0 || dilation < 0 || dm < 0 {
		return fmt.Errorf("strides %d, dilation_rate %d and depth_multiplier %d must be positive (or zero for 1)", strides, dilation, dm)
	}
	if _, err := seqInput(class, in); err != nil {
		return err
	}
	if span := (k-1)*max(dilation, 1) + 1; pad == Valid && span > in[0] {
		return fmt.Errorf("kernel_size %d with dilation_rate %d spans %d steps, more than the %d input steps with padding \"valid\"; use a smaller kernel_size or dilation_rate, or padding \"same\"", k, max(dilation, 1), span, in[0])
	}
	return nil
}

// conv2D is the DepthwiseConv2D over (1, steps, channels) this layer runs
// as; the kernel's penalty and projection are attached after Build.
func (d *DepthwiseConv1D) conv2D(in tensor.Shape) (DepthwiseConv2D, error) {
	if err := check1DConv(d.Class(), d.KernelSize, d.Strides, d.DilationRate, d.DepthMultiplier, d.Padding, in); err != nil {
		return DepthwiseConv2D{}, err
	}
	one := func(v int) [2]int { return [2]int{1, max(v, 1)} }
	return DepthwiseConv2D{
		Name: d.Name, KernelSize: [2]int{1, d.KernelSize}, Strides: one(d.Strides), Padding: d.Padding,
		DilationRate: one(d.DilationRate), DepthMultiplier: d.DepthMultiplier,
		Activation: d.Activation, NoBias: d.NoBias,
		DepthwiseInitializer: d.DepthwiseInitializer, BiasInitializer: d.BiasInitializer,
		BiasRegularizer: d.BiasRegularizer, BiasConstraint: d.BiasConstraint,
	}, nil
}

func (d *DepthwiseConv1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	cv, err := d.conv2D(in)
	if err != nil {
		return nil, err
	}
	return outputShape1D(d.Class(), &cv, in)
}

func (d *DepthwiseConv1D) multiplier() int { return max(d.DepthMultiplier, 1) }

func (d *DepthwiseConv1D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := d.OutputShape(in); err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", tensor.Shape{d.KernelSize, in[1], d.multiplier()}}}
	if !d.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{in[1] * d.multiplier()}})
	}
	return ps, nil
}

func (d *DepthwiseConv1D) Build(in tensor.Shape, rng *rand.Rand) error {
	out, err := d.OutputShape(in)
	if err != nil {
		return err
	}
	if err := checkActivity(d.ActivityRegularizer, out); err != nil {
		return err
	}
	if d.conv, err = d.conv2D(in); err != nil {
		return err
	}
	if err := d.build(d.Class(), &d.conv, in, rng); err != nil {
		return err
	}
	return as1D(&d.conv.kernel, tensor.Shape{d.KernelSize, in[1], d.multiplier()}, "depthwise", d.DepthwiseRegularizer, d.DepthwiseConstraint)
}

func (d *DepthwiseConv1D) Params() []*Param { return d.conv.Params() }

func (d *DepthwiseConv1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return d.forward(&d.conv, x, training)
}

func (d *DepthwiseConv1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return d.backward(&d.conv, dy)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (d *DepthwiseConv1D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	return d.input(d.conv.BackwardLinear(d.grad(dz)))
}

func (d *DepthwiseConv1D) Config() map[string]any {
	m := baseConfig(d.Name, d.InputShape)
	m["depth_multiplier"] = d.multiplier()
	m["kernel_size"] = []int{d.KernelSize}
	m["strides"] = []int{max(d.Strides, 1)}
	m["padding"] = d.Padding.String()
	m["data_format"] = "channels_last"
	m["dilation_rate"] = []int{max(d.DilationRate, 1)}
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
