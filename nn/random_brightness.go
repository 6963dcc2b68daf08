package nn

// RandomBrightness, as Keras 3's keras.layers.RandomBrightness
// (keras/src/layers/preprocessing/image_preprocessing/random_brightness.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomBrightness adds to each image a random delta and clips:
// x' = clip(x + u*(max-min), min, max), u drawn per image (the same for
// every pixel and channel) from Factor (lower, upper), (min, max) the
// ValueRange. Factor follows BaseImagePreprocessingLayer._set_factor with
// bounds (-1, 1): Keras's single number f (in [-1, 1]) is (-|f|, |f|), a
// pair is sorted; u = -1 makes the image black, u = 1 white. ValueRange's
// zero value is Keras's default, (0, 255); Keras sorts it.
type RandomBrightness struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper)
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	delta []float32 // per image
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomBrightness", func(r *cfgReader) Layer {
		r.augment()
		return &RandomBrightness{Factor: r.baseFactor("factor", -1, 1), ValueRange: r.valueRange(true)}
	})
}

func (l *RandomBrightness) LayerName() string     { return l.Name }
func (l *RandomBrightness) SetLayerName(s string) { l.Name = s }
func (l *RandomBrightness) Class() string         { return "RandomBrightness" }
func (l *RandomBrightness) Params() []*Param      { return nil }
func (l *RandomBrightness) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(l.valueRange())
	m["seed"] = nil
	return m
}

func (l *RandomBrightness) valueRange() [2]float64 {
	if l.ValueRange == [2]float64{} {
		return defaultValueRange
	}
	return l.ValueRange
}

func (l *RandomBrightness) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, -1, 1); err != nil {
		return nil, err
	}
	if err := checkValueRange(l.valueRange()); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomBrightness) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomBrightness) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	vr := l.valueRange()
	l.delta = l.delta[:0]
	for range x.Shape[0] {
		l.delta = append(l.delta, float32(l.uniform(l.Factor[0], l.Factor[1])*(vr[1]-vr[0])))
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	brightness(l.y.Data, x.Data, l.delta, x.Shape[1:].Size(), float32(vr[0]), float32(vr[1]))
	return l.y
}

// brightness writes clip(x + delta, lo, hi) for each image of x (sz values)
// with its delta, as transform_images computes it.
func brightness(y, x, delta []float32, sz int, lo, hi float32) {
	for b, d := range delta {
		img, out := x[b*sz:(b+1)*sz], y[b*sz:(b+1)*sz]
		for i, v := range img {
			out[i] = min(max(v+d, lo), hi)
		}
	}
}

// Backward passes dy where the output was not clipped.
func (l *RandomBrightness) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := l.valueRange()
	lo, hi := float32(vr[0]), float32(vr[1])
	for i, g := range dy.Data {
		if y := l.y.Data[i]; y <= lo || y >= hi {
			g = 0
		}
		l.dx.Data[i] = g
	}
	return l.dx
}
