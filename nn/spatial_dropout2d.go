package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// SpatialDropout2D is Dropout that drops whole channels: in training each
// (example, channel) is zeroed with probability Rate, at every position of
// the (height, width, channels) input, and the kept ones are scaled by
// 1/(1-Rate); at inference it is the identity. Keras 3's
// keras/src/layers/regularization/spatial_dropout.py (noise shape
// (batch, 1, 1, channels) for channels_last).
type SpatialDropout2D struct {
	Trainability
	Name string
	Rate float64 // in [0, 1)

	noiseStream
	cols  int
	mask  []float32 // 0 or 1/(1-rate) per (example, channel) of the last training Forward
	y, dx *tensor.Tensor
	train bool
}

func init() {
	// Keys as BaseSpatialDropout.get_config and SpatialDropout2D's write
	// them: rate, seed, data_format (and name, dtype).
	register("SpatialDropout2D", func(r *cfgReader) Layer {
		r.seed()
		r.channelsLast()
		return &SpatialDropout2D{Rate: r.Num("rate", 0)}
	})
}

func (d *SpatialDropout2D) LayerName() string     { return d.Name }
func (d *SpatialDropout2D) SetLayerName(s string) { d.Name = s }
func (d *SpatialDropout2D) Class() string         { return "SpatialDropout2D" }
func (d *SpatialDropout2D) Params() []*Param      { return nil }

func (d *SpatialDropout2D) Config() map[string]any {
	m := baseConfig(d.Name, nil)
	m["rate"] = d.Rate
	m["seed"] = nil
	m["data_format"] = "channels_last"
	return m
}

func (d *SpatialDropout2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRate(d.Rate); err != nil {
		return nil, err
	}
	if len(in) != 3 {
		return nil, fmt.Errorf("input shape %v is not (height, width, channels); SpatialDropout2D drops channels of images (use Dropout for other inputs)", withBatch(in))
	}
	return in.Clone(), nil
}

func (d *SpatialDropout2D) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := d.OutputShape(in); err != nil {
		return err
	}
	d.cols = in[2]
	d.split(rng)
	return nil
}

func (d *SpatialDropout2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	d.train = training && d.Rate > 0
	if !d.train {
		return x
	}
	c := d.cols
	batch := x.Shape[0]
	per := len(x.Data) / batch
	d.mask = grow(d.mask, batch*c)
	keep := float32(1 / (1 - d.Rate))
	for i := range d.mask {
		if d.rng.Float64() < d.Rate {
			d.mask[i] = 0
		} else {
			d.mask[i] = keep
		}
	}
	d.y = tensor.Ensure(d.y, x.Shape...)
	spatialScale(d.y.Data, x.Data, d.mask, batch, per, c)
	return d.y
}

func (d *SpatialDropout2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !d.train {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Shape...)
	batch := dy.Shape[0]
	spatialScale(d.dx.Data, dy.Data, d.mask, batch, len(dy.Data)/batch, d.cols)
	return d.dx
}

// spatialScale sets dst = src * mask[example, channel] for batch examples
// of per values with c channels last.
func spatialScale(dst, src, mask []float32, batch, per, c int) {
	for n := range batch {
		m := mask[n*c : (n+1)*c]
		s, o := src[n*per:(n+1)*per], dst[n*per:(n+1)*per]
		for i := 0; i < per; i += c {
			for j, k := range m {
				o[i+j] = s[i+j] * k
			}
		}
	}
}
