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

	mu     sync.Mutex
	inv    []float64 // 1/‖v_i‖ (capped)
	clamp  []bool    // the cap applies: ‖v_i‖ < 1e-7
	nrm    []float64 // the normalized vectors n_i, one after another
	acc    []float64 // Σ_j s_ij·n_j for each i, laid out as nrm
	sumAbs []float64 // Σ_j |P_ij| for each i
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

// grow returns s with length n, reusing its storage when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// normalize fills o.inv, o.clamp and o.nrm (each vector contiguous, in
// float64) for the m vectors of x.
func (o *Orthogonal) normalize(x []float32, m, n, vs, es int) {
	o.inv, o.clamp, o.nrm = grow(o.inv, m), grow(o.clamp, m), grow(o.nrm, m*n)
	for i := range m {
		v := o.nrm[i*n : (i+1)*n]
		var s float64
		for k := range v {
			v[k] = float64(x[i*vs+k*es])
			s += v[k] * v[k]
		}
		// Keras: x·minimum(rsqrt(Σx²), 1/ε). At a tie the gradient goes
		// through rsqrt, as TensorFlow's Minimum gradient (x <= y).
		r := 1 / math.Sqrt(s)
		o.inv[i], o.clamp[i] = r, false
		if r > maxInvNorm {
			o.inv[i], o.clamp[i] = maxInvNorm, true
		}
		for k := range v {
			v[k] *= o.inv[i]
		}
	}
}

// dot is a·b, with four partial sums.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds f·x to y.
func axpy(y []float64, f float64, x []float64) {
	x = x[:len(y)]
	for k := range y {
		y[k] += f * x[k]
	}
}

// Penalty returns the penalty of the rank-2 x, in float64.
func (o *Orthogonal) Penalty(x []float32, shape tensor.Shape) float64 {
	m, n, vs, es := o.geometry(shape)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.normalize(x, m, n, vs, es)
	// Σ_{i≠j} is twice Σ_{i<j}, so factor·0.5·Σ_{i≠j}/pairs = factor·Σ_{i<j}/pairs.
	var sum float64
	for i := range m {
		ni := o.nrm[i*n : (i+1)*n]
		for j := i + 1; j < m; j++ {
			sum += math.Abs(dot(ni, o.nrm[j*n:(j+1)*n]))
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
	o.normalize(x, m, n, vs, es)
	o.acc, o.sumAbs = grow(o.acc, m*n), grow(o.sumAbs, m)
	clear(o.acc)
	clear(o.sumAbs)
	// Each pair once: P is symmetric, so s_ij adds n_j to a_i and n_i to a_j.
	for i := range m {
		ni, ai := o.nrm[i*n:(i+1)*n], o.acc[i*n:(i+1)*n]
		for j := i + 1; j < m; j++ {
			nj := o.nrm[j*n : (j+1)*n]
			p := dot(ni, nj)
			s := sign(p)
			if s == 0 {
				continue
			}
			axpy(ai, s, nj)
			axpy(o.acc[j*n:(j+1)*n], s, ni)
			o.sumAbs[i] += math.Abs(p)
			o.sumAbs[j] += math.Abs(p)
		}
	}
	c2 := keras32(o.FactorValue()) / (float64(m) * (float64(m) - 1) / 2)
	for i := range m {
		ni, ai, inv, b := o.nrm[i*n:(i+1)*n], o.acc[i*n:(i+1)*n], o.inv[i], i*vs
		if o.clamp[i] {
			for k := range ai {
				g[b+k*es] += float32(c2 * inv * ai[k])
			}
			continue
		}
		sa := o.sumAbs[i]
		for k := range ai {
			g[b+k*es] += float32(c2 * inv * (ai[k] - sa*ni[k]))
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
