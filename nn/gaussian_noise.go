package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// GaussianNoise adds zero-mean normal noise of standard deviation Stddev
// to its input in training and is the identity at inference. Keras 3's
// keras/src/layers/regularization/gaussian_noise.py, which requires
// 0 <= stddev <= 1.
type GaussianNoise struct {
	Trainability
	Name   string
	Stddev float64 // in [0, 1]; 0 adds nothing

	noiseStream
	y     *tensor.Tensor
	train bool
}

func init() {
	register("GaussianNoise", func(r *cfgReader) Layer {
		r.seed()
		return &GaussianNoise{Stddev: r.Num("stddev", 0)}
	})
}

func (g *GaussianNoise) LayerName() string     { return g.Name }
func (g *GaussianNoise) SetLayerName(s string) { g.Name = s }
func (g *GaussianNoise) Class() string         { return "GaussianNoise" }
func (g *GaussianNoise) Params() []*Param      { return nil }

func (g *GaussianNoise) Config() map[string]any {
	m := baseConfig(g.Name, nil)
	m["stddev"] = g.Stddev
	m["seed"] = nil
	return m
}

func (g *GaussianNoise) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if !(g.Stddev >= 0 && g.Stddev <= 1) {
		return nil, fmt.Errorf("stddev %v is outside [0, 1], the range Keras accepts; it is the noise's standard deviation, e.g. 0.1", g.Stddev)
	}
	return in.Clone(), nil
}

func (g *GaussianNoise) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := g.OutputShape(in); err != nil {
		return err
	}
	g.split(rng)
	return nil
}

func (g *GaussianNoise) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	g.train = training && g.Stddev > 0
	if !g.train {
		return x
	}
	g.y = tensor.Ensure(g.y, x.Shape...)
	s := g.Stddev
	for i, v := range x.Data {
		g.y.Data[i] = v + float32(s*g.rng.NormFloat64())
	}
	return g.y
}

// Backward: the noise does not depend on x, so dx = dy.
func (g *GaussianNoise) Backward(dy *tensor.Tensor) *tensor.Tensor { return dy }
