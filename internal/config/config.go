// Package config reads Keras-style configuration objects, the decoded JSON
// "config" maps of model files, for the packages that rebuild things from
// them: layers (nn), losses, optimisers and learning-rate schedules. A
// Reader hands out typed values with defaults, keeps the first error so
// that constructors can read straight through and check once, and
// remembers which keys were read so that callers that reject unknown keys
// can name them.
package config

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Reader reads one config map. Err is the first error; the owner adds its
// own context ("loss: Huber config: ...") when it returns it.
type Reader struct {
	M    map[string]any
	Err  error
	used map[string]bool
}

// New returns a Reader of m (nil reads as empty).
func New(m map[string]any) *Reader { return &Reader{M: m, used: map[string]bool{}} }

// Failf records an error unless one is recorded already.
func (r *Reader) Failf(format string, a ...any) {
	if r.Err == nil {
		r.Err = fmt.Errorf(format, a...)
	}
}

// Get marks key as read and returns its value; ok is false when the key
// is absent or null (Keras's None).
func (r *Reader) Get(key string) (v any, ok bool) {
	r.used[key] = true
	v, ok = r.M[key]
	return v, ok && v != nil
}

// Number converts a decoded JSON number (float64, the int types, or a
// json.Number) to float64.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// Num reads a number, def when absent or null.
func (r *Reader) Num(key string, def float64) float64 {
	v, ok := r.Get(key)
	if !ok {
		return def
	}
	f, ok := Number(v)
	if !ok {
		r.Failf("%q is %v; want a number", key, v)
		return def
	}
	return f
}

// Int reads a whole number, def when absent or null.
func (r *Reader) Int(key string, def int) int {
	f := r.Num(key, float64(def))
	if f != math.Trunc(f) {
		r.Failf("%q is %v; want an integer", key, f)
	}
	return int(f)
}

// Bool reads true or false, def when absent or null.
func (r *Reader) Bool(key string, def bool) bool {
	v, ok := r.Get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.Failf("%q is %v; want true or false", key, v)
		return def
	}
	return b
}

// Str reads a string, def when absent or null.
func (r *Reader) Str(key, def string) string {
	v, ok := r.Get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.Failf("%q is %v; want a string", key, v)
		return def
	}
	return s
}

// Unknown lists, sorted, the keys of M that nobody read.
func (r *Reader) Unknown() []string {
	var out []string
	for k := range r.M {
		if !r.used[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Read lists, sorted, the keys asked for so far (present or not): what the
// config may contain.
func (r *Reader) Read() []string {
	out := make([]string, 0, len(r.used))
	for k := range r.used {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
