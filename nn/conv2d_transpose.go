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

// Conv2DTranspose is Keras's transposed 2-D convolution
// (keras/src/layers/convolutional/conv2d_transpose.py and
// base_conv_transpose.py): the gradient of a Conv2D with respect to its
// input, so each input pixel adds its kernel-weighted copy to a window of
// the output, windows Strides apart. The kernel has Keras's shape (kh, kw,
// filters, input channels). The output size follows Keras's
// compute_conv_transpose_output_shape (keras/src/backend/common/
// backend_utils.py): with padding "valid", (in-1)*stride + kernel +
// output_padding, where output_padding defaults to max(kernel, stride) -
// kernel; with "same", in*stride, or (in-1)*stride + kernel%2 +
// output_padding when output_padding is given. A dilated kernel counts as
// its span, (kernel-1)*dilation_rate+1.
//
// It runs on Conv2D's backward machinery: the forward pass is one matrix
// product (input times the kernel transposed) followed by col2im, the
// backward pass im2col of the output gradient followed by two products.
type Conv2DTranspose struct {
	Trainability
	Name       string
	Filters    int
	KernelSize [2]int // (height, width)
	Strides    [2]int // zero means (1, 1)
	Padding    Padding
	// DilationRate spaces the kernel's taps (zero means (1, 1)); Keras
	// refuses it > 1 together with strides > 1.
	DilationRate [2]int
	// OutputPadding is the extra size on the bottom/right, each entry
	// below its stride; nil is Keras's None (the defaults above), which
	// differs from an explicit (0, 0).
	OutputPadding     *[2]int
	Activation        activation.Func
	NoBias            bool // use_bias=False
	KernelInitializer Initializer
	BiasInitializer   Initializer
	InputShape        tensor.Shape

	// Penalties added to the loss and projections after each optimizer
	// step (nil: none), as on Conv2D.
	KernelRegularizer, BiasRegularizer, ActivityRegularizer regularizer.Regularizer
	KernelConstraint, BiasConstraint                        constraint.Constraint

	// geom is the geometry of the Conv2D this layer transposes: H×W×C
	// is this layer's output (C = Filters) and OH×OW its input.
	geom       kernel.ConvGeom
	in         int   // input channels
	kernel     Param // (KH, KW, Filters, in)
	bias       Param
	col        *tensor.Tensor // GEMM output before col2im; im2col of dz after
	x          *tensor.Tensor
	z, y, dz   *tensor.Tensor
	act        *tensor.Tensor
	dx         *tensor.Tensor
	skipInputG bool
}

