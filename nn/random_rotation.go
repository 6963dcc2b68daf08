package nn

// RandomRotation, as Keras 3's keras.layers.RandomRotation
// (keras/src/layers/preprocessing/image_preprocessing/random_rotation.py).

import (
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomRotation rotates each image about its centre by a random angle of
// Factor (lower, upper) × 2π; positive angles turn counter-clockwise as the
// image is displayed (row 0 at the top). Keras's single number f (in
// [-1, 1]) is (-|f|, |f|); a pair is sorted and may reach beyond ±1 (more
// than a full turn), as BaseImagePreprocessingLayer._set_factor accepts.
type RandomRotation struct {
	Trainability
	Name          string
	Factor        [2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64

	warper
}

func init() {
	register("RandomRotation", func(r *cfgReader) Layer {
		l := &RandomRotation{Factor: r.baseFactor("factor", -1, 1)}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomRotation) LayerName() string     { return l.Name }
func (l *RandomRotation) SetLayerName(s string) { l.Name = s }
func (l *RandomRotation) Class() string         { return "RandomRotation" }
func (l *RandomRotation) Params() []*Param      { return nil }
func (l *RandomRotation) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomRotation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, -1, 1); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomRotation) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomRotation) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

// rotationWarp is Keras's rotation matrix [cos, -sin, x_offset, sin, cos,
// y_offset, 0, 0] with x_offset = ((w-1) - (cos*(w-1) - sin*(h-1)))/2 and
// y_offset = ((h-1) - (sin*(w-1) + cos*(h-1)))/2 (get_random_
// transformation): a turn by theta about ((h-1)/2, (w-1)/2), in warp's
// (y, x) order.
func rotationWarp(theta float64, h, w int) warp {
	s, c := math.Sin(theta), math.Cos(theta)
	hf, wf := float64(h-1), float64(w-1)
	xOff := (wf - (c*wf - s*hf)) / 2
	yOff := (hf - (s*wf + c*hf)) / 2
	return warp{c, s, yOff, -s, c, xOff}
}

func (l *RandomRotation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		return rotationWarp(2*math.Pi*l.uniform(l.Factor[0], l.Factor[1]), h, w)
	})
}

func (l *RandomRotation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}
