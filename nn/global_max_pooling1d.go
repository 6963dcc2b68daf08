package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// GlobalMaxPooling1D takes each channel's maximum over the steps: (batch,
// steps, channels) -> (batch, channels), or (batch, 1, channels) with
// Keepdims, as Keras 3's GlobalMaxPooling1D
// (keras/src/layers/pooling/global_max_pooling1d.py and
// base_global_pooling.py; its call takes no mask). It runs
// GlobalMaxPooling2D over the height-1 view of the input.
type GlobalMaxPooling1D struct {
	Trainability
	Name     string
	Keepdims bool // keep the steps axis as size 1, as Keras's keepdims=True

	pool GlobalMaxPooling2D
	height1
}

func init() {
	// Keys as base_global_pooling.py get_config writes them.
	register("GlobalMaxPooling1D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalMaxPooling1D{Keepdims: r.Bool("keepdims", false)}
	})
}

func (p *GlobalMaxPooling1D) LayerName() string     { return p.Name }
func (p *GlobalMaxPooling1D) SetLayerName(s string) { p.Name = s }
func (p *GlobalMaxPooling1D) Class() string         { return "GlobalMaxPooling1D" }
func (p *GlobalMaxPooling1D) Params() []*Param      { return nil }

func (p *GlobalMaxPooling1D) Config() map[string]any {
	m := baseConfig(p.Name, nil)
	m["data_format"] = "channels_last"
	m["keepdims"] = p.Keepdims
	return m
}

func (p *GlobalMaxPooling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	return outputShape1D(p.Class(), &GlobalMaxPooling2D{Keepdims: p.Keepdims}, in)
}

func (p *GlobalMaxPooling1D) Build(in tensor.Shape, rng *rand.Rand) error {
	p.pool = GlobalMaxPooling2D{Name: p.Name, Keepdims: p.Keepdims}
	return p.build(p.Class(), &p.pool, in, rng)
}

func (p *GlobalMaxPooling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.forward(&p.pool, x, training)
}

func (p *GlobalMaxPooling1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.backward(&p.pool, dy)
}
