package nn

import (
	"fmt"
	"github.com/gokeras/gokeras/activation"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Softmax is Keras's Softmax layer (keras/src/layers/activations/
// softmax.py): y = exp(x - max x) / Σ exp(x - max x) along Axis.
type Softmax struct {
	Trainability
	Name string
	// Axis counts the batch as axis 0, as Keras does; negative values
	// count from the end. 0 means Keras's default -1, the last axis (a
	// softmax across the batch is not implemented).
	Axis int

	n, inner int // per sample: the axis's size and the values after it
	y, dx    *tensor.Tensor
}

func init() {
	// Keys as keras/src/layers/activations/softmax.py get_config writes
	// them. Keras also takes a list of axes; gokeras implements one.
	register("Softmax", func(r *cfgReader) Layer {
		axes := r.ints("axis")
		l := &Softmax{}
		switch {
		case r.Err != nil:
		case len(axes) > 1:
			v, _ := r.Get("axis")
			r.unsupported("axis", v, "gokeras normalises along one axis; give one integer")
		case len(axes) == 1 && axes[0] == 0:
			r.unsupported("axis", axes[0], "axis 0 is the batch axis; gokeras normalises within each sample")
		case len(axes) == 1:
			l.Axis = axes[0]
		}
		return l
	})
}

func (l *Softmax) LayerName() string     { return l.Name }
func (l *Softmax) SetLayerName(s string) { l.Name = s }
func (l *Softmax) Class() string         { return "Softmax" }
func (l *Softmax) Params() []*Param      { return nil }

func (l *Softmax) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["axis"] = -1
	if l.Axis != 0 {
		m["axis"] = l.Axis
	}
	return m
}

// axis returns the axis as an index into the per-sample shape in.
func (l *Softmax) axis(in tensor.Shape) (int, error) {
	a := l.Axis
	if a == 0 {
		a = -1
	}
	if a < 0 {
		a += len(in) + 1
	}
	if a < 1 || a > len(in) {
		return 0, fmt.Errorf("axis %d is not an axis of a sample of shape %v: give 1..%d or -1..-%d (axis 0, the batch, is not implemented)", l.Axis, in, len(in), len(in))
	}
	return a - 1, nil
}

func (l *Softmax) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if _, err := l.axis(in); err != nil {
		return nil, err
	}
	return in.Clone(), nil
}

func (l *Softmax) Build(in tensor.Shape, _ *rand.Rand) error {
	a, err := l.axis(in)
	if err != nil {
		return err
	}
	l.n, l.inner = in[a], 1
	for _, d := range in[a+1:] {
		l.inner *= d
	}
	return nil
}

// ActivationFunc and BackwardLinear make a Softmax over the last axis an
// Activated layer, so that a model ending in one takes the fused softmax +
// cross-entropy gradient, as one ending in Dense(activation="softmax")
// does. Over another axis it reports Linear, which nothing fuses.
func (l *Softmax) ActivationFunc() activation.Func {
	if l.n > 0 && l.inner == 1 {
		return activation.Softmax
	}
	return activation.Linear
}

// BackwardLinear takes the gradient before the softmax, which for a layer
// that is only the softmax is the input's gradient.
func (l *Softmax) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor { return dz }

func (l *Softmax) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	rows := len(x.Data) / (l.n * l.inner)
	if l.inner == 1 {
		kernel.SoftmaxRows(l.y.Data, x.Data, rows, l.n)
		return l.y
	}
	// Along an inner axis the values of one softmax are inner apart.
	n, st := l.n, l.inner
	for r := range rows {
		base := r * n * st
		for j := range st {
			xs, ys := x.Data[base+j:], l.y.Data[base+j:]
			m := xs[0]
			for k := 1; k < n; k++ {
				m = max(m, xs[k*st])
			}
			var sum float64
			for k := range n {
				e := math.Exp(float64(xs[k*st] - m))
				ys[k*st] = float32(e)
				sum += e
			}
			inv := float32(1 / sum)
			for k := range n {
				ys[k*st] *= inv
			}
		}
	}
	return l.y
}

// Backward: dx = y ⊙ (dy - Σ dy·y) along the axis.
func (l *Softmax) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	rows := len(dy.Data) / (l.n * l.inner)
	if l.inner == 1 {
		kernel.SoftmaxRowsBackward(l.dx.Data, dy.Data, l.y.Data, rows, l.n)
		return l.dx
	}
	n, st := l.n, l.inner
	for r := range rows {
		base := r * n * st
		for j := range st {
			gs, ys, dxs := dy.Data[base+j:], l.y.Data[base+j:], l.dx.Data[base+j:]
			var dot float64
			for k := range n {
				dot += float64(gs[k*st]) * float64(ys[k*st])
			}
			d := float32(dot)
			for k := range n {
				dxs[k*st] = ys[k*st] * (gs[k*st] - d)
			}
		}
	}
	return l.dx
}
