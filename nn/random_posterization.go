package nn

// RandomPosterization, as Keras 3's keras.layers.RandomPosterization
// (keras/src/layers/preprocessing/image_preprocessing/
// random_posterization.py).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomPosterization keeps only the high bits of each 8-bit value: on the
// image scaled from ValueRange to (0, 255) and truncated to an integer, it
// clears the low 8-b bits and scales back. The number of bits b is drawn
// per image as Keras draws it: Factor[0] when both ends are equal, else an
// integer in [Factor[0], Factor[1]) (randint's upper end is excluded).
// Factor follows BaseImagePreprocessingLayer._set_factor with bounds
// (1, 8): a number f gives (1, f); here both ends must be whole numbers in
// [0, 8]. Keras requires factor; the zero value is refused. ValueRange's
// zero value is Keras's default, (0, 255). Values outside the range are
// clamped to it before the truncation (Keras's uint8 cast leaves them to
// the backend). At inference the layer is the identity; in training its
// gradient is zero, as the cast to integers has none.
type RandomPosterization struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) bits kept, whole numbers in [0, 8]
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	shift []uint8 // per image: 8 - bits
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomPosterization", func(r *cfgReader) Layer {
		r.augment()
		if _, present := r.Get("factor"); !present {
			r.Failf(`"factor" (the bits to keep, 1 to 8) is required, e.g. 4`)
		}
		return &RandomPosterization{Factor: r.baseFactor("factor", 1, 8), ValueRange: r.valueRange(true)}
	})
}

func (l *RandomPosterization) LayerName() string     { return l.Name }
func (l *RandomPosterization) SetLayerName(s string) { l.Name = s }
func (l *RandomPosterization) Class() string         { return "RandomPosterization" }
func (l *RandomPosterization) Params() []*Param      { return nil }
func (l *RandomPosterization) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = []any{int(l.Factor[0]), int(l.Factor[1])}
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomPosterization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	f := l.Factor
	if f == [2]float64{} {
		return nil, fmt.Errorf("factor (the bits to keep, 1 to 8) is required, e.g. (4, 4)")
	}
	if !(f[0] >= 0 && f[0] <= f[1] && f[1] <= 8) || f[0] != math.Trunc(f[0]) || f[1] != math.Trunc(f[1]) {
		return nil, fmt.Errorf("factor %v must be a sorted (lower, upper) pair of whole numbers of bits in [0, 8]", f)
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomPosterization) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomPosterization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	lo, hi := int(l.Factor[0]), int(l.Factor[1])
	l.shift = l.shift[:0]
	for range x.Shape[0] {
		bits := lo
		if lo != hi {
			bits = lo + l.stream().IntN(hi-lo)
		}
		l.shift = append(l.shift, uint8(8-bits))
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := orDefaultRange(l.ValueRange)
	sz := x.Shape[1:].Size()
	for b, s := range l.shift {
		for i := b * sz; i < (b+1)*sz; i++ {
			v := uint8(min(max(to255(x.Data[i], vr), 0), 255))
			l.y.Data[i] = from255(float32(v>>s<<s), vr)
		}
	}
	return l.y
}

// Backward is zero: the values are piecewise constant in the input.
func (l *RandomPosterization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	l.dx.Zero()
	return l.dx
}