func init() {
	register("Conv2DTranspose", func(r *cfgReader) Layer {
		c := &Conv2DTranspose{
			Filters:           r.Int("filters", 0),
			KernelSize:        r.pair("kernel_size"),
			Strides:           r.pair("strides"),
			Padding:           r.padding("padding"),
			DilationRate:      r.pair("dilation_rate"),
			OutputPadding:     r.outputPadding("output_padding"),
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
		// Keys as base_conv_transpose.py get_config writes them
		// (output_padding since keras-team/keras#23014); its __init__'s
		// checks.
		if r.Err == nil {
			r.setErr(checkConvArgs(c.Filters, 1, pair(c.Strides, [2]int{1, 1}), c.dilation()))
		}
		r.channelsLast()
		r.keras2Groups()
		if op := c.OutputPadding; op != nil && r.Err == nil {
			s := pair(c.Strides, [2]int{1, 1})
			if op[0] >= s[0] || op[1] >= s[1] {
				r.Failf("output_padding %v must be smaller than strides %v, as Keras requires", *op, s)
			}
		}
		return c
	})
}

// outputPadding reads Conv2DTranspose's output_padding: null (None), one
// integer or two, each at least 0.
func (r *ConfigReader) outputPadding(key string) *[2]int {
	s := r.ints(key)
	for _, d := range s {
		if d < 0 {
			r.Failf("%s must be at least 0, got %v", key, s)
			return nil
		}
	}
	switch len(s) {
	case 0:
		return nil
	case 1:
		return &[2]int{s[0], s[0]}
	case 2:
		return &[2]int{s[0], s[1]}
	}
	r.fail(key, s, "null, one or two integers")
	return nil
}

func (c *Conv2DTranspose) LayerName() string                { return c.Name }
func (c *Conv2DTranspose) SetLayerName(s string)            { c.Name = s }
func (c *Conv2DTranspose) Class() string                    { return "Conv2DTranspose" }
func (c *Conv2DTranspose) DeclaredInputShape() tensor.Shape { return c.InputShape }
func (c *Conv2DTranspose) SkipInputGrad(skip bool)          { c.skipInputG = skip }
func (c *Conv2DTranspose) ActivationFunc() activation.Func  { return c.Activation }

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (c *Conv2DTranspose) OutputRegularizer() regularizer.Regularizer { return c.ActivityRegularizer }

// transposeLength returns, for one spatial axis, the output size and the
// number of leading cells of the full transposed output ((in-1)*stride +
// k cells) that are cropped, following Keras's
// _get_output_shape_given_tf_padding and
// _convert_conv_transpose_padding_args_from_keras_to_jax
// (keras/src/backend/common/backend_utils.py): the JAX form pads the
// stride-dilated input by left = k-1-before. k is the kernel's span
// ((size-1)*dilation+1, as Keras replaces kernel_size by it); op < 0 is
// None.
func transposeLength(in, k, stride int, pad Padding, op int) (out, before int) {
	if pad == Valid {
		if op < 0 {
			op = max(k, stride) - k
		}
		return (in-1)*stride + k + op, 0
	}
	var padLen int
	if op < 0 {
		out, padLen = in*stride, stride+k-2
	} else {
		out, padLen = (in-1)*stride+k%2+op, k+k%2-2+op
	}
	left := min(padLen/2+padLen%2, k-1)
	return out, k - 1 - left
}

func (c *Conv2DTranspose) dilation() [2]int { return pair(c.DilationRate, [2]int{1, 1}) }

func (c *Conv2DTranspose) geometry(in tensor.Shape) (kernel.ConvGeom, error) {
	var g kernel.ConvGeom
	if c.Filters <= 0 {
		return g, fmt.Errorf("filters is %d; give Conv2DTranspose a positive number of filters", c.Filters)
	}
	if c.KernelSize[0] <= 0 || c.KernelSize[1] <= 0 {
		return g, fmt.Errorf("kernel_size is %v; give Conv2DTranspose a positive kernel size such as (3, 3)", c.KernelSize)
	}
	s := pair(c.Strides, [2]int{1, 1})
	if s[0] <= 0 || s[1] <= 0 {
		return g, fmt.Errorf("strides %v must be positive", s)
	}
	d := c.dilation()
	if err := checkConvArgs(c.Filters, 1, s, d); err != nil {
		return g, err
	}
	op := [2]int{-1, -1}
	if c.OutputPadding != nil {
		op = *c.OutputPadding
		if op[0] < 0 || op[1] < 0 || op[0] >= s[0] || op[1] >= s[1] {
			return g, fmt.Errorf("output_padding %v must be at least 0 and smaller than strides %v, as Keras requires", op, s)
		}
	}
	if len(in) != 3 {
		return g, fmt.Errorf("input shape %v has %d axes besides the batch; Conv2DTranspose takes (batch, height, width, channels): reshape the images to add a channel axis, e.g. (7, 7, 1)", in, len(in))
	}
	g = kernel.ConvGeom{OH: in[0], OW: in[1], C: c.Filters, KH: c.KernelSize[0], KW: c.KernelSize[1], SH: s[0], SW: s[1]}
	if d != [2]int{1, 1} {
		g.DH, g.DW = d[0], d[1]
	}
	g.H, g.PadT = transposeLength(in[0], (g.KH-1)*d[0]+1, g.SH, c.Padding, op[0])
	g.W, g.PadL = transposeLength(in[1], (g.KW-1)*d[1]+1, g.SW, c.Padding, op[1])
	if in[0] <= 0 || in[1] <= 0 || in[2] <= 0 || g.H <= 0 || g.W <= 0 {
		return g, fmt.Errorf("input %v gives an empty %dx%d output; use a larger input, output_padding or padding=\"valid\"", in, g.H, g.W)
	}
	return g, nil
}

func (c *Conv2DTranspose) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.H, g.W, c.Filters}, nil
}

