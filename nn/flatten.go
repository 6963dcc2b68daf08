package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Flatten views each sample as one vector: (batch, h, w, c) -> (batch, h*w*c).
// It copies nothing.
type Flatten struct {
	Trainability
	Name       string
	InputShape tensor.Shape

	in      tensor.Shape
	out, dx tensor.Tensor // reused views
}

func init() {
	// Keys as keras/src/layers/reshaping/flatten.py get_config writes them.
	register("Flatten", func(r *cfgReader) Layer {
		r.channelsLast()
		return &Flatten{InputShape: r.inputShape()}
	})
}

func (f *Flatten) LayerName() string                { return f.Name }
func (f *Flatten) SetLayerName(s string)            { f.Name = s }
func (f *Flatten) Class() string                    { return "Flatten" }
func (f *Flatten) DeclaredInputShape() tensor.Shape { return f.InputShape }
func (f *Flatten) Params() []*Param                 { return nil }

func (f *Flatten) Config() map[string]any {
	m := baseConfig(f.Name, f.InputShape)
	m["data_format"] = "channels_last"
	return m
}

func (f *Flatten) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; nothing to flatten")
	}
	return tensor.Shape{in.Size()}, nil
}

func (f *Flatten) Build(in tensor.Shape, _ *rand.Rand) error {
	f.in = in.Clone()
	_, err := f.OutputShape(in)
	return err
}

func (f *Flatten) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return view(&f.out, x, tensor.Shape{f.in.Size()})
}

func (f *Flatten) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return view(&f.dx, dy, f.in)
}
