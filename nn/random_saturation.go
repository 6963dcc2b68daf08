package nn

// RandomSaturation, as Keras 3's keras.layers.RandomSaturation
// (keras/src/layers/preprocessing/image_preprocessing/random_saturation.py,
// the version with value_range that RandomColorJitter calls; HSV as
// keras/src/backend/numpy/image.py, after dm_pix).

import (
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomSaturation scales the saturation of each RGB image: in HSV, s
// becomes clip(s·k, ValueRange) with k = f/(1 - f + 1e-7), f drawn per
// image from Factor, and the image goes back to RGB. Without the clip a
// pixel becomes v + k·(c - v), v its largest channel: f = 0.5 leaves the
// image as it is, f = 0 makes it gray (every channel v). As in Keras's
// code: Factor follows BaseImagePreprocessingLayer._set_factor with bounds
// (-1, 1), so a number f gives (-|f|, |f|) (its docstring says [0, f]),
// and a negative draw makes k negative, clipped to ValueRange's min; the
// clip uses the pixel value range, not [0, 1]. Keras requires factor;
// ValueRange's zero value is Keras's default, (0, 255). At inference the
// layer is the identity.
type RandomSaturation struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper)
	ValueRange [2]float64 // (min, max) the saturation is clipped to; zero: (0, 255)

	augRand
	k     []float32 // per image
	train bool
	x     *tensor.Tensor
	y, dx *tensor.Tensor
}

func init() {
	register("RandomSaturation", func(r *cfgReader) Layer {
		r.augment()
		if _, present := r.Get("factor"); !present {
			r.Failf(`"factor" is required, e.g. [0.3, 0.7] (0.5 leaves images as they are)`)
		}
		return &RandomSaturation{Factor: r.baseFactor("factor", -1, 1), ValueRange: r.valueRange(true)}
	})
}

func (l *RandomSaturation) LayerName() string     { return l.Name }
func (l *RandomSaturation) SetLayerName(s string) { l.Name = s }
func (l *RandomSaturation) Class() string         { return "RandomSaturation" }
func (l *RandomSaturation) Params() []*Param      { return nil }
func (l *RandomSaturation) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomSaturation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, -1, 1); err != nil {
		return nil, err
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkRGB(in)
}

func (l *RandomSaturation) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

// hsvParts returns a pixel's value v, minimum mn and saturation s as
// rgb_to_hsv computes them (values below float32's epsilon count as 0).
func hsvParts(p []float32) (v, mn, s float32) {
	const eps = 1.1920929e-07
	r, g, b := p[0], p[1], p[2]
	if abs32(r) < eps {
		r = 0
	}
	if abs32(g) < eps {
		g = 0
	}
	if abs32(b) < eps {
		b = 0
	}
	v, mn = max(r, g, b), min(r, g, b)
	if v > 0 {
		s = (v - mn) / v
	}
	return v, mn, s
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

func (l *RandomSaturation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.k = l.k[:0]
	for range x.Shape[0] {
		f := float32(l.uniform(l.Factor[0], l.Factor[1]))
		l.k = append(l.k, f/(1-f+1e-7))
	}
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	sz := x.Shape[1:].Size()
	for b, k := range l.k {
		img, out := x.Data[b*sz:(b+1)*sz], l.y.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			v, mn, s := hsvParts(img[i : i+3])
			s2 := min(max(s*k, lo), hi)
			for c := range 3 {
				d := float32(0) // hsv_to_rgb's weight of channel c; hue 0 when s = 0
				if s > 0 {
					d = (img[i+c] - mn) / (v - mn)
				} else if c == 0 {
					d = 1
				}
				out[i+c] = v * (1 - s2 + s2*d)
			}
		}
	}
	return l.y
}

// Backward differentiates out_c = v·(1 - s' + s'·d_c): without the clip
// out_c = v + k·(c - v); with s' clipped to a constant C it is
// v·(1-C) + C·v·(c - mn)/(v - mn), through v (the largest channel) and mn
// (the smallest).
func (l *RandomSaturation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	sz := dy.Shape[1:].Size()
	for b, k := range l.k {
		img, g, out := l.x.Data[b*sz:(b+1)*sz], dy.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			p := img[i : i+3]
			v, mn, s := hsvParts(p)
			iv, imn := argMax3(p), argMin3(p)
			var d [3]float32
			switch sk := s * k; {
			case s > 0 && sk > lo && sk < hi:
				for c := range 3 {
					d[c] += k * g[i+c]
					d[iv] += (1 - k) * g[i+c]
				}
			case s > 0:
				C := min(max(sk, lo), hi)
				R := v - mn
				for c := range 3 {
					q := (p[c] - mn) / R
					if c == iv {
						d[iv] += g[i+c] // out = v
						continue
					}
					d[iv] += g[i+c] * ((1 - C) + C*q*(1-v/R))
					d[imn] += g[i+c] * C * v * (q - 1) / R
					d[c] += g[i+c] * C * v / R
				}
			default: // a gray pixel: out_c = v·(1 - C + C·[c = 0])
				C := min(max(float32(0), lo), hi)
				for c := range 3 {
					w := 1 - C
					if c == 0 {
						w = 1
					}
					d[iv] += g[i+c] * w
				}
			}
			copy(out[i:i+3], d[:])
		}
	}
	return l.dx
}

func argMax3(p []float32) int {
	i := 0
	if p[1] > p[i] {
		i = 1
	}
	if p[2] > p[i] {
		i = 2
	}
	return i
}

func argMin3(p []float32) int {
	i := 0
	if p[1] < p[i] {
		i = 1
	}
	if p[2] < p[i] {
		i = 2
	}
	return i
}
