package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

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

func init() {
	// Keys as keras/src/layers/pooling/base_pooling.py get_config writes them.
	register("MaxPooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &MaxPooling2D{PoolSize: r.pair("pool_size"), Strides: r.pair("strides"), Padding: r.padding("padding")}
	})
}

func (p *MaxPooling2D) LayerName() string     { return p.Name }
func (p *MaxPooling2D) SetLayerName(s string) { p.Name = s }
func (p *MaxPooling2D) Class() string         { return "MaxPooling2D" }
func (p *MaxPooling2D) Params() []*Param      { return nil }

func (p *MaxPooling2D) Config() map[string]any {
	return poolConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}

func (p *MaxPooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := poolGeometry("MaxPooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return p.outputShape(g), err
}

func (p *MaxPooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = poolGeometry("MaxPooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return err
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
