package regularizer

import (
	"fmt"
	"math"
	"sync"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// Mode says which vectors of a matrix Orthogonal pushes apart.
type Mode int

const (
	// Rows (Keras's default, "rows"): the rows of the matrix; for a Dense
	// kernel (inputs, units), one vector per input feature.
	Rows Mode = iota
	// Columns ("columns"): the columns; for a Dense kernel, one per unit.
	Columns
)

func (m Mode) String() string {
	switch m {
	case Rows:
		return "rows"
	case Columns:
		return "columns"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// maxInvNorm is 1/backend.epsilon() = 1/1e-7 as the float32 Keras
// compares with: ops.normalize never divides by a norm below 1e-7.
const maxInvNorm = 1e7

// Orthogonal is Keras's OrthogonalRegularizer
// (keras.regularizers.OrthogonalRegularizer), for rank-2 tensors only.
// With the m vectors v_i of the matrix (its rows, or its columns), each
// normalized as Keras's ops.normalize does (keras/src/ops/nn.py,
// _normalize: n_i = v_i·min(1/‖v_i‖, 1e7)), the penalty is
//
//	factor · 0.5 · Σ_{i≠j} |n_i·n_j| / (m(m-1)/2),
//
// the factor times the mean |cosine| over the pairs. With m = 1 there is
// no pair and Keras's penalty is 0/0 = NaN; Check rejects a weight with
// one vector.
//
// Use it as a pointer (&Orthogonal{...}): it keeps scratch space, guarded
// by a mutex, so that training does not allocate.
type Orthogonal struct {
	// Factor is the factor; zero means Keras's default, 0.01.
	Factor float64
	Mode   Mode

	zero bool // a config said factor = 0

	mu    sync.Mutex
	inv   []float64 // 1/‖v_i‖ (capped)
	clamp []bool    // the cap applies: ‖v_i‖ < 1e-7
	acc   []float64 // one vector's gradient before the normalization
}

// FactorValue returns the factor in effect (the default for a zero Factor).
func (o *Orthogonal) FactorValue() float64 { return orDefault(o.Factor, o.zero, 0.01) }

// Check reports a bad factor or mode, a shape that is not rank 2, and a
// shape whose mode has a single vector (Keras's 0/0). An axis of unknown
// size (0 or less, an activity's batch) is not checked.
func (o *Orthogonal) Check(shape tensor.Shape) error {
	if err := checkFactor("OrthogonalRegularizer", "factor", o.FactorValue()); err != nil {
		return err
	}
	if o.Mode != Rows && o.Mode != Columns {
		return fmt.Errorf("regularizer: OrthogonalRegularizer mode is %v; want Rows or Columns", o.Mode)
	}
	if len(shape) != 2 {
		return fmt.Errorf("regularizer: OrthogonalRegularizer takes rank-2 tensors (a Dense kernel, or a Dense output as activity), not shape %v of rank %d", shape, len(shape))
	}
	if m := o.vectors(shape); m == 1 {
		return fmt.Errorf("regularizer: OrthogonalRegularizer in mode %q on shape %v: one %s, no pair to make orthogonal (Keras's penalty would be NaN); use the other mode or another regularizer", o.Mode, shape, o.noun())
	}
	return nil
}

func (o *Orthogonal) noun() string {
	if o.Mode == Columns {
		return "column"
	}
	return "row"
}

// vectors is the number of vectors of a matrix of shape shape.
func (o *Orthogonal) vectors(shape tensor.Shape) int {
	if o.Mode == Columns {
		return shape[1]
	}
	return shape[0]
}

// geometry returns the number of vectors m, their length n, and where
// element k of vector i is: x[i*vs + k*es].
func (o *Orthogonal) geometry(shape tensor.Shape) (m, n, vs, es int) {
	if len(shape) != 2 {
		panic(fmt.Sprintf("regularizer: OrthogonalRegularizer on shape %v: rank-2 tensors only (Check rejects this at Build)", shape))
	}
	if o.Mode == Columns {
		return shape[1], shape[0], 1, shape[1]
	}
	return shape[0], shape[1], shape[1], 1
}

// norms fills o.inv and o.clamp for the m vectors.
func (o *Orthogonal) norms(x []float32, m, n, vs, es int) {
	if cap(o.inv) < m {
		o.inv, o.clamp = make([]float64, m), make([]bool, m)
	}
	o.inv, o.clamp = o.inv[:m], o.clamp[:m]
	for i := range m {
		var s float64
		for k := range n {
			v := float64(x[i*vs+k*es])
			s += v * v
		}
		// Keras: x·minimum(rsqrt(Σx²), 1/ε). At a tie the gradient goes
		// through rsqrt, as TensorFlow's Minimum gradient (x <= y).
		r := 1 / math.Sqrt(s)
		o.inv[i], o.clamp[i] = r, false
		if r > maxInvNorm {
			o.inv[i], o.clamp[i] = maxInvNorm, true
		}
	}
}

func dotVectors(x []float32, i, j, n, vs, es int) float64 {
	var d float64
	a, b := i*vs, j*vs
	for k := range n {
		d += float64(x[a+k*es]) * float64(x[b+k*es])
	}
	return d
}

// Penalty returns the penalty of the rank-2 x, in float64.
func (o *Orthogonal) Penalty(x []float32, shape tensor.Shape) float64 {
	m, n, vs, es := o.geometry(shape)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.norms(x, m, n, vs, es)
	// Σ_{i≠j} is twice Σ_{i<j}, so factor·0.5·Σ_{i≠j}/pairs = factor·Σ_{i<j}/pairs.
	var sum float64
	for i := range m {
		for j := i + 1; j < m; j++ {
			sum += math.Abs(o.inv[i] * o.inv[j] * dotVectors(x, i, j, n, vs, es))
		}
	}
	pairs := float64(m) * (float64(m) - 1) / 2
	return keras32(o.FactorValue()) * sum / pairs
}

// AddGrad adds the penalty's gradient to g. With c = factor·0.5/pairs,
// P_ij = n_i·n_j and s_ij = sign(P_ij) (0 at 0, TensorFlow's gradient of
// abs), the gradient with respect to n_i is 2c·Σ_{j≠i} s_ij·n_j =: a_i.
// Through the normalization n_i = v_i/‖v_i‖ it is
//
//	(a_i - (a_i·n_i)·n_i) / ‖v_i‖,  where a_i·n_i = 2c·Σ_{j≠i} |P_ij|,
//
// and where the cap holds (‖v_i‖ < 1e-7, n_i = 1e7·v_i) it is 1e7·a_i.
func (o *Orthogonal) AddGrad(g, x []float32, shape tensor.Shape) {
	m, n, vs, es := o.geometry(shape)
	if m < 2 {
		return // Keras's penalty is NaN: training stops before the step
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.norms(x, m, n, vs, es)
	if cap(o.acc) < n {
		o.acc = make([]float64, n)
	}
	acc := o.acc[:n]
	c2 := 2 * keras32(o.FactorValue()) * 0.5 / (float64(m) * (float64(m) - 1) / 2)
	for i := range m {
		clear(acc)
		var sumAbs float64
		for j := range m {
			if j == i {
				continue
			}
			p := o.inv[i] * o.inv[j] * dotVectors(x, i, j, n, vs, es)
			s := sign(p)
			if s == 0 {
				continue
			}
			sumAbs += math.Abs(p)
			w, b := s*o.inv[j], j*vs
			for k := range n {
				acc[k] += w * float64(x[b+k*es])
			}
		}
		a, inv := i*vs, o.inv[i]
		if o.clamp[i] {
			for k := range n {
				g[a+k*es] += float32(c2 * inv * acc[k])
			}
			continue
		}
		for k := range n {
			ni := inv * float64(x[a+k*es])
			g[a+k*es] += float32(c2 * inv * (acc[k] - sumAbs*ni))
		}
	}
}

// Config returns {"class_name": "OrthogonalRegularizer",
// "config": {"factor": ..., "mode": "rows"}, ...}.
func (o *Orthogonal) Config() map[string]any {
	return wrap("OrthogonalRegularizer", map[string]any{"factor": o.FactorValue(), "mode": o.Mode.String()})
}

func readOrthogonal(c *config.Reader) Regularizer {
	// Keras's validate_float_arg refuses factor=None.
	if v, present := c.M["factor"]; present && v == nil {
		c.Failf("\"factor\" is null; want a non-negative number (Keras refuses None too)")
	}
	f, zero := factor(c, "OrthogonalRegularizer", "factor", 0.01)
	o := &Orthogonal{Factor: f, zero: zero}
	switch mode := c.Str("mode", "rows"); mode {
	case "rows":
	case "columns":
		o.Mode = Columns
	default:
		c.Failf("\"mode\" is %q; want \"rows\" or \"columns\"", mode)
	}
	return o
}
