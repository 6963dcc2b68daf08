package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Conv1D is Keras's 1-D convolution over sequences (batch, steps,
// channels), following keras/src/layers/convolutional/conv1d.py and
// base_conv.py. It runs as a Conv2D over (batch, 1, steps, channels): the
// same memory seen with a height of 1, so it shares Conv2D's im2col,
// matrix products, dilation and groups. Its kernel is Keras's (kernel_size,
// channels/groups, filters).
type Conv1D struct {
	Trainability
	Name       string
	Filters    int
	KernelSize int
	Strides    int // zero means 1
	// Padding is Valid or Same; Causal replaces it with Keras's
	// padding="causal": dilation*(kernel_size-1) zeros before the first
	// step and none after, so output step t sees only inputs up to t.
	Padding      Padding
	Causal       bool
	DilationRate int // zero means 1; above 1 needs Strides 1, as in Keras
	Groups       int // zero means 1; must divide the channels and Filters

	Activation        activation.Func
	NoBias            bool // use_bias=False
	KernelInitializer Initializer
	BiasInitializer   Initializer
	InputShape        tensor.Shape

	// Penalties and projections as on Conv2D; the kernel they see is
	// (kernel_size, channels/groups, filters).
	KernelRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	KernelConstraint, BiasConstraint                        constraint.Constraint

	conv       Conv2D
	in, out    tensor.Shape // (steps, channels) and (new steps, filters)
	in2, out2  tensor.Shape // the same with a height of 1
	x2, y, dy2 tensor.Tensor
	dx         tensor.Tensor
}

func init() {
	register("Conv1D", func(r *cfgReader) Layer {
		c := &Conv1D{
			Filters:           r.Int("filters", 0),
			KernelSize:        r.single("kernel_size"),
			Strides:           r.single("strides"),
			DilationRate:      r.single("dilation_rate"),
			Groups:            r.positiveInt("groups", 1),
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
		// standardize_padding(allow_causal=True) for rank 1.
		if p := r.Str("padding", "valid"); p == "causal" {
			c.Causal = true
		} else if pad, err := ParsePadding(p); err != nil {
			r.setErr(fmt.Errorf("nn: unknown padding %q; Conv1D takes \"valid\", \"same\" or \"causal\"", p))
		} else {
			c.Padding = pad
		}
		if r.Err == nil {
			r.setErr(checkConvArgs(c.Filters, max(c.Groups, 1), [2]int{1, max(c.Strides, 1)}, [2]int{1, max(c.DilationRate, 1)}))
		}
		r.channelsLast()
		r.loraKeys()
		r.null("dora_rank", "gokeras does not implement DoRA")
		r.null("dora_alpha", "gokeras does not implement DoRA")
		return c
	})
}

// single reads Keras's int-or-1-tuple arguments of 1-D layers (Conv1D's
// kernel_size, strides, dilation_rate): absent or null gives 0, the
// layer's default; 0 or a negative value is an error, as in Keras.
func (r *ConfigReader) single(key string) int {
	s := r.ints(key)
	switch {
	case len(s) == 0:
		return 0
	case len(s) != 1:
		r.fail(key, s, "one integer (a 1-D layer has one axis)")
	case s[0] <= 0:
		r.Failf("%s must be positive, got %v; Keras rejects 0 too", key, s)
	default:
		return s[0]
	}
	return 0
}

func (c *Conv1D) LayerName() string                { return c.Name }
func (c *Conv1D) SetLayerName(s string)            { c.Name = s }
func (c *Conv1D) Class() string                    { return "Conv1D" }
func (c *Conv1D) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *Conv1D) SkipInputGrad(skip bool)          { c.conv.skipInputG = skip }
func (c *Conv1D) ActivationFunc() activation.Func  { return c.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *Conv1D) OutputRegularizer() regularizer.Regularizer { return c.ActivityRegularizer }

