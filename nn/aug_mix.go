package nn

// AugMix, as Keras 3's keras.layers.AugMix
// (keras/src/layers/preprocessing/image_preprocessing/aug_mix.py; Hendrycks
// et al., "AugMix", 2020).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/internal/randdist"
	"github.com/gokeras/gokeras/tensor"
)

// AugMix mixes NumChains augmented copies of each training batch with the
// batch itself: each chain applies up to ChainDepth operations, each step
// choosing uniformly among the operations and "none"; the chains are
// weighted by a Dirichlet(Alpha) draw and the mix by a Beta(Alpha, Alpha)
// one, out = clip(w·x + (1-w)·Σ c_i·chain_i(x), ValueRange); the chain
// structure and those weights are drawn per batch, each operation draws
// per image, as Keras does. The operations are Keras's: RandomShear,
// RandomTranslation and RandomRotation with Factor as their factors (so,
// as in Keras's code, only in the positive direction), Solarization,
// RandomPosterization with max(1, int(8·Factor[1])) bits, AutoContrast,
// Equalization, and with AllOps (Keras's default) also RandomBrightness,
// RandomColorDegeneration, RandomContrast and RandomSharpness.
// Factor follows BaseImagePreprocessingLayer._set_factor with bounds
// (0, 1): a number f gives (0, f). The zero values are Keras's defaults:
// ValueRange (0, 255), NumChains and ChainDepth 3, Factor 0.3, Alpha 1;
// NoAllOps false is all_ops=True. Keras's get_config writes num_chains and
// chain_depth swapped; gokeras writes each under its name. At inference
// the layer is the identity.
type AugMix struct {
	Trainability
	Name                  string
	ValueRange            [2]float64
	NumChains, ChainDepth int
	Factor                [2]float64
	Alpha                 float64
	NoAllOps              bool
	Interpolation         Interpolation

	augRand
	in    tensor.Shape
	pools [][]Layer // per operation: instances, one per use in a batch
	used  []int     // per operation: instances used this batch
	// This batch's draws: per chain, the instances applied in order.
	chains  [][]Layer
	weights []float64
	w       float32
	train   bool
	x       *tensor.Tensor
	mixed   *tensor.Tensor // before the clip
	y, dx   *tensor.Tensor
	acc     *tensor.Tensor
	only    []int // tests: the operations to choose among, nil for all
}

func init() {
	register("AugMix", func(r *cfgReader) Layer {
		r.augment()
		l := &AugMix{ValueRange: r.valueRange(false), Factor: r.baseFactor("factor", 0, 1)}
		count := func(key string) int {
			v, ok := r.Get(key)
			if !ok || v == nil {
				return 0
			}
			n, isNum := config.Number(v)
			if !isNum || n != float64(int(n)) || n < 1 || n > 16 {
				r.fail(key, v, "a whole number from 1 to 16")
				return 0
			}
			return int(n)
		}
		l.NumChains, l.ChainDepth = count("num_chains"), count("chain_depth")
		if v, ok := r.Get("alpha"); ok && v != nil {
			a, isNum := config.Number(v)
			if !isNum || !(a > 0) {
				r.fail("alpha", v, "a number > 0")
			}
			l.Alpha = a
		}
		l.NoAllOps = !r.Bool("all_ops", true)
		interp, err := ParseInterpolation(r.Str("interpolation", ""))
		r.setErr(err)
		l.Interpolation = interp
		return l
	})
}

func (l *AugMix) LayerName() string     { return l.Name }
func (l *AugMix) SetLayerName(s string) { l.Name = s }
func (l *AugMix) Class() string         { return "AugMix" }
func (l *AugMix) Params() []*Param      { return nil }
func (l *AugMix) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["num_chains"] = l.numChains()
	m["chain_depth"] = l.chainDepth()
	m["factor"] = pairConfig(l.factor())
	m["alpha"] = l.alpha()
	m["all_ops"] = !l.NoAllOps
	m["interpolation"] = l.Interpolation.String()
	m["seed"] = nil
	return m
}

func (l *AugMix) numChains() int  { return orInt(l.NumChains, 3) }
func (l *AugMix) chainDepth() int { return orInt(l.ChainDepth, 3) }
func (l *AugMix) alpha() float64 {
	if l.Alpha == 0 {
		return 1
	}
	return l.Alpha
}
func (l *AugMix) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 0.3}
	}
	return l.Factor
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// op makes one instance of operation k (see imageOp).
func (l *AugMix) op(k int) Layer {
	return imageOp(k, l.factor(), orDefaultRange(l.ValueRange), l.Interpolation)
}

