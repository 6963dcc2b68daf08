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

// Conv2D is Keras's 2-D convolution over channels-last images
// (batch, height, width, channels). It runs as im2col followed by one
// matrix product for the whole batch, except 3x3 stride-1 windows over
// enough channels, which use Winograd F(4x4,3x3) or F(2x2,3x3) for the
// forward pass and both gradients (4 or 2.25 times fewer multiplies; see
// kernel.Winograd).
type Conv2D struct {
	Trainability
	Name              string
	Filters           int
	KernelSize        [2]int // (height, width)
	Strides           [2]int // zero means (1, 1)
	Padding           Padding
	Activation        activation.Func
	NoBias            bool // use_bias=False
	KernelInitializer Initializer
	BiasInitializer   Initializer
	InputShape        tensor.Shape

	// Penalties added to the loss (nil: none), as on Dense: of the kernel,
	// the bias and the layer's output.
	KernelRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	// Projections applied after each optimizer step (nil: none). Keras's
	// default axis 0 on a kernel (h, w, channels, filters) takes norms over
	// the kernel's rows; Axis []int{0, 1, 2} bounds each filter.
	KernelConstraint, BiasConstraint constraint.Constraint

	geom       kernel.ConvGeom
	kernel     Param // (KH, KW, C, Filters), Keras's layout
	bias       Param
	col        *tensor.Tensor // im2col of the last input; reused for dcol
	x          *tensor.Tensor
	z, y, dz   *tensor.Tensor
	act        *tensor.Tensor // f(z) when the backward pass also needs z
	dx         *tensor.Tensor
	skipInputG bool
	wino       kernel.Winograd
}

func init() {
	register("Conv2D", func(r *cfgReader) Layer {
		c := &Conv2D{
			Filters:           r.Int("filters", 0),
			KernelSize:        r.pair("kernel_size"),
			Strides:           r.pair("strides"),
			Padding:           r.padding("padding"),
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
		// Keys as keras/src/layers/convolutional/base_conv.py get_config
		// writes them.
		if d := r.pair("dilation_rate"); d != [2]int{} && d != [2]int{1, 1} && r.Err == nil {
			r.unsupported("dilation_rate", d, "gokeras implements dilation_rate (1, 1) only")
		}
		r.onlyValue("groups", "gokeras implements groups=1 only (no grouped convolution)", 1)
		r.channelsLast()
		r.loraKeys()
		r.null("dora_rank", "gokeras does not implement DoRA")
		r.null("dora_alpha", "gokeras does not implement DoRA")
		return c
	})
}

func (c *Conv2D) LayerName() string                { return c.Name }
func (c *Conv2D) SetLayerName(s string)            { c.Name = s }
func (c *Conv2D) Class() string                    { return "Conv2D" }
func (c *Conv2D) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *Conv2D) SkipInputGrad(skip bool)          { c.skipInputG = skip }
func (c *Conv2D) ActivationFunc() activation.Func  { return c.Activation }

func (c *Conv2D) strides() [2]int { return pair(c.Strides, [2]int{1, 1}) }

// Geometry returns the convolution geometry for a batch of n inputs of
// shape in; it is also what OutputShape checks.
func (c *Conv2D) geometry(in tensor.Shape) (kernel.ConvGeom, error) {
	var g kernel.ConvGeom
	if c.Filters <= 0 {
		return g, fmt.Errorf("filters is %d; give Conv2D a positive number of filters", c.Filters)
	}
	if c.KernelSize[0] <= 0 || c.KernelSize[1] <= 0 {
		return g, fmt.Errorf("kernel_size is %v; give Conv2D a positive kernel size such as (3, 3)", c.KernelSize)
	}
	s := c.strides()
	if s[0] <= 0 || s[1] <= 0 {
		return g, fmt.Errorf("strides %v must be positive", s)
	}
	if err := c.BiasInitializer.checkBias(); err != nil {
		return g, err
	}
	if len(in) != 3 {
		return g, fmt.Errorf("input shape %v has %d axes besides the batch; Conv2D takes (batch, height, width, channels): reshape the images to add a channel axis, e.g. (28, 28, 1)", in, len(in))
	}
	g = kernel.ConvGeom{H: in[0], W: in[1], C: in[2], KH: c.KernelSize[0], KW: c.KernelSize[1], SH: s[0], SW: s[1]}
	g.OH, g.PadT = windowGeometry(g.H, g.KH, g.SH, c.Padding)
	g.OW, g.PadL = windowGeometry(g.W, g.KW, g.SW, c.Padding)
	if g.OH <= 0 || g.OW <= 0 {
		return g, fmt.Errorf("kernel %dx%d is larger than the %dx%d input with padding \"valid\"; use a smaller kernel_size or padding=\"same\"", g.KH, g.KW, g.H, g.W)
	}
	return g, nil
}

func (c *Conv2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.OH, g.OW, c.Filters}, nil
}

