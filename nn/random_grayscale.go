package nn

// RandomGrayscale, as Keras 3's keras.layers.RandomGrayscale
// (keras/src/layers/preprocessing/image_preprocessing/random_grayscale.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// RandomGrayscale turns some RGB images gray: every channel of a chosen
// image becomes 0.2989 R + 0.5870 G + 0.1140 B (rgb_to_grayscale's
// weights). An image is chosen when a uniform draw in [0, 1) is below
// Factor, the probability; its zero value is Keras's default, 0.5. At
// inference the layer is the identity (as in Keras from the version whose
// transform_images checks training; earlier ones also converted at
// inference). The gradient of a gray image goes to each channel by its
// weight.
type RandomGrayscale struct {
	Trainability
	Name   string
	Factor float64 // probability of turning an image gray, in (0, 1]; zero: 0.5

	augRand
	apply []bool // per image
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomGrayscale", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomGrayscale{}
		if v, present := r.Get("factor"); present {
			f, ok := config.Number(v)
			switch {
			case !ok || f < 0 || f > 1:
				r.fail("factor", v, "a number in [0, 1]")
			case f == 0:
				r.Failf(`"factor" 0 never turns an image gray; leave the layer out`)
			default:
				l.Factor = f
			}
		}
		return l
	})
}

func (l *RandomGrayscale) LayerName() string     { return l.Name }
func (l *RandomGrayscale) SetLayerName(s string) { l.Name = s }
func (l *RandomGrayscale) Class() string         { return "RandomGrayscale" }
func (l *RandomGrayscale) Params() []*Param      { return nil }
func (l *RandomGrayscale) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = l.factor()
	return m
}

func (l *RandomGrayscale) factor() float64 {
	if l.Factor == 0 {
		return 0.5
	}
	return l.Factor
}

func (l *RandomGrayscale) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if f := l.factor(); !(f > 0 && f <= 1) {
		return nil, fmt.Errorf("factor %v must be a probability in (0, 1]", l.Factor)
	}
	return in.Clone(), checkRGB(in)
}

func (l *RandomGrayscale) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomGrayscale) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.apply = l.apply[:0]
	for range x.Shape[0] {
		l.apply = append(l.apply, l.uniform(0, 1) < l.factor())
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	sz := x.Shape[1:].Size()
	for b, a := range l.apply {
		img, out := x.Data[b*sz:(b+1)*sz], l.y.Data[b*sz:(b+1)*sz]
		if !a {
			copy(out, img)
			continue
		}
		for i := 0; i < sz; i += 3 {
			g := gray(img[i : i+3])
			out[i], out[i+1], out[i+2] = g, g, g
		}
	}
	return l.y
}

// Backward gives each channel of a gray pixel its weight times the sum of
// the pixel's gradients.
func (l *RandomGrayscale) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	sz := dy.Shape[1:].Size()
	for b, a := range l.apply {
		g, out := dy.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		if !a {
			copy(out, g)
			continue
		}
		for i := 0; i < sz; i += 3 {
			s := g[i] + g[i+1] + g[i+2]
			out[i], out[i+1], out[i+2] = grayWeights[0]*s, grayWeights[1]*s, grayWeights[2]*s
		}
	}
	return l.dx
}
