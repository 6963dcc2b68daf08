package nn

// RandomInvert, as Keras 3's keras.layers.RandomInvert
// (keras/src/layers/preprocessing/image_preprocessing/random_invert.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomInvert inverts some images: x' = ValueRange[1] - x (Keras subtracts
// from the range's upper end only, so a range not starting at 0 maps
// outside itself, as in Keras). For each image it draws a probability p
// from Factor and inverts when a uniform draw in [0, 1) is below p.
// Factor follows BaseImagePreprocessingLayer._set_factor with bounds
// (0, 1): a number f gives (0, f), a pair is sorted. The zero values of
// Factor and ValueRange are Keras's defaults: (0, 1), so about half the
// images are inverted, and (0, 255). At inference the layer is the
// identity; the gradient of an inverted image is negated.
type RandomInvert struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) of the inversion probability; zero: (0, 1)
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	apply []bool // per image
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomInvert", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomInvert{Factor: r.baseFactor("factor", 0, 1), ValueRange: r.valueRange(false)}
		if _, present := r.Get("factor"); present && l.Factor == [2]float64{} {
			r.Failf(`"factor" 0 never inverts; leave the layer out`)
		}
		return l
	})
}

func (l *RandomInvert) LayerName() string     { return l.Name }
func (l *RandomInvert) SetLayerName(s string) { l.Name = s }
func (l *RandomInvert) Class() string         { return "RandomInvert" }
func (l *RandomInvert) Params() []*Param      { return nil }
func (l *RandomInvert) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.factor())
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomInvert) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Factor
}

func (l *RandomInvert) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.factor(), 0, 1); err != nil {
		return nil, err
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomInvert) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomInvert) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	f := l.factor()
	l.apply = l.apply[:0]
	for range x.Shape[0] {
		p := l.uniform(f[0], f[1])
		l.apply = append(l.apply, l.uniform(0, 1) < p)
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	invert(l.y.Data, x.Data, l.apply, float32(orDefaultRange(l.ValueRange)[1]))
	return l.y
}

// invert writes top - x for the images marked in apply, x for the others.
func invert(y, x []float32, apply []bool, top float32) {
	sz := len(x) / len(apply)
	for b, a := range apply {
		img, out := x[b*sz:(b+1)*sz], y[b*sz:(b+1)*sz]
		if !a {
			copy(out, img)
			continue
		}
		for i, v := range img {
			out[i] = top - v
		}
	}
}

// Backward negates the gradient of the inverted images.
func (l *RandomInvert) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	invert(l.dx.Data, dy.Data, l.apply, 0)
	return l.dx
}
