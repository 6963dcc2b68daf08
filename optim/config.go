package optim

import (
	"fmt"
	"math"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
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
	r := reader{o.Name(), config.New(cfg)}
	r.Get("name")
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
			r.Failf("optim: %s %s is %v; use a positive value, or null for none", r.opt, kv.k, kv.v)
		}
		if kv.v > 0 {
			set = append(set, kv.k)
		}
	}
	if len(set) > 1 {
		r.Failf("optim: %s sets %s; Keras allows only one of clipnorm, clipvalue and global_clipnorm", r.opt, strings.Join(set, " and "))
	}
	var e EMA
	r.bool("use_ema", &e.Use)
	r.defaulted("ema_momentum", &e.Momentum, 0.99, openUnit)
	lr, sched, lrGiven := r.learningRate()
	var freq float64
	r.float("ema_overwrite_frequency", &freq)
	if freq < 0 || freq != math.Trunc(freq) {
		r.Failf("optim: %s ema_overwrite_frequency %v must be a whole number of steps, or null", r.opt, freq)
	}
	e.OverwriteFrequency = int(freq)
	m := r.multipliers()
	// Keras base-optimizer keys for features not implemented here.
	r.allow("loss_scale_factor", none{})
	r.allow("gradient_accumulation_steps", none{})
	r.allow("is_legacy_optimizer", false)
	if o.Name() != NameAdamW && o.Name() != NameSGD {
		r.allow("weight_decay", 0.0)
	}
	// Options whose zero value here means Keras's default go through
	// defaulted, so that an explicit 0 is an error, not that default.
	switch o := o.(type) {
	case *SGD:
		r.float("momentum", &o.Momentum)
		if o.Momentum < 0 || o.Momentum > 1 {
			// Keras: "`momentum` must be a float between [0, 1]" (sgd.py).
			r.Failf("optim: sgd momentum is %v; use a value in [0, 1]", o.Momentum)
		}
		r.bool("nesterov", &o.Nesterov)
		r.float("weight_decay", &o.WeightDecay)
		if o.WeightDecay < 0 {
			r.Failf("optim: sgd weight_decay is %v; use a value >= 0", o.WeightDecay)
		}
		o.Clip, o.LRMultipliers, o.EMA = c, m, e
	case *Adam:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.allow("amsgrad", false)
		o.Clip, o.LRMultipliers, o.EMA = c, m, e
	case *AdamW:
		r.defaulted("weight_decay", &o.WeightDecay, 0.004, positive)
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.allow("amsgrad", false)
		o.Clip, o.LRMultipliers, o.EMA = c, m, e
	case *RMSprop:
		r.defaulted("rho", &o.Rho, 0.9, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.allow("momentum", 0.0)
		r.allow("centered", false)
		o.Clip, o.LRMultipliers, o.EMA = c, m, e
	case *Adagrad:
		r.defaulted("initial_accumulator_value", &o.InitialAccumulator, 0.1, positive)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		o.Clip, o.LRMultipliers, o.EMA = c, m, e
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	switch {
	case sched != nil:
		o.SetSchedule(sched)
	case lrGiven:
		o.SetLearningRate(lr) // honours 0, which the LR field reads as the default
	}
	return o, nil
}

// learningRate reads learning_rate: a finite number >= 0 when given (a
// negative rate would climb the loss; Keras does not check, PyTorch's
// optimizers reject it with "Invalid learning rate"), or a schedule as
// Keras serialises one (base_optimizer.from_config deserialises a dict).
func (r reader) learningRate() (float64, Schedule, bool) {
	v, ok := r.Get("learning_rate")
	if !ok {
		return 0, nil, false
	}
	if obj, ok := v.(map[string]any); ok {
		s, err := scheduleFromObject(obj)
		if err != nil {
			r.Failf("optim: %s learning_rate: %w", r.opt, err)
			return 0, nil, false
		}
		return 0, s, true
	}
	var lr float64
	r.float("learning_rate", &lr)
	if lr < 0 || math.IsNaN(lr) || math.IsInf(lr, 0) {
		r.Failf("optim: %s learning_rate is %v; use a rate >= 0 such as 0.001", r.opt, lr)
		return 0, nil, false
	}
	return lr, nil, true
}

// A valueRange says which explicit values an option takes.
type valueRange int

const (
	positive valueRange = iota // (0, inf)
	openUnit                   // (0, 1)
)

// defaulted reads an option whose zero value in the optimizer struct means
// Keras's default def: absent or null leaves dst at 0 (the default), and an
// explicit value must lie in rng. An explicit 0 is an error rather than
// silently def.
func (r reader) defaulted(key string, dst *float64, def float64, rng valueRange) {
	if _, ok := r.Get(key); !ok {
		return
	}
	var v float64
	r.float(key, &v)
	switch {
	case r.Err != nil:
	case v == 0:
		r.Failf("optim: %s %s is 0; gokeras reads 0 as the default %v, so leave it out for that or give a small positive value", r.opt, key, def)
	case rng == openUnit && !(v > 0 && v < 1):
		r.Failf("optim: %s %s is %v; use a value in (0, 1), Keras's default is %v", r.opt, key, v, def)
	case rng == positive && !(v > 0 && v <= math.MaxFloat64):
		r.Failf("optim: %s %s is %v; use a positive value, Keras's default is %v", r.opt, key, v, def)
	default:
		*dst = v
	}
}

// reader is a config.Reader whose messages name the optimiser.
type reader struct {
	opt string
	*config.Reader
}

// float reads key into dst when present and not nil.
func (r reader) float(key string, dst *float64) {
	v, ok := r.Get(key)
	if !ok {
		return
	}
	f, ok := config.Number(v)
	if !ok {
		r.Failf("optim: %s %s is %v (%T); use a number", r.opt, key, v, v)
		return
	}
	*dst = f
}

// bool reads key into dst when present and not nil.
func (r reader) bool(key string, dst *bool) {
	v, ok := r.Get(key)
	if !ok {
		return
	}
	b, ok := v.(bool)
	if !ok {
		r.Failf("optim: %s %s is %v (%T); use true or false", r.opt, key, v, v)
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
func (r reader) allow(key string, def any) {
	v, ok := r.Get(key)
	if !ok || def == nil {
		return
	}
	switch d := def.(type) {
	case bool:
		if b, ok := v.(bool); ok && b == d {
			return
		}
	case float64:
		if f, ok := config.Number(v); ok && f == d {
			return
		}
	}
	r.Failf("optim: %s %s = %v is not supported by gokeras; remove it or set it to %v", r.opt, key, v, def)
}

// finish returns the first error, or one naming a key nobody read.
func (r reader) finish() error {
	if r.Err != nil {
		return r.Err
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return fmt.Errorf("optim: unknown %s option %q; valid options are %s", r.opt, unknown[0], strings.Join(r.Read(), ", "))
	}
	return nil
}

// multipliers reads "lr_multipliers": {"beta": 64, ...}; nil when absent.
func (r reader) multipliers() LRMultipliers {
	v, ok := r.Get("lr_multipliers")
	if !ok {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		r.Failf("optim: %s lr_multipliers is %v (%T); use an object of variable or layer names and factors, e.g. {\"beta\": 64}", r.opt, v, v)
		return nil
	}
	m := make(LRMultipliers, len(obj))
	for k, x := range obj {
		f, ok := config.Number(x)
		if !ok || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			r.Failf("optim: %s lr_multipliers[%q] is %v; use a finite number >= 0", r.opt, k, x)
			return nil
		}
		m[k] = f
	}
	return m
}
