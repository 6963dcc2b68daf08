package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// PReLU is Keras's parametric ReLU (keras/src/layers/activations/prelu.py):
// y = x for x >= 0, alpha·x otherwise, with alpha a trained weight of the
// input's per-sample shape. SharedAxes lists axes (1-based over the
// non-batch axes, as Keras counts them: 1 and 2 are height and width of an
// image) along which one alpha serves every position; alpha has size 1
// there. SharedAxes {1, 2} after a Conv2D gives one alpha per channel.
type PReLU struct {
	Trainability
	Name             string
	AlphaInitializer Initializer // default zeros
	SharedAxes       []int
	// AlphaRegularizer adds a penalty of alpha to the loss and
	// AlphaConstraint projects alpha after each step (nil: none).
	AlphaRegularizer regularizer.Regularizer
	AlphaConstraint  constraint.Constraint

	alpha Param
	// aidx maps each value of a sample to its alpha, so that Forward and
	// Backward walk one flat sample whatever the shared axes.
	aidx     []int32
	x, y, dx *tensor.Tensor
}

func init() {
	// Keys as keras/src/layers/activations/prelu.py get_config writes them.
	register("PReLU", func(r *cfgReader) Layer {
		return &PReLU{
			AlphaInitializer: r.initializer("alpha_initializer"),
			AlphaRegularizer: r.readRegularizer("alpha_regularizer"),
			AlphaConstraint:  r.readConstraint("alpha_constraint"),
			SharedAxes:       r.ints("shared_axes"),
		}
	})
}

func (l *PReLU) LayerName() string     { return l.Name }
func (l *PReLU) SetLayerName(s string) { l.Name = s }
func (l *PReLU) Class() string         { return "PReLU" }
func (l *PReLU) Params() []*Param      { return []*Param{&l.alpha} }

func (l *PReLU) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["alpha_initializer"] = initConfig(l.AlphaInitializer, Zeros)
	m["alpha_regularizer"] = regularizer.Serialize(l.AlphaRegularizer)
	m["alpha_constraint"] = constraint.Serialize(l.AlphaConstraint)
	m["shared_axes"] = nil
	if l.SharedAxes != nil {
		m["shared_axes"] = append([]int(nil), l.SharedAxes...)
	}
	return m
}

// alphaShape is in with the shared axes set to 1, as Keras's build does.
func (l *PReLU) alphaShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch")
	}
	if err := l.AlphaInitializer.checkShape("alpha_initializer", len(in)); err != nil {
		return nil, err
	}
	s := in.Clone()
	for _, a := range l.SharedAxes {
		if a < 1 || a > len(in) {
			return nil, fmt.Errorf("shared_axes %v: axis %d is not one of the input's axes 1..%d (1-based, the batch axis 0 excluded, as in Keras)", l.SharedAxes, a, len(in))
		}
		s[a-1] = 1
	}
	return s, nil
}

func (l *PReLU) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if _, err := l.alphaShape(in); err != nil {
		return nil, err
	}
	return in.Clone(), nil
}

// ParamShapes returns alpha's shape (nn.ParamShaper).
func (l *PReLU) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	s, err := l.alphaShape(in)
	if err != nil {
		return nil, err
	}
	return []ParamShape{{Name: "alpha", Shape: s}}, nil
}

func (l *PReLU) Build(in tensor.Shape, rng *rand.Rand) error {
	s, err := l.alphaShape(in)
	if err != nil {
		return err
	}
	n, err := checkedSize(in)
	if err != nil {
		return err
	}
	if n > 1<<31-1 {
		return fmt.Errorf("input shape %v has more than 2^31 values per sample", in)
	}
	l.alpha = Param{Name: "alpha", Value: tensor.New(s...), Grad: tensor.New(s...)}
	if err := withPenalty(&l.alpha, "alpha", l.AlphaRegularizer, l.AlphaConstraint); err != nil {
		return err
	}
	l.AlphaInitializer.or(Zeros).fillShape(l.alpha.Value.Data, s, rng)
	// Walk the sample in row-major order with a counter per axis; the
	// alpha index uses alpha's own strides, 0 along shared axes.
	l.aidx = make([]int32, n)
	stride := make([]int, len(in))
	for d, st := len(in)-1, 1; d >= 0; d-- {
		if s[d] != 1 || in[d] == 1 {
			stride[d] = st
		}
		st *= s[d]
	}
	pos := make([]int, len(in))
	for i := range l.aidx {
		k := 0
		for d, p := range pos {
			k += p * stride[d]
		}
		l.aidx[i] = int32(k)
		for d := len(in) - 1; d >= 0; d-- {
			if pos[d]++; pos[d] < in[d] {
				break
			}
			pos[d] = 0
		}
	}
	return nil
}

// kerasFans is Keras's compute_fans (keras/src/initializers/
// random_initializers.py) for a weight of shape s.
func kerasFans(s tensor.Shape) (fanIn, fanOut int) {
	switch len(s) {
	case 0:
		return 1, 1
	case 1:
		return s[0], s[0]
	case 2:
		return s[0], s[1]
	}
	rf := 1
	for _, d := range s[:len(s)-2] {
		rf *= d
	}
	return s[len(s)-2] * rf, s[len(s)-1] * rf
}

func (l *PReLU) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	a, n := l.alpha.Value.Data, len(l.aidx)
	y := l.y.Data
	for off := 0; off+n <= len(x.Data); off += n {
		xs, ys := x.Data[off:off+n], y[off:off+n]
		for i, v := range xs {
			if v >= 0 {
				ys[i] = v
			} else {
				ys[i] = a[l.aidx[i]] * v
			}
		}
	}
	return l.y
}

// Backward: dx = dy where x >= 0, alpha·dy elsewhere; d alpha sums dy·x
// over the negative inputs that share it, across the batch.
func (l *PReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	a, ga, n := l.alpha.Value.Data, l.alpha.Grad.Data, len(l.aidx)
	clear(ga)
	for off := 0; off+n <= len(dy.Data); off += n {
		xs, gs, dxs := l.x.Data[off:off+n], dy.Data[off:off+n], l.dx.Data[off:off+n]
		for i, g := range gs {
			if v := xs[i]; v >= 0 {
				dxs[i] = g
			} else {
				k := l.aidx[i]
				dxs[i] = a[k] * g
				ga[k] += g * v
			}
		}
	}
	return l.dx
}
