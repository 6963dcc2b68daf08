package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Conv1DTranspose is Keras's transposed 1-D convolution
// (keras/src/layers/convolutional/conv1d_transpose.py and
// base_conv_transpose.py) over (batch, steps, channels): each input step
// adds its kernel-weighted copy to a window of the output, windows Strides
// apart. Output steps as Conv2DTranspose's per axis (Keras's
// compute_conv_transpose_output_shape): with padding "valid",
// (steps-1)*strides + span + output_padding, output_padding defaulting to
// max(span, strides) - span; with "same", steps*strides, or
// (steps-1)*strides + span%2 + output_padding when output_padding is
// given; span = (kernel_size-1)*dilation_rate+1. The kernel has Keras's
// shape (kernel_size, filters, channels).
//
// It runs Conv2DTranspose over the height-1 view of the input, whose
// kernel (1, kernel_size, filters, channels) is the same memory.
type Conv1DTranspose struct {
	Trainability
	Name       string
	Filters    int
	KernelSize int
	Strides    int // zero means 1
	Padding    Padding
	// DilationRate spaces the kernel's taps (zero means 1); Keras refuses
	// it > 1 together with strides > 1.
	DilationRate int
	// OutputPadding is the extra steps at the end, below Strides; nil is
	// Keras's None (the defaults above), which differs from an explicit 0.
	OutputPadding     *int
	Activation        activation.Func
	NoBias            bool // use_bias=False
	KernelInitializer Initializer
	BiasInitializer   Initializer
	InputShape        tensor.Shape

	// Penalties and projections as on Conv2DTranspose; the kernel they see
	// is (kernel_size, filters, channels).
	KernelRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	KernelConstraint, BiasConstraint                        constraint.Constraint

	conv Conv2DTranspose
	height1
}

func init() {
	register("Conv1DTranspose", func(r *cfgReader) Layer {
		c := &Conv1DTranspose{
			Filters:           r.Int("filters", 0),
			KernelSize:        r.single("kernel_size"),
			Strides:           r.single("strides"),
			Padding:           r.padding("padding"),
			DilationRate:      r.single("dilation_rate"),
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
		// output_padding: null, or one integer >= 0 (a list of one, as
		// standardize_tuple writes it).
		switch op := r.ints("output_padding"); {
		case len(op) == 0:
		case len(op) != 1 || op[0] < 0:
			r.fail("output_padding", r.M["output_padding"], "null or one integer >= 0 (a 1-D layer has one axis)")
		default:
			c.OutputPadding = &op[0]
		}
		// Keys as base_conv_transpose.py get_config writes them; its
		// __init__'s checks.
		if r.Err == nil {
			r.setErr(checkConvArgs(c.Filters, 1, [2]int{1, max(c.Strides, 1)}, [2]int{1, max(c.DilationRate, 1)}))
		}
		if op := c.OutputPadding; op != nil && r.Err == nil && *op >= max(c.Strides, 1) {
			r.Failf("output_padding %d must be smaller than strides %d, as Keras requires", *op, max(c.Strides, 1))
		}
		r.channelsLast()
		r.keras2Groups()
		return c
	})
}

func (c *Conv1DTranspose) LayerName() string                { return c.Name }
func (c *Conv1DTranspose) SetLayerName(s string)            { c.Name = s }
func (c *Conv1DTranspose) Class() string                    { return "Conv1DTranspose" }
func (c *Conv1DTranspose) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *Conv1DTranspose) SkipInputGrad(skip bool)          { c.skip(&c.conv, skip) }
func (c *Conv1DTranspose) ActivationFunc() activation.Func  { return c.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *Conv1DTranspose) OutputRegularizer() regularizer.Regularizer {
	return c.ActivityRegularizer
}

