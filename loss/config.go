package loss

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// A loss object in a model file's compile_config is what Keras 3 writes for
// compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1)):
//
//	{"module": "keras.losses", "class_name": "CategoricalCrossentropy",
//	 "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
//	            "from_logits": false, "label_smoothing": 0.1, "axis": -1},
//	 "registered_name": null}
//
// with each class's get_config keys (keras/src/losses/losses.py). A loss
// given by name is written as the name alone.

// classes maps Keras's loss class names to the names Parse takes.
var classes = map[string]string{
	"SparseCategoricalCrossentropy": NameSparseCategoricalCrossentropy,
	"CategoricalCrossentropy":       NameCategoricalCrossentropy,
	"BinaryCrossentropy":            NameBinaryCrossentropy,
	"MeanSquaredError":              NameMSE,
	"MeanAbsoluteError":             NameMAE,
	"Huber":                         NameHuber,
}

// FromConfig returns the loss a Keras class name and config describe.
// Keys that do not change the computation here (name, dtype, Keras's
// default reduction and axis) are accepted; options gokeras lacks are
// errors unless at their defaults. SparseCategoricalCrossentropy also
// takes label_smoothing, which Keras 3's does not (see its doc).
func FromConfig(class string, cfg map[string]any) (Loss, error) {
	name, ok := classes[class]
	if !ok {
		known := make([]string, 0, len(classes))
		for c := range classes {
			known = append(known, c)
		}
		slices.Sort(known)
		return nil, fmt.Errorf("loss: unknown loss class %q; gokeras has %s", class, strings.Join(known, ", "))
	}
	r := cfgReader{class: class, cfg: cfg, used: map[string]bool{"name": true, "dtype": true}}
	if v, ok := cfg["reduction"]; ok && v != nil && v != "sum_over_batch_size" && v != "auto" {
		r.fail("reduction %v is not supported; gokeras averages over the batch (\"sum_over_batch_size\")", v)
	}
	r.used["reduction"] = true
	var l Loss
	switch name {
	case NameSparseCategoricalCrossentropy:
		if v, ok := cfg["ignore_class"]; ok && v != nil {
			r.fail("ignore_class is not supported; remove it or set it to null")
		}
		r.used["ignore_class"] = true
		r.axis()
		l = SparseCategoricalCrossentropy{FromLogits: r.bool("from_logits"), LabelSmoothing: r.num("label_smoothing", 0)}
	case NameCategoricalCrossentropy:
		r.axis()
		l = CategoricalCrossentropy{FromLogits: r.bool("from_logits"), LabelSmoothing: r.num("label_smoothing", 0)}
	case NameBinaryCrossentropy:
		r.axis()
		if ls := r.num("label_smoothing", 0); ls != 0 {
			r.fail("label_smoothing %v is not supported for binary_crossentropy; remove it or set it to 0", ls)
		}
		l = BinaryCrossentropy{FromLogits: r.bool("from_logits")}
	case NameMSE:
		l = MSE{}
	case NameMAE:
		l = MAE{}
	case NameHuber:
		l = Huber{Delta: r.num("delta", 0)}
	}
	if r.err != nil {
		return nil, r.err
	}
	for k := range cfg {
		if !r.used[k] {
			known := make([]string, 0, len(r.used))
			for u := range r.used {
				known = append(known, u)
			}
			slices.Sort(known)
			return nil, fmt.Errorf("loss: %s config has unknown key %q; it takes %s", class, k, strings.Join(known, ", "))
		}
	}
	if ls, ok := LabelSmoothing(l); ok {
		if err := checkSmoothing(name, ls); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Config returns l's Keras class name and config, the inverse of
// FromConfig, for losses with options set; ok is false for a loss at its
// defaults (write its Name instead) or one defined outside this package.
func Config(l Loss) (class string, cfg map[string]any, ok bool) {
	base := func(name string) map[string]any {
		return map[string]any{"name": name, "reduction": "sum_over_batch_size"}
	}
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		if v == (SparseCategoricalCrossentropy{}) {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["ignore_class"] = v.FromLogits, nil
		if v.LabelSmoothing != 0 {
			cfg["label_smoothing"] = v.LabelSmoothing
		}
		return "SparseCategoricalCrossentropy", cfg, true
	case CategoricalCrossentropy:
		if v == (CategoricalCrossentropy{}) {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = v.FromLogits, v.LabelSmoothing, -1
		return "CategoricalCrossentropy", cfg, true
	case BinaryCrossentropy:
		if !v.FromLogits {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = true, 0.0, -1
		return "BinaryCrossentropy", cfg, true
	case Huber:
		if v.Delta == 0 || v.Delta == HuberDelta {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["delta"] = v.Delta
		return "Huber", cfg, true
	}
	return "", nil, false
}

// LabelSmoothing returns l's label smoothing; ok is false for losses
// without that option.
func LabelSmoothing(l Loss) (ls float64, ok bool) {
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		return v.LabelSmoothing, true
	case *SparseCategoricalCrossentropy:
		return v.LabelSmoothing, true
	case CategoricalCrossentropy:
		return v.LabelSmoothing, true
	case *CategoricalCrossentropy:
		return v.LabelSmoothing, true
	}
	return 0, false
}

// WithLabelSmoothing returns a copy of l with label smoothing ls, or an
// error when l has no such option or ls is outside [0, 1].
func WithLabelSmoothing(l Loss, ls float64) (Loss, error) {
	var out Loss
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case *SparseCategoricalCrossentropy:
		c := *v
		c.LabelSmoothing = ls
		out = c
	case CategoricalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case *CategoricalCrossentropy:
		c := *v
		c.LabelSmoothing = ls
		out = c
	default:
		name := "<nil>"
		if l != nil {
			name = l.Name()
		}
		return nil, fmt.Errorf("loss: %s has no label smoothing; it applies to %s and %s", name, NameSparseCategoricalCrossentropy, NameCategoricalCrossentropy)
	}
	if err := checkSmoothing(out.Name(), ls); err != nil {
		return nil, err
	}
	return out, nil
}

type cfgReader struct {
	class string
	cfg   map[string]any
	used  map[string]bool
	err   error
}

func (r *cfgReader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("loss: %s config: %s", r.class, fmt.Sprintf(format, a...))
	}
}

func (r *cfgReader) num(key string, def float64) float64 {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return def
	}
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	r.fail("%s is %v; want a number", key, v)
	return def
}

func (r *cfgReader) bool(key string) bool {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("%s is %v; want true or false", key, v)
	}
	return b
}

// axis accepts Keras's default, the last axis.
func (r *cfgReader) axis() {
	if a := r.num("axis", -1); a != -1 {
		r.fail("axis %v is not supported; gokeras uses the last axis (-1)", a)
	}
}
