package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Cropping1D cuts steps off the start and the end of (batch, steps,
// channels) sequences, as Keras 3's Cropping1D
// (keras/src/layers/reshaping/cropping1d.py): output step i is input step
// i+before. As in Keras, what is cut must leave at least one step. It runs
// Cropping2D over the height-1 view of the input.
type Cropping1D struct {
	Trainability
	Name string
	// Cropping is (before, after), each >= 0; nil is Keras's default,
	// (1, 1). (0, 0) crops nothing.
	Cropping   *[2]int
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	crop Cropping2D
	height1
}

func init() {
	// Keys as cropping1d.py get_config writes them: cropping, a pair
	// (Keras 3's Cropping1D takes no data_format).
	register("Cropping1D", func(r *cfgReader) Layer {
		l := &Cropping1D{InputShape: r.inputShape()}
		if c, ok := r.ends("cropping"); ok {
			l.Cropping = &c
		}
		return l
	})
}

func (l *Cropping1D) LayerName() string                { return l.Name }
func (l *Cropping1D) SetLayerName(s string)            { l.Name = s }
func (l *Cropping1D) Class() string                    { return "Cropping1D" }
func (l *Cropping1D) Params() []*Param                 { return nil }
func (l *Cropping1D) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Cropping1D) SkipInputGrad(skip bool)          { l.skip(&l.crop, skip) }

// cropping is Cropping with nil read as Keras's default (1, 1).
func (l *Cropping1D) cropping() [2]int {
	if l.Cropping == nil {
		return [2]int{1, 1}
	}
	return *l.Cropping
}

func (l *Cropping1D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	c := l.cropping()
	m["cropping"] = []int{c[0], c[1]}
	return m
}

func (l *Cropping1D) crop2D(in tensor.Shape) (Cropping2D, error) {
	c := l.cropping()
	if c[0] < 0 || c[1] < 0 {
		return Cropping2D{}, fmt.Errorf("cropping %v has a negative entry; give the steps to cut, (before, after), each >= 0", c)
	}
	if _, err := seqInput(l.Class(), in); err != nil {
		return Cropping2D{}, err
	}
	if c[0] >= in[0] || c[1] >= in[0]-c[0] {
		return Cropping2D{}, fmt.Errorf("cropping %v cuts %d+%d of the input's %d steps, leaving none (Keras: the cropping must be smaller than the steps); crop less", c, c[0], c[1], in[0])
	}
	return Cropping2D{Name: l.Name, Cropping: [2][2]int{{0, 0}, c}}, nil
}

func (l *Cropping1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	l2, err := l.crop2D(in)
	if err != nil {
		return nil, err
	}
	return outputShape1D(l.Class(), &l2, in)
}

func (l *Cropping1D) Build(in tensor.Shape, rng *rand.Rand) (err error) {
	if l.crop, err = l.crop2D(in); err != nil {
		return err
	}
	return l.build(l.Class(), &l.crop, in, rng)
}

func (l *Cropping1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(&l.crop, x, training)
}

func (l *Cropping1D) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.backward(&l.crop, dy) }
