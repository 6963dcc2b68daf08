package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// pool2D is the configuration and geometry shared by MaxPooling2D and
// AveragePooling2D; the two differ only in their kernels.
type pool2D struct {
	geom kernel.ConvGeom
	y    *tensor.Tensor
	dx   *tensor.Tensor
}

func poolGeometry(class string, size, strides [2]int, pad Padding, in tensor.Shape) (kernel.ConvGeom, error) {
	var g kernel.ConvGeom
	size = pair(size, [2]int{2, 2})
	strides = pair(strides, size) // Keras: strides=None means pool_size
	if size[0] <= 0 || size[1] <= 0 || strides[0] <= 0 || strides[1] <= 0 {
		return g, fmt.Errorf("pool_size %v and strides %v must be positive", size, strides)
	}
	if len(in) != 3 {
		return g, fmt.Errorf("input shape %v has %d axes besides the batch; %s takes (batch, height, width, channels)", in, len(in), class)
	}
	g = kernel.ConvGeom{H: in[0], W: in[1], C: in[2], KH: size[0], KW: size[1], SH: strides[0], SW: strides[1]}
	g.OH, g.PadT = windowGeometry(g.H, g.KH, g.SH, pad)
	g.OW, g.PadL = windowGeometry(g.W, g.KW, g.SW, pad)
	if g.OH <= 0 || g.OW <= 0 {
		return g, fmt.Errorf("pool %dx%d is larger than the %dx%d input with padding \"valid\"; use a smaller pool_size or padding=\"same\"", g.KH, g.KW, g.H, g.W)
	}
	return g, nil
}

func poolConfig(name string, size, strides [2]int, pad Padding) map[string]any {
	size = pair(size, [2]int{2, 2})
	strides = pair(strides, size)
	m := baseConfig(name, nil)
	m["pool_size"] = []int{size[0], size[1]}
	m["strides"] = []int{strides[0], strides[1]}
	m["padding"] = pad.String()
	m["data_format"] = "channels_last"
	return m
}

// MaxPooling2D keeps the largest value of each window. With padding
// "same", cells outside the image count as -inf.
type MaxPooling2D struct {
	Trainability
	Name     string
	PoolSize [2]int // zero means (2, 2)
	Strides  [2]int // zero means PoolSize
	Padding  Padding

	pool2D
	arg []int32
	// reluGrad: the layer before is a ReLU whose gradient this layer
	// applies, on the pooled gradient (see Stack.fuse); dm holds it.
	reluGrad bool
	dm       *tensor.Tensor
	// x is the last input of an inference Forward, which skips the
	// winners; Backward finds them from x when it is called after one.
	x *tensor.Tensor
}

// AveragePooling2D averages each window over the cells inside the image
// (with padding "same", edge windows divide by fewer cells).
type AveragePooling2D struct {
	Trainability
	Name     string
	PoolSize [2]int
	Strides  [2]int
	Padding  Padding

	pool2D
}

func init() {
	// Keys as keras/src/layers/pooling/base_pooling.py get_config writes them.
	register("MaxPooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &MaxPooling2D{PoolSize: r.pair("pool_size"), Strides: r.pair("strides"), Padding: r.padding("padding")}
	})
	register("AveragePooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AveragePooling2D{PoolSize: r.pair("pool_size"), Strides: r.pair("strides"), Padding: r.padding("padding")}
	})
}

func (p *MaxPooling2D) LayerName() string     { return p.Name }
func (p *MaxPooling2D) SetLayerName(s string) { p.Name = s }
func (p *MaxPooling2D) Class() string         { return "MaxPooling2D" }
func (p *MaxPooling2D) Params() []*Param      { return nil }
func (p *MaxPooling2D) Config() map[string]any {
	return poolConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}
func (p *AveragePooling2D) LayerName() string     { return p.Name }
func (p *AveragePooling2D) SetLayerName(s string) { p.Name = s }
func (p *AveragePooling2D) Class() string         { return "AveragePooling2D" }
func (p *AveragePooling2D) Params() []*Param      { return nil }
func (p *AveragePooling2D) Config() map[string]any {
	return poolConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}

