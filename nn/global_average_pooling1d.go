package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// GlobalAveragePooling1D averages each channel over the steps: (batch,
// steps, channels) -> (batch, channels), or (batch, 1, channels) with
// Keepdims, as Keras 3's GlobalAveragePooling1D
// (keras/src/layers/pooling/global_average_pooling1d.py and
// base_global_pooling.py). It runs GlobalAveragePooling2D over the
// height-1 view of the input.
//
// Keras's call also takes a mask, from Embedding(mask_zero=True) or a
// Masking layer upstream, and then averages the unmasked steps only.
// gokeras has neither layer, so no mask reaches this one: every step is
// averaged, which is what Keras does without a mask.
type GlobalAveragePooling1D struct {
	Trainability
	Name     string
	Keepdims bool // keep the steps axis as size 1, as Keras's keepdims=True

	pool GlobalAveragePooling2D
	height1
}

func init() {
	// Keys as base_global_pooling.py get_config writes them.
	register("GlobalAveragePooling1D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &GlobalAveragePooling1D{Keepdims: r.Bool("keepdims", false)}
	})
}

func (p *GlobalAveragePooling1D) LayerName() string     { return p.Name }
func (p *GlobalAveragePooling1D) SetLayerName(s string) { p.Name = s }
func (p *GlobalAveragePooling1D) Class() string         { return "GlobalAveragePooling1D" }
func (p *GlobalAveragePooling1D) Params() []*Param      { return nil }

func (p *GlobalAveragePooling1D) Config() map[string]any {
	m := baseConfig(p.Name, nil)
	m["data_format"] = "channels_last"
	m["keepdims"] = p.Keepdims
	return m
}

func (p *GlobalAveragePooling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	return outputShape1D(p.Class(), &GlobalAveragePooling2D{Keepdims: p.Keepdims}, in)
}

func (p *GlobalAveragePooling1D) Build(in tensor.Shape, rng *rand.Rand) error {
	p.pool = GlobalAveragePooling2D{Name: p.Name, Keepdims: p.Keepdims}
	return p.build(p.Class(), &p.pool, in, rng)
}

func (p *GlobalAveragePooling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.forward(&p.pool, x, training)
}

func (p *GlobalAveragePooling1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.backward(&p.pool, dy)
}
