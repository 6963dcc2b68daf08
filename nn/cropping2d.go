package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Cropping2D cuts rows and columns off the borders of channels-last
// images, as Keras 3's Cropping2D (keras/src/layers/reshaping/
// cropping2d.py). Cropping is ((top, bottom), (left, right)); Keras's int
// c is ((c, c), (c, c)) and its pair (a, b) is ((a, a), (b, b)). The zero
// value is Keras's default, which crops nothing. As in Keras, what is cut
// from an axis must leave at least one row or column.
type Cropping2D struct {
	Trainability
	Name       string
	Cropping   [2][2]int    // ((top, bottom), (left, right)), each >= 0
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	in, out    tensor.Shape
	y, dx      *tensor.Tensor
	skipInputG bool
}

func init() {
	// Keys as keras/src/layers/reshaping/cropping2d.py get_config writes them.
	register("Cropping2D", func(r *cfgReader) Layer {
		l := &Cropping2D{InputShape: r.inputShape()}
		l.Cropping, _ = r.sides("cropping")
		r.channelsLast()
		return l
	})
}

func (l *Cropping2D) LayerName() string                { return l.Name }
func (l *Cropping2D) SetLayerName(s string)            { l.Name = s }
func (l *Cropping2D) Class() string                    { return "Cropping2D" }
func (l *Cropping2D) Params() []*Param                 { return nil }
func (l *Cropping2D) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Cropping2D) SkipInputGrad(skip bool)          { l.skipInputG = skip }

func (l *Cropping2D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["cropping"] = sidesConfig(l.Cropping)
	m["data_format"] = "channels_last"
	return m
}

func (l *Cropping2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImageInput(in); err != nil {
		return nil, err
	}
	c := l.Cropping
	out := tensor.Shape{in[0], in[1], in[2]}
	for axis, name := range []string{"rows", "columns"} {
		a, b := c[axis][0], c[axis][1]
		if a < 0 || b < 0 {
			return nil, fmt.Errorf("cropping %v has a negative entry; give the rows or columns to cut, ((top, bottom), (left, right)), each >= 0", c)
		}
		if a >= in[axis] || b >= in[axis]-a {
			return nil, fmt.Errorf("cropping %v cuts %d+%d of the input's %d %s, leaving none (input %v); crop less", c, a, b, in[axis], name, in)
		}
		out[axis] -= a + b
	}
	return out, nil
}

func (l *Cropping2D) Build(in tensor.Shape, _ *rand.Rand) error {
	out, err := l.OutputShape(in)
	if err != nil {
		return err
	}
	l.in, l.out = in.Clone(), out
	return nil
}

func (l *Cropping2D) identity() bool { return l.Cropping == ([2][2]int{}) }

func (l *Cropping2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		if err := l.Build(x.Shape[1:], nil); err != nil {
			panic(fmt.Sprintf("nn: %s: %v", l.Class(), err))
		}
	}
	if l.identity() {
		return x
	}
	l.y = tensor.Ensure(l.y, x.Shape[0], l.out[0], l.out[1], l.out[2])
	window(l.y.Data, x.Data, x.Shape[0], l.in, l.out, l.Cropping[0][0], l.Cropping[1][0], true)
	return l.y
}

func (l *Cropping2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.identity() {
		return dy
	}
	if l.skipInputG {
		return nil
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape[0], l.in[0], l.in[1], l.in[2])
	l.dx.Zero()
	window(l.dx.Data, dy.Data, dy.Shape[0], l.in, l.out, l.Cropping[0][0], l.Cropping[1][0], false)
	return l.dx
}
