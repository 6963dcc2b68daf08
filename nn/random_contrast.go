package nn

// RandomContrast, as Keras 3's keras.layers.RandomContrast
// (keras/src/layers/preprocessing/image_preprocessing/random_contrast.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomContrast scales each image's deviation from its mean and clips:
// x' = clip((x - mean)*k + mean, ValueRange), the mean taken over height
// and width per channel, k drawn per image from [1-Factor[0], 1+Factor[1]].
//
// Factor follows BaseImagePreprocessingLayer._set_factor with bounds
// (0, 1): a pair is sorted; Keras's single number f gives (0, f), so k is
// drawn from [1, 1+f] (the code's behaviour; the Keras docstring's "lower =
// upper" is not what it computes). ValueRange's zero value is Keras's
// default, (0, 255): with inputs already scaled to [0, 1] set (0, 1), as
// in Keras, or every value clips to [0, 255].
type RandomContrast struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper); k is drawn from [1-lower, 1+upper]
	ValueRange [2]float64 // (min, max) the output is clipped to; zero: (0, 255)

	augRand
	k     []float32 // per image
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomContrast", func(r *cfgReader) Layer {
		r.augment()
		return &RandomContrast{Factor: r.baseFactor("factor", 0, 1), ValueRange: r.valueRange(false)}
	})
}

func (l *RandomContrast) LayerName() string     { return l.Name }
func (l *RandomContrast) SetLayerName(s string) { l.Name = s }
func (l *RandomContrast) Class() string         { return "RandomContrast" }
func (l *RandomContrast) Params() []*Param      { return nil }
func (l *RandomContrast) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	m["value_range"] = pairConfig(l.valueRange())
	m["seed"] = nil
	return m
}

// defaultValueRange is the value_range default of Keras's image
// preprocessing layers.
var defaultValueRange = [2]float64{0, 255}

// orDefaultRange is v, or Keras's default value range for the zero value.
func orDefaultRange(v [2]float64) [2]float64 {
	if v == [2]float64{} {
		return defaultValueRange
	}
	return v
}

func (l *RandomContrast) valueRange() [2]float64 {
	if l.ValueRange == [2]float64{} {
		return defaultValueRange
	}
	return l.ValueRange
}

func (l *RandomContrast) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.Factor, 0, 1); err != nil {
		return nil, fmt.Errorf("%w; the contrast is drawn from [1-lower, 1+upper]", err)
	}
	if err := checkValueRange(l.valueRange()); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomContrast) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomContrast) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	n := x.Shape[0]
	l.k = l.k[:0]
	for range n {
		l.k = append(l.k, float32(l.uniform(1-l.Factor[0], 1+l.Factor[1])))
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := l.valueRange()
	contrast(l.y.Data, x.Data, l.k, x.Shape[1]*x.Shape[2], x.Shape[3], float32(vr[0]), float32(vr[1]))
	return l.y
}

// contrast writes clip((x - mean)*k + mean, lo, hi) for each image of x
// (hw pixels of c channels) with its k, as _adjust_contrast and
// transform_images compute it.
func contrast(y, x, ks []float32, hw, c int, lo, hi float32) {
	for b, k := range ks {
		img, out := x[b*hw*c:(b+1)*hw*c], y[b*hw*c:(b+1)*hw*c]
		for ch := range c {
			var s float64
			for i := ch; i < len(img); i += c {
				s += float64(img[i])
			}
			mean := float32(s / float64(hw))
			for i := ch; i < len(img); i += c {
				out[i] = min(max((img[i]-mean)*k+mean, lo), hi)
			}
		}
	}
}

// Backward: dx = k*g + (1-k)*mean(g) per image and channel, where g is dy
// with the outputs at the clip bounds zeroed.
func (l *RandomContrast) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	hw, c := dy.Shape[1]*dy.Shape[2], dy.Shape[3]
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := l.valueRange()
	lo, hi := float32(vr[0]), float32(vr[1])
	for b, k := range l.k {
		g, d, y := dy.Data[b*hw*c:(b+1)*hw*c], l.dx.Data[b*hw*c:(b+1)*hw*c], l.y.Data[b*hw*c:(b+1)*hw*c]
		for ch := range c {
			var s float64
			for i := ch; i < len(g); i += c {
				gi := g[i]
				if y[i] <= lo || y[i] >= hi {
					gi = 0
				}
				d[i] = gi
				s += float64(gi)
			}
			m := (1 - k) * float32(s/float64(hw))
			for i := ch; i < len(g); i += c {
				d[i] = k*d[i] + m
			}
		}
	}
	return l.dx
}
