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
// (batch, height, width, channels), following keras/src/layers/
// convolutional/conv2d.py and base_conv.py. It runs as im2col followed by
// one matrix product for the whole batch (one per group when Groups > 1),
// except undilated, ungrouped 3x3 stride-1 windows over enough channels,
// which use Winograd F(4x4,3x3) or F(2x2,3x3) for the forward pass and both
// gradients (4 or 2.25 times fewer multiplies; see kernel.Winograd).
type Conv2D struct {
	Trainability
	Name       string
	Filters    int
	KernelSize [2]int // (height, width)
	Strides    [2]int // zero means (1, 1)
	Padding    Padding
	// DilationRate spaces the kernel's taps (zero means (1, 1)): tap ky
	// reads input row oy*stride + ky*rate, so the window spans
	// (k-1)*rate+1 rows. As in Keras, a rate above 1 cannot go with
	// strides above 1.
	DilationRate [2]int
	// Groups splits the input channels into Groups slices convolved
	// separately, each with Filters/Groups filters, outputs concatenated
	// along the channels (zero means 1). Both the input channels and
	// Filters must be multiples of it; the kernel is then (kh, kw,
	// channels/Groups, Filters).
	Groups            int
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
	foldW      []float32 // forwardFolded's kernel
	foldB      []float32 // its bias, then the per-filter scale
	skipInputG bool
	wino       kernel.Winograd
	// causal pads the width axis by dilation*(kw-1) on the left only, and
	// none on the right: Conv1D's padding="causal".
	causal bool
}

