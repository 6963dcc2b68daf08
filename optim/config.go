package optim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// FromConfig returns the optimizer name configured by cfg, the inverse of
// Config. It also reads configs saved by Keras 3: keys Keras writes for
// features this package lacks (use_ema, amsgrad, RMSprop's momentum and
// centered, ...) are accepted at their defaults and rejected otherwise.
// Numbers may be any Go numeric type or json.Number; nil means the default.
func FromConfig(name string, cfg map[string]any) (Optimizer, error) {
	o, err := Parse(name)
	if err != nil {
		return nil, err
	}
	r := reader{opt: o.Name(), cfg: cfg, used: map[string]bool{"name": true}}
	var c Clip
	r.float("clipnorm", &c.Norm)
	r.float("clipvalue", &c.Value)
	r.float("global_clipnorm", &c.GlobalNorm)
	var set []string
	for _, kv := range []struct {
		k string
		v float64
	}{{"clipnorm", c.Norm}, {"clipvalue", c.Value}, {"global_clipnorm", c.GlobalNorm}} {
		if kv.v < 0 {
			r.fail("optim: %s %s is %v; use a positive value, or null for none", r.opt, kv.k, kv.v)
		}
		if kv.v > 0 {
			set = append(set, kv.k)
		}
	}
	if len(set) > 1 {
		r.fail("optim: %s sets %s; Keras allows only one of clipnorm, clipvalue and global_clipnorm", r.opt, strings.Join(set, " and "))
	}
	// Keras base-optimizer keys for features not implemented here.
	r.allow("use_ema", false)
	r.allow("ema_momentum", nil)
	r.allow("ema_overwrite_frequency", nil)
	r.allow("loss_scale_factor", none{})
	r.allow("gradient_accumulation_steps", none{})
	r.allow("is_legacy_optimizer", false)
	if o.Name() != NameAdamW && o.Name() != NameSGD {
		r.allow("weight_decay", 0.0)
	}
	switch o := o.(type) {
	case *SGD:
		r.float("learning_rate", &o.LR)
		r.float("momentum", &o.Momentum)
		r.bool("nesterov", &o.Nesterov)
		r.float("weight_decay", &o.WeightDecay)
		o.Clip = c
	case *Adam:
		r.float("learning_rate", &o.LR)
		r.float("beta_1", &o.Beta1)
		r.float("beta_2", &o.Beta2)
		r.float("epsilon", &o.Epsilon)
		r.allow("amsgrad", false)
		o.Clip = c
	case *AdamW:
		r.float("learning_rate", &o.LR)
		r.float("weight_decay", &o.WeightDecay)
		r.float("beta_1", &o.Beta1)
		r.float("beta_2", &o.Beta2)
		r.float("epsilon", &o.Epsilon)
		r.allow("amsgrad", false)
		o.Clip = c
	case *RMSprop:
		r.float("learning_rate", &o.LR)
		r.float("rho", &o.Rho)
		r.float("epsilon", &o.Epsilon)
		r.allow("momentum", 0.0)
		r.allow("centered", false)
		o.Clip = c
	case *Adagrad:
		r.float("learning_rate", &o.LR)
		r.float("initial_accumulator_value", &o.InitialAccumulator)
		r.float("epsilon", &o.Epsilon)
		o.Clip = c
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return o, nil
}

// reader takes typed values out of a config map and remembers the first
// error and which keys were read.
type reader struct {
	opt  string
	cfg  map[string]any
	used map[string]bool
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// number converts a config value to float64.
func number(v any) (float64, bool) {
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

// float reads key into dst when present and not nil.
func (r *reader) float(key string, dst *float64) {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return
	}
	f, ok := number(v)
	if !ok {
		r.fail("optim: %s %s is %v (%T); use a number (learning-rate schedules are not supported in configs)", r.opt, key, v, v)
		return
	}
	*dst = f
}

// bool reads key into dst when present and not nil.
func (r *reader) bool(key string, dst *bool) {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("optim: %s %s is %v (%T); use true or false", r.opt, key, v, v)
		return
	}
	*dst = b
}

// none as allow's def accepts only an absent or null value.
type none struct{}

func (none) String() string { return "null" }

// allow accepts key when it is absent, nil, or equal to def (nil def: any
// value is accepted and ignored, none{}: only null); otherwise the feature
// is missing here.
func (r *reader) allow(key string, def any) {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil || def == nil {
		return
	}
	switch d := def.(type) {
	case bool:
		if b, ok := v.(bool); ok && b == d {
			return
		}
	case float64:
		if f, ok := number(v); ok && f == d {
			return
		}
	}
	r.fail("optim: %s %s = %v is not supported by gokeras; remove it or set it to %v", r.opt, key, v, def)
}

// finish returns the first error, or one naming keys nobody read.
func (r *reader) finish() error {
	if r.err != nil {
		return r.err
	}
	var unknown, known []string
	for k := range r.cfg {
		if !r.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for k := range r.used {
		known = append(known, k)
	}
	slices.Sort(unknown)
	slices.Sort(known)
	return fmt.Errorf("optim: unknown %s option %q; valid options are %s", r.opt, unknown[0], strings.Join(known, ", "))
}
