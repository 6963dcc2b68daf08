package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// AdaptiveMaxPooling2D takes the maximum of (batch, h, w, c) over a grid
// of OutputSize[0] x OutputSize[1] bins whatever h and w are (adaptivePool
// has the rule). Keras 3's layer is
// keras/src/layers/pooling/adaptive_max_pooling2d.py; its output_size has
// no default.
type AdaptiveMaxPooling2D struct {
	Trainability
	Name       string
	OutputSize [2]int // (height, width) of the output

	adaptivePool
}

func init() {
	register("AdaptiveMaxPooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AdaptiveMaxPooling2D{OutputSize: r.outputSize(2)}
	})
}

func (p *AdaptiveMaxPooling2D) LayerName() string     { return p.Name }
func (p *AdaptiveMaxPooling2D) SetLayerName(s string) { p.Name = s }
func (p *AdaptiveMaxPooling2D) Class() string         { return "AdaptiveMaxPooling2D" }
func (p *AdaptiveMaxPooling2D) Params() []*Param      { return nil }

func (p *AdaptiveMaxPooling2D) Config() map[string]any {
	return adaptiveConfig(p.Name, p.OutputSize[:])
}

func (p *AdaptiveMaxPooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	return adaptiveShape(p.Class(), p.OutputSize, in)
}

func (p *AdaptiveMaxPooling2D) Build(in tensor.Shape, _ *rand.Rand) error {
	return p.build(p.Class(), p.OutputSize, in)
}

func (p *AdaptiveMaxPooling2D) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	return p.maxForward(x)
}

func (p *AdaptiveMaxPooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.maxBackward(dy)
}
