package optim

// Learning-rate schedules, as Keras 3's keras.optimizers.schedules
// (keras/src/optimizers/schedules/learning_rate_schedule.py). A Schedule
// maps the optimizer's step (its iteration count: 0 for its first Apply)
// to a rate. An optimizer given one with SetSchedule evaluates it at its
// own iteration count on every Apply, as Keras's BaseOptimizer does when
// learning_rate is a LearningRateSchedule (_get_current_learning_rate in
// keras/src/optimizers/base_optimizer.py), so a run resumed with its
// optimizer state continues the schedule where it stopped.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Schedule gives the learning rate for a training step.
type Schedule interface {
	Rate(step int64) float64
}

// sized is implemented by schedules whose length may be left 0 to mean
// "until the end of training"; SetTrainingSteps fills it from the run.
type sized interface {
	withTotal(steps int64) Schedule
}

// ScheduleSyntax documents ParseSchedule's input, for CLI help.
const ScheduleSyntax = `NAME:key=value,... with NAME one of
  cosine:lr=0.01[,steps=N][,warmup=N][,from=0][,alpha=0]
      linear warm-up from 'from' to lr over 'warmup' steps, then cosine decay
      to alpha*lr over 'steps' steps (default: the rest of training)
  onecycle:lr=0.1[,steps=N][,pct=0.3][,div=25][,final_div=1e4]
      rise from lr/div to lr over the first pct of the steps, then fall to
      lr/div/final_div (default steps: the whole run)
  step:lr=0.1,every=N[,factor=0.1]
      multiply the rate by factor every N steps
  exponential:lr=0.1,every=N,factor=0.96
      lr * factor^(step/N), smoothly
  piecewise:boundaries=1000/5000,values=0.1/0.01/0.001
      values[i] up to boundaries[i], the last value after
  polynomial:lr=0.1,steps=N[,end=0.0001][,power=1][,cycle=0]
      (lr-end)*(1-step/steps)^power + end; cycle=1 restarts the decay
  inverse_time:lr=0.1,every=N,factor=0.5[,staircase=0]
      lr / (1 + factor*step/N), step/N floored with staircase=1
  restarts:lr=0.1,steps=N[,t_mul=2][,m_mul=1][,alpha=0]
      cosine decay over N steps, restarted with periods t_mul times longer
      and peaks m_mul times lower (Keras's CosineDecayRestarts)
Lengths are in optimizer steps (batches).`