func init() {
	register("Conv2D", func(r *cfgReader) Layer {
		c := &Conv2D{
			Filters:           r.Int("filters", 0),
			KernelSize:        r.pair("kernel_size"),
			Strides:           r.pair("strides"),
			Padding:           r.padding("padding"),
			DilationRate:      r.pair("dilation_rate"),
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
		// Keys as keras/src/layers/convolutional/base_conv.py get_config
		// writes them; BaseConv.__init__'s checks.
		if r.Err == nil {
			r.setErr(checkConvArgs(c.Filters, c.groups(), c.strides(), c.dilation()))
		}
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

func (c *Conv2D) strides() [2]int  { return pair(c.Strides, [2]int{1, 1}) }
func (c *Conv2D) dilation() [2]int { return pair(c.DilationRate, [2]int{1, 1}) }
func (c *Conv2D) groups() int      { return max(c.Groups, 1) }

// checkConvArgs is BaseConv.__init__'s check of groups, filters, strides
// and dilation_rate (keras/src/layers/convolutional/base_conv.py), shared
// by Conv1D and Conv2D.
func checkConvArgs(filters, groups int, strides, dilation [2]int) error {
	if groups <= 0 {
		return fmt.Errorf("groups is %d; give a positive number of groups (1: an ordinary convolution)", groups)
	}
	if dilation[0] <= 0 || dilation[1] <= 0 {
		return fmt.Errorf("dilation_rate %v must be positive", dilation)
	}
	if filters > 0 && filters%groups != 0 {
		return fmt.Errorf("filters=%d is not divisible by groups=%d; Keras requires filters and the input channels to be multiples of groups", filters, groups)
	}
	if max(strides[0], strides[1]) > 1 && max(dilation[0], dilation[1]) > 1 {
		return fmt.Errorf("strides %v with dilation_rate %v: Keras does not support strides > 1 together with dilation_rate > 1; use one or the other", strides, dilation)
	}
	return nil
}

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
	d, groups := c.dilation(), c.groups()
	if err := checkConvArgs(c.Filters, groups, s, d); err != nil {
		return g, err
	}
	if err := c.BiasInitializer.checkBias(); err != nil {
		return g, err
	}
	if len(in) != 3 {
		return g, fmt.Errorf("input shape %v has %d axes besides the batch; Conv2D takes (batch, height, width, channels): reshape the images to add a channel axis, e.g. (28, 28, 1)", in, len(in))
	}
	if in[2]%groups != 0 {
		return g, fmt.Errorf("the input has %d channels, not divisible by groups=%d; use a number of groups that divides both the channels and filters", in[2], groups)
	}
	g = kernel.ConvGeom{H: in[0], W: in[1], C: in[2], KH: c.KernelSize[0], KW: c.KernelSize[1], SH: s[0], SW: s[1]}
	if d != [2]int{1, 1} {
		g.DH, g.DW = d[0], d[1]
	}
	if groups > 1 {
		g.Groups = groups
	}
	// The dilated window spans (k-1)*rate+1 cells, and output sizes and
	// "same" padding follow from that span (compute_conv_output_shape in
	// keras/src/ops/operation_utils.py; TensorFlow's SAME padding).
	ekh, ekw := (g.KH-1)*d[0]+1, (g.KW-1)*d[1]+1
	g.OH, g.PadT = windowGeometry(g.H, ekh, g.SH, c.Padding)
	g.OW, g.PadL = windowGeometry(g.W, ekw, g.SW, c.Padding)
	if c.causal {
		// Conv1D's causal padding: ekw-1 zeros before, none after
		// (conv1d.py _compute_causal_padding), so out = ceil(in/stride).
		g.OW, g.PadL = (g.W-1)/g.SW+1, ekw-1
	}
	if g.OH <= 0 || g.OW <= 0 {
		if d != [2]int{1, 1} {
			return g, fmt.Errorf("kernel %dx%d dilated by %v spans %dx%d, larger than the %dx%d input with padding \"valid\"; use a smaller kernel_size or dilation_rate, or padding=\"same\"", g.KH, g.KW, d, ekh, ekw, g.H, g.W)
		}
		return g, fmt.Errorf("kernel %dx%d is larger than the %dx%d input with padding \"valid\"; use a smaller kernel_size or padding=\"same\"", g.KH, g.KW, g.H, g.W)
	}
	return g, nil
}

// kernelShape is the kernel's shape in Keras's layout for geometry g:
// (kh, kw, channels/groups, filters).
func (c *Conv2D) kernelShape(g *kernel.ConvGeom) tensor.Shape {
	return tensor.Shape{g.KH, g.KW, g.C / c.groups(), c.Filters}
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
	return c.build(g, c.kernelShape(&g), rng)
}

// build creates the weights for geometry g, the kernel with shape kshape
// (Keras's, as Params shows it: Conv1D's drops the height axis of 1).
func (c *Conv2D) build(g kernel.ConvGeom, kshape tensor.Shape, rng *rand.Rand) error {
	c.geom = g
	// Keras's conv fans include the receptive field (compute_fans); a
	// grouped kernel sees channels/groups inputs.
	kh, kw, ch := g.KH, g.KW, g.C/c.groups()
	c.kernel = Param{Name: "kernel", Value: tensor.New(kshape...), Grad: tensor.New(kshape...)}
	if err := withPenalty(&c.kernel, "kernel", c.KernelRegularizer, c.KernelConstraint); err != nil {
		return err
	}
	if err := c.KernelInitializer.checkShape("kernel_initializer", len(kshape)); err != nil {
		return err
	}
	c.KernelInitializer.or(GlorotUniform).fillKernel(c.kernel.Value.Data, kh, kw, ch, c.Filters, rng)
	if !c.NoBias {
		c.bias = Param{Name: "bias", Value: tensor.New(c.Filters), Grad: tensor.New(c.Filters)}
		if err := withPenalty(&c.bias, "bias", c.BiasRegularizer, c.BiasConstraint); err != nil {
			return err
		}
		c.BiasInitializer.or(Zeros).fill(c.bias.Value.Data, c.Filters, c.Filters, rng) // Keras: fans of shape (filters,)
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
// no padding), in which case the input is used as the matrix directly. A
// 1x1 window has no taps to dilate, and its im2col columns are already in
// group order (the channels), so dilation and groups do not matter.
func (c *Conv2D) pointwise() bool {
	g := &c.geom
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1
}

// winograd reports whether this layer's window suits Winograd:
// 3x3, stride 1, undilated and ungrouped (kernel.WinogradUsable checks
// all four), and enough input channels and filters that the transforms
// cost less than the multiplies they save (a 3-channel first layer does not
// gain).
func (c *Conv2D) winograd() bool {
	return kernel.WinogradUsable(&c.geom) && c.geom.C >= 8 && c.Filters >= 8
}

func (c *Conv2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return c.forwardWith(x, c.kernel.Value.Data, biasOf(&c.bias, c.NoBias), c.Activation)
}

// forwardFolded is the convolution followed by bn in inference mode, in
// one pass: with s = gamma/sqrt(movingVar+eps) per filter, the kernel
// times s and the bias (b - movingMean)·s + beta. The folded weights are
// made again on every call (a pass over the kernel, small beside one over
// the activations), so they always follow the current weights. With relu,
// the ReLU after the batch norm is applied in the bias pass.
func (c *Conv2D) forwardFolded(x *tensor.Tensor, bn *BatchNormalization, relu bool) *tensor.Tensor {
	w, f := c.kernel.Value.Data, c.Filters
	if cap(c.foldW) < len(w) {
		c.foldW = make([]float32, len(w))
	}
	if cap(c.foldB) < 2*f {
		c.foldB = make([]float32, 2*f)
	}
	fw, fb, sc := c.foldW[:len(w)], c.foldB[:f], c.foldB[f:2*f]
	kernel.InvStd(bn.invStd, bn.movingVar.Value.Data, bn.epsilon())
	gamma, beta, mean := bn.gamma.Value.Data, bn.beta.Value.Data, bn.movingMean.Value.Data
	for j := range sc {
		sc[j] = gamma[j] * bn.invStd[j]
	}
	for i := 0; i < len(w); i += f {
		for j, v := range w[i : i+f] {
			fw[i+j] = v * sc[j]
		}
	}
	b := biasOf(&c.bias, c.NoBias)
	for j := range fb {
		var bj float32
		if b != nil {
			bj = b[j]
		}
		fb[j] = (bj-mean[j])*sc[j] + beta[j]
	}
	act := activation.Linear
	if relu {
		act = activation.ReLU
	}
	return c.forwardWith(x, fw, fb, act)
}

// forwardWith is Forward with kernel w, bias b (nil: none) and activation f.
func (c *Conv2D) forwardWith(x *tensor.Tensor, w, b []float32, f activation.Func) *tensor.Tensor {
	g := &c.geom
	g.N = x.Len()
	c.x = x
	rows, k := g.ColRows(), g.ColCols()
	c.z = tensor.Ensure(c.z, g.N, g.OH, g.OW, c.Filters)
	if c.winograd() {
		// The bias, and a ReLU after it, go in as each block of outputs
		// is written (the bits of activate's passes).
		relu := f == activation.ReLU && b != nil
		c.wino.ForwardBias(g, c.Filters, x.Data, w, b, c.z.Data, relu)
		if b = nil; relu {
			c.y = c.z
			return c.y
		}
	} else {
		a := x.Data
		if !c.pointwise() {
			c.col = tensor.Ensure(c.col, rows, k)
			kernel.Im2colNHWC(g, x.Data, c.col.Data)
			a = c.col.Data
		}
		// One product per group: group gr's im2col columns times its
		// filters' columns of the kernel, into its output channels.
		kg, fg, z := k/c.groups(), c.Filters/c.groups(), c.z.Data
		for gr := range c.groups() {
			kernel.Gemm(false, false, rows, fg, kg, 1, a[gr*kg:], k, w[gr*fg:], c.Filters, 0, z[gr*fg:], c.Filters)
		}
	}
	c.y = activate(f, c.z, &c.act, rows, c.Filters, b)
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
	// Per group, as in Forward: group gr's rows of the kernel gradient
	// (kg of them, its filters' columns) and of dcol.
	kg, fg := k/c.groups(), c.Filters/c.groups()
	w, dw, d := c.kernel.Value.Data, c.kernel.Grad.Data, dz.Data
	for gr := range c.groups() {
		kernel.Gemm(true, false, kg, fg, rows, 1, a[gr*kg:], k, d[gr*fg:], c.Filters, 0, dw[gr*fg:], c.Filters)
	}
	if !c.NoBias {
		kernel.SumRows(c.bias.Grad.Data, dz.Data, rows, c.Filters)
	}
	if c.skipInputG {
		return nil
	}
	c.dx = tensor.Ensure(c.dx, g.N, g.H, g.W, g.C)
	if c.pointwise() {
		for gr := range c.groups() {
			kernel.Gemm(false, true, rows, kg, fg, 1, d[gr*fg:], c.Filters, w[gr*fg:], c.Filters, 0, c.dx.Data[gr*kg:], k)
		}
		return c.dx
	}
	// The weight gradient has consumed col, so dcol can overwrite it.
	for gr := range c.groups() {
		kernel.Gemm(false, true, rows, kg, fg, 1, d[gr*fg:], c.Filters, w[gr*fg:], c.Filters, 0, c.col.Data[gr*kg:], k)
	}
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
	d := c.dilation()
	m["dilation_rate"] = []int{d[0], d[1]}
	m["groups"] = c.groups()
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
