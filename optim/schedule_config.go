package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
)

// Schedules in optimizer configs are written as Keras 3 serialises a
// LearningRateSchedule given as an optimizer's learning_rate
// (keras/src/optimizers/base_optimizer.py, get_config, which calls
// keras.optimizers.schedules.serialize):
//
//	{"module": "keras.optimizers.schedules", "class_name": "CosineDecay",
//	 "config": {"initial_learning_rate": 0.1, "decay_steps": 1000, "alpha": 0.0,
//	            "name": "CosineDecay", "warmup_target": null, "warmup_steps": 0},
//	 "registered_name": null}
//
// The config keys are each class's get_config in
// keras/src/optimizers/schedules/learning_rate_schedule.py. OneCycle has no
// Keras class; gokeras writes it as class "OneCycle" with PyTorch's
// argument names (max_lr, total_steps, pct_start, div_factor,
// final_div_factor).

// ScheduleClasses lists the class names ScheduleFromConfig reads.
var ScheduleClasses = []string{"CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay", "OneCycle", "PiecewiseConstantDecay", "PolynomialDecay"}

// ScheduleFromConfig returns the schedule a Keras class name and config
// describe. Keys Keras writes that change nothing here (name) are
// ignored; unknown keys are errors. Leaving out CosineDecay's decay_steps
// (or OneCycle's total_steps) is a gokeras extension meaning "the rest of
// training"; only an absent key (or null) means a default, so an explicit
// 0 there, a negative rate and a decay_steps of 0 are errors.
func ScheduleFromConfig(class string, cfg map[string]any) (Schedule, error) {
	s, err := scheduleFromConfig(class, cfg)
	if err != nil {
		return nil, fmt.Errorf("optim: %w", err)
	}
	return s, nil
}

// scheduleFromConfig is ScheduleFromConfig without the package prefix,
// for messages that say where the schedule is.
func scheduleFromConfig(class string, cfg map[string]any) (Schedule, error) {
	r := schedReader{config.New(cfg)}
	r.Get("name")
	var s Schedule
	switch class {
	case "CosineDecay":
		c := CosineDecay{
			InitialLearningRate: r.num("initial_learning_rate", 0, true),
			DecaySteps:          r.positiveSteps("decay_steps", false),
			Alpha:               r.num("alpha", 0, false),
			WarmupTarget:        r.positive("warmup_target"),
			WarmupSteps:         r.steps("warmup_steps", false),
		}
		if c.Alpha > 1 {
			r.Failf("alpha %v must be in [0, 1]", c.Alpha)
		}
		s = c
	case "ExponentialDecay":
		e := ExponentialDecay{
			InitialLearningRate: r.num("initial_learning_rate", 0, true),
			DecaySteps:          r.positiveSteps("decay_steps", true),
			DecayRate:           r.num("decay_rate", 0, true),
			Staircase:           r.Bool("staircase", false),
		}
		s = e
	case "PolynomialDecay":
		p := PolynomialDecay{
			InitialLearningRate: r.num("initial_learning_rate", 0, true),
			DecaySteps:          r.positiveSteps("decay_steps", true),
			EndLearningRate:     r.num("end_learning_rate", 0.0001, false),
			Power:               r.positive("power"),
			Cycle:               r.Bool("cycle", false),
		}
		p.Power = or(p.Power, 1) // as Keras writes it
		s = p
	case "InverseTimeDecay":
		s = InverseTimeDecay{
			InitialLearningRate: r.num("initial_learning_rate", 0, true),
			DecaySteps:          r.positiveSteps("decay_steps", true),
			DecayRate:           r.num("decay_rate", 0, true),
			Staircase:           r.Bool("staircase", false),
		}
	case "CosineDecayRestarts":
		c := CosineDecayRestarts{
			InitialLearningRate: r.num("initial_learning_rate", 0, true),
			FirstDecaySteps:     r.positiveSteps("first_decay_steps", true),
			TMul:                r.positive("t_mul"),
			MMul:                r.positive("m_mul"),
			Alpha:               r.num("alpha", 0, false),
		}
		if c.Alpha > 1 {
			r.Failf("alpha %v must be in [0, 1]", c.Alpha)
		}
		s = c
	case "PiecewiseConstantDecay":
		var p PiecewiseConstantDecay
		for _, b := range r.list("boundaries") {
			if b != math.Trunc(b) || (len(p.Boundaries) > 0 && int64(b) <= p.Boundaries[len(p.Boundaries)-1]) {
				r.Failf("boundaries must be increasing whole step numbers")
				break
			}
			p.Boundaries = append(p.Boundaries, int64(b))
		}
		p.Values = r.list("values")
		if r.Err == nil && len(p.Values) != len(p.Boundaries)+1 {
			r.Failf("%d boundaries need %d values, not %d", len(p.Boundaries), len(p.Boundaries)+1, len(p.Values))
		}
		s = p
	case "OneCycle":
		o := OneCycle{
			MaxLR:          r.num("max_lr", 0, true),
			TotalSteps:     r.positiveSteps("total_steps", false),
			PctStart:       r.positive("pct_start"),
			DivFactor:      r.positive("div_factor"),
			FinalDivFactor: r.positive("final_div_factor"),
		}
		if o.PctStart >= 1 {
			r.Failf("pct_start %v must be in (0, 1)", o.PctStart)
		}
		s = o
	default:
		return nil, fmt.Errorf("learning-rate schedule class %q is not supported; gokeras reads %s", class, strings.Join(ScheduleClasses, ", "))
	}
	if err := r.finish(class); err != nil {
		return nil, err
	}
	return s, nil
}

