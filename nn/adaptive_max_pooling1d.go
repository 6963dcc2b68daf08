package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// AdaptiveMaxPooling1D pools (batch, steps, channels) down to (batch,
// OutputSize, channels) whatever the number of steps (adaptivePool has the
// rule), as Keras 3's keras/src/layers/pooling/adaptive_max_pooling1d.py.
// It runs AdaptiveMaxPooling2D over the height-1 view of the input.
type AdaptiveMaxPooling1D struct {
	Trainability
	Name       string
	OutputSize int // steps of the output

	pool AdaptiveMaxPooling2D
	height1
}

func init() {
	register("AdaptiveMaxPooling1D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AdaptiveMaxPooling1D{OutputSize: r.outputSize(1)[1]}
	})
}

func (p *AdaptiveMaxPooling1D) LayerName() string     { return p.Name }
func (p *AdaptiveMaxPooling1D) SetLayerName(s string) { p.Name = s }
func (p *AdaptiveMaxPooling1D) Class() string         { return "AdaptiveMaxPooling1D" }
func (p *AdaptiveMaxPooling1D) Params() []*Param      { return nil }

func (p *AdaptiveMaxPooling1D) Config() map[string]any {
	return adaptiveConfig(p.Name, p.OutputSize)
}

func (p *AdaptiveMaxPooling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := adaptiveSteps(p.Class(), p.OutputSize); err != nil {
		return nil, err
	}
	return outputShape1D(p.Class(), &AdaptiveMaxPooling2D{OutputSize: [2]int{1, p.OutputSize}}, in)
}

func (p *AdaptiveMaxPooling1D) Build(in tensor.Shape, rng *rand.Rand) error {
	if err := adaptiveSteps(p.Class(), p.OutputSize); err != nil {
		return err
	}
	p.pool = AdaptiveMaxPooling2D{Name: p.Name, OutputSize: [2]int{1, p.OutputSize}}
	return p.build(p.Class(), &p.pool, in, rng)
}

func (p *AdaptiveMaxPooling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.forward(&p.pool, x, training)
}

func (p *AdaptiveMaxPooling1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.backward(&p.pool, dy)
}
