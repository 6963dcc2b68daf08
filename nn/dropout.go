package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Dropout zeroes a fraction Rate of its inputs during training and scales
// the rest by 1/(1-Rate) (inverted dropout, as Keras), so that inference
// is the identity.
type Dropout struct {
	Trainability
	Name string
	Rate float64 // in [0, 1)

	rng   *rand.Rand
	mask  []float32 // 0 or 1/(1-rate) per element of the last training Forward
	y, dx *tensor.Tensor
	train bool
}

func init() {
	// Keys as keras/src/layers/regularization/dropout.py get_config writes them.
	register("Dropout", func(r *cfgReader) Layer {
		r.seed()
		r.null("noise_shape", "gokeras draws an independent mask value per element (noise_shape null)")
		return &Dropout{Rate: r.Num("rate", 0)}
	})
}

func (d *Dropout) LayerName() string     { return d.Name }
func (d *Dropout) SetLayerName(s string) { d.Name = s }
func (d *Dropout) Class() string         { return "Dropout" }
func (d *Dropout) Params() []*Param      { return nil }
func (d *Dropout) Config() map[string]any {
	m := baseConfig(d.Name, nil)
	m["rate"] = d.Rate
	return m
}

func (d *Dropout) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if !(d.Rate >= 0 && d.Rate < 1) {
		return nil, fmt.Errorf("rate %v is outside [0, 1); it is the fraction of inputs to drop, e.g. 0.2", d.Rate)
	}
	return in.Clone(), nil
}

func (d *Dropout) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := d.OutputShape(in); err != nil {
		return err
	}
	// A private stream, so that masks do not depend on other layers' draws.
	d.rng = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	return nil
}

// Reseed restarts the mask stream (used to make a resumed run repeatable).
func (d *Dropout) Reseed(a, b uint64) { d.rng = rand.New(rand.NewPCG(a, b)) }

func (d *Dropout) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	d.train = training && d.Rate > 0
	if !d.train {
		return x
	}
	n := len(x.Data)
	if cap(d.mask) >= n {
		d.mask = d.mask[:n]
	} else {
		d.mask = make([]float32, n)
	}
	keep := float32(1 / (1 - d.Rate))
	// Compare 32-bit draws against a threshold: one draw per element from a
	// counter-based stream keyed by one draw of the layer's generator, so
	// the mask depends only on the seed and the element count.
	thr := uint32(d.Rate * (1 << 32))
	d.y = tensor.Ensure(d.y, x.Shape...)
	kernel.Dropout(d.y.Data, x.Data, d.mask, d.rng.Uint64(), thr, keep)
	return d.y
}

func (d *Dropout) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !d.train {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Shape...)
	kernel.Mul(d.dx.Data, dy.Data, d.mask)
	return d.dx
}
