package nn

// RandomShear, as Keras 3's keras.layers.RandomShear
// (keras/src/layers/preprocessing/image_preprocessing/random_shear.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomShear shears each image: output pixel (y, x) reads the input at
// (y + sy·x, x + sx·y), Keras's matrix [[1, sx, 0], [sy, 1, 0]] about the
// top-left corner, with sx drawn from XFactor, sy from YFactor and both
// negated for about half the images (one sign per image). The factors are
// (lower, upper) pairs in [0, 1]; Keras's single number f is (-f, f) (its
// docstring says (0, f)). Their zero values are Keras's defaults, (0, 0):
// no shear. FillMode (default reflect, as Keras's code), Interpolation and
// FillValue are as RandomRotation's. At inference the layer is the
// identity.
type RandomShear struct {
	Trainability
	Name             string
	XFactor, YFactor [2]float64
	FillMode         FillMode
	Interpolation    Interpolation
	FillValue        float64

	warper
}

func init() {
	register("RandomShear", func(r *cfgReader) Layer {
		l := &RandomShear{XFactor: r.unitFactor("x_factor", true), YFactor: r.unitFactor("y_factor", true)}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomShear) LayerName() string     { return l.Name }
func (l *RandomShear) SetLayerName(s string) { l.Name = s }
func (l *RandomShear) Class() string         { return "RandomShear" }
func (l *RandomShear) Params() []*Param      { return nil }
func (l *RandomShear) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["x_factor"] = pairConfig(l.XFactor)
	m["y_factor"] = pairConfig(l.YFactor)
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomShear) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	for _, f := range []struct {
		name string
		p    [2]float64
	}{{"x_factor", l.XFactor}, {"y_factor", l.YFactor}} {
		if !(f.p[0] <= f.p[1]) || f.p[0] < -1 || f.p[1] > 1 {
			return nil, fmt.Errorf("%s %v must be a sorted (lower, upper) pair in [-1, 1]", f.name, f.p)
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomShear) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomShear) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

// shearWarp is Keras's transform [1, sx, 0, sy, 1, 0, 0, 0] in warp's
// (y, x) order.
func shearWarp(sx, sy float64) warp { return warp{1, sy, 0, sx, 1, 0} }

func (l *RandomShear) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(int, int) warp {
		sign := 1.0
		if l.uniform(0, 1) > 0.5 {
			sign = -1
		}
		sy := l.uniform(l.YFactor[0], l.YFactor[1])
		sx := l.uniform(l.XFactor[0], l.XFactor[1])
		return shearWarp(sign*sx, sign*sy)
	})
}

func (l *RandomShear) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}
