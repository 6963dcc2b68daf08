package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"

	"github.com/gokeras/gokeras/tensor"
)

// Merge layers combine several tensors into one, as Keras's layers under
// keras/src/layers/merging/ do: Add, Subtract, Multiply, Average, Maximum
// and Minimum element by element (base_merge.py), Concatenate along one
// axis (concatenate.py) and Dot, a batched dot product (dot.py). They are
// not Layers, since a Layer has one input; the graph model calls them
// through Merger.

// Merger is a layer with several inputs (Add, Concatenate, ...). The graph model calls it with one
// tensor per input, all with the batch axis; shapes exclude the batch axis.
type Merger interface {
	LayerName() string
	SetLayerName(string)
	Class() string
	Params() []*Param
	Config() map[string]any
	MergeOutputShape(in []tensor.Shape) (tensor.Shape, error)
	BuildMerge(in []tensor.Shape) error
	ForwardMerge(xs []*tensor.Tensor, training bool) *tensor.Tensor
	// BackwardMerge returns dLoss/dx for each input (buffers owned by the layer).
	BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor
}

// multiInput gives a merge layer the single-input methods of Layer, so
// that it can stand in a model's layer list (named, summarised, saved)
// like any layer; they refuse, since a merge layer runs only as a node
// with several inputs (nn.Merge), through Merger's methods.
type multiInput struct{}

func (multiInput) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	return nil, fmt.Errorf("it takes several inputs: call it with nn.Merge, not on one tensor")
}

func (m multiInput) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := m.OutputShape(in)
	return err
}

func (multiInput) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	panic("nn: a merge layer's Forward takes several inputs; the graph calls ForwardMerge")
}

func (multiInput) Backward(dy *tensor.Tensor) *tensor.Tensor {
	panic("nn: a merge layer's Backward gives several gradients; the graph calls BackwardMerge")
}

func init() {
	for _, class := range []string{"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"} {
		register(class, func(r *ConfigReader) Layer {
			m, err := mergeFromConfig(class, r)
			if err != nil {
				r.Failf("%v", err)
				return nil
			}
			l, _ := m.(Layer)
			return l
		})
	}
}

// mergeFromConfig creates the merge layer class from its Keras config,
// reading the class's own keys from r under the strict rule: the caller
// (FromConfig's way) reads name, trainable and dtype and then rejects the
// keys nobody read. Keras's get_config for the element-wise classes writes
// only the base keys; Concatenate adds "axis", Dot "axes" and "normalize".
func mergeFromConfig(class string, r *ConfigReader) (Merger, error) {
	var m Merger
	switch class {
	case "Add":
		m = &Add{}
	case "Subtract":
		m = &Subtract{}
	case "Multiply":
		m = &Multiply{}
	case "Average":
		m = &Average{}
	case "Maximum":
		m = &Maximum{}
	case "Minimum":
		m = &Minimum{}
	case "Concatenate":
		axis := r.Int("axis", -1)
		if axis == 0 && r.Err == nil {
			r.unsupported("axis", 0, "gokeras does not concatenate along the batch axis; use an axis from 1 (or -1, the last)")
		}
		if axis == -1 {
			axis = 0 // the zero value is Keras's default, -1
		}
		m = &Concatenate{Axis: axis}
	case "Dot":
		raw, ok := r.Get("axes")
		if !ok {
			r.Failf("\"axes\" is missing; Keras's Dot requires it (an integer, or two, one per input)")
			break
		}
		if list, isList := raw.([]any); isList {
			for _, e := range list {
				if e == nil {
					r.fail("axes", raw, "an integer or a list of two integers")
				}
			}
		}
		axes := r.ints("axes")
		if r.Err == nil && (len(axes) < 1 || len(axes) > 2) {
			r.fail("axes", raw, "an integer or a list of two integers")
		}
		for _, a := range axes {
			if a == 0 && r.Err == nil {
				r.unsupported("axes", raw, "axis 0 is the batch axis; Keras refuses it too")
			}
		}
		m = &Dot{Axes: axes, Normalize: r.Bool("normalize", false)}
	default:
		return nil, fmt.Errorf("nn: %q is not a merge layer class; gokeras has Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract", class)
	}
	if r.Err != nil {
		return nil, r.Err
	}
	return m, nil
}

