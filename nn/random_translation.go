package nn

// RandomTranslation, as Keras 3's keras.layers.RandomTranslation
// (keras/src/layers/preprocessing/image_preprocessing/random_translation.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomTranslation shifts each image by a random fraction of its height
// and width: HeightFactor (lower, upper) = (-0.1, 0.1) shifts by up to 10%
// of the height, positive down; WidthFactor likewise, positive right.
// Keras's single number f is (-|f|, |f|); every number is in [-1, 1].
//
// As Keras's get_random_transformation and _get_translation_matrix: dy =
// u*height, dx = u*width with u drawn from the factors, and output pixel
// (x, y) reads the input at (x - dx, y - dy) (transform [1, 0, -dx, 0, 1,
// -dy, 0, 0]).
type RandomTranslation struct {
	Trainability
	Name          string
	HeightFactor  [2]float64
	WidthFactor   [2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64 // read with FillConstant

	warper
}

func init() {
	register("RandomTranslation", func(r *cfgReader) Layer {
		l := &RandomTranslation{HeightFactor: r.shiftFactor("height_factor"), WidthFactor: r.shiftFactor("width_factor")}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomTranslation) LayerName() string     { return l.Name }
func (l *RandomTranslation) SetLayerName(s string) { l.Name = s }
func (l *RandomTranslation) Class() string         { return "RandomTranslation" }
func (l *RandomTranslation) Params() []*Param      { return nil }

// Config writes the factors as (lower, upper) pairs, which Keras reads back
// to the same layer (Keras writes back the number or pair it was given).
func (l *RandomTranslation) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["height_factor"] = pairConfig(l.HeightFactor)
	m["width_factor"] = pairConfig(l.WidthFactor)
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomTranslation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRange("height_factor", l.HeightFactor, -1, 1); err != nil {
		return nil, err
	}
	if err := checkRange("width_factor", l.WidthFactor, -1, 1); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomTranslation) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomTranslation) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

// translationWarp reads, for an output pixel, the input point a shift by
// (dy, dx) pixels brings there.
func translationWarp(dy, dx float64) warp { return warp{1, 0, -dy, 0, 1, -dx} }

func (l *RandomTranslation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		dy := l.uniform(l.HeightFactor[0], l.HeightFactor[1]) * float64(h)
		dx := l.uniform(l.WidthFactor[0], l.WidthFactor[1]) * float64(w)
		return translationWarp(dy, dx)
	})
}

func (l *RandomTranslation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}
