package nn

// RandAugment, as Keras 3's keras.layers.RandAugment
// (keras/src/layers/preprocessing/image_preprocessing/rand_augment.py,
// the version with num_ops and factor, Keras 3.8 on; Cubuk et al.,
// "RandAugment", 2019).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// RandAugment applies NumOps operations to each training batch, a
// different random choice per batch: Keras's code shuffles its eleven
// operations and applies the first NumOps in that order to the whole
// batch, each operation drawing its own random values per image. The
// operations are AugMix's eleven (RandomShear, RandomTranslation and
// RandomRotation with Factor as their factors and the layer's
// interpolation, RandomBrightness, RandomColorDegeneration,
// RandomContrast, RandomSharpness and Solarization with Factor,
// RandomPosterization with max(1, int(8·Factor[1])) bits, AutoContrast,
// Equalization). Factor follows BaseImagePreprocessingLayer._set_factor
// with bounds (0, 1): a number f gives (0, f). The zero values are
// Keras's defaults: ValueRange (0, 255), NumOps 2, Factor 0.5, bilinear
// interpolation. At inference the layer is the identity.
type RandAugment struct {
	Trainability
	Name          string
	ValueRange    [2]float64
	NumOps        int
	Factor        [2]float64
	Interpolation Interpolation

	augRand
	ops   []Layer // one instance of each operation, made at Build
	perm  []int   // this batch's order of the operations
	train bool
	only  []int // tests: the operations to choose among, nil for all
}

func init() {
	register("RandAugment", func(r *cfgReader) Layer {
		r.augment()
		l := &RandAugment{ValueRange: r.valueRange(false), Factor: r.baseFactor("factor", 0, 1)}
		if v, ok := r.Get("num_ops"); ok {
			n, isNum := config.Number(v)
			if !isNum || n != float64(int(n)) || n < 1 || n > imageOps {
				r.fail("num_ops", v, fmt.Sprintf("a whole number from 1 to %d (the operations there are)", imageOps))
			}
			l.NumOps = int(n)
		}
		interp, err := ParseInterpolation(r.Str("interpolation", ""))
		r.setErr(err)
		l.Interpolation = interp
		return l
	})
}

func (l *RandAugment) LayerName() string     { return l.Name }
func (l *RandAugment) SetLayerName(s string) { l.Name = s }
func (l *RandAugment) Class() string         { return "RandAugment" }
func (l *RandAugment) Params() []*Param      { return nil }

// Config is Keras's get_config: the factor as the pair it holds.
func (l *RandAugment) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["num_ops"] = l.numOps()
	m["factor"] = pairConfig(l.factor())
	m["interpolation"] = l.Interpolation.String()
	m["seed"] = nil
	return m
}

func (l *RandAugment) numOps() int { return orInt(l.NumOps, 2) }
func (l *RandAugment) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 0.5}
	}
	return l.Factor
}

func (l *RandAugment) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	if f := l.factor(); !(f[0] >= 0 && f[0] <= f[1] && f[1] <= 1) {
		return nil, fmt.Errorf("factor %v must be a sorted (lower, upper) pair in [0, 1]", f)
	}
	if n := l.numOps(); n < 1 || n > imageOps {
		return nil, fmt.Errorf("num_ops is %d; give 1 to %d (the operations there are)", n, imageOps)
	}
	for k := range imageOps {
		if _, err := imageOp(k, l.factor(), orDefaultRange(l.ValueRange), l.Interpolation).OutputShape(in); err != nil {
			return nil, err
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *RandAugment) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.ops = make([]Layer, imageOps)
	for k := range l.ops {
		l.ops[k] = imageOp(k, l.factor(), orDefaultRange(l.ValueRange), l.Interpolation)
		// Each use reseeds the operation from the layer's stream.
		if err := l.ops[k].Build(in, rand.New(rand.NewPCG(0, 0))); err != nil {
			return err
		}
	}
	l.perm = make([]int, 0, imageOps)
	l.seed(rng)
	return nil
}

// Reseed restarts the layer's stream; the operations' streams are derived
// from it batch by batch.
func (l *RandAugment) Reseed(a, b uint64) { l.augRand.Reseed(a, b) }

func (l *RandAugment) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	r := l.stream()
	l.perm = l.perm[:0]
	if l.only != nil {
		l.perm = append(l.perm, l.only...)
	} else {
		for k := range imageOps {
			l.perm = append(l.perm, k)
		}
	}
	r.Shuffle(len(l.perm), func(i, j int) { l.perm[i], l.perm[j] = l.perm[j], l.perm[i] })
	l.perm = l.perm[:min(l.numOps(), len(l.perm))]
	y := x
	for _, k := range l.perm {
		s1, s2 := r.Uint64(), r.Uint64()
		if rs, ok := l.ops[k].(interface{ Reseed(a, b uint64) }); ok {
			rs.Reseed(s1, s2)
		}
		y = l.ops[k].Forward(y, true)
	}
	return y
}

// Backward runs back through this batch's operations.
func (l *RandAugment) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	for i := len(l.perm) - 1; i >= 0; i-- {
		dy = l.ops[l.perm[i]].Backward(dy)
	}
	return dy
}
