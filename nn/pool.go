package nn

import (
	"fmt"

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

func (p *pool2D) outputShape(g kernel.ConvGeom) tensor.Shape { return tensor.Shape{g.OH, g.OW, g.C} }

func (p *pool2D) prepare(x *tensor.Tensor) {
	g := &p.geom
	g.N = x.Len()
	p.y = tensor.Ensure(p.y, g.N, g.OH, g.OW, g.C)
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

// ensureOut sizes y for a global pool's output, (n, c) or (n, 1, 1, c):
// the same values either way.
func (p *pool2D) ensureOut(keep bool) *tensor.Tensor {
	g := &p.geom
	if keep {
		return tensor.Ensure(p.y, g.N, 1, 1, g.C)
	}
	return tensor.Ensure(p.y, g.N, g.C)
}
