package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// UpSampling1D repeats every step of (batch, steps, channels) Size times
// along the steps, as Keras 3's UpSampling1D
// (keras/src/layers/reshaping/up_sampling1d.py, ops.repeat on axis 1):
// output step i is input step i/Size. It runs UpSampling2D ("nearest",
// size (1, Size)) over the height-1 view of the input; Backward sums each
// output gradient back into the step it came from.
type UpSampling1D struct {
	Trainability
	Name       string
	Size       int          // the factor; zero means 2, Keras's default
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	up UpSampling2D
	height1
}

func init() {
	// Keys as up_sampling1d.py get_config writes them: size, an integer
	// (Keras refuses a tuple and 0).
	register("UpSampling1D", func(r *cfgReader) Layer {
		return &UpSampling1D{Size: r.positiveInt("size", 2), InputShape: r.inputShape()}
	})
}

func (l *UpSampling1D) LayerName() string                { return l.Name }
func (l *UpSampling1D) SetLayerName(s string)            { l.Name = s }
func (l *UpSampling1D) Class() string                    { return "UpSampling1D" }
func (l *UpSampling1D) Params() []*Param                 { return nil }
func (l *UpSampling1D) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *UpSampling1D) size() int {
	if l.Size == 0 {
		return 2
	}
	return l.Size
}

func (l *UpSampling1D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["size"] = l.size()
	return m
}

func (l *UpSampling1D) up2D() (UpSampling2D, error) {
	if l.size() <= 0 {
		return UpSampling2D{}, fmt.Errorf("size %d must be positive: give the factor for the steps, e.g. 2", l.size())
	}
	return UpSampling2D{Name: l.Name, Size: [2]int{1, l.size()}}, nil
}

func (l *UpSampling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	l2, err := l.up2D()
	if err != nil {
		return nil, err
	}
	return outputShape1D(l.Class(), &l2, in)
}

func (l *UpSampling1D) Build(in tensor.Shape, rng *rand.Rand) (err error) {
	if l.up, err = l.up2D(); err != nil {
		return err
	}
	return l.build(l.Class(), &l.up, in, rng)
}

func (l *UpSampling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(&l.up, x, training)
}

func (l *UpSampling1D) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.backward(&l.up, dy) }

func (l *UpSampling1D) SkipInputGrad(skip bool) { l.skip(&l.up, skip) }