// conv2D is the Conv2DTranspose over (1, steps, channels) this layer runs
// as; the kernel's penalty and projection are attached after Build, on
// the 1-D shape.
func (c *Conv1DTranspose) conv2D() (Conv2DTranspose, error) {
	if c.Filters <= 0 {
		return Conv2DTranspose{}, fmt.Errorf("filters is %d; give Conv1DTranspose a positive number of filters", c.Filters)
	}
	if c.KernelSize <= 0 {
		return Conv2DTranspose{}, fmt.Errorf("kernel_size is %d; give Conv1DTranspose a positive kernel size such as 3", c.KernelSize)
	}
	if c.Strides < 0 || c.DilationRate < 0 {
		return Conv2DTranspose{}, fmt.Errorf("strides %d and dilation_rate %d must be positive (or zero for 1)", c.Strides, c.DilationRate)
	}
	one := func(v int) [2]int { return [2]int{1, max(v, 1)} }
	cv := Conv2DTranspose{
		Name: c.Name, Filters: c.Filters, KernelSize: [2]int{1, c.KernelSize},
		Strides: one(c.Strides), Padding: c.Padding, DilationRate: one(c.DilationRate),
		Activation: c.Activation, NoBias: c.NoBias,
		KernelInitializer: c.KernelInitializer, BiasInitializer: c.BiasInitializer,
		BiasRegularizer: c.BiasRegularizer, BiasConstraint: c.BiasConstraint,
	}
	if op := c.OutputPadding; op != nil && (*op < 0 || *op >= max(c.Strides, 1)) {
		return Conv2DTranspose{}, fmt.Errorf("output_padding %d must be at least 0 and smaller than strides %d, as Keras requires", *op, max(c.Strides, 1))
	}
	if c.OutputPadding != nil {
		// The height of 1 with its kernel of 1 and stride 1 is 1 either way.
		cv.OutputPadding = &[2]int{0, *c.OutputPadding}
	}
	return cv, nil
}

func (c *Conv1DTranspose) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	cv, err := c.conv2D()
	if err != nil {
		return nil, err
	}
	return outputShape1D(c.Class(), &cv, in)
}

// kernelShape is Keras's (kernel_size, filters, channels).
func (c *Conv1DTranspose) kernelShape(in tensor.Shape) tensor.Shape {
	return tensor.Shape{c.KernelSize, c.Filters, in[1]}
}

func (c *Conv1DTranspose) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := c.OutputShape(in); err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", c.kernelShape(in)}}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (c *Conv1DTranspose) Build(in tensor.Shape, rng *rand.Rand) error {
	out, err := c.OutputShape(in)
	if err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, out); err != nil {
		return err
	}
	if c.conv, err = c.conv2D(); err != nil {
		return err
	}
	if err := c.build(c.Class(), &c.conv, in, rng); err != nil {
		return err
	}
	return as1D(&c.conv.kernel, c.kernelShape(in), "kernel", c.KernelRegularizer, c.KernelConstraint)
}

func (c *Conv1DTranspose) Params() []*Param { return c.conv.Params() }

func (c *Conv1DTranspose) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return c.forward(&c.conv, x, training)
}

func (c *Conv1DTranspose) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return c.backward(&c.conv, dy)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *Conv1DTranspose) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	return c.input(c.conv.BackwardLinear(c.grad(dz)))
}

func (c *Conv1DTranspose) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize}
	m["strides"] = []int{max(c.Strides, 1)}
	m["padding"] = c.Padding.String()
	if c.OutputPadding != nil {
		m["output_padding"] = []int{*c.OutputPadding}
	} else {
		m["output_padding"] = nil
	}
	m["data_format"] = "channels_last"
	m["dilation_rate"] = []int{max(c.DilationRate, 1)}
	m["activation"] = c.Activation.String()
	m["use_bias"] = !c.NoBias
	m["kernel_initializer"] = initConfig(c.KernelInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(c.BiasInitializer, Zeros)
	m["kernel_regularizer"] = regularizer.Serialize(c.KernelRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(c.BiasRegularizer)
	m["activity_regularizer"] = regularizer.Serialize(c.ActivityRegularizer)
	m["kernel_constraint"] = constraint.Serialize(c.KernelConstraint)
	m["bias_constraint"] = constraint.Serialize(c.BiasConstraint)
	return m
}