func (p *pool2D) outputShape(g kernel.ConvGeom) tensor.Shape { return tensor.Shape{g.OH, g.OW, g.C} }

func (p *MaxPooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := poolGeometry("MaxPooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return p.outputShape(g), err
}

func (p *AveragePooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := poolGeometry("AveragePooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return p.outputShape(g), err
}

func (p *MaxPooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = poolGeometry("MaxPooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return err
}

func (p *AveragePooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = poolGeometry("AveragePooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return err
}

func (p *pool2D) prepare(x *tensor.Tensor) {
	g := &p.geom
	g.N = x.Len()
	p.y = tensor.Ensure(p.y, g.N, g.OH, g.OW, g.C)
}

func (p *MaxPooling2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	p.prepare(x)
	if !training {
		// Inference needs no winners: skip writing them.
		p.x = x
		kernel.MaxPoolNHWC(&p.geom, x.Data, p.y.Data, nil)
		return p.y
	}
	p.x = nil
	p.winners(x)
	return p.y
}

// winners runs the pooling that records each window's winning cell.
func (p *MaxPooling2D) winners(x *tensor.Tensor) {
	if n := len(p.y.Data); cap(p.arg) >= n {
		p.arg = p.arg[:n]
	} else {
		p.arg = make([]int32, n)
	}
	kernel.MaxPoolNHWC(&p.geom, x.Data, p.y.Data, p.arg)
}

func (p *MaxPooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if p.x != nil {
		// A gradient through an inference pass (saliency maps and the like).
		p.winners(p.x)
		p.x = nil
	}
	g := &p.geom
	if p.reluGrad {
		// A window's winner is the ReLU output its pooled value came
		// from, so passing dy where the pooled value is > 0 is ReLU's
		// gradient, a quarter of the size for 2x2 pooling.
		p.dm = tensor.Ensure(p.dm, dy.Shape...)
		kernel.ReLUBackward(p.dm.Data, dy.Data, p.y.Data)
		dy = p.dm
	}
	p.dx = tensor.Ensure(p.dx, g.N, g.H, g.W, g.C)
	kernel.MaxPoolBackwardNHWC(g, dy.Data, p.arg, p.dx.Data)
	return p.dx
}

func (p *AveragePooling2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	p.prepare(x)
	kernel.AvgPoolNHWC(&p.geom, x.Data, p.y.Data)
	return p.y
}

func (p *AveragePooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	g := &p.geom
	p.dx = tensor.Ensure(p.dx, g.N, g.H, g.W, g.C)
	kernel.AvgPoolBackwardNHWC(g, dy.Data, p.dx.Data)
	return p.dx
}

// GlobalAveragePooling2D averages each channel over height and width:
// (batch, h, w, c) -> (batch, c), or (batch, 1, 1, c) with Keepdims.
type GlobalAveragePooling2D struct {
	Trainability
	Name     string
	Keepdims bool // keep the spatial axes as size 1, as Keras's keepdims=True
	pool2D
}

// GlobalMaxPooling2D takes each channel's maximum over height and width.
type GlobalMaxPooling2D struct {
	Trainability
	Name     string
	Keepdims bool // keep the spatial axes as size 1, as Keras's keepdims=True
	pool2D
	arg []int32
}

func init() {
	// Keys as keras/src/layers/pooling/base_global_pooling.py get_config
	// writes them.
	register("GlobalAveragePooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalAveragePooling2D{Keepdims: r.Bool("keepdims", false)}
	})
	register("GlobalMaxPooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalMaxPooling2D{Keepdims: r.Bool("keepdims", false)}
	})
}

// globalShape is a global pool's output shape for c channels: (c) or,
// keeping the spatial axes, (1, 1, c).
func globalShape(keep bool, c int) tensor.Shape {
	if keep {
		return tensor.Shape{1, 1, c}
	}
	return tensor.Shape{c}
}

func globalGeometry(class string, in tensor.Shape) (kernel.ConvGeom, error) {
	if len(in) != 3 {
		return kernel.ConvGeom{}, fmt.Errorf("input shape %v has %d axes besides the batch; %s takes (batch, height, width, channels)", in, len(in), class)
	}
	return kernel.ConvGeom{H: in[0], W: in[1], C: in[2], KH: in[0], KW: in[1], SH: 1, SW: 1, OH: 1, OW: 1}, nil
}

func (p *GlobalAveragePooling2D) LayerName() string     { return p.Name }
func (p *GlobalAveragePooling2D) SetLayerName(s string) { p.Name = s }
func (p *GlobalAveragePooling2D) Class() string         { return "GlobalAveragePooling2D" }
func (p *GlobalAveragePooling2D) Params() []*Param      { return nil }
func (p *GlobalAveragePooling2D) Config() map[string]any {
	m := baseConfig(p.Name, nil)
	m["data_format"] = "channels_last"
	m["keepdims"] = p.Keepdims
	return m
}
func (p *GlobalMaxPooling2D) LayerName() string     { return p.Name }
func (p *GlobalMaxPooling2D) SetLayerName(s string) { p.Name = s }
func (p *GlobalMaxPooling2D) Class() string         { return "GlobalMaxPooling2D" }
func (p *GlobalMaxPooling2D) Params() []*Param      { return nil }
func (p *GlobalMaxPooling2D) Config() map[string]any {
	m := baseConfig(p.Name, nil)
	m["data_format"] = "channels_last"
	m["keepdims"] = p.Keepdims
	return m
}

func (p *GlobalAveragePooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := globalGeometry("GlobalAveragePooling2D", in)
	return globalShape(p.Keepdims, g.C), err
}

func (p *GlobalMaxPooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := globalGeometry("GlobalMaxPooling2D", in)
	return globalShape(p.Keepdims, g.C), err
}

func (p *GlobalAveragePooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = globalGeometry("GlobalAveragePooling2D", in)
	return err
}

func (p *GlobalMaxPooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = globalGeometry("GlobalMaxPooling2D", in)
	return err
}

// ensureOut sizes y for a global pool's output, (n, c) or (n, 1, 1, c):
// the same values either way.
func (p *pool2D) ensureOut(keep bool) *tensor.Tensor {
	g := &p.geom
	if keep {
		return tensor.Ensure(p.y, g.N, 1, 1, g.C)
	}
	return tensor.Ensure(p.y, g.N, g.C)
}

// The global pools are pooling windows the size of the image; their
// (batch, 1, 1, c) results are viewed as (batch, c).
func (p *GlobalAveragePooling2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g := &p.geom
	g.N = x.Len()
	p.y = p.ensureOut(p.Keepdims)
	kernel.AvgPoolNHWC(g, x.Data, p.y.Data)
	return p.y
}

func (p *GlobalAveragePooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	g := &p.geom
	p.dx = tensor.Ensure(p.dx, g.N, g.H, g.W, g.C)
	kernel.AvgPoolBackwardNHWC(g, dy.Data, p.dx.Data)
	return p.dx
}

func (p *GlobalMaxPooling2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g := &p.geom
	g.N = x.Len()
	p.y = p.ensureOut(p.Keepdims)
	if cap(p.arg) >= len(p.y.Data) {
		p.arg = p.arg[:len(p.y.Data)]
	} else {
		p.arg = make([]int32, len(p.y.Data))
	}
	kernel.MaxPoolNHWC(g, x.Data, p.y.Data, p.arg)
	return p.y
}

func (p *GlobalMaxPooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	g := &p.geom
	p.dx = tensor.Ensure(p.dx, g.N, g.H, g.W, g.C)
	kernel.MaxPoolBackwardNHWC(g, dy.Data, p.arg, p.dx.Data)
	return p.dx
}
