package nn

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// Dot is the batched dot product of two inputs along one axis of each
// (keras/src/layers/merging/dot.py, batch_dot): for x of shape (batch,
// p..., k, q...) and y of shape (batch, r..., k, s...) the output is
// (batch, p..., q..., r..., s...), summing over k; when that leaves only
// the batch axis the output is (batch, 1).
type Dot struct {
	Trainability
	multiInput
	Name string
	// Axes are the summed axes, counted as Keras does with the batch axis
	// as 0 and negative from the end: one value for both inputs or one per
	// input. nil is -1 for both (keras.layers.dot's default; Keras's Dot
	// class requires axes).
	Axes []int
	// Normalize L2-normalizes both inputs along the summed axes first, so
	// that the output is the cosine proximity (Keras's normalize=True).
	Normalize bool

	in       [2]tensor.Shape
	out      tensor.Shape
	k        int               // length of the summed axes
	pre, pst [2]int            // elements before and after the summed axis, per sample
	src      [2]*tensor.Tensor // what the last forward multiplied: the inputs, or nx
	nx, gn   [2]*tensor.Tensor // normalized inputs and their gradients
	inv      [2][]float32      // 1/norm of each normalized vector
	y        *tensor.Tensor
	dxs      []*tensor.Tensor
	shp      []int
}

func (l *Dot) LayerName() string     { return l.Name }
func (l *Dot) SetLayerName(s string) { l.Name = s }
func (l *Dot) Class() string         { return "Dot" }
func (l *Dot) Params() []*Param      { return nil }

func (l *Dot) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	switch len(l.Axes) {
	case 0:
		m["axes"] = -1
	case 1:
		m["axes"] = l.Axes[0]
	default:
		m["axes"] = []any{l.Axes[0], l.Axes[1]}
	}
	m["normalize"] = l.Normalize
	return m
}

// sampleAxes returns the summed axis of each input as an axis of its
// shape without the batch axis.
func (l *Dot) sampleAxes(in []tensor.Shape) ([2]int, error) {
	var axes [2]int
	switch len(l.Axes) {
	case 0:
		axes = [2]int{-1, -1}
	case 1:
		axes = [2]int{l.Axes[0], l.Axes[0]}
	case 2:
		axes = [2]int{l.Axes[0], l.Axes[1]}
	default:
		return axes, fmt.Errorf("axes %v: want one integer or two, one per input", l.Axes)
	}
	for i := range axes {
		full := len(in[i]) + 1
		a := axes[i]
		if a < 0 {
			a += full
		}
		if a <= 0 || a >= full {
			return axes, fmt.Errorf("axes %v: axis %d of input %d (shape (batch, %v)) is outside 1..%d; the batch axis 0 cannot be summed (Keras refuses it too)", l.Axes, axes[i], i, in[i], full-1)
		}
		axes[i] = a - 1
	}
	return axes, nil
}