// ParseSchedule reads a schedule written as ScheduleSyntax describes, e.g.
// "cosine:lr=0.01,warmup=500,steps=20000".
func ParseSchedule(spec string) (Schedule, error) {
	name, args, _ := strings.Cut(strings.TrimSpace(spec), ":")
	bad := func(format string, a ...any) error {
		return fmt.Errorf("optim: schedule %q: %s; the syntax is\n%s", spec, fmt.Sprintf(format, a...), ScheduleSyntax)
	}
	kv := map[string]string{}
	if args != "" {
		for _, f := range strings.Split(args, ",") {
			k, v, ok := strings.Cut(f, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, bad("%q is not key=value", f)
			}
			if _, dup := kv[k]; dup {
				return nil, bad("%s is given twice", k)
			}
			kv[k] = strings.TrimSpace(v)
		}
	}
	var err error
	used := map[string]bool{}
	num := func(k string, def float64, required bool) float64 {
		used[k] = true
		v, ok := kv[k]
		if !ok {
			if required && err == nil {
				err = bad("%s is required", k)
			}
			return def
		}
		f, perr := strconv.ParseFloat(v, 64)
		if (perr != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f)) && err == nil {
			err = bad("%s=%s is not a non-negative number", k, v)
		}
		return f
	}
	steps := func(k string, required bool) int64 {
		f := num(k, 0, required)
		if f != math.Trunc(f) && err == nil {
			err = bad("%s=%v is not a whole number of steps", k, f)
		}
		if _, given := kv[k]; given && f == 0 && k == "steps" && err == nil {
			// Only a missing steps means "the rest of training" (warmup=0
			// is no warm-up, the default itself).
			err = bad("%s=0 must be at least 1; leave %s out for the rest of training", k, k)
		}
		return int64(f)
	}
	// positive reads a value whose zero in the schedule struct means the
	// default, so an explicit 0 is an error rather than that default.
	positive := func(k string) float64 {
		f := num(k, 0, false)
		if _, given := kv[k]; given && f == 0 && err == nil {
			err = bad("%s=0 must be positive; leave %s out for the default", k, k)
		}
		return f
	}
	// flag reads 0 or 1 (false or true).
	flag := func(k string) bool {
		used[k] = true
		v, ok := kv[k]
		switch {
		case !ok, v == "0", v == "false":
			return false
		case v == "1", v == "true":
			return true
		}
		if err == nil {
			err = bad("%s=%s must be 0 or 1", k, v)
		}
		return false
	}
	// needSteps requires the length given as steps=N (polynomial and
	// restarts have no "rest of training" form).
	needSteps := func() int64 {
		used["steps"] = true
		if v, ok := kv["steps"]; ok {
			f, perr := strconv.ParseFloat(v, 64)
			if perr != nil || f < 1 || f != math.Trunc(f) {
				if err == nil {
					err = bad("steps=%s must be a whole number >= 1", v)
				}
				return 0
			}
			return int64(f)
		}
		if err == nil {
			err = bad("steps is required")
		}
		return 0
	}
	var s Schedule
	switch name {
	case "cosine":
		c := CosineDecay{DecaySteps: steps("steps", false), Alpha: num("alpha", 0, false), WarmupSteps: steps("warmup", false)}
		lr, from := num("lr", 0, true), num("from", 0, false)
		if c.WarmupSteps > 0 {
			c.InitialLearningRate, c.WarmupTarget = from, lr
		} else {
			c.InitialLearningRate = lr
		}
		if c.Alpha > 1 && err == nil {
			err = bad("alpha %v must be in [0, 1]", c.Alpha)
		}
		s = c
	case "onecycle":
		o := OneCycle{MaxLR: num("lr", 0, true), TotalSteps: steps("steps", false), PctStart: positive("pct"),
			DivFactor: positive("div"), FinalDivFactor: positive("final_div")}
		if o.PctStart >= 1 && err == nil {
			err = bad("pct %v must be in (0, 1)", o.PctStart)
		}
		s = o
	case "step", "exponential":
		def := 0.1
		if name == "exponential" {
			def = 0.96
		}
		s = ExponentialDecay{InitialLearningRate: num("lr", 0, true), DecaySteps: steps("every", true),
			DecayRate: num("factor", def, false), Staircase: name == "step"}
		if e := s.(ExponentialDecay); e.DecaySteps == 0 && err == nil {
			err = bad("every must be at least 1")
		}
	case "polynomial":
		s = PolynomialDecay{InitialLearningRate: num("lr", 0, true), DecaySteps: needSteps(),
			EndLearningRate: num("end", 0.0001, false), Power: or(positive("power"), 1), Cycle: flag("cycle")}
	case "inverse_time":
		d := InverseTimeDecay{InitialLearningRate: num("lr", 0, true), DecaySteps: steps("every", true),
			DecayRate: num("factor", 0, true), Staircase: flag("staircase")}
		if d.DecaySteps == 0 && err == nil {
			err = bad("every must be at least 1")
		}
		s = d
	case "restarts":
		c := CosineDecayRestarts{InitialLearningRate: num("lr", 0, true), FirstDecaySteps: needSteps(),
			TMul: positive("t_mul"), MMul: positive("m_mul"), Alpha: num("alpha", 0, false)}
		if c.Alpha > 1 && err == nil {
			err = bad("alpha %v must be in [0, 1]", c.Alpha)
		}
		s = c
	case "piecewise":
		used["boundaries"], used["values"] = true, true
		var p PiecewiseConstantDecay
		for _, b := range splitList(kv["boundaries"]) {
			n, perr := strconv.ParseInt(b, 10, 64)
			if perr != nil || n < 0 || (len(p.Boundaries) > 0 && n <= p.Boundaries[len(p.Boundaries)-1]) {
				return nil, bad("boundaries must be increasing step numbers separated by '/'")
			}
			p.Boundaries = append(p.Boundaries, n)
		}
		for _, v := range splitList(kv["values"]) {
			f, perr := strconv.ParseFloat(v, 64)
			if perr != nil || f < 0 {
				return nil, bad("values must be non-negative rates separated by '/'")
			}
			p.Values = append(p.Values, f)
		}
		if len(p.Values) != len(p.Boundaries)+1 {
			return nil, bad("%d boundaries need %d values, not %d", len(p.Boundaries), len(p.Boundaries)+1, len(p.Values))
		}
		s = p
	default:
		return nil, bad("unknown schedule %q", name)
	}
	if err != nil {
		return nil, err
	}
	for k := range kv {
		if !used[k] {
			return nil, bad("%s does not take %s", name, k)
		}
	}
	return s, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}
