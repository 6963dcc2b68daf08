package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// AdaptiveAveragePooling2D averages (batch, h, w, c) down to (batch,
// OutputSize[0], OutputSize[1], c) whatever h and w are: the window and
// stride follow from the sizes (adaptivePool has the rule). Keras 3's
// layer is keras/src/layers/pooling/adaptive_average_pooling2d.py; its
// output_size has no default.
type AdaptiveAveragePooling2D struct {
	Trainability
	Name       string
	OutputSize [2]int // (height, width) of the output

	adaptivePool
}

func init() {
	register("AdaptiveAveragePooling2D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AdaptiveAveragePooling2D{OutputSize: r.outputSize(2)}
	})
}

func (p *AdaptiveAveragePooling2D) LayerName() string     { return p.Name }
func (p *AdaptiveAveragePooling2D) SetLayerName(s string) { p.Name = s }
func (p *AdaptiveAveragePooling2D) Class() string         { return "AdaptiveAveragePooling2D" }
func (p *AdaptiveAveragePooling2D) Params() []*Param      { return nil }

func (p *AdaptiveAveragePooling2D) Config() map[string]any {
	return adaptiveConfig(p.Name, p.OutputSize[:])
}

func (p *AdaptiveAveragePooling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	return adaptiveShape(p.Class(), p.OutputSize, in)
}

func (p *AdaptiveAveragePooling2D) Build(in tensor.Shape, _ *rand.Rand) error {
	return p.build(p.Class(), p.OutputSize, in)
}

func (p *AdaptiveAveragePooling2D) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	return p.averageForward(x)
}

func (p *AdaptiveAveragePooling2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.averageBackward(dy)
}