// batchShape returns (batch, s...) in *buf, reused across calls so that
// steady-state passes do not allocate (tensor.Ensure copies the shape).
func batchShape(buf *[]int, batch int, s tensor.Shape) []int {
	*buf = append(append((*buf)[:0], batch), s...)
	return *buf
}

// mergeError wraps a merge layer's shape error as a LayerError.
func mergeError(m Merger, err error) error {
	return &LayerError{Layer: m.LayerName(), Class: m.Class(), Err: err}
}

// Element-wise merges.

type elemOp int

const (
	opAdd elemOp = iota
	opSubtract
	opMultiply
	opAverage
	opMaximum
	opMinimum
)

// elementwise is the engine of the element-wise classes. Inputs of
// different shapes broadcast as in Keras's base_merge.py: a shorter shape
// gets axes of size 1 inserted after the batch axis (Keras's expand_dims at
// axis 1), and an axis of size 1 stretches to the others' size; any other
// difference is an error. idx[i][o] is the element of input i (within one
// sample) that output element o reads.
type elementwise struct {
	in   []tensor.Shape
	out  tensor.Shape
	size []int // elements per sample of each input
	osz  int   // elements per sample of the output
	idx  [][]int32
	y    *tensor.Tensor
	xs   []*tensor.Tensor // the last forward's inputs (Multiply's backward reads them)
	win  []int32          // Maximum/Minimum: which input gave each output element
	dxs  []*tensor.Tensor
	shp  []int
	same bool // every input has the output's shape (no broadcasting)
}

// elemOutputShape computes the broadcast output shape.
func elemOutputShape(class string, in []tensor.Shape, exactly int) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("%s needs at least one input", class)
	}
	if exactly > 0 && len(in) != exactly {
		return nil, fmt.Errorf("%s takes exactly %d inputs, got %d", class, exactly, len(in))
	}
	rank := 0
	for _, s := range in {
		rank = max(rank, len(s))
	}
	out := make(tensor.Shape, rank)
	for a := range out {
		out[a] = 1
	}
	for _, s := range in {
		off := rank - len(s)
		for a, d := range s {
			switch o := out[off+a]; {
			case d == o || d == 1:
			case o == 1:
				out[off+a] = d
			default:
				return nil, fmt.Errorf("inputs have incompatible shapes %v: axis %d is %d in one and %d in another; shapes must match or have size 1 there (Keras broadcasts the same way)", in, off+a+1, o, d)
			}
		}
	}
	return out, nil
}

func (e *elementwise) build(class string, in []tensor.Shape, exactly int) error {
	out, err := elemOutputShape(class, in, exactly)
	if err != nil {
		return err
	}
	e.out = out
	e.osz = out.Size()
	e.in = make([]tensor.Shape, len(in))
	e.size = make([]int, len(in))
	e.idx = make([][]int32, len(in))
	e.dxs = make([]*tensor.Tensor, len(in))
	e.same = true
	for _, s := range in {
		e.same = e.same && s.Equal(out)
	}
	rank := len(out)
	for i, s := range in {
		e.in[i] = s.Clone()
		e.size[i] = s.Size()
		// Strides of input i over the output's axes: 0 where it broadcasts.
		stride := make([]int, rank)
		st := 1
		for a := len(s) - 1; a >= 0; a-- {
			if s[a] != 1 || out[rank-len(s)+a] == 1 {
				stride[rank-len(s)+a] = st
			}
			st *= s[a]
		}
		idx := make([]int32, e.osz)
		pos := make([]int, rank)
		for o := range idx {
			off := 0
			for a := range pos {
				off += pos[a] * stride[a]
			}
			idx[o] = int32(off)
			for a := rank - 1; a >= 0; a-- {
				pos[a]++
				if pos[a] < out[a] {
					break
				}
				pos[a] = 0
			}
		}
		e.idx[i] = idx
	}
	return nil
}

