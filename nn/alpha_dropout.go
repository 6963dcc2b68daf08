package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// AlphaDropout is the dropout for self-normalising (SELU) networks: in
// training each input is replaced with probability Rate by SELU's negative
// saturation alpha' = -scale*alpha ≈ -1.7581, and the result is mapped by
// a*x + b so that zero-mean, unit-variance inputs keep their mean and
// variance, with a = ((1-rate)(1+rate*alpha'²))^-1/2 and b = -a*alpha'*rate.
// At inference it is the identity. Keras 3's keras/src/layers/
// regularization/alpha_dropout.py.
type AlphaDropout struct {
	Trainability
	Name string
	Rate float64 // in [0, 1)

	noiseStream
	mask  []float32 // a where kept, 0 where dropped, of the last training Forward
	y, dx *tensor.Tensor
	train bool
}

// SELU's constants as alpha_dropout.py writes them.
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

func init() {
	register("AlphaDropout", func(r *cfgReader) Layer {
		r.seed()
		r.null("noise_shape", "gokeras draws an independent mask value per element (noise_shape null)")
		return &AlphaDropout{Rate: r.Num("rate", 0)}
	})
}

func (d *AlphaDropout) LayerName() string     { return d.Name }
func (d *AlphaDropout) SetLayerName(s string) { d.Name = s }
func (d *AlphaDropout) Class() string         { return "AlphaDropout" }
func (d *AlphaDropout) Params() []*Param      { return nil }

func (d *AlphaDropout) Config() map[string]any {
	m := baseConfig(d.Name, nil)
	m["rate"] = d.Rate
	m["seed"] = nil
	m["noise_shape"] = nil
	return m
}

func (d *AlphaDropout) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRate(d.Rate); err != nil {
		return nil, err
	}
	return in.Clone(), nil
}

func (d *AlphaDropout) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := d.OutputShape(in); err != nil {
		return err
	}
	d.split(rng)
	return nil
}

// alphaDropoutAffine returns Keras's a, b and alpha' for rate.
func alphaDropoutAffine(rate float64) (a, b, alphaP float64) {
	alphaP = -seluAlpha * seluScale
	a = math.Pow((1-rate)*(1+rate*alphaP*alphaP), -0.5)
	b = -a * alphaP * rate
	return a, b, alphaP
}

func (d *AlphaDropout) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	d.train = training && d.Rate > 0
	if !d.train {
		return x
	}
	a, b, alphaP := alphaDropoutAffine(d.Rate)
	dropped := float32(a*alphaP + b) // a*alpha' + b, the value of a dropped input
	af, bf := float32(a), float32(b)
	d.mask = grow(d.mask, len(x.Data))
	d.y = tensor.Ensure(d.y, x.Shape...)
	for i, v := range x.Data {
		// Keras keeps where uniform >= rate.
		if d.rng.Float64() >= d.Rate {
			d.mask[i] = af
			d.y.Data[i] = af*v + bf
		} else {
			d.mask[i] = 0
			d.y.Data[i] = dropped
		}
	}
	return d.y
}

// Backward: dx = a*dy where kept, 0 where dropped.
func (d *AlphaDropout) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !d.train {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Shape...)
	kernel.Mul(d.dx.Data, dy.Data, d.mask)
	return d.dx
}