func (l *Dot) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, mergeError(l, fmt.Errorf("Dot takes exactly 2 inputs, got %d", len(in)))
	}
	ax, err := l.sampleAxes(in)
	if err != nil {
		return nil, mergeError(l, err)
	}
	if in[0][ax[0]] != in[1][ax[1]] {
		return nil, mergeError(l, fmt.Errorf("the summed axes differ: %d (axis %d of input 0, shape %v) and %d (axis %d of input 1, shape %v)", in[0][ax[0]], ax[0]+1, in[0], in[1][ax[1]], ax[1]+1, in[1]))
	}
	var out tensor.Shape
	for i := range 2 {
		for d, n := range in[i] {
			if d != ax[i] {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		out = tensor.Shape{1}
	}
	return out, nil
}

func (l *Dot) BuildMerge(in []tensor.Shape) error {
	out, err := l.MergeOutputShape(in)
	if err != nil {
		return err
	}
	ax, _ := l.sampleAxes(in)
	l.out = out
	l.k = in[0][ax[0]]
	for i := range 2 {
		l.in[i] = in[i].Clone()
		l.pre[i] = in[i][:ax[i]].Size()
		l.pst[i] = in[i][ax[i]+1:].Size()
	}
	l.dxs = make([]*tensor.Tensor, 2)
	return nil
}

func (l *Dot) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	if len(xs) != 2 {
		panic(fmt.Sprintf("nn: Dot called with %d inputs; it takes 2", len(xs)))
	}
	batch := xs[0].Shape[0]
	for i := range 2 {
		if len(xs[i].Data) != batch*l.pre[i]*l.k*l.pst[i] {
			panic(fmt.Sprintf("nn: Dot input %d has shape %v, built for (batch, %v) with batch %d", i, xs[i].Shape, l.in[i], batch))
		}
		l.src[i] = xs[i]
		if l.Normalize {
			l.nx[i] = tensor.Ensure(l.nx[i], batchShape(&l.shp, batch, l.in[i])...)
			n := batch * l.pre[i] * l.pst[i]
			if cap(l.inv[i]) < n {
				l.inv[i] = make([]float32, n)
			}
			l.inv[i] = l.inv[i][:n]
			l2normalize(l.nx[i].Data, xs[i].Data, l.inv[i], batch*l.pre[i], l.k, l.pst[i])
			l.src[i] = l.nx[i]
		}
	}
	l.y = tensor.Ensure(l.y, batchShape(&l.shp, batch, l.out)...)
	K := l.k
	p1, q1, p2, q2 := l.pre[0], l.pst[0], l.pre[1], l.pst[1]
	s1, s2 := p1*K*q1, p2*K*q2
	M, N := p1*q1, p2*q2
	for b := range batch {
		a := l.src[0].Data[b*s1 : (b+1)*s1]
		c := l.src[1].Data[b*s2 : (b+1)*s2]
		y := l.y.Data[b*M*N : (b+1)*M*N]
		for i := range p1 {
			for j := range q1 {
				row := y[(i*q1+j)*N : (i*q1+j+1)*N]
				for u := range p2 {
					for v := range q2 {
						var s float32
						for k := range K {
							s += a[(i*K+k)*q1+j] * c[(u*K+k)*q2+v]
						}
						row[u*q2+v] = s
					}
				}
			}
		}
	}
	return l.y
}

func (l *Dot) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	batch := dy.Shape[0]
	var ga [2]*tensor.Tensor // gradients with respect to what the dot product read
	for i := range 2 {
		l.dxs[i] = tensor.Ensure(l.dxs[i], batchShape(&l.shp, batch, l.in[i])...)
		ga[i] = l.dxs[i]
		if l.Normalize {
			l.gn[i] = tensor.Ensure(l.gn[i], batchShape(&l.shp, batch, l.in[i])...)
			ga[i] = l.gn[i]
		}
		ga[i].Zero()
	}
	K := l.k
	p1, q1, p2, q2 := l.pre[0], l.pst[0], l.pre[1], l.pst[1]
	s1, s2 := p1*K*q1, p2*K*q2
	M, N := p1*q1, p2*q2
	for b := range batch {
		a := l.src[0].Data[b*s1 : (b+1)*s1]
		c := l.src[1].Data[b*s2 : (b+1)*s2]
		da := ga[0].Data[b*s1 : (b+1)*s1]
		dc := ga[1].Data[b*s2 : (b+1)*s2]
		g := dy.Data[b*M*N : (b+1)*M*N]
		for i := range p1 {
			for j := range q1 {
				row := g[(i*q1+j)*N : (i*q1+j+1)*N]
				for u := range p2 {
					for v := range q2 {
						gv := row[u*q2+v]
						for k := range K {
							ia, ic := (i*K+k)*q1+j, (u*K+k)*q2+v
							da[ia] += gv * c[ic]
							dc[ic] += gv * a[ia]
						}
					}
				}
			}
		}
	}
	if l.Normalize {
		for i := range 2 {
			l2normalizeBackward(l.dxs[i].Data, l.gn[i].Data, l.nx[i].Data, l.inv[i], batch*l.pre[i], l.k, l.pst[i])
		}
	}
	return l.dxs
}
