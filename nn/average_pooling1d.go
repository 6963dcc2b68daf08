package nn

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// AveragePooling1D averages each window of PoolSize steps, windows
// Strides apart, per channel of (batch, steps, channels), as Keras 3's
// AveragePooling1D (keras/src/layers/pooling/average_pooling1d.py and
// base_pooling.py). With padding "same" an edge window divides by the
// steps inside the sequence only, as Keras's ops.average_pool does on
// every backend (TensorFlow's avg_pool; keras/src/backend/jax/nn.py
// average_pool divides the padded sums by the pooled count of ones); the
// padding is TensorFlow's split, the smaller half first. It runs AveragePooling2D over the height-1 view of
// the input.
type AveragePooling1D struct {
	Trainability
	Name     string
	PoolSize int // zero means 2, Keras's default
	Strides  int // zero means PoolSize (Keras's strides=None)
	Padding  Padding

	pool AveragePooling2D
	height1
}

func init() {
	// Keys as base_pooling.py get_config writes them.
	register("AveragePooling1D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &AveragePooling1D{PoolSize: r.single("pool_size"), Strides: r.single("strides"), Padding: r.padding("padding")}
	})
}

func (p *AveragePooling1D) LayerName() string     { return p.Name }
func (p *AveragePooling1D) SetLayerName(s string) { p.Name = s }
func (p *AveragePooling1D) Class() string         { return "AveragePooling1D" }
func (p *AveragePooling1D) Params() []*Param      { return nil }

func (p *AveragePooling1D) Config() map[string]any {
	return pool1DConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}

func (p *AveragePooling1D) pool2D(in tensor.Shape) (AveragePooling2D, error) {
	size, strides, err := check1DPool(p.Class(), p.PoolSize, p.Strides, p.Padding, in)
	return AveragePooling2D{Name: p.Name, PoolSize: size, Strides: strides, Padding: p.Padding}, err
}

func (p *AveragePooling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	l2, err := p.pool2D(in)
	if err != nil {
		return nil, err
	}
	return outputShape1D(p.Class(), &l2, in)
}

func (p *AveragePooling1D) Build(in tensor.Shape, rng *rand.Rand) (err error) {
	if p.pool, err = p.pool2D(in); err != nil {
		return err
	}
	return p.build(p.Class(), &p.pool, in, rng)
}

func (p *AveragePooling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.forward(&p.pool, x, training)
}

func (p *AveragePooling1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return p.backward(&p.pool, dy)
}
