package nn

// RandomColorDegeneration, as Keras 3's keras.layers.RandomColorDegeneration
// (keras/src/layers/preprocessing/image_preprocessing/
// random_color_degeneration.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomColorDegeneration blends each RGB image with its grayscale
// version: x' = clip(x + f·(gray(x) - x), ValueRange), f drawn per image
// from Factor. Factor follows BaseImagePreprocessingLayer._set_factor with
// bounds (-1, 1), as Keras's code does (its docstring says [0, f]): a
// number f gives (-|f|, |f|), so a negative draw pushes colors away from
// gray; a pair is sorted. Keras requires factor; the zero value (0, 0)
// changes nothing. ValueRange's zero value is Keras's default, (0, 255).
// At inference the layer is the identity.
type RandomColorDegeneration struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) of the blend toward gray
	ValueRange [2]float64 // (min, max) the output is clipped to; zero: (0, 255)

	augRand
	f     []float32 // per image
	train bool
	z     *tensor.Tensor // before clipping
	y, dx *tensor.Tensor
}

func init() {
	register("RandomColorDegeneration", func(r *cfgReader) Layer {
		r.augment()
		if _, present := r.Get("factor"); !present {
			r.Failf(`"factor" is required, e.g. 0.5`)
		}
		return &RandomColorDegeneration{Factor: r.baseFactor("factor", -1, 1), ValueRange: r.valueRange(true)}
	})
}

func (l *RandomColorDegeneration) LayerName() string     { return l.Name }
func (l *RandomColorDegeneration) SetLayerName(s string) { l.Name = s }
func (l *RandomColorDegeneration) Class() string         { return "RandomColorDegeneration" }
func (l *RandomColorDegeneration) Params() []*Param      { return nil }
func (l *RandomColorDegeneration) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomColorDegeneration) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, -1, 1); err != nil {
		return nil, err
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkRGB(in)
}

func (l *RandomColorDegeneration) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomColorDegeneration) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.f = l.f[:0]
	for range x.Shape[0] {
		l.f = append(l.f, float32(l.uniform(l.Factor[0], l.Factor[1])))
	}
	l.z = tensor.Ensure(l.z, x.Shape...)
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	sz := x.Shape[1:].Size()
	for b, f := range l.f {
		img, z, out := x.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz], l.y.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			g := gray(img[i : i+3])
			for c := i; c < i+3; c++ {
				z[c] = img[c] + f*(g-img[c])
				out[c] = min(max(z[c], lo), hi)
			}
		}
	}
	return l.y
}

// Backward: z_c = (1-f)·x_c + f·gray(x), so where z was not clipped
// dx_k = (1-f)·dz_k + f·w_k·Σ_c dz_c.
func (l *RandomColorDegeneration) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	sz := dy.Shape[1:].Size()
	for b, f := range l.f {
		g, z, out := dy.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			var dz [3]float32
			for c := range 3 {
				if v := z[i+c]; v >= lo && v <= hi {
					dz[c] = g[i+c]
				}
			}
			s := dz[0] + dz[1] + dz[2]
			for c := range 3 {
				out[i+c] = (1-f)*dz[c] + f*grayWeights[c]*s
			}
		}
	}
	return l.dx
}
