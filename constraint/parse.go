package constraint

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// readers maps the names Keras resolves to a reader of the class's config:
// each class name and its snake case (keras/src/constraints/__init__.py,
// ALL_OBJECTS_DICT), and Keras 2's legacy aliases maxnorm, nonneg and
// unitnorm.
var readers = map[string]func(*config.Reader) Constraint{
	"MaxNorm":      readMaxNorm,
	"max_norm":     readMaxNorm,
	"maxnorm":      readMaxNorm,
	"MinMaxNorm":   readMinMaxNorm,
	"min_max_norm": readMinMaxNorm,
	"NonNeg":       readNonNeg,
	"non_neg":      readNonNeg,
	"nonneg":       readNonNeg,
	"UnitNorm":     readUnitNorm,
	"unit_norm":    readUnitNorm,
	"unitnorm":     readUnitNorm,
}

func known() string {
	names := make([]string, 0, len(readers))
	for n := range readers {
		names = append(names, fmt.Sprintf("%q", n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Parse reads a constraint as a Keras model file gives it: null (none), a
// name ("max_norm", "NonNeg", ...; the class at its defaults), or an object:
//
//	{"module": "keras.constraints", "class_name": "MaxNorm",
//	 "config": {"max_value": 2, "axis": 0}, "registered_name": null}
//
// as Keras 3 writes it, or {"class_name": "MaxNorm", "config": {...}} as
// Keras 2 does. axis is an integer or a list of integers. A config key the
// class does not take is an error, as are a custom class, a non-finite
// value and axis null (every axis; give them as a list). Values keep the
// float64 read, so Config writes them back unchanged.
func Parse(v any) (Constraint, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		read, ok := readers[x]
		if !ok {
			return nil, fmt.Errorf("constraint: unknown constraint %q; gokeras has %s", x, known())
		}
		return read(config.New(nil)), nil
	case map[string]any:
		return parseObject(x)
	}
	return nil, fmt.Errorf("constraint: %v is not a constraint; give a name such as \"max_norm\" or an object such as {\"class_name\": \"MaxNorm\", \"config\": {\"max_value\": 3, \"axis\": 0}}", v)
}

func parseObject(obj map[string]any) (Constraint, error) {
	outer := config.New(obj)
	class := outer.Str("class_name", "")
	if outer.Err != nil || class == "" {
		return nil, fmt.Errorf("constraint: object without a class name (%v); write {\"class_name\": \"MaxNorm\", \"config\": {\"max_value\": 3}}", obj)
	}
	read, ok := readers[class]
	if !ok {
		return nil, fmt.Errorf("constraint: unknown constraint class %q; gokeras has %s", class, known())
	}
	if m := outer.Str("module", ""); m != "" && m != "keras.constraints" && !strings.HasPrefix(m, "keras.src.constraints") {
		return nil, fmt.Errorf("constraint: %s from module %q is a custom class; gokeras has Keras's own (module \"keras.constraints\")", class, m)
	}
	if rn, ok := outer.Get("registered_name"); ok && rn != class {
		return nil, fmt.Errorf("constraint: %s registered as %v is a custom class; gokeras has Keras's own (registered_name null)", class, rn)
	}
	var inner map[string]any
	if c, ok := outer.Get("config"); ok {
		if inner, ok = c.(map[string]any); !ok {
			return nil, fmt.Errorf("constraint: %s config is %v; want an object such as {\"max_value\": 3, \"axis\": 0}", class, c)
		}
	}
	if u := outer.Unknown(); len(u) > 0 {
		return nil, fmt.Errorf("constraint: %s has unknown key %q; a constraint object has class_name, config, module and registered_name", class, u[0])
	}
	r := config.New(inner)
	c := read(r)
	if r.Err != nil {
		return nil, fmt.Errorf("constraint: %s config: %w", class, r.Err)
	}
	if u := r.Unknown(); len(u) > 0 {
		return nil, fmt.Errorf("constraint: %s config has unknown key %q; it takes %s", class, u[0], strings.Join(r.Read(), ", "))
	}
	return c, nil
}

// value reads a finite number, def when absent or null (Keras's default
// argument), and reports an explicit 0 where def is not 0.
func value(r *config.Reader, key string, def float64) (v float64, zero bool) {
	v = r.Num(key, def)
	if !finite(v) && r.Err == nil {
		r.Failf("%q is %v; want a finite number", key, v)
	}
	return v, v == 0 && def != 0
}

// axes reads axis: absent gives nil (axis 0), an integer or a list of
// integers as given. null is Keras's every axis, which gokeras does not take.
func axes(r *config.Reader) []int {
	v, present := r.M["axis"]
	r.Get("axis")
	if !present {
		return nil
	}
	bad := func() []int {
		r.Failf("\"axis\" is %v; want an integer or a list of integers (null, every axis, is not supported: list them)", v)
		return nil
	}
	whole := func(e any) (int, bool) {
		f, ok := config.Number(e)
		if !ok || f != math.Trunc(f) || math.Abs(f) > maxRank {
			return 0, false
		}
		return int(f), true
	}
	if list, ok := v.([]int); ok && len(list) > 0 {
		return slices.Clone(list) // from Go, not JSON; Check bounds it
	}
	if list, ok := v.([]any); ok {
		out := make([]int, len(list))
		for i, e := range list {
			a, ok := whole(e)
			if !ok {
				return bad()
			}
			out[i] = a
		}
		if len(out) == 0 {
			return bad()
		}
		return out
	}
	a, ok := whole(v)
	if !ok {
		return bad()
	}
	return []int{a}
}

func readMaxNorm(r *config.Reader) Constraint {
	m, zero := value(r, "max_value", 2)
	c := MaxNorm{MaxValue: m, Axis: axes(r), zero: zero}
	if r.Err == nil && m < 0 {
		r.Failf("\"max_value\" is %v; want a non-negative bound", m)
	}
	return c
}

func readMinMaxNorm(r *config.Reader) Constraint {
	lo, _ := value(r, "min_value", 0)
	hi, zeroMax := value(r, "max_value", 1)
	rate, zeroRate := value(r, "rate", 1)
	c := MinMaxNorm{MinValue: lo, MaxValue: hi, Rate: rate, Axis: axes(r), zeroMax: zeroMax, zeroRate: zeroRate}
	if r.Err == nil && (lo < 0 || lo > hi) {
		r.Failf("\"min_value\" %v and \"max_value\" %v; want 0 <= min_value <= max_value", lo, hi)
	}
	return c
}

func readNonNeg(*config.Reader) Constraint { return NonNeg{} }

func readUnitNorm(r *config.Reader) Constraint { return UnitNorm{Axis: axes(r)} }

// Serialize returns what a layer config holds for c: c.Config(), or nil
// (JSON null, Keras's None) for no constraint.
func Serialize(c Constraint) any {
	if c == nil {
		return nil
	}
	return c.Config()
}

// Checker is implemented by constraints that can reject their settings or
// a weight's shape before training (an axis the weight lacks).
type Checker interface {
	Check(shape tensor.Shape) error
}

// Check returns c's objection to constraining a weight of shape shape, or
// nil; a nil c, or one that is not a Checker, has none. Layers call it in
// Build.
func Check(c Constraint, shape tensor.Shape) error {
	if k, ok := c.(Checker); ok {
		return k.Check(shape)
	}
	return nil
}
