package optim

import (
	"fmt"
	"math"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
)

// FromConfig returns the optimizer name configured by cfg, the inverse of
// Config. It also reads configs saved by Keras 3 (get_config of each class
// in keras/src/optimizers/). Unknown keys are errors; loss_scale_factor,
// which gokeras does not implement, is accepted only as null. Numbers may
// be any Go numeric type or json.Number; nil means the default.
func FromConfig(name string, cfg map[string]any) (Optimizer, error) {
	if n := strings.ToLower(name); n == NameMultiOptimizer || n == "multioptimizer" {
		return multiFromConfig(cfg)
	}
	o, err := Parse(name)
	if err != nil {
		return nil, err
	}
	r := reader{o.Name(), config.New(cfg)}
	r.Get("name")
	var b base
	r.float("clipnorm", &b.clip.Norm)
	r.float("clipvalue", &b.clip.Value)
	r.float("global_clipnorm", &b.clip.GlobalNorm)
	var set []string
	for _, kv := range []struct {
		k string
		v float64
	}{{"clipnorm", b.clip.Norm}, {"clipvalue", b.clip.Value}, {"global_clipnorm", b.clip.GlobalNorm}} {
		if kv.v < 0 {
			r.Failf("optim: %s %s is %v; use a positive value, or null for none", r.opt, kv.k, kv.v)
		}
		if kv.v > 0 {
			set = append(set, kv.k)
		}
	}
	if len(set) > 1 {
		// base_optimizer.py: "Only one of `clipnorm`, `clipvalue` and
		// `global_clipnorm` can be set."
		r.Failf("optim: %s sets %s; Keras allows only one of clipnorm, clipvalue and global_clipnorm", r.opt, strings.Join(set, " and "))
	}
	r.bool("use_ema", &b.ema.Use)
	r.defaulted("ema_momentum", &b.ema.Momentum, 0.99, openUnit)
	lr, sched, lrGiven := r.learningRate()
	b.ema.OverwriteFrequency = r.count("ema_overwrite_frequency", 1)
	b.accum = r.count("gradient_accumulation_steps", 2)
	b.mult = r.multipliers()
	r.allow("loss_scale_factor", none{})
	r.allow("is_legacy_optimizer", false)
	if o.Name() == NameAdamW {
		// adamw.py: weight_decay None is an error; 0 here means 0.004.
		r.defaulted("weight_decay", &b.wd, 0.004, positive)
	} else {
		r.float("weight_decay", &b.wd)
		if b.wd < 0 || math.IsNaN(b.wd) || math.IsInf(b.wd, 0) {
			r.Failf("optim: %s weight_decay is %v; use a value >= 0, or null for none", r.opt, b.wd)
		}
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
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Adam:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.bool("amsgrad", &o.AMSGrad)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *AdamW:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.bool("amsgrad", &o.AMSGrad)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *RMSprop:
		r.defaulted("rho", &o.Rho, 0.9, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.float("momentum", &o.Momentum)
		if o.Momentum < 0 || o.Momentum >= 1 {
			r.Failf("optim: rmsprop momentum is %v; use a value in [0, 1), 0 for none", o.Momentum)
		}
		r.bool("centered", &o.Centered)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Adagrad:
		r.defaulted("initial_accumulator_value", &o.InitialAccumulator, 0.1, positive)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Nadam:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Adamax:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Adadelta:
		r.defaulted("rho", &o.Rho, 0.95, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *ScheduleFreeAdamW:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		r.defaulted("beta_2", &o.Beta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-8, positive)
		o.WarmupSteps = r.count("warmup_steps", 0)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Muon:
		r.defaulted("adam_beta_1", &o.AdamBeta1, 0.9, openUnit)
		r.defaulted("adam_beta_2", &o.AdamBeta2, 0.999, openUnit)
		r.defaulted("epsilon", &o.Epsilon, 1e-7, positive)
		r.defaulted("adam_lr_ratio", &o.AdamLRRatio, 0.1, positive)
		r.defaulted("momentum", &o.Momentum, 0.95, openUnit)
		for _, k := range []struct {
			key string
			dst *float64
			def float64
		}{{"muon_a", &o.MuonA, 3.4445}, {"muon_b", &o.MuonB, -4.7750}, {"muon_c", &o.MuonC, 2.0315}} {
			r.float(k.key, k.dst)
			if math.IsNaN(*k.dst) || math.IsInf(*k.dst, 0) {
				r.Failf("optim: muon %s is %v; use a finite number (default %v)", k.key, *k.dst, k.def)
			}
		}
		o.NSSteps = r.count("ns_steps", 1)
		if o.NSSteps > maxNSSteps {
			// Each step is three matrix products per variable per batch.
			r.Failf("optim: muon ns_steps is %d; use at most %d (Keras's default is 6)", o.NSSteps, maxNSSteps)
		}
		var nesterov, exclEmb = true, true
		r.bool("nesterov", &nesterov)
		r.bool("exclude_embeddings", &exclEmb)
		o.NoNesterov, o.KeepEmbeddings = !nesterov, !exclEmb
		if v, ok := r.Get("exclude_layers"); ok && v != nil {
			list, isList := v.([]any)
			for _, e := range list {
				str, isStr := e.(string)
				if !isStr {
					isList = false
					break
				}
				o.ExcludeLayers = append(o.ExcludeLayers, str)
			}
			if !isList {
				r.Failf("optim: muon exclude_layers %v is not a list of strings", v)
			}
		}
		// weight_decay: absent is Keras's 0.1, null is none.
		if v, present := cfg["weight_decay"]; present {
			if v == nil {
				o.WeightDecay = Float(0)
			} else {
				o.WeightDecay = Float(b.wd)
			}
		}
		o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.clip, b.mult, b.ema, b.accum
	case *ScheduleFreeSGD:
		r.defaulted("beta_1", &o.Beta1, 0.9, openUnit)
		o.WarmupSteps = r.count("warmup_steps", 0)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Lion:
		// lion.py: "`beta_1` must be in the [0, 1] range" (0 excluded).
		r.defaulted("beta_1", &o.Beta1, 0.9, unitRight)
		r.defaulted("beta_2", &o.Beta2, 0.99, openUnit)
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Ftrl:
		if _, ok := r.Get("learning_rate_power"); ok {
			var p float64
			r.float("learning_rate_power", &p)
			if p > 0 || math.IsNaN(p) || math.IsInf(p, 0) {
				r.Failf("optim: ftrl learning_rate_power is %v; Keras needs it negative or zero (default -0.5)", p)
			}
			o.LearningRatePower = &p
		}
		r.defaulted("initial_accumulator_value", &o.InitialAccumulator, 0.1, positive)
		for _, kv := range []struct {
			k string
			p *float64
		}{{"l1_regularization_strength", &o.L1}, {"l2_regularization_strength", &o.L2},
			{"l2_shrinkage_regularization_strength", &o.L2Shrinkage}, {"beta", &o.Beta}} {
			r.float(kv.k, kv.p)
			if *kv.p < 0 || math.IsNaN(*kv.p) || math.IsInf(*kv.p, 0) {
				r.Failf("optim: ftrl %s is %v; use a value >= 0 (default 0)", kv.k, *kv.p)
			}
		}
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
	case *Adafactor:
		if _, ok := r.Get("beta_2_decay"); ok {
			r.float("beta_2_decay", &o.Beta2Decay)
			if !(o.Beta2Decay < 0) {
				r.Failf("optim: adafactor beta_2_decay is %v; use a negative value (Keras's default is -0.8)", o.Beta2Decay)
			}
		}
		r.defaulted("epsilon_1", &o.Epsilon1, 1e-30, positive)
		r.defaulted("epsilon_2", &o.Epsilon2, 1e-3, positive)
		r.defaulted("clip_threshold", &o.ClipThreshold, 1, positive)
		rel := true
		r.bool("relative_step", &rel)
		o.NoRelativeStep = !rel
		o.WeightDecay, o.Clip, o.LRMultipliers, o.EMA, o.GradientAccumulationSteps = b.wd, b.clip, b.mult, b.ema, b.accum
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

// count reads a whole number of steps that is null (0 here) or at least
// least: ema_overwrite_frequency (>= 1) and gradient_accumulation_steps
// (>= 2), as base_optimizer.py checks them.
func (r reader) count(key string, least int) int {
	var f float64
	r.float(key, &f)
	if f != 0 && (f < float64(least) || f != math.Trunc(f) || f > math.MaxInt32) {
		r.Failf("optim: %s %s is %v; it must be a whole number >= %d, or null", r.opt, key, f, least)
		return 0
	}
	return int(f)
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
	positive  valueRange = iota // (0, inf)
	openUnit                    // (0, 1)
	unitRight                   // (0, 1]
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
	case rng == unitRight && !(v > 0 && v <= 1):
		r.Failf("optim: %s %s is %v; use a value in (0, 1], Keras's default is %v", r.opt, key, v, def)
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

// kerasClasses maps each optimizer's Name to Keras's class name.
var kerasClasses = map[string]string{
	NameAdam: "Adam", NameAdamW: "AdamW", NameAdamax: "Adamax", NameNadam: "Nadam",
	NameSGD: "SGD", NameRMSprop: "RMSprop", NameAdagrad: "Adagrad",
	NameAdadelta: "Adadelta", NameFtrl: "Ftrl", NameLion: "Lion",
	NameAdafactor: "Adafactor", NameScheduleFreeAdamW: "ScheduleFreeAdamW",
	NameScheduleFreeSGD: "ScheduleFreeSGD", NameMuon: "Muon", NameMultiOptimizer: "MultiOptimizer",
}

// ClassName returns Keras's class name of the optimizer called name
// ("sgd" gives "SGD"), name itself when it is not one of gokeras's.
func ClassName(name string) string {
	if c, ok := kerasClasses[strings.ToLower(name)]; ok {
		return c
	}
	return name
}
