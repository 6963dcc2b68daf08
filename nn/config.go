package nn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// Configs are the JSON objects Keras writes for each layer in
// model.to_json(): {"class_name": "Conv2D", "config": {"filters": 32, ...}}.
// FromConfig reads them (Keras 2 and Keras 3 spellings, ignoring keys that
// do not change the computation, such as dtype) and Config writes them.

// FromConfig creates a layer from its Keras class name and config.
func FromConfig(class string, cfg map[string]any) (Layer, error) {
	mk, ok := registry[class]
	if !ok {
		names := make([]string, 0, len(registry))
		for n := range registry {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, &ConfigError{Class: class, Err: fmt.Errorf("unknown layer class %q; gokeras has %s", class, strings.Join(names, ", "))}
	}
	r := &cfgReader{config.New(cfg)}
	l := mk(r)
	if name := r.Str("name", ""); name != "" && r.Err == nil {
		l.SetLayerName(name)
	}
	if r.Err != nil {
		return nil, &ConfigError{Class: class, Err: r.Err}
	}
	return l, nil
}

// ConfigError is FromConfig's error: what is wrong with a layer's config
// (or its class name), for a caller that adds where the layer is.
type ConfigError struct {
	Class string // the class name as given
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("nn: %s config: %v", e.Class, e.Err) }

func (e *ConfigError) Unwrap() error { return e.Err }

// Classes lists the Keras class names FromConfig accepts.
func Classes() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var registry = map[string]func(*cfgReader) Layer{}

func register(class string, mk func(*cfgReader) Layer) { registry[class] = mk }

// cfgReader pulls typed values out of a decoded JSON object, remembering the
// first error so that constructors read straight through.
// cfgReader is a config.Reader with the readers layer configs need.
// Unknown keys are ignored: Keras writes many that do not change the
// computation (dtype, trainable, ...).
type cfgReader struct{ *config.Reader }

func (r *cfgReader) fail(key string, v any, want string) { r.Failf("%q is %v; want %s", key, v, want) }

// ints reads a list of integers; null entries (Keras's None) become -1.
func (r *cfgReader) ints(key string) []int {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case float64:
		return []int{int(x)}
	case int:
		return []int{x}
	case []int:
		return x
	case []any:
		out := make([]int, len(x))
		for i, e := range x {
			switch n := e.(type) {
			case nil:
				out[i] = -1
			case float64:
				out[i] = int(n)
			case int:
				out[i] = n
			default:
				r.fail(key, v, "a list of integers")
			}
		}
		return out
	}
	r.fail(key, v, "a list of integers")
	return nil
}

// pair reads Keras's int-or-tuple arguments such as kernel_size, strides
// and pool_size. Only an absent key (or null, Keras's None) gives the zero
// pair that the layer structs read as the default: an explicit 0 is an
// error, as it is in Keras, not a silent default.
func (r *cfgReader) pair(key string) [2]int {
	s := r.ints(key)
	for _, d := range s {
		if d <= 0 {
			r.Failf("%s must be positive, got %v; Keras rejects 0 too", key, s)
			return [2]int{}
		}
	}
	switch len(s) {
	case 0:
		return [2]int{}
	case 1:
		return [2]int{s[0], s[0]}
	case 2:
		return [2]int{s[0], s[1]}
	}
	r.fail(key, s, "one or two integers")
	return [2]int{}
}

// positive reads a number whose zero value in the layer struct means
// def: absent or null gives 0 (the default), and an explicit value must
// be positive, so that a 0 in a file is not silently replaced by def.
func (r *cfgReader) positive(key string, def float64) float64 {
	if _, ok := r.Get(key); !ok {
		return 0
	}
	v := r.Num(key, 0)
	if v <= 0 && r.Err == nil {
		r.Failf("%s must be positive, got %v; leave it out for the default %v", key, v, def)
	}
	return v
}

// positiveInt is positive for whole numbers.
func (r *cfgReader) positiveInt(key string, def int) int {
	if _, ok := r.Get(key); !ok {
		return 0
	}
	v := r.Int(key, 0)
	if v <= 0 && r.Err == nil {
		r.Failf("%s must be positive, got %v; leave it out for the default %v", key, v, def)
	}
	return v
}

func (r *cfgReader) activation(key string) activation.Func {
	v, ok := r.Get(key)
	if !ok {
		return activation.Linear
	}
	name, ok := v.(string)
	if !ok {
		// Keras 3 may serialise a function as {"class_name": "function", "config": "relu"}.
		if obj, isObj := v.(map[string]any); isObj {
			name, ok = obj["config"].(string)
		}
		if !ok {
			r.fail(key, v, "an activation name")
			return activation.Linear
		}
	}
	f, err := activation.Parse(name)
	if err != nil && r.Err == nil {
		r.Err = err
	}
	return f
}

func (r *cfgReader) padding(key string) Padding {
	p, err := ParsePadding(r.Str(key, "valid"))
	if err != nil && r.Err == nil {
		r.Err = err
	}
	return p
}

// initializer reads "he_normal" or {"class_name": "HeNormal", "config": {...}}.
func (r *cfgReader) initializer(key string) Initializer {
	v, ok := r.Get(key)
	if !ok {
		return InitDefault
	}
	var name string
	switch x := v.(type) {
	case string:
		name = x
	case map[string]any:
		name, _ = x["class_name"].(string)
	}
	i, err := ParseInitializer(name)
	if err != nil && r.Err == nil {
		r.Err = err
	}
	return i
}

// inputShape reads Keras's declared input on the first layer: "batch_shape"
// (Keras 3) or "batch_input_shape" (Keras 2), both with a leading null.
func (r *cfgReader) inputShape() tensor.Shape {
	for _, key := range []string{"batch_shape", "batch_input_shape"} {
		if s := r.ints(key); len(s) > 1 {
			return tensor.Shape(s[1:])
		}
	}
	if s := r.ints("input_shape"); len(s) > 0 {
		return tensor.Shape(s)
	}
	return nil
}

// baseConfig starts a config with the keys every layer has.
func baseConfig(name string, in tensor.Shape) map[string]any {
	m := map[string]any{"name": name, "trainable": true, "dtype": "float32"}
	if len(in) > 0 {
		bs := make([]any, len(in)+1)
		for i, d := range in {
			bs[i+1] = d
		}
		m["batch_shape"] = bs
	}
	return m
}

func initConfig(i, def Initializer) map[string]any {
	i = i.or(def)
	class := ""
	for c, v := range initClasses {
		if v == i {
			class = c
		}
	}
	return map[string]any{"class_name": class, "config": map[string]any{}}
}

// InputShaper is implemented by layers that can declare the model's input
// shape, as input_shape=(...) does on a Keras layer.
type InputShaper interface {
	DeclaredInputShape() tensor.Shape
}
