package loss

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
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
	r := config.New(cfg)
	r.Get("name")
	r.Get("dtype")
	if v, ok := r.Get("reduction"); ok && v != "sum_over_batch_size" && v != "auto" {
		r.Failf("reduction %v is not supported; gokeras averages over the batch (\"sum_over_batch_size\")", v)
	}
	// Keras's default, the last axis, is the only one.
	axis := func() {
		if a := r.Num("axis", -1); a != -1 {
			r.Failf("axis %v is not supported; gokeras uses the last axis (-1)", a)
		}
	}
	var l Loss
	switch name {
	case NameSparseCategoricalCrossentropy:
		if _, ok := r.Get("ignore_class"); ok {
			r.Failf("ignore_class is not supported; remove it or set it to null")
		}
		axis()
		l = SparseCategoricalCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: r.Num("label_smoothing", 0)}
	case NameCategoricalCrossentropy:
		axis()
		l = CategoricalCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: r.Num("label_smoothing", 0)}
	case NameBinaryCrossentropy:
		axis()
		if ls := r.Num("label_smoothing", 0); ls != 0 {
			r.Failf("label_smoothing %v is not supported for binary_crossentropy; remove it or set it to 0", ls)
		}
		l = BinaryCrossentropy{FromLogits: r.Bool("from_logits", false)}
	case NameMSE:
		l = MSE{}
	case NameMAE:
		l = MAE{}
	case NameHuber:
		l = Huber{Delta: r.Num("delta", 0)}
	}
	if r.Err != nil {
		return nil, fmt.Errorf("loss: %s config: %w", class, r.Err)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return nil, fmt.Errorf("loss: %s config has unknown key %q; it takes %s", class, unknown[0], strings.Join(r.Read(), ", "))
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
