package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

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
	register("AveragePooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AveragePooling2D{PoolSize: r.pair("pool_size"), Strides: r.pair("strides"), Padding: r.padding("padding")}
	})
}

func (p *AveragePooling2D) LayerName() string     { return p.Name }
func (p *AveragePooling2D) SetLayerName(s string) { p.Name = s }
func (p *AveragePooling2D) Class() string         { return "AveragePooling2D" }
func (p *AveragePooling2D) Params() []*Param      { return nil }

func (p *AveragePooling2D) Config() map[string]any {
	return poolConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}

func (p *AveragePooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := poolGeometry("AveragePooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return p.outputShape(g), err
}

func (p *AveragePooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = poolGeometry("AveragePooling2D", p.PoolSize, p.Strides, p.Padding, in)
	return err
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