func (c *Conv2D) Build(in tensor.Shape, rng *rand.Rand) error {
	g, err := c.geometry(in)
	if err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, tensor.Shape{g.OH, g.OW, c.Filters}); err != nil {
		return err
	}
	c.geom = g
	kh, kw, ch := g.KH, g.KW, g.C
	c.kernel = Param{Name: "kernel", Value: tensor.New(kh, kw, ch, c.Filters), Grad: tensor.New(kh, kw, ch, c.Filters)}
	if err := withPenalty(&c.kernel, "kernel", c.KernelRegularizer, c.KernelConstraint); err != nil {
		return err
	}
	// Keras's conv fans include the receptive field (compute_fans).
	c.KernelInitializer.or(GlorotUniform).fillKernel(c.kernel.Value.Data, kh, kw, ch, c.Filters, rng)
	if !c.NoBias {
		c.bias = Param{Name: "bias", Value: tensor.New(c.Filters), Grad: tensor.New(c.Filters)}
		if err := withPenalty(&c.bias, "bias", c.BiasRegularizer, c.BiasConstraint); err != nil {
			return err
		}
		c.BiasInitializer.or(Zeros).fill(c.bias.Value.Data, kh*kw*ch, kh*kw*c.Filters, rng)
	}
	return nil
}

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *Conv2D) OutputRegularizer() regularizer.Regularizer { return c.ActivityRegularizer }

func (c *Conv2D) Params() []*Param {
	if c.NoBias {
		return []*Param{&c.kernel}
	}
	return []*Param{&c.kernel, &c.bias}
}

// pointwise reports whether im2col would be the identity (1x1, stride 1,
// no padding), in which case the input is used as the matrix directly.
func (c *Conv2D) pointwise() bool {
	g := &c.geom
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1
}

// winograd reports whether this layer's window suits Winograd:
// 3x3, stride 1, and enough input channels and filters that the transforms
// cost less than the multiplies they save (a 3-channel first layer does not
// gain).
func (c *Conv2D) winograd() bool {
	return kernel.WinogradUsable(&c.geom) && c.geom.C >= 8 && c.Filters >= 8
}

func (c *Conv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g := &c.geom
	g.N = x.Len()
	c.x = x
	rows, k := g.ColRows(), g.ColCols()
	c.z = tensor.Ensure(c.z, g.N, g.OH, g.OW, c.Filters)
	if c.winograd() {
		c.wino.Forward(g, c.Filters, x.Data, c.kernel.Value.Data, c.z.Data)
	} else {
		a := x.Data
		if !c.pointwise() {
			c.col = tensor.Ensure(c.col, rows, k)
			kernel.Im2colNHWC(g, x.Data, c.col.Data)
			a = c.col.Data
		}
		kernel.Gemm(false, false, rows, c.Filters, k, 1, a, k, c.kernel.Value.Data, c.Filters, 0, c.z.Data, c.Filters)
	}
	c.y = activate(c.Activation, c.z, &c.act, rows, c.Filters, biasOf(&c.bias, c.NoBias))
	return c.y
}

func (c *Conv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if c.Activation == activation.Linear {
		return c.BackwardLinear(dy)
	}
	c.dz = tensor.Ensure(c.dz, dy.Shape...)
	c.Activation.Backward(c.dz.Data, dy.Data, c.z.Data, c.y.Data, c.geom.ColRows(), c.Filters)
	return c.BackwardLinear(c.dz)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *Conv2D) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	g := &c.geom
	rows, k := g.ColRows(), g.ColCols()
	if c.winograd() {
		c.wino.BackwardFilter(g, c.Filters, c.x.Data, dz.Data, c.kernel.Grad.Data)
		if !c.NoBias {
			kernel.SumRows(c.bias.Grad.Data, dz.Data, rows, c.Filters)
		}
		if c.skipInputG {
			return nil
		}
		c.dx = tensor.Ensure(c.dx, g.N, g.H, g.W, g.C)
		c.wino.BackwardData(g, c.Filters, dz.Data, c.kernel.Value.Data, c.dx.Data)
		return c.dx
	}
	a := c.x.Data
	if !c.pointwise() {
		a = c.col.Data
	}
	kernel.Gemm(true, false, k, c.Filters, rows, 1, a, k, dz.Data, c.Filters, 0, c.kernel.Grad.Data, c.Filters)
	if !c.NoBias {
		kernel.SumRows(c.bias.Grad.Data, dz.Data, rows, c.Filters)
	}
	if c.skipInputG {
		return nil
	}
	c.dx = tensor.Ensure(c.dx, g.N, g.H, g.W, g.C)
	if c.pointwise() {
		kernel.Gemm(false, true, rows, k, c.Filters, 1, dz.Data, c.Filters, c.kernel.Value.Data, c.Filters, 0, c.dx.Data, k)
		return c.dx
	}
	// The weight gradient has consumed col, so dcol can overwrite it.
	kernel.Gemm(false, true, rows, k, c.Filters, 1, dz.Data, c.Filters, c.kernel.Value.Data, c.Filters, 0, c.col.Data, k)
	kernel.Col2imNHWC(g, c.col.Data, c.dx.Data)
	return c.dx
}

func (c *Conv2D) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	s := c.strides()
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize[0], c.KernelSize[1]}
	m["strides"] = []int{s[0], s[1]}
	m["padding"] = c.Padding.String()
	m["data_format"] = "channels_last"
	m["dilation_rate"] = []int{1, 1}
	m["activation"] = c.Activation.String()
	m["use_bias"] = !c.NoBias
	m["kernel_initializer"] = initConfig(c.KernelInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(c.BiasInitializer, Zeros)
	// base_conv.py's get_config writes all five, null when unset.
	m["kernel_regularizer"] = regularizer.Serialize(c.KernelRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(c.BiasRegularizer)
	m["activity_regularizer"] = regularizer.Serialize(c.ActivityRegularizer)
	m["kernel_constraint"] = constraint.Serialize(c.KernelConstraint)
	m["bias_constraint"] = constraint.Serialize(c.BiasConstraint)
	return m
}
