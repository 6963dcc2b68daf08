package nn

// RandomColorJitter, as Keras 3's keras.layers.RandomColorJitter
// (keras/src/layers/preprocessing/image_preprocessing/
// random_color_jitter.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomColorJitter applies, in this order, RandomBrightness,
// RandomContrast, RandomSaturation and RandomHue to each training batch,
// each when its factor is given (nil leaves it out), all with ValueRange,
// as Keras's layer builds and calls them. The factors read as those layers
// read theirs. At inference it is the identity.
type RandomColorJitter struct {
	Trainability
	Name       string
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)
	Brightness *[2]float64
	Contrast   *[2]float64
	Saturation *[2]float64
	Hue        *[2]float64

	steps []Layer // the layers in use, built at Build
	train bool
}

func init() {
	register("RandomColorJitter", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomColorJitter{ValueRange: r.valueRange(false)}
		factor := func(key string, lo, hi float64) *[2]float64 {
			if v, ok := r.Get(key); !ok || v == nil {
				return nil
			}
			f := r.baseFactor(key, lo, hi)
			return &f
		}
		l.Brightness = factor("brightness_factor", -1, 1)
		l.Contrast = factor("contrast_factor", 0, 1)
		l.Saturation = factor("saturation_factor", -1, 1)
		l.Hue = factor("hue_factor", 0, 1)
		return l
	})
}

func (l *RandomColorJitter) LayerName() string     { return l.Name }
func (l *RandomColorJitter) SetLayerName(s string) { l.Name = s }
func (l *RandomColorJitter) Class() string         { return "RandomColorJitter" }
func (l *RandomColorJitter) Params() []*Param      { return nil }
func (l *RandomColorJitter) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	for key, f := range map[string]*[2]float64{"brightness_factor": l.Brightness, "contrast_factor": l.Contrast, "saturation_factor": l.Saturation, "hue_factor": l.Hue} {
		m[key] = nil
		if f != nil {
			m[key] = pairConfig(*f)
		}
	}
	m["seed"] = nil
	return m
}

// layers makes the sub-layers the factors ask for.
func (l *RandomColorJitter) layers() []Layer {
	vr := orDefaultRange(l.ValueRange)
	var out []Layer
	if l.Brightness != nil {
		out = append(out, &RandomBrightness{Factor: *l.Brightness, ValueRange: vr})
	}
	if l.Contrast != nil {
		out = append(out, &RandomContrast{Factor: *l.Contrast, ValueRange: vr})
	}
	if l.Saturation != nil {
		out = append(out, &RandomSaturation{Factor: *l.Saturation, ValueRange: vr})
	}
	if l.Hue != nil {
		out = append(out, &RandomHue{Factor: *l.Hue, ValueRange: vr})
	}
	return out
}

func (l *RandomColorJitter) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	for _, s := range l.layers() {
		if _, err := s.OutputShape(in); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Class(), err)
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomColorJitter) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.steps = l.layers()
	for _, s := range l.steps {
		if err := s.Build(in, rng); err != nil {
			return err
		}
	}
	return nil
}

// Reseed restarts the sub-layers' streams, each its own.
func (l *RandomColorJitter) Reseed(a, b uint64) {
	for i, s := range l.steps {
		k := uint64(i + 1)
		s.(interface{ Reseed(a, b uint64) }).Reseed(a^(0x9e3779b97f4a7c15*k), b+0xbf58476d1ce4e5b9*k)
	}
}

func (l *RandomColorJitter) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	for _, s := range l.steps {
		x = s.Forward(x, true)
	}
	return x
}

func (l *RandomColorJitter) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	for i := len(l.steps) - 1; i >= 0; i-- {
		dy = l.steps[i].Backward(dy)
	}
	return dy
}