func (e *elementwise) forward(op elemOp, xs []*tensor.Tensor) *tensor.Tensor {
	return e.forwardReLU(op, xs, false)
}

// forwardReLU is forward, followed by ReLU with relu; only for a residual
// sum of two inputs of the output's shape (Stack.fuse checks).
func (e *elementwise) forwardReLU(op elemOp, xs []*tensor.Tensor, relu bool) *tensor.Tensor {
	if len(xs) != len(e.in) {
		panic(fmt.Sprintf("nn: merge layer built for %d inputs called with %d", len(e.in), len(xs)))
	}
	batch := xs[0].Shape[0]
	for i, x := range xs {
		if len(x.Data) != batch*e.size[i] {
			panic(fmt.Sprintf("nn: merge layer input %d has shape %v, built for (batch, %v) with batch %d", i, x.Shape, e.in[i], batch))
		}
	}
	e.xs = append(e.xs[:0], xs...)
	e.y = tensor.Ensure(e.y, batchShape(&e.shp, batch, e.out)...)
	if op == opAdd && e.same {
		// A residual connection's sum: the kernels' vector add, the same
		// bits as the loop below ((x0 + x1) + x2 ...).
		if len(xs) == 1 {
			kernel.CopyParallel(e.y.Data, xs[0].Data)
			return e.y
		}
		if relu {
			kernel.SumReLUParallel(e.y.Data, xs[0].Data, xs[1].Data)
			return e.y
		}
		kernel.SumParallel(e.y.Data, xs[0].Data, xs[1].Data)
		for _, x := range xs[2:] {
			kernel.AddParallel(e.y.Data, x.Data)
		}
		return e.y
	}
	if op == opMaximum || op == opMinimum {
		if cap(e.win) < len(e.y.Data) {
			e.win = make([]int32, len(e.y.Data))
		}
		e.win = e.win[:len(e.y.Data)]
	}
	S := e.osz
	for i, x := range xs {
		idx := e.idx[i]
		si := e.size[i]
		for b := range batch {
			ys := e.y.Data[b*S : (b+1)*S]
			xd := x.Data[b*si : (b+1)*si]
			if i == 0 {
				for o := range ys {
					ys[o] = xd[idx[o]]
				}
				if e.win != nil && (op == opMaximum || op == opMinimum) {
					clear(e.win[b*S : (b+1)*S])
				}
				continue
			}
			switch op {
			case opAdd, opAverage:
				for o := range ys {
					ys[o] += xd[idx[o]]
				}
			case opSubtract:
				for o := range ys {
					ys[o] -= xd[idx[o]]
				}
			case opMultiply:
				for o := range ys {
					ys[o] *= xd[idx[o]]
				}
			case opMaximum:
				// Strictly greater: on a tie the earlier input keeps the
				// output, and with it the gradient, as TensorFlow's
				// maximum(running, x) gradient gives it to its first
				// argument (greater_equal mask, math_grad.py).
				w := e.win[b*S : (b+1)*S]
				for o := range ys {
					if v := xd[idx[o]]; v > ys[o] {
						ys[o], w[o] = v, int32(i)
					}
				}
			case opMinimum:
				w := e.win[b*S : (b+1)*S]
				for o := range ys {
					if v := xd[idx[o]]; v < ys[o] {
						ys[o], w[o] = v, int32(i)
					}
				}
			}
		}
	}
	if op == opAverage {
		k := 1 / float32(len(xs))
		for o := range e.y.Data {
			e.y.Data[o] *= k
		}
	}
	return e.y
}