// conv2D returns the Conv2D over (1, steps, channels) this layer runs as.
func (c *Conv1D) conv2D() Conv2D {
	one := func(v int) [2]int { return [2]int{1, max(v, 1)} }
	return Conv2D{
		Name: c.Name, Filters: c.Filters, KernelSize: [2]int{1, c.KernelSize},
		Strides: one(c.Strides), Padding: c.Padding, DilationRate: one(c.DilationRate), Groups: c.Groups,
		Activation: c.Activation, NoBias: c.NoBias,
		KernelInitializer: c.KernelInitializer, BiasInitializer: c.BiasInitializer,
		KernelRegularizer: c.KernelRegularizer, BiasRegularizer: c.BiasRegularizer,
		KernelConstraint: c.KernelConstraint, BiasConstraint: c.BiasConstraint,
		skipInputG: c.conv.skipInputG, causal: c.Causal,
	}
}

func (c *Conv1D) check(in tensor.Shape) (Conv2D, tensor.Shape, error) {
	if c.Filters <= 0 {
		return Conv2D{}, nil, fmt.Errorf("filters is %d; give Conv1D a positive number of filters", c.Filters)
	}
	if c.KernelSize <= 0 {
		return Conv2D{}, nil, fmt.Errorf("kernel_size is %d; give Conv1D a positive kernel size such as 3", c.KernelSize)
	}
	if c.Strides < 0 || c.DilationRate < 0 || c.Groups < 0 {
		return Conv2D{}, nil, fmt.Errorf("strides %d, dilation_rate %d and groups %d must be positive (or zero for 1)", c.Strides, c.DilationRate, c.Groups)
	}
	if len(in) != 2 {
		return Conv2D{}, nil, fmt.Errorf("input shape %v has %d axes besides the batch; Conv1D takes (batch, steps, channels): add a channel axis of 1 to plain sequences, e.g. (100, 1)", in, len(in))
	}
	if span := (c.KernelSize-1)*max(c.DilationRate, 1) + 1; !c.Causal && c.Padding == Valid && span > in[0] {
		return Conv2D{}, nil, fmt.Errorf("kernel_size %d with dilation_rate %d spans %d steps, more than the %d input steps with padding \"valid\"; use a smaller kernel_size or dilation_rate, or padding \"same\" or \"causal\"", c.KernelSize, max(c.DilationRate, 1), span, in[0])
	}
	cv := c.conv2D()
	in2 := tensor.Shape{1, in[0], in[1]}
	out2, err := cv.OutputShape(in2)
	if err != nil {
		return cv, nil, err
	}
	return cv, tensor.Shape{out2[1], out2[2]}, nil
}

func (c *Conv1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	_, out, err := c.check(in)
	return out, err
}

func (c *Conv1D) Build(in tensor.Shape, rng *rand.Rand) error {
	cv, out, err := c.check(in)
	if err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, out); err != nil {
		return err
	}
	g, err := cv.geometry(tensor.Shape{1, in[0], in[1]})
	if err != nil {
		return err
	}
	c.conv = cv
	c.in, c.out = in.Clone(), out
	c.in2, c.out2 = tensor.Shape{1, in[0], in[1]}, tensor.Shape{1, out[0], out[1]}
	return c.conv.build(g, c.kernelShape(in), rng)
}

// kernelShape is Keras's (kernel_size, channels/groups, filters).
func (c *Conv1D) kernelShape(in tensor.Shape) tensor.Shape {
	return tensor.Shape{c.KernelSize, in[len(in)-1] / max(c.Groups, 1), c.Filters}
}

func (c *Conv1D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, _, err := c.check(in); err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", c.kernelShape(in)}}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (c *Conv1D) Params() []*Param { return c.conv.Params() }

func (c *Conv1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	y := c.conv.Forward(view(&c.x2, x, c.in2), training)
	return view(&c.y, y, c.out)
}

func (c *Conv1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return c.dxView(c.conv.Backward(view(&c.dy2, dy, c.out2)))
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *Conv1D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	return c.dxView(c.conv.BackwardLinear(view(&c.dy2, dz, c.out2)))
}

func (c *Conv1D) dxView(dx *tensor.Tensor) *tensor.Tensor {
	if dx == nil {
		return nil
	}
	return view(&c.dx, dx, c.in)
}

func (c *Conv1D) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize}
	m["strides"] = []int{max(c.Strides, 1)}
	m["padding"] = c.Padding.String()
	if c.Causal {
		m["padding"] = "causal"
	}
	m["data_format"] = "channels_last"
	m["dilation_rate"] = []int{max(c.DilationRate, 1)}
	m["groups"] = max(c.Groups, 1)
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
