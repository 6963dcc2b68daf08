package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// MaxPooling1D keeps the largest value of each window of PoolSize steps,
// windows Strides apart, per channel of (batch, steps, channels), as Keras
// 3's MaxPooling1D (keras/src/layers/pooling/max_pooling1d.py and
// base_pooling.py). Output steps: floor((steps-pool)/strides)+1 with
// padding "valid", ceil(steps/strides) with "same", where the steps
// outside the sequence count as -inf (TensorFlow's split, the smaller
// half first). It runs MaxPooling2D over the height-1 view of the input.
type MaxPooling1D struct {
	Trainability
	Name     string
	PoolSize int // zero means 2, Keras's default
	Strides  int // zero means PoolSize (Keras's strides=None)
	Padding  Padding

	pool MaxPooling2D
	height1
}

func init() {
	// Keys as base_pooling.py get_config writes them.
	register("MaxPooling1D", func(r *cfgReader) Layer {
		r.channelsLast()
		return &MaxPooling1D{PoolSize: r.single("pool_size"), Strides: r.single("strides"), Padding: r.padding("padding")}
	})
}

func (p *MaxPooling1D) LayerName() string     { return p.Name }
func (p *MaxPooling1D) SetLayerName(s string) { p.Name = s }
func (p *MaxPooling1D) Class() string         { return "MaxPooling1D" }
func (p *MaxPooling1D) Params() []*Param      { return nil }

func (p *MaxPooling1D) Config() map[string]any {
	return pool1DConfig(p.Name, p.PoolSize, p.Strides, p.Padding)
}

// pool1DSizes is a 1-D pool's pool size and strides with Keras's defaults.
func pool1DSizes(size, strides int) (int, int) {
	if size == 0 {
		size = 2
	}
	if strides == 0 {
		strides = size
	}
	return size, strides
}

// pool1DConfig writes a 1-D pool's config as base_pooling.py does.
func pool1DConfig(name string, size, strides int, pad Padding) map[string]any {
	size, strides = pool1DSizes(size, strides)
	m := baseConfig(name, nil)
	m["pool_size"] = []int{size}
	m["strides"] = []int{strides}
	m["padding"] = pad.String()
	m["data_format"] = "channels_last"
	return m
}

// check1DPool checks a 1-D pool's configuration and input in its own
// terms, before the 2-D layer's checks, and returns the sizes.
func check1DPool(class string, size, strides int, pad Padding, in tensor.Shape) ([2]int, [2]int, error) {
	size, strides = pool1DSizes(size, strides)
	if size <= 0 || strides <= 0 {
		return [2]int{}, [2]int{}, fmt.Errorf("pool_size %d and strides %d must be positive", size, strides)
	}
	if _, err := seqInput(class, in); err != nil {
		return [2]int{}, [2]int{}, err
	}
	if pad == Valid && size > in[0] {
		return [2]int{}, [2]int{}, fmt.Errorf("pool_size %d is larger than the %d input steps with padding \"valid\"; use a smaller pool_size or padding=\"same\"", size, in[0])
	}
	return [2]int{1, size}, [2]int{1, strides}, nil
}

func (p *MaxPooling1D) pool2D(in tensor.Shape) (MaxPooling2D, error) {
	size, strides, err := check1DPool(p.Class(), p.PoolSize, p.Strides, p.Padding, in)
	return MaxPooling2D{Name: p.Name, PoolSize: size, Strides: strides, Padding: p.Padding}, err
}

func (p *MaxPooling1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	l2, err := p.pool2D(in)
	if err != nil {
		return nil, err
	}
	return outputShape1D(p.Class(), &l2, in)
}

func (p *MaxPooling1D) Build(in tensor.Shape, rng *rand.Rand) (err error) {
	if p.pool, err = p.pool2D(in); err != nil {
		return err
	}
	return p.build(p.Class(), &p.pool, in, rng)
}

func (p *MaxPooling1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.forward(&p.pool, x, training)
}

func (p *MaxPooling1D) Backward(dy *tensor.Tensor) *tensor.Tensor { return p.backward(&p.pool, dy) }