// ScheduleConfig returns the Keras class name and config of s, the inverse
// of ScheduleFromConfig. It fails for schedules defined outside this
// package.
func ScheduleConfig(s Schedule) (class string, cfg map[string]any, err error) {
	switch v := s.(type) {
	case CosineDecay:
		var target any // Keras's None: no warm-up
		if v.WarmupTarget != 0 {
			target = v.WarmupTarget
		}
		cfg := map[string]any{"initial_learning_rate": v.InitialLearningRate,
			"alpha": v.Alpha, "name": "CosineDecay", "warmup_target": target, "warmup_steps": v.WarmupSteps}
		setNonZero(cfg, "decay_steps", v.DecaySteps) // none: the rest of training
		return "CosineDecay", cfg, nil
	case ExponentialDecay:
		return "ExponentialDecay", map[string]any{"initial_learning_rate": v.InitialLearningRate, "decay_steps": v.DecaySteps,
			"decay_rate": v.DecayRate, "staircase": v.Staircase, "name": "ExponentialDecay"}, nil
	case PiecewiseConstantDecay:
		return "PiecewiseConstantDecay", map[string]any{"boundaries": v.Boundaries, "values": v.Values, "name": "PiecewiseConstant"}, nil
	case PolynomialDecay:
		return "PolynomialDecay", map[string]any{"initial_learning_rate": v.InitialLearningRate, "decay_steps": v.DecaySteps,
			"end_learning_rate": v.EndLearningRate, "power": or(v.Power, 1), "cycle": v.Cycle, "name": "PolynomialDecay"}, nil
	case InverseTimeDecay:
		return "InverseTimeDecay", map[string]any{"initial_learning_rate": v.InitialLearningRate, "decay_steps": v.DecaySteps,
			"decay_rate": v.DecayRate, "staircase": v.Staircase, "name": "InverseTimeDecay"}, nil
	case CosineDecayRestarts:
		return "CosineDecayRestarts", map[string]any{"initial_learning_rate": v.InitialLearningRate, "first_decay_steps": v.FirstDecaySteps,
			"t_mul": or(v.TMul, 2), "m_mul": or(v.MMul, 1), "alpha": v.Alpha, "name": "SGDRDecay"}, nil
	case OneCycle:
		// Zero fields are defaults, written by leaving the key out.
		cfg := map[string]any{"max_lr": v.MaxLR}
		setNonZero(cfg, "total_steps", v.TotalSteps)
		setNonZero(cfg, "pct_start", v.PctStart)
		setNonZero(cfg, "div_factor", v.DivFactor)
		setNonZero(cfg, "final_div_factor", v.FinalDivFactor)
		return "OneCycle", cfg, nil
	}
	return "", nil, fmt.Errorf("optim: schedule %T cannot be written to a model file; use one of %s", s, strings.Join(ScheduleClasses, ", "))
}