func (c *Conv2DTranspose) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", tensor.Shape{g.KH, g.KW, c.Filters, in[2]}}}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (c *Conv2DTranspose) Build(in tensor.Shape, rng *rand.Rand) error {
	g, err := c.geometry(in)
	if err != nil {
		return err
	}
	if err := c.BiasInitializer.checkBias(); err != nil {
		return err
	}
	if err := checkActivity(c.ActivityRegularizer, tensor.Shape{g.H, g.W, c.Filters}); err != nil {
		return err
	}
	c.geom, c.in = g, in[2]
	c.kernel = Param{Name: "kernel", Value: tensor.New(g.KH, g.KW, c.Filters, c.in), Grad: tensor.New(g.KH, g.KW, c.Filters, c.in)}
	if err := withPenalty(&c.kernel, "kernel", c.KernelRegularizer, c.KernelConstraint); err != nil {
		return err
	}
	// compute_fans of (kh, kw, filters, in): fan_in = kh*kw*filters,
	// fan_out = kh*kw*in, as Keras computes them for this layout.
	if err := c.KernelInitializer.checkShape("kernel_initializer", 4); err != nil {
		return err
	}
	c.KernelInitializer.or(GlorotUniform).fillKernel(c.kernel.Value.Data, g.KH, g.KW, c.Filters, c.in, rng)
	if !c.NoBias {
		c.bias = Param{Name: "bias", Value: tensor.New(c.Filters), Grad: tensor.New(c.Filters)}
		if err := withPenalty(&c.bias, "bias", c.BiasRegularizer, c.BiasConstraint); err != nil {
			return err
		}
		c.BiasInitializer.or(Zeros).fill(c.bias.Value.Data, c.Filters, c.Filters, rng)
	}
	return nil
}

func (c *Conv2DTranspose) Params() []*Param {
	if c.NoBias {
		return []*Param{&c.kernel}
	}
	return []*Param{&c.kernel, &c.bias}
}

// identity reports whether col2im would be the identity (1x1 windows,
// stride 1, nothing cropped), in which case the products write the output
// directly.
func (c *Conv2DTranspose) identity() bool {
	g := &c.geom
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 && g.H == g.OH && g.W == g.OW
}

func (c *Conv2DTranspose) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g := &c.geom
	g.N = x.Len()
	c.x = x
	rows, k := g.ColRows(), g.ColCols() // rows: input pixels; k: KH*KW*Filters
	c.z = tensor.Ensure(c.z, g.N, g.H, g.W, c.Filters)
	if c.identity() {
		kernel.Gemm(false, true, rows, k, c.in, 1, x.Data, c.in, c.kernel.Value.Data, c.in, 0, c.z.Data, k)
	} else {
		c.col = tensor.Ensure(c.col, rows, k)
		kernel.Gemm(false, true, rows, k, c.in, 1, x.Data, c.in, c.kernel.Value.Data, c.in, 0, c.col.Data, k)
		kernel.Col2imNHWC(g, c.col.Data, c.z.Data)
	}
	c.y = activate(c.Activation, c.z, &c.act, g.N*g.H*g.W, c.Filters, biasOf(&c.bias, c.NoBias))
	return c.y
}

func (c *Conv2DTranspose) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if c.Activation == activation.Linear {
		return c.BackwardLinear(dy)
	}
	c.dz = tensor.Ensure(c.dz, dy.Shape...)
	g := &c.geom
	c.Activation.Backward(c.dz.Data, dy.Data, c.z.Data, c.y.Data, g.N*g.H*g.W, c.Filters)
	return c.BackwardLinear(c.dz)
}

// BackwardLinear is Backward given dLoss/dz, the gradient before the activation.
func (c *Conv2DTranspose) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor {
	g := &c.geom
	rows, k := g.ColRows(), g.ColCols()
	col := dz.Data
	if !c.identity() {
		c.col = tensor.Ensure(c.col, rows, k)
		kernel.Im2colNHWC(g, dz.Data, c.col.Data)
		col = c.col.Data
	}
	// kernel (k × in) = col^T · x; dx (rows × in) = col · kernel.
	kernel.Gemm(true, false, k, c.in, rows, 1, col, k, c.x.Data, c.in, 0, c.kernel.Grad.Data, c.in)
	if !c.NoBias {
		kernel.SumRows(c.bias.Grad.Data, dz.Data, g.N*g.H*g.W, c.Filters)
	}
	if c.skipInputG {
		return nil
	}
	c.dx = tensor.Ensure(c.dx, g.N, g.OH, g.OW, c.in)
	kernel.Gemm(false, false, rows, c.in, k, 1, col, k, c.kernel.Value.Data, c.in, 0, c.dx.Data, c.in)
	return c.dx
}

func (c *Conv2DTranspose) Config() map[string]any {
	m := baseConfig(c.Name, c.InputShape)
	s := pair(c.Strides, [2]int{1, 1})
	m["filters"] = c.Filters
	m["kernel_size"] = []int{c.KernelSize[0], c.KernelSize[1]}
	m["strides"] = []int{s[0], s[1]}
	m["padding"] = c.Padding.String()
	if c.OutputPadding != nil {
		m["output_padding"] = []int{c.OutputPadding[0], c.OutputPadding[1]}
	} else {
		m["output_padding"] = nil
	}
	m["data_format"] = "channels_last"
	d := c.dilation()
	m["dilation_rate"] = []int{d[0], d[1]}
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
