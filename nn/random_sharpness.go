package nn

// RandomSharpness, as Keras 3's keras.layers.RandomSharpness
// (keras/src/layers/preprocessing/image_preprocessing/random_sharpness.py).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomSharpness blends each image with a blurred copy: x' = clip(x +
// (1 - 2f)·(blur(x) - x), ValueRange), f drawn per image from Factor, so
// f = 0 gives the blurred image, 0.5 the image itself and 1 a sharpened
// one. The blur is Keras's 3×3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]]/13
// on each channel with zero padding ("same"), so border pixels darken
// when blurred, as in Keras. Factor follows BaseImagePreprocessingLayer.
// _set_factor with bounds (0, 1): a number f gives (0, f), a pair is
// sorted. Keras requires factor; the zero value (0, 0) always blurs.
// ValueRange's zero value is Keras's default, (0, 255). At inference the
// layer is the identity.
type RandomSharpness struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper)
	ValueRange [2]float64 // (min, max) the output is clipped to; zero: (0, 255)

	augRand
	c     []float32      // per image: 1 - 2f
	z     *tensor.Tensor // before clipping
	blur  *tensor.Tensor
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomSharpness", func(r *cfgReader) Layer {
		r.augment()
		if _, present := r.Get("factor"); !present {
			r.Failf(`"factor" is required, e.g. 0.5 (no change) or [0.3, 0.7]`)
		}
		return &RandomSharpness{Factor: r.baseFactor("factor", 0, 1), ValueRange: r.valueRange(true)}
	})
}

func (l *RandomSharpness) LayerName() string     { return l.Name }
func (l *RandomSharpness) SetLayerName(s string) { l.Name = s }
func (l *RandomSharpness) Class() string         { return "RandomSharpness" }
func (l *RandomSharpness) Params() []*Param      { return nil }
func (l *RandomSharpness) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomSharpness) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, 0, 1); err != nil {
		return nil, err
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomSharpness) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

// sharpBlur writes into y the blur of each channel of the images x
// (N, H, W, C): the 3×3 kernel with 5/13 at the centre and 1/13 around it,
// zero beyond the border. The kernel is symmetric, so the same function
// is its own transpose (Backward uses it).
func sharpBlur(y, x []float32, n, h, w, c int) {
	const a, b = float32(1.0 / 13), float32(5.0 / 13)
	for img := range n {
		src, dst := x[img*h*w*c:(img+1)*h*w*c], y[img*h*w*c:(img+1)*h*w*c]
		for i := range h {
			for j := range w {
				for ch := range c {
					var s float32
					for di := -1; di <= 1; di++ {
						for dj := -1; dj <= 1; dj++ {
							ii, jj := i+di, j+dj
							if ii < 0 || ii >= h || jj < 0 || jj >= w || di == 0 && dj == 0 {
								continue
							}
							s += src[(ii*w+jj)*c+ch]
						}
					}
					dst[(i*w+j)*c+ch] = a*s + b*src[(i*w+j)*c+ch]
				}
			}
		}
	}
}

func (l *RandomSharpness) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.c = l.c[:0]
	for range x.Shape[0] {
		l.c = append(l.c, float32(1-2*l.uniform(l.Factor[0], l.Factor[1])))
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	l.blur = tensor.Ensure(l.blur, x.Shape...)
	l.z = tensor.Ensure(l.z, x.Shape...)
	l.y = tensor.Ensure(l.y, x.Shape...)
	sharpBlur(l.blur.Data, x.Data, n, h, w, c)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	sz := h * w * c
	for b, k := range l.c {
		for i := b * sz; i < (b+1)*sz; i++ {
			v := x.Data[i] + k*(l.blur.Data[i]-x.Data[i])
			l.z.Data[i] = v
			l.y.Data[i] = min(max(v, lo), hi)
		}
	}
	return l.y
}

// Backward: z = (1-k)·x + k·B x with B the (symmetric) blur, so
// dx = (1-k)·dz + k·B dz, dz being dy where z was not clipped.
func (l *RandomSharpness) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	for i, g := range dy.Data {
		if v := l.z.Data[i]; v < lo || v > hi {
			g = 0
		}
		l.dx.Data[i] = g
	}
	n, h, w, c := dy.Shape[0], dy.Shape[1], dy.Shape[2], dy.Shape[3]
	sharpBlur(l.blur.Data, l.dx.Data, n, h, w, c) // B dz, reusing blur's buffer
	sz := h * w * c
	for b, k := range l.c {
		for i := b * sz; i < (b+1)*sz; i++ {
			l.dx.Data[i] = (1-k)*l.dx.Data[i] + k*l.blur.Data[i]
		}
	}
	return l.dx
}