// imageOp makes one instance of operation k of the eleven that Keras's
// AugMix (AUGMENT_LAYERS_ALL, in its order; the first seven are
// AUGMENT_LAYERS) and RandAugment choose among, with their factor f: the
// geometric ones take f as their factors (so, as in Keras's code, only in
// the positive direction), posterization max(1, int(8·f[1])) bits.
func imageOp(k int, f, vr [2]float64, interp Interpolation) Layer {
	switch k {
	case 0:
		return &RandomShear{XFactor: f, YFactor: f, Interpolation: interp}
	case 1:
		return &RandomTranslation{HeightFactor: f, WidthFactor: f, Interpolation: interp}
	case 2:
		return &RandomRotation{Factor: f, Interpolation: interp}
	case 3:
		bits := max(1, int(8*f[1]))
		return &RandomPosterization{Factor: [2]float64{1, float64(bits)}, ValueRange: vr}
	case 4:
		return &Solarization{AdditionFactor: f, ThresholdFactor: f, ValueRange: vr}
	case 5:
		return &AutoContrast{ValueRange: vr}
	case 6:
		return &Equalization{ValueRange: vr}
	case 7:
		return &RandomBrightness{Factor: f, ValueRange: vr}
	case 8:
		return &RandomColorDegeneration{Factor: f, ValueRange: vr}
	case 9:
		return &RandomContrast{Factor: f, ValueRange: vr}
	}
	return &RandomSharpness{Factor: f, ValueRange: vr}
}

// imageOps is the number of operations imageOp makes.
const imageOps = 11

func (l *AugMix) numOps() int {
	if l.NoAllOps {
		return 7
	}
	return imageOps
}

func (l *AugMix) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	if f := l.factor(); !(f[0] >= 0 && f[0] <= f[1] && f[1] <= 1) {
		return nil, fmt.Errorf("factor %v must be a sorted (lower, upper) pair in [0, 1]", f)
	}
	if l.numChains() < 1 || l.chainDepth() < 1 || l.NumChains > 16 || l.ChainDepth > 16 || !(l.alpha() > 0) {
		return nil, fmt.Errorf("num_chains %d and chain_depth %d must be 1 to 16, alpha %v > 0", l.numChains(), l.chainDepth(), l.alpha())
	}
	for k := range l.numOps() {
		if _, err := l.op(k).OutputShape(in); err != nil {
			return nil, err
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *AugMix) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.in = in.Clone()
	l.pools = make([][]Layer, l.numOps())
	l.used = make([]int, l.numOps())
	l.seed(rng)
	return nil
}

// Reseed restarts the layer's stream; the operations' streams are derived
// from it batch by batch.
func (l *AugMix) Reseed(a, b uint64) { l.augRand.Reseed(a, b) }

// instance returns an unused instance of operation k for this batch,
// making one (once) when the pool is short.
func (l *AugMix) instance(k int) Layer {
	if l.used[k] == len(l.pools[k]) {
		op := l.op(k)
		// A fixed stream: every use reseeds the instance from AugMix's
		// own, so building one must not draw from it (a replayed batch
		// would then differ with the pools' sizes).
		if err := op.Build(l.in, rand.New(rand.NewPCG(0, 0))); err != nil {
			panic(fmt.Sprintf("nn: AugMix operation %s: %v", op.Class(), err)) // checked by OutputShape
		}
		l.pools[k] = append(l.pools[k], op)
	}
	op := l.pools[k][l.used[k]]
	l.used[k]++
	return op
}

func (l *AugMix) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	r := l.stream()
	nc, depth := l.numChains(), l.chainDepth()
	if cap(l.weights) < nc {
		l.weights = make([]float64, nc)
	}
	l.weights = l.weights[:nc]
	randdist.Dirichlet(r, l.alpha(), l.weights)
	l.w = float32(randdist.Beta(r, l.alpha(), l.alpha()))
	clear(l.used)
	if len(l.chains) != nc {
		l.chains = make([][]Layer, nc)
	}
	for c := range nc {
		l.chains[c] = l.chains[c][:0]
		for range depth {
			n := l.numOps()
			if l.only != nil {
				n = len(l.only)
			}
			if k := r.IntN(n + 1); k < n {
				if l.only != nil {
					k = l.only[k]
				}
				op := l.instance(k)
				s1, s2 := r.Uint64(), r.Uint64()
				if rs, ok := op.(interface{ Reseed(a, b uint64) }); ok { // AutoContrast and Equalization draw nothing
					rs.Reseed(s1, s2)
				}
				l.chains[c] = append(l.chains[c], op)
			}
		}
	}
	l.x = x
	l.mixed = tensor.Ensure(l.mixed, x.Shape...)
	for i, v := range x.Data {
		l.mixed.Data[i] = l.w * v
	}
	for c, chain := range l.chains {
		y := x
		for _, op := range chain {
			y = op.Forward(y, true)
		}
		cw := (1 - l.w) * float32(l.weights[c])
		for i, v := range y.Data {
			l.mixed.Data[i] += cw * v
		}
	}
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	l.y = tensor.Ensure(l.y, x.Shape...)
	for i, v := range l.mixed.Data {
		l.y.Data[i] = min(max(v, lo), hi)
	}
	return l.y
}

// Backward passes dy where the output was not clipped, to the input
// directly (times w) and back through each chain (times its weight).
func (l *AugMix) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	l.acc = tensor.Ensure(l.acc, dy.Shape...)
	for i, g := range dy.Data {
		if v := l.mixed.Data[i]; v < lo || v > hi {
			g = 0
		}
		l.acc.Data[i] = g
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	for i, g := range l.acc.Data {
		l.dx.Data[i] = l.w * g
	}
	for c, chain := range l.chains {
		cw := (1 - l.w) * float32(l.weights[c])
		g := l.acc
		for i := len(chain) - 1; i >= 0; i-- {
			g = chain[i].Backward(g)
		}
		for i, v := range g.Data {
			l.dx.Data[i] += cw * v
		}
	}
	return l.dx
}