func (e *elementwise) backward(op elemOp, dy *tensor.Tensor) []*tensor.Tensor {
	batch := dy.Shape[0]
	S := e.osz
	n := len(e.in)
	for i := range e.in {
		dx := tensor.Ensure(e.dxs[i], batchShape(&e.shp, batch, e.in[i])...)
		e.dxs[i] = dx
		if op == opAdd && e.same {
			kernel.CopyParallel(dx.Data, dy.Data)
			continue
		}
		dx.Zero()
		idx := e.idx[i]
		si := e.size[i]
		for b := range batch {
			g := dy.Data[b*S : (b+1)*S]
			d := dx.Data[b*si : (b+1)*si]
			switch op {
			case opAdd:
				for o := range g {
					d[idx[o]] += g[o]
				}
			case opSubtract:
				if i == 0 {
					for o := range g {
						d[idx[o]] += g[o]
					}
				} else {
					for o := range g {
						d[idx[o]] -= g[o]
					}
				}
			case opAverage:
				k := 1 / float32(n)
				for o := range g {
					d[idx[o]] += k * g[o]
				}
			case opMaximum, opMinimum:
				w := e.win[b*S : (b+1)*S]
				for o := range g {
					if w[o] == int32(i) {
						d[idx[o]] += g[o]
					}
				}
			case opMultiply:
				// The product of the other inputs, without dividing (an
				// input may be zero).
				for o := range g {
					p := g[o]
					for j, x := range e.xs {
						if j != i {
							p *= x.Data[b*e.size[j]+int(e.idx[j][o])]
						}
					}
					d[idx[o]] += p
				}
			}
		}
	}
	return e.dxs
}

// Add sums its inputs element by element (keras/src/layers/merging/add.py).
type Add struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

// Subtract returns its first input minus its second; it takes exactly two
// (keras/src/layers/merging/subtract.py).
type Subtract struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

// Multiply multiplies its inputs element by element
// (keras/src/layers/merging/multiply.py).
type Multiply struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

// Average is the element-wise mean of its inputs
// (keras/src/layers/merging/average.py).
type Average struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

// Maximum is the element-wise maximum of its inputs
// (keras/src/layers/merging/maximum.py). On a tie the gradient goes to
// the first input (lowest index) that attains the maximum, as in
// TensorFlow, where Keras's maximum(running, next) sends a tie's gradient
// to its first argument.
type Maximum struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

// Minimum is the element-wise minimum of its inputs
// (keras/src/layers/merging/minimum.py); ties as in Maximum: the first
// input attaining the minimum gets the gradient.
type Minimum struct {
	Trainability
	multiInput
	Name string
	e    elementwise
}

func (l *Add) LayerName() string      { return l.Name }
func (l *Add) SetLayerName(s string)  { l.Name = s }
func (l *Add) Class() string          { return "Add" }
func (l *Add) Params() []*Param       { return nil }
func (l *Add) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Add) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 0))
}
func (l *Add) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 0)
	return s, wrapMerge(l, err)
}
func (l *Add) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor { return l.e.forward(opAdd, xs) }
func (l *Add) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor        { return l.e.backward(opAdd, dy) }

func (l *Subtract) LayerName() string      { return l.Name }
func (l *Subtract) SetLayerName(s string)  { l.Name = s }
func (l *Subtract) Class() string          { return "Subtract" }
func (l *Subtract) Params() []*Param       { return nil }
func (l *Subtract) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Subtract) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 2))
}
func (l *Subtract) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 2)
	return s, wrapMerge(l, err)
}
func (l *Subtract) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	return l.e.forward(opSubtract, xs)
}
func (l *Subtract) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	return l.e.backward(opSubtract, dy)
}

func (l *Multiply) LayerName() string      { return l.Name }
func (l *Multiply) SetLayerName(s string)  { l.Name = s }
func (l *Multiply) Class() string          { return "Multiply" }
func (l *Multiply) Params() []*Param       { return nil }
func (l *Multiply) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Multiply) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 0))
}
func (l *Multiply) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 0)
	return s, wrapMerge(l, err)
}
func (l *Multiply) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	return l.e.forward(opMultiply, xs)
}
func (l *Multiply) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	return l.e.backward(opMultiply, dy)
}

