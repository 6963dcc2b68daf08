package nn

// Solarization, as Keras 3's keras.layers.Solarization
// (keras/src/layers/preprocessing/image_preprocessing/solarization.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Solarization inverts the bright values of each image. On the image
// scaled from ValueRange to (0, 255) it computes r = clip(x + a, 0, 255),
// then r where r < t and 255 - r elsewhere, and scales back; a and t are
// drawn per image, a uniformly from [AdditionFactor[0], AdditionFactor[1]·255)
// and t from [ThresholdFactor[0], ThresholdFactor[1]·255) (Keras scales
// only the upper end). The factors are (lower, upper) pairs in [0, 1]; a
// number f in a Keras config is (0, f). Their zero values are Keras's
// defaults, (0, 0): nothing added and a threshold of 0, so every value is
// inverted. ValueRange's zero value is Keras's default, (0, 255). At
// inference the layer is the identity. The gradient passes where the sum
// was not clipped, negated where the value was inverted.
type Solarization struct {
	Trainability
	Name            string
	AdditionFactor  [2]float64 // (lower, upper) in [0, 1]
	ThresholdFactor [2]float64 // (lower, upper) in [0, 1]
	ValueRange      [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	add, thr []float32 // per image, on the (0, 255) scale
	train    bool
	sign     []int8 // per value: 0 clipped, 1 kept, -1 inverted
	y, dx    *tensor.Tensor
}

func init() {
	register("Solarization", func(r *cfgReader) Layer {
		r.augment()
		return &Solarization{AdditionFactor: r.unitFactor("addition_factor", false), ThresholdFactor: r.unitFactor("threshold_factor", false), ValueRange: r.valueRange(true)}
	})
}

// unitFactor reads a factor as Solarization's and RandomShear's own
// _set_factor do: a pair of numbers in [0, 1], sorted, or a number f in
// [0, 1] for (0, f), or (-f, f) when symmetric (RandomShear). A symmetric
// factor's pair may hold numbers down to -1: Keras's get_config writes
// (-f, f) for f, which its own _set_factor would then refuse, and a
// file Keras wrote must load.
func (r *cfgReader) unitFactor(key string, symmetric bool) [2]float64 {
	p, isPair, ok := r.numberOrPair(key)
	if !ok {
		return [2]float64{}
	}
	if !isPair {
		if p[0] < 0 || p[0] > 1 {
			r.Failf("%q is %v; want a number in [0, 1] or a list of two", key, jsonValue(r.M[key]))
			return [2]float64{}
		}
		if symmetric {
			return [2]float64{-p[0], p[0]}
		}
		p = [2]float64{0, p[0]}
	}
	lo := 0.0
	if symmetric {
		lo = -1
	}
	if p[0] < lo || p[0] > 1 || p[1] < lo || p[1] > 1 {
		r.Failf("%q is %v; want a number in [0, 1] or a list of two in [%v, 1]", key, jsonValue(r.M[key]), lo)
		return [2]float64{}
	}
	return [2]float64{min(p[0], p[1]), max(p[0], p[1])}
}

func (l *Solarization) LayerName() string     { return l.Name }
func (l *Solarization) SetLayerName(s string) { l.Name = s }
func (l *Solarization) Class() string         { return "Solarization" }
func (l *Solarization) Params() []*Param      { return nil }
func (l *Solarization) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["addition_factor"] = pairConfig(l.AdditionFactor)
	m["threshold_factor"] = pairConfig(l.ThresholdFactor)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *Solarization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	for _, f := range []struct {
		name string
		p    [2]float64
	}{{"addition_factor", l.AdditionFactor}, {"threshold_factor", l.ThresholdFactor}} {
		if !(f.p[0] >= 0 && f.p[0] <= f.p[1] && f.p[1] <= 1) {
			return nil, fmt.Errorf("%s %v must be a sorted (lower, upper) pair in [0, 1]", f.name, f.p)
		}
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *Solarization) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *Solarization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	l.add, l.thr = l.add[:0], l.thr[:0]
	for range x.Shape[0] {
		l.add = append(l.add, float32(l.uniform(l.AdditionFactor[0], l.AdditionFactor[1]*255)))
	}
	for range x.Shape[0] {
		l.thr = append(l.thr, float32(l.uniform(l.ThresholdFactor[0], l.ThresholdFactor[1]*255)))
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	if cap(l.sign) < len(x.Data) {
		l.sign = make([]int8, len(x.Data))
	}
	l.sign = l.sign[:len(x.Data)]
	vr := orDefaultRange(l.ValueRange)
	sz := x.Shape[1:].Size()
	for b := range l.add {
		a, t := l.add[b], l.thr[b]
		for i := b * sz; i < (b+1)*sz; i++ {
			v := to255(x.Data[i], vr) + a
			s := int8(1)
			if v < 0 || v > 255 {
				s, v = 0, min(max(v, 0), 255)
			}
			if v >= t {
				v = 255 - v
				s = -s
			}
			l.sign[i] = s
			l.y.Data[i] = from255(v, vr)
		}
	}
	return l.y
}

// Backward passes dy where the sum was not clipped, negated where the
// value was inverted.
func (l *Solarization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	for i, g := range dy.Data {
		l.dx.Data[i] = float32(l.sign[i]) * g
	}
	return l.dx
}
