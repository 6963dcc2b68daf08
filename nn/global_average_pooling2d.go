package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// GlobalAveragePooling2D averages each channel over height and width:
// (batch, h, w, c) -> (batch, c), or (batch, 1, 1, c) with Keepdims.
type GlobalAveragePooling2D struct {
	Trainability
	Name     string
	Keepdims bool // keep the spatial axes as size 1, as Keras's keepdims=True
	pool2D
}

func init() {
	// Keys as keras/src/layers/pooling/base_global_pooling.py get_config
	// writes them.
	register("GlobalAveragePooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalAveragePooling2D{Keepdims: r.Bool("keepdims", false)}
	})
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

func (p *GlobalAveragePooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := globalGeometry("GlobalAveragePooling2D", in)
	return globalShape(p.Keepdims, g.C), err
}

func (p *GlobalAveragePooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = globalGeometry("GlobalAveragePooling2D", in)
	return err
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
