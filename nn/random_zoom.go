package nn

// RandomZoom, as Keras 3's keras.layers.RandomZoom
// (keras/src/layers/preprocessing/image_preprocessing/random_zoom.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomZoom zooms each image about its centre by 1+f, f drawn from
// HeightFactor (lower, upper) for the height and WidthFactor for the width.
// As in Keras, positive values zoom out (the image shrinks) and negative
// values zoom in; a single number f is (-|f|, |f|), every number in
// [-1, 1]. A nil WidthFactor (Keras's None) uses the height's draw for both
// axes, keeping the aspect ratio.
//
// As Keras's _get_zoom_matrix: transform [zx, 0, (w-1)/2*(1-zx), 0, zy,
// (h-1)/2*(1-zy), 0, 0].
type RandomZoom struct {
	Trainability
	Name          string
	HeightFactor  [2]float64
	WidthFactor   *[2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64

	warper
}

func init() {
	register("RandomZoom", func(r *cfgReader) Layer {
		l := &RandomZoom{HeightFactor: r.shiftFactor("height_factor")}
		if _, ok := r.Get("width_factor"); ok {
			f := r.shiftFactor("width_factor")
			l.WidthFactor = &f
		}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomZoom) LayerName() string     { return l.Name }
func (l *RandomZoom) SetLayerName(s string) { l.Name = s }
func (l *RandomZoom) Class() string         { return "RandomZoom" }
func (l *RandomZoom) Params() []*Param      { return nil }

// Config writes the factors as (lower, upper) pairs, which Keras reads back
// to the same layer.
func (l *RandomZoom) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["height_factor"] = pairConfig(l.HeightFactor)
	m["width_factor"] = nil
	if l.WidthFactor != nil {
		m["width_factor"] = pairConfig(*l.WidthFactor)
	}
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomZoom) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	// Keras: factors in [-1, 1]; a zoom of exactly 1-1 = 0 is degenerate but harmless.
	if err := checkRange("height_factor", l.HeightFactor, -1, 1); err != nil {
		return nil, err
	}
	if l.WidthFactor != nil {
		if err := checkRange("width_factor", *l.WidthFactor, -1, 1); err != nil {
			return nil, err
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomZoom) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomZoom) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

// zoomWarp is Keras's zoom matrix in warp's (y, x) order.
func zoomWarp(zy, zx float64, h, w int) warp {
	cy, cx := float64(h-1)/2, float64(w-1)/2
	return warp{zy, 0, cy * (1 - zy), 0, zx, cx * (1 - zx)}
}

func (l *RandomZoom) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		zy := 1 + l.uniform(l.HeightFactor[0], l.HeightFactor[1])
		zx := zy
		if l.WidthFactor != nil {
			zx = 1 + l.uniform(l.WidthFactor[0], l.WidthFactor[1])
		}
		return zoomWarp(zy, zx, h, w)
	})
}

func (l *RandomZoom) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}
