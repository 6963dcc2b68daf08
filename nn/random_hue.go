package nn

// RandomHue, as Keras 3's keras.layers.RandomHue
// (keras/src/layers/preprocessing/image_preprocessing/random_hue.py; HSV
// as keras/src/backend/numpy/image.py, after dm_pix).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomHue rotates the hue of each RGB image: on the image scaled from
// ValueRange to [0, 1], in HSV, h becomes h + δ wrapped into [0, 1], then
// RGB, clipped to [0, 1] and scaled back. Per image δ = ±f/2, f drawn from
// Factor and the sign by a fair draw. Factor follows BaseImagePreprocessing
// Layer._set_factor with bounds (0, 1): a number f gives (0, f); Keras
// requires factor and value_range (here ValueRange's zero value is
// (0, 255)). Training only: the version of Keras's code read also draws at
// inference, which its sibling layers do not; gokeras keeps inference
// deterministic. A pixel's output is min + (max - min)·d_c(h + δ), with
// d_c hsv_to_rgb's piecewise-linear channel weights, so the gradient is
// exact away from the pieces' edges.
type RandomHue struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) of f
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	delta []float32 // per image
	train bool
	x     *tensor.Tensor
	y, dx *tensor.Tensor
}

func init() {
	register("RandomHue", func(r *cfgReader) Layer {
		r.augment()
		if _, present := r.Get("factor"); !present {
			r.Failf(`"factor" is required, e.g. 0.5`)
		}
		if _, present := r.Get("value_range"); !present {
			r.Failf(`"value_range" is required, e.g. [0, 255]`)
		}
		return &RandomHue{Factor: r.baseFactor("factor", 0, 1), ValueRange: r.valueRange(false)}
	})
}

func (l *RandomHue) LayerName() string     { return l.Name }
func (l *RandomHue) SetLayerName(s string) { l.Name = s }
func (l *RandomHue) Class() string         { return "RandomHue" }
func (l *RandomHue) Params() []*Param      { return nil }
func (l *RandomHue) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomHue) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if f := l.Factor; !(f[0] <= f[1]) || f[0] > 1 || f[1] < 0 {
		return nil, fmt.Errorf("factor %v must be a sorted (lower, upper) pair with lower <= 1 and upper >= 0", f)
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkRGB(in)
}

func (l *RandomHue) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

// hueOf is rgb_to_hsv's hue of a pixel with largest channel v, smallest
// mn and range R = v - mn > 0, and which channel is the largest (Keras
// tests r first, then g).
func hueOf(p []float32, v, R float32) (h float32, top int) {
	r, g, b := p[0], p[1], p[2]
	norm := 1 / (6 * R)
	switch {
	case v == r:
		h, top = norm*(g-b), 0
	case v == g:
		h, top = norm*(b-r)+2.0/6, 1
	default:
		h, top = norm*(r-g)+4.0/6, 2
	}
	if h < 0 {
		h++
	}
	return h, top
}

// hueWeights are hsv_to_rgb's channel weights d_c at hue h, and their
// derivatives in h.
func hueWeights(h float32) (d, dd [3]float32) {
	dh := float32(math.Mod(float64(h), 1)) * 6
	if dh < 0 {
		dh += 6
	}
	// dr = clip(|dh-3| - 1, 0, 1); dg = clip(2 - |dh-2|, 0, 1); db = clip(2 - |dh-4|, 0, 1)
	piece := func(u, slope float32) (float32, float32) {
		switch {
		case u <= 0:
			return 0, 0
		case u >= 1:
			return 1, 0
		}
		return u, slope
	}
	sgn := func(x float32) float32 {
		if x < 0 {
			return -1
		}
		return 1
	}
	d[0], dd[0] = piece(abs32(dh-3)-1, 6*sgn(dh-3))
	d[1], dd[1] = piece(2-abs32(dh-2), -6*sgn(dh-2))
	d[2], dd[2] = piece(2-abs32(dh-4), -6*sgn(dh-4))
	return d, dd
}

func (l *RandomHue) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.delta = l.delta[:0]
	for range x.Shape[0] {
		sign := float32(1)
		if l.uniform(0, 1) > 0.5 {
			sign = -1
		}
		l.delta = append(l.delta, sign*float32(l.uniform(l.Factor[0], l.Factor[1]))*0.5)
	}
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, span := float32(vr[0]), float32(vr[1]-vr[0])
	sz := x.Shape[1:].Size()
	var p [3]float32
	for b, delta := range l.delta {
		img, out := x.Data[b*sz:(b+1)*sz], l.y.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			for c := range 3 {
				p[c] = (img[i+c] - lo) / span
			}
			v, mn, _ := hsvParts(p[:])
			R := v - mn
			h := float32(0)
			if R > 0 && v > 0 {
				h, _ = hueOf(p[:], v, R)
			}
			h = shiftHue(h, delta)
			d, _ := hueWeights(h)
			sat := float32(0)
			if v > 0 {
				sat = R / v
			}
			for c := range 3 {
				o := v * (1 - sat + sat*d[c])
				out[i+c] = min(max(o, 0), 1)*span + lo
			}
		}
	}
	return l.y
}

// shiftHue is Keras's h + δ with one wrap each way.
func shiftHue(h, delta float32) float32 {
	h += delta
	if h > 1 {
		h--
	}
	if h < 0 {
		h++
	}
	return h
}

// Backward: for a pixel with range R > 0, out_c = mn + R·d_c(h + δ) on
// the [0, 1] scale (the scaling cancels), with h = (a - b)/(6R) + const
// for the two channels a, b that are not the largest; the clip to [0, 1]
// is inactive there. A flat pixel passes its gradient through.
func (l *RandomHue) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, span := float32(vr[0]), float32(vr[1]-vr[0])
	sz := dy.Shape[1:].Size()
	var p [3]float32
	for b, delta := range l.delta {
		img, g, out := l.x.Data[b*sz:(b+1)*sz], dy.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		for i := 0; i < sz; i += 3 {
			for c := range 3 {
				p[c] = (img[i+c] - lo) / span
			}
			v, mn, _ := hsvParts(p[:])
			R := v - mn
			if !(R > 0 && v > 0) {
				copy(out[i:i+3], g[i:i+3])
				continue
			}
			h, top := hueOf(p[:], v, R)
			d, dd := hueWeights(shiftHue(h, delta))
			imn := argMin3(p[:])
			// dh/dx: h = (p[a] - p[b])/(6R) + const with (a, b) the
			// channels after top in r, g, b order; R = p[top] - p[imn].
			a, bb := (top+1)%3, (top+2)%3
			var dh [3]float32
			dh[a] += 1 / (6 * R)
			dh[bb] -= 1 / (6 * R)
			q := (p[a] - p[bb]) / (6 * R * R) // ∂h/∂R = -q
			dh[top] -= q
			dh[imn] += q
			var gx [3]float32
			for c := range 3 {
				gc := g[i+c]
				// out_c = mn + R·d_c(h): ∂/∂mn = 1 - d_c, ∂/∂v = d_c, ∂/∂h = R·d_c'
				gx[imn] += gc * (1 - d[c])
				gx[top] += gc * d[c]
				for j := range 3 {
					gx[j] += gc * R * dd[c] * dh[j]
				}
			}
			copy(out[i:i+3], gx[:])
		}
	}
	return l.dx
}
