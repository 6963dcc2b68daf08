package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// GaussianDropout multiplies its input by normal noise of mean 1 and
// standard deviation sqrt(Rate/(1-Rate)) in training (the variance of
// inverted Dropout with the same rate) and is the identity at inference.
// Keras 3's keras/src/layers/regularization/gaussian_dropout.py.
type GaussianDropout struct {
	Trainability
	Name string
	Rate float64 // in [0, 1)

	noiseStream
	noise []float32 // the factors of the last training Forward
	y, dx *tensor.Tensor
	train bool
}

func init() {
	register("GaussianDropout", func(r *cfgReader) Layer {
		r.seed()
		return &GaussianDropout{Rate: r.Num("rate", 0)}
	})
}

func (d *GaussianDropout) LayerName() string     { return d.Name }
func (d *GaussianDropout) SetLayerName(s string) { d.Name = s }
func (d *GaussianDropout) Class() string         { return "GaussianDropout" }
func (d *GaussianDropout) Params() []*Param      { return nil }

func (d *GaussianDropout) Config() map[string]any {
	m := baseConfig(d.Name, nil)
	m["rate"] = d.Rate
	m["seed"] = nil
	return m
}

func (d *GaussianDropout) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRate(d.Rate); err != nil {
		return nil, err
	}
	return in.Clone(), nil
}

func (d *GaussianDropout) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := d.OutputShape(in); err != nil {
		return err
	}
	d.split(rng)
	return nil
}

func (d *GaussianDropout) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	d.train = training && d.Rate > 0
	if !d.train {
		return x
	}
	d.noise = grow(d.noise, len(x.Data))
	sd := math.Sqrt(d.Rate / (1 - d.Rate))
	for i := range d.noise {
		d.noise[i] = float32(1 + sd*d.rng.NormFloat64())
	}
	d.y = tensor.Ensure(d.y, x.Shape...)
	kernel.Mul(d.y.Data, x.Data, d.noise)
	return d.y
}

func (d *GaussianDropout) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !d.train {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Shape...)
	kernel.Mul(d.dx.Data, dy.Data, d.noise)
	return d.dx
}
