package constraint

import (
	"fmt"
	"math"
	"slices"

	"github.com/gokeras/gokeras/tensor"
)

// epsilon is backend.epsilon(), 1e-7, as the float32 Keras adds to a norm.
var epsilon = float64(float32(1e-7))

// maxRank bounds the rank of a weight a norm constraint takes.
const maxRank = 8

// axis0 is Keras's default axis list; read only.
var axis0 = []int{0}

// axesOr returns axes, or Keras's default [0] for nil.
func axesOr(axes []int) []int {
	if axes == nil {
		return axis0
	}
	return axes
}

// checkAxes reports an axis outside the shape (negative ones count from
// the end, as in Keras), a repeated axis, or a rank above maxRank.
func checkAxes(class string, axes []int, shape tensor.Shape) error {
	r := len(shape)
	if r > maxRank {
		return fmt.Errorf("constraint: %s on shape %v: rank %d is above %d", class, shape, r, maxRank)
	}
	if len(axes) == 0 {
		return fmt.Errorf("constraint: %s axis is an empty list; give at least one axis", class)
	}
	seen := [maxRank]bool{}
	for _, a := range axes {
		if a < -r || a >= r {
			return fmt.Errorf("constraint: %s axis %d is outside a weight of shape %v (rank %d); use an axis from %d to %d", class, a, shape, r, -r, r-1)
		}
		if a < 0 {
			a += r
		}
		if seen[a] {
			return fmt.Errorf("constraint: %s axis %v names axis %d twice", class, axes, a)
		}
		seen[a] = true
	}
	return nil
}

// layout splits a shape's axes into those a norm reduces and those it
// keeps: each index of the kept axes is one group of elements whose norm
// is taken together. It lives on the stack, so applying a constraint does
// not allocate.
type layout struct {
	kept, red   [maxRank]int // dims
	keptS, redS [maxRank]int // strides in the flat data
	nk, nr      int
	groups      int // product of the kept dims
	size        int // product of the reduced dims
}

func newLayout(class string, shape tensor.Shape, axes []int) layout {
	if err := checkAxes(class, axes, shape); err != nil {
		panic(err.Error() + " (Check rejects this at Build)")
	}
	var reduce [maxRank]bool
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		reduce[a] = true
	}
	l := layout{groups: 1, size: 1}
	stride := 1
	for i := len(shape) - 1; i >= 0; i-- {
		d := shape[i]
		if reduce[i] {
			l.red[l.nr], l.redS[l.nr] = d, stride
			l.nr++
			l.size *= d
		} else {
			l.kept[l.nk], l.keptS[l.nk] = d, stride
			l.nk++
			l.groups *= d
		}
		stride *= d
	}
	return l
}

// offset is the flat offset of index i in the mixed radix of dims (the
// innermost axis first).
func offset(i int, dims, strides *[maxRank]int, n int) int {
	o := 0
	for k := range n {
		o += (i % dims[k]) * strides[k]
		i /= dims[k]
	}
	return o
}

// scaleByNorm replaces each group g of w by g·scale(‖g‖), the norm over
// the reduced axes computed in float64.
func scaleByNorm(class string, w []float32, shape tensor.Shape, axes []int, scale func(norm float64) float64) {
	l := newLayout(class, shape, axes)
	for g := range l.groups {
		base := offset(g, &l.kept, &l.keptS, l.nk)
		var s float64
		for e := range l.size {
			v := float64(w[base+offset(e, &l.red, &l.redS, l.nr)])
			s += v * v
		}
		f := scale(math.Sqrt(s))
		for e := range l.size {
			i := base + offset(e, &l.red, &l.redS, l.nr)
			w[i] = float32(float64(w[i]) * f)
		}
	}
}

// axisConfig writes axes as Keras holds them: an int for one axis, else a list.
func axisConfig(axes []int) any {
	axes = axesOr(axes)
	if len(axes) == 1 {
		return axes[0]
	}
	return slices.Clone(axes)
}

// finite reports a value that is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clip is ops.clip: min(max(v, lo), hi).
func clip(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// keras32 rounds a config value to the float32 Keras computes with.
func keras32(v float64) float64 { return float64(float32(v)) }

// orDefault is a field's effective value: the field, or def when it is
// zero and no config said 0 explicitly (zero).
func orDefault(v float64, zero bool, def float64) float64 {
	if v == 0 && !zero {
		return def
	}
	return v
}

// wrap is the object Keras 3's serialize_keras_object writes for a
// built-in constraint.
func wrap(class string, cfg map[string]any) map[string]any {
	return map[string]any{"module": "keras.constraints", "class_name": class, "config": cfg, "registered_name": nil}
}
