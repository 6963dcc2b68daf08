package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// SpatialDropout1D is Dropout that drops whole channels of (batch, steps,
// channels) sequences: in training each (example, channel) is zeroed with
// probability Rate at every step, and the kept ones are scaled by
// 1/(1-Rate); at inference it is the identity. Keras 3's
// keras/src/layers/regularization/spatial_dropout.py (noise shape
// (batch, 1, channels)). It runs SpatialDropout2D over the height-1 view
// of the input, whose noise shape (batch, 1, 1, channels) is the same.
type SpatialDropout1D struct {
	Trainability
	Name string
	Rate float64 // in [0, 1)

	drop SpatialDropout2D
	height1
}

func init() {
	// Keys as BaseSpatialDropout.get_config writes them: rate, seed (and
	// name, dtype); SpatialDropout1D takes no data_format.
	register("SpatialDropout1D", func(r *cfgReader) Layer {
		r.seed()
		return &SpatialDropout1D{Rate: r.Num("rate", 0)}
	})
}

func (d *SpatialDropout1D) LayerName() string     { return d.Name }
func (d *SpatialDropout1D) SetLayerName(s string) { d.Name = s }
func (d *SpatialDropout1D) Class() string         { return "SpatialDropout1D" }
func (d *SpatialDropout1D) Params() []*Param      { return nil }

func (d *SpatialDropout1D) Config() map[string]any {
	m := baseConfig(d.Name, nil)
	m["rate"] = d.Rate
	m["seed"] = nil
	return m
}

func (d *SpatialDropout1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRate(d.Rate); err != nil {
		return nil, err
	}
	if len(in) != 2 {
		return nil, fmt.Errorf("input shape %v is not (steps, channels); SpatialDropout1D drops channels of sequences (use Dropout for other inputs)", withBatch(in))
	}
	return in.Clone(), nil
}

func (d *SpatialDropout1D) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := d.OutputShape(in); err != nil {
		return err
	}
	d.drop = SpatialDropout2D{Name: d.Name, Rate: d.Rate}
	return d.build(d.Class(), &d.drop, in, rng)
}

func (d *SpatialDropout1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return d.forward(&d.drop, x, training)
}

func (d *SpatialDropout1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return d.backward(&d.drop, dy)
}

// Reseed restarts the noise stream (Fit calls it at each epoch so that a
// resumed run draws the same masks).
func (d *SpatialDropout1D) Reseed(a, b uint64) { d.drop.Reseed(a, b) }