func (l *Average) LayerName() string      { return l.Name }
func (l *Average) SetLayerName(s string)  { l.Name = s }
func (l *Average) Class() string          { return "Average" }
func (l *Average) Params() []*Param       { return nil }
func (l *Average) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Average) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 0))
}
func (l *Average) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 0)
	return s, wrapMerge(l, err)
}
func (l *Average) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	return l.e.forward(opAverage, xs)
}
func (l *Average) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	return l.e.backward(opAverage, dy)
}

func (l *Maximum) LayerName() string      { return l.Name }
func (l *Maximum) SetLayerName(s string)  { l.Name = s }
func (l *Maximum) Class() string          { return "Maximum" }
func (l *Maximum) Params() []*Param       { return nil }
func (l *Maximum) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Maximum) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 0))
}
func (l *Maximum) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 0)
	return s, wrapMerge(l, err)
}
func (l *Maximum) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	return l.e.forward(opMaximum, xs)
}
func (l *Maximum) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	return l.e.backward(opMaximum, dy)
}

func (l *Minimum) LayerName() string      { return l.Name }
func (l *Minimum) SetLayerName(s string)  { l.Name = s }
func (l *Minimum) Class() string          { return "Minimum" }
func (l *Minimum) Params() []*Param       { return nil }
func (l *Minimum) Config() map[string]any { return baseConfig(l.Name, nil) }
func (l *Minimum) BuildMerge(in []tensor.Shape) error {
	return wrapMerge(l, l.e.build(l.Class(), in, 0))
}
func (l *Minimum) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	s, err := elemOutputShape(l.Class(), in, 0)
	return s, wrapMerge(l, err)
}
func (l *Minimum) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	return l.e.forward(opMinimum, xs)
}
func (l *Minimum) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	return l.e.backward(opMinimum, dy)
}

// wrapMerge wraps a non-nil shape error as a LayerError.
func wrapMerge(m Merger, err error) error {
	if err == nil {
		return nil
	}
	return mergeError(m, err)
}

// Per sample, x1 is (p1, k, q1) and x2 is (p2, k, q2) in row-major order
// and the output is (p1, q1, p2, q2): out[m, n] = Σ_k x1[m, k] x2[n, k]
// with m = (p1, q1) and n = (p2, q2).

// dotEpsilon is Keras's backend.epsilon(), the floor of the norm in
// normalize (keras/src/ops/nn.py, _normalize: x * min(rsqrt(Σx²), 1/ε)).
const dotEpsilon = 1e-7

// l2normalize writes x scaled to unit L2 norm along the middle axis of
// (pre, k, post) into dst, as Keras's normalize does: the scale is
// min(1/‖x‖, 1/ε), stored per vector in inv.
func l2normalize(dst, x, inv []float32, pre, k, post int) {
	for p := range pre {
		for q := range post {
			base := p*k*post + q
			var s float64
			for j := range k {
				v := float64(x[base+j*post])
				s += v * v
			}
			iv := float32(min(1/math.Sqrt(s), 1/dotEpsilon))
			inv[p*post+q] = iv
			for j := range k {
				dst[base+j*post] = x[base+j*post] * iv
			}
		}
	}
}

// l2normalizeBackward turns g, the gradient with respect to the
// normalized n = x·inv, into dx: inv·(g − n (n·g)) where the norm is above
// ε, and g·inv where the scale is the constant 1/ε.
func l2normalizeBackward(dx, g, n, inv []float32, pre, k, post int) {
	for p := range pre {
		for q := range post {
			base := p*k*post + q
			iv := inv[p*post+q]
			if iv >= 1/dotEpsilon {
				for j := range k {
					dx[base+j*post] = g[base+j*post] * iv
				}
				continue
			}
			var d float32
			for j := range k {
				d += n[base+j*post] * g[base+j*post]
			}
			for j := range k {
				i := base + j*post
				dx[i] = iv * (g[i] - n[i]*d)
			}
		}
	}
}
