package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RepeatVector repeats each sample's vector N times, (batch, features) →
// (batch, N, features), as Keras 3's RepeatVector (keras/src/layers/
// reshaping/repeat_vector.py). Keras has no default for n: the zero value
// is refused by Build. Backward sums the N gradients of each feature.
type RepeatVector struct {
	Trainability
	Name       string
	N          int
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	features int
	y, dx    *tensor.Tensor
	skip     bool
}

func init() {
	// Keys as keras/src/layers/reshaping/repeat_vector.py get_config writes them.
	register("RepeatVector", func(r *cfgReader) Layer {
		return &RepeatVector{N: r.Int("n", 0), InputShape: r.inputShape()}
	})
}

func (l *RepeatVector) LayerName() string                { return l.Name }
func (l *RepeatVector) SetLayerName(s string)            { l.Name = s }
func (l *RepeatVector) Class() string                    { return "RepeatVector" }
func (l *RepeatVector) Params() []*Param                 { return nil }
func (l *RepeatVector) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *RepeatVector) SkipInputGrad(skip bool)          { l.skip = skip }

func (l *RepeatVector) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["n"] = l.N
	return m
}

func (l *RepeatVector) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.N <= 0 {
		return nil, fmt.Errorf("n is %d; give the number of repeats, a positive integer (Keras has no default)", l.N)
	}
	if len(in) != 1 || in[0] <= 0 {
		return nil, fmt.Errorf("input shape %v is not (features,); RepeatVector takes vectors: add a Flatten before it", in)
	}
	if l.N > MaxElements/in[0] {
		return nil, fmt.Errorf("n %d repeats of %d features is more than 2^50 values", l.N, in[0])
	}
	return tensor.Shape{l.N, in[0]}, nil
}

func (l *RepeatVector) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.features = in[0]
	return nil
}

func (l *RepeatVector) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if len(x.Shape) != 2 || x.Shape[1] != l.features {
		if err := l.Build(x.Shape[1:], nil); err != nil {
			panic(fmt.Sprintf("nn: %s: %v", l.Class(), err))
		}
	}
	f := l.features
	l.y = tensor.Ensure(l.y, x.Shape[0], l.N, f)
	out := l.y.Data
	for b := range x.Shape[0] {
		v := x.Data[b*f : (b+1)*f]
		for range l.N {
			copy(out[:f], v)
			out = out[f:]
		}
	}
	return l.y
}

func (l *RepeatVector) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.skip {
		return nil
	}
	f := l.features
	l.dx = tensor.Ensure(l.dx, dy.Shape[0], f)
	g := dy.Data
	for b := range dy.Shape[0] {
		d := l.dx.Data[b*f : (b+1)*f]
		copy(d, g[:f])
		g = g[f:]
		for range l.N - 1 {
			for k, v := range g[:f] {
				d[k] += v
			}
			g = g[f:]
		}
	}
	return l.dx
}
