package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

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
	register("GlobalMaxPooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalMaxPooling2D{Keepdims: r.Bool("keepdims", false)}
	})
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

func (p *GlobalMaxPooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	g, err := globalGeometry("GlobalMaxPooling2D", in)
	return globalShape(p.Keepdims, g.C), err
}

func (p *GlobalMaxPooling2D) Build(in tensor.Shape, _ *rand.Rand) (err error) {
	p.geom, err = globalGeometry("GlobalMaxPooling2D", in)
	return err
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