// schedReader is a config.Reader with the non-negative numbers, step
// counts and lists schedules take.
type schedReader struct{ *config.Reader }

// num reads a non-negative number; null (Keras's None) is the default.
func (r schedReader) num(key string, def float64, required bool) float64 {
	v, ok := r.Get(key)
	if !ok {
		if required {
			r.Failf("%s is required", key)
		}
		return def
	}
	f, ok := config.Number(v)
	if !ok || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		r.Failf("%s is %v; want a non-negative number", key, v)
		return def
	}
	return f
}

// setNonZero sets cfg[key] unless v is zero, which the schedule structs
// read as the default.
func setNonZero[T int64 | float64](cfg map[string]any, key string, v T) {
	if v != 0 {
		cfg[key] = v
	}
}

// positive reads a number whose zero value in the schedule struct means
// the default: absent or null gives 0, an explicit value must be > 0.
func (r schedReader) positive(key string) float64 {
	if _, ok := r.Get(key); !ok {
		return 0
	}
	f := r.num(key, 0, false)
	if f == 0 {
		r.Failf("%s is 0; give a positive value, or leave it out for the default", key)
	}
	return f
}

// positiveSteps reads a step count that must be at least 1 when given.
func (r schedReader) positiveSteps(key string, required bool) int64 {
	if _, ok := r.Get(key); !ok {
		r.num(key, 0, required) // the "is required" error
		return 0
	}
	n := r.steps(key, required)
	switch {
	case n == 0 && required:
		r.Failf("%s is 0; it must be at least 1", key)
	case n == 0:
		r.Failf("%s is 0; it must be at least 1, or be left out for the rest of training", key)
	}
	return n
}

func (r schedReader) steps(key string, required bool) int64 {
	f := r.num(key, 0, required)
	if f != math.Trunc(f) {
		r.Failf("%s is %v; want a whole number of steps", key, f)
	}
	return int64(f)
}

func (r schedReader) list(key string) []float64 {
	raw, _ := r.Get(key)
	v, ok := raw.([]any)
	if !ok {
		r.Failf("%s must be a list of numbers", key)
		return nil
	}
	out := make([]float64, len(v))
	for i, e := range v {
		f, ok := config.Number(e)
		if !ok || f < 0 {
			r.Failf("%s[%d] is %v; want a non-negative number", key, i, e)
			return nil
		}
		out[i] = f
	}
	return out
}

func (r schedReader) finish(class string) error {
	if r.Err != nil {
		return fmt.Errorf("%s config: %w", class, r.Err)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return fmt.Errorf("%s config has unknown key %q; it takes %s", class, unknown[0], strings.Join(r.Read(), ", "))
	}
	return nil
}

// scheduleModule is the module Keras 3 writes for its schedules.
const scheduleModule = "keras.optimizers.schedules"

// scheduleObject is s as Keras 3's serialize_keras_object writes it
// (keras/src/saving/serialization_lib.py), or nil when s cannot be written.
func scheduleObject(s Schedule) map[string]any {
	class, cfg, err := ScheduleConfig(s)
	if err != nil {
		return nil
	}
	return map[string]any{"module": scheduleModule, "class_name": class, "config": cfg, "registered_name": nil}
}

// scheduleFromObject reads a learning_rate given as a serialised schedule:
// class_name and config, with Keras's module and registered_name allowed.
func scheduleFromObject(obj map[string]any) (Schedule, error) {
	r := config.New(obj)
	class, _ := r.Get("class_name")
	name, ok := class.(string)
	if !ok {
		return nil, fmt.Errorf("it is %s, which has no class_name string; give a number or a schedule such as {\"class_name\": \"CosineDecay\", \"config\": {\"initial_learning_rate\": 0.01, \"decay_steps\": 1000}}", compact(obj))
	}
	r.Get("module")
	r.Get("registered_name")
	raw, _ := r.Get("config")
	cfg, ok := raw.(map[string]any)
	if raw != nil && !ok {
		return nil, fmt.Errorf("the %s schedule's config is %v; want an object of its options", name, raw)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return nil, fmt.Errorf("the %s schedule has unknown key %q; a schedule takes class_name, config, module and registered_name", name, unknown[0])
	}
	return scheduleFromConfig(name, cfg)
}

// compact is v as one line of JSON, for messages.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
