package optim

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

func TestScheduleRates(t *testing.T) {
	type pt struct {
		step int64
		want float64
	}
	tests := []struct {
		name string
		s    Schedule
		pts  []pt
	}{
		{"cosine", CosineDecay{InitialLearningRate: 0.1, DecaySteps: 100},
			[]pt{{0, 0.1}, {50, 0.05}, {100, 0}, {200, 0}}},
		{"cosine_alpha", CosineDecay{InitialLearningRate: 0.1, DecaySteps: 100, Alpha: 0.1},
			[]pt{{0, 0.1}, {50, 0.055}, {100, 0.01}, {1000, 0.01}}},
		// Keras: warm up from initial_learning_rate to warmup_target, then
		// decay from warmup_target.
		{"cosine_warmup", CosineDecay{DecaySteps: 100, WarmupTarget: 0.2, WarmupSteps: 10},
			[]pt{{0, 0}, {5, 0.1}, {10, 0.2}, {60, 0.1}, {110, 0}, {500, 0}}},
		{"cosine_warmup_from", CosineDecay{InitialLearningRate: 0.1, DecaySteps: 10, WarmupTarget: 0.3, WarmupSteps: 4},
			[]pt{{1, 0.15}, {4, 0.3}, {9, 0.15}}},
		// peak = 0.5*10-1 = 4, last = 9, low = 1/10, end = low/100.
		{"onecycle", OneCycle{MaxLR: 1, TotalSteps: 10, PctStart: 0.5, DivFactor: 10, FinalDivFactor: 100},
			[]pt{{0, 0.1}, {2, 0.55}, {4, 1}, {6, 0.001 + 0.999*0.5*(1+math.Cos(0.4*math.Pi))}, {9, 0.001}, {100, 0.001}}},
		// PyTorch defaults: start at max/25, end at max/25/1e4.
		{"onecycle_defaults", OneCycle{MaxLR: 2.5, TotalSteps: 1000},
			[]pt{{0, 0.1}, {299, 2.5}, {999, 1e-5}}},
		{"piecewise", PiecewiseConstantDecay{Boundaries: []int64{100, 200}, Values: []float64{1, 0.5, 0.1}},
			[]pt{{0, 1}, {100, 1}, {101, 0.5}, {200, 0.5}, {201, 0.1}, {5000, 0.1}}},
		{"step", ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 10, DecayRate: 0.5, Staircase: true},
			[]pt{{0, 0.1}, {9, 0.1}, {10, 0.05}, {25, 0.025}}},
		{"exponential", ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 10, DecayRate: 0.5},
			[]pt{{5, 0.1 / math.Sqrt2}, {10, 0.05}}},
	}
	for _, tt := range tests {
		for _, p := range tt.pts {
			if got := tt.s.Rate(p.step); math.Abs(got-p.want) > 1e-9 {
				t.Errorf("%s: Rate(%d) = %.10g, want %.10g", tt.name, p.step, got, p.want)
			}
		}
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want Schedule
	}{
		{"cosine:lr=0.01,warmup=500,steps=20000", CosineDecay{WarmupTarget: 0.01, WarmupSteps: 500, DecaySteps: 20000}},
		{"cosine:lr=0.01", CosineDecay{InitialLearningRate: 0.01}},
		{"cosine: lr=0.1, steps=100, alpha=0.05, warmup=10, from=0.01", CosineDecay{InitialLearningRate: 0.01, WarmupTarget: 0.1, WarmupSteps: 10, DecaySteps: 100, Alpha: 0.05}},
		{"onecycle:lr=0.4,steps=1000,pct=0.25", OneCycle{MaxLR: 0.4, TotalSteps: 1000, PctStart: 0.25}},
		{"onecycle:lr=0.4", OneCycle{MaxLR: 0.4}},
		{"step:lr=0.1,every=3000", ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 3000, DecayRate: 0.1, Staircase: true}},
		{"exponential:lr=0.1,every=100,factor=0.9", ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 100, DecayRate: 0.9}},
		{"piecewise:boundaries=1000/5000,values=0.1/0.01/0.001", PiecewiseConstantDecay{Boundaries: []int64{1000, 5000}, Values: []float64{0.1, 0.01, 0.001}}},
		{"polynomial:lr=0.1,steps=1000", PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 1000, EndLearningRate: 0.0001, Power: 1}},
		{"polynomial:lr=0.1,steps=1000,end=0,power=2,cycle=1", PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 1000, Power: 2, Cycle: true}},
		{"inverse_time:lr=0.1,every=10,factor=0.5,staircase=true", InverseTimeDecay{InitialLearningRate: 0.1, DecaySteps: 10, DecayRate: 0.5, Staircase: true}},
		{"restarts:lr=0.1,steps=100,t_mul=1,m_mul=0.5,alpha=0.01", CosineDecayRestarts{InitialLearningRate: 0.1, FirstDecaySteps: 100, TMul: 1, MMul: 0.5, Alpha: 0.01}},
		{"restarts:lr=0.1,steps=100", CosineDecayRestarts{InitialLearningRate: 0.1, FirstDecaySteps: 100}},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSchedule(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []struct{ in, msg string }{
		{"cosine", "lr is required"},
		{"cosine:lr=fast", "not a non-negative number"},
		{"cosine:lr=-1", "not a non-negative number"},
		{"cosine:lr=0.1,steps=10.5", "whole number"},
		{"cosine:lr=0.1,bogus=2", "does not take bogus"},
		{"cosine:lr=0.1,lr=0.2", "twice"},
		{"cosine:lr", "not key=value"},
		{"linear:lr=1", "unknown schedule"},
		{"step:lr=0.1", "every is required"},
		{"step:lr=0.1,every=0", "at least 1"},
		{"onecycle:lr=1,pct=1", "pct"},
		{"piecewise:boundaries=10/5,values=1/2/3", "increasing"},
		{"piecewise:boundaries=10,values=1", "need 2 values"},
		// S10: only a missing key means the default.
		{"cosine:lr=0.1,steps=0", "steps=0 must be at least 1; leave steps out for the rest of training"},
		{"onecycle:lr=0.1,steps=0", "steps=0 must be at least 1"},
		{"onecycle:lr=0.1,div=0", "div=0 must be positive"},
		{"onecycle:lr=0.1,pct=0", "pct=0 must be positive"},
		{"polynomial:lr=0.1", "steps is required"},
		{"polynomial:lr=0.1,steps=0", "steps=0 must be a whole number >= 1"},
		{"polynomial:lr=0.1,steps=10,cycle=yes", "cycle=yes must be 0 or 1"},
		{"polynomial:lr=0.1,steps=10,power=0", "power=0 must be positive"},
		{"inverse_time:lr=0.1,every=10", "factor is required"},
		{"inverse_time:lr=0.1,every=0,factor=1", "every must be at least 1"},
		{"restarts:lr=0.1,steps=10,t_mul=0", "t_mul=0 must be positive"},
		{"restarts:lr=0.1,steps=10,every=3", "does not take every"},
	} {
		_, err := ParseSchedule(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.msg) || !strings.HasPrefix(err.Error(), "optim: ") {
			t.Errorf("ParseSchedule(%q) error = %v, want one saying %q", bad.in, err, bad.msg)
		}
	}
}

// stepSizes runs n steps of opt on one variable whose gradient is always
// 1 and returns how far each step moved it (from 0, so that float32 keeps
// the rate's digits).
func stepSizes(opt Optimizer, n int) []float64 {
	w := &tensor.Tensor{Shape: tensor.Shape{1}, Data: []float32{0}}
	g := &tensor.Tensor{Shape: tensor.Shape{1}, Data: []float32{1}}
	var out []float64
	for range n {
		w.Data[0] = 0
		opt.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
		out = append(out, -float64(w.Data[0]))
	}
	return out
}

// Plain SGD moves a variable whose gradient is 1 by exactly the rate, so
// step k's move is the schedule's value at k: here by hand,
// 0.1*0.5^floor(k/2) and the piecewise values.
func TestOptimizerFollowsSchedule(t *testing.T) {
	tests := []struct {
		s    Schedule
		want []float64
	}{
		{ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 2, DecayRate: 0.5, Staircase: true},
			[]float64{0.1, 0.1, 0.05, 0.05, 0.025}},
		{PiecewiseConstantDecay{Boundaries: []int64{1, 3}, Values: []float64{0.5, 0.25, 0.125}},
			[]float64{0.5, 0.5, 0.25, 0.25, 0.125}},
		// 0.2*(1+cos(pi*k/4))/2 for k = 0..4, then held at 0.
		{CosineDecay{InitialLearningRate: 0.2, DecaySteps: 4},
			[]float64{0.2, 0.1 * (1 + math.Sqrt2/2), 0.1, 0.1 * (1 - math.Sqrt2/2), 0, 0}},
	}
	for _, tt := range tests {
		opt := &SGD{LR: 7} // the schedule replaces the constant rate
		opt.SetSchedule(tt.s)
		if got := opt.LearningRate(); got != tt.want[0] {
			t.Errorf("%T: LearningRate before the first step = %v, want %v", tt.s, got, tt.want[0])
		}
		got := stepSizes(opt, len(tt.want))
		for k := range tt.want {
			if math.Abs(got[k]-tt.want[k]) > 1e-7 {
				t.Errorf("%T: step %d moved %.9g, want the rate %.9g", tt.s, k, got[k], tt.want[k])
			}
		}
		if want := tt.s.Rate(int64(len(tt.want))); opt.LearningRate() != want {
			t.Errorf("%T: LearningRate after %d steps = %v, want the next step's %v", tt.s, len(tt.want), opt.LearningRate(), want)
		}
	}
	// SetLearningRate replaces the schedule with a constant rate.
	opt := &SGD{}
	opt.SetSchedule(ExponentialDecay{InitialLearningRate: 1, DecaySteps: 1, DecayRate: 0.5})
	opt.SetLearningRate(0.25)
	if opt.Schedule() != nil || stepSizes(opt, 2)[1] != 0.25 {
		t.Errorf("after SetLearningRate: schedule %v, want none and steps of 0.25", opt.Schedule())
	}
}

// Adam's step uses the schedule's rate in its bias-corrected lr_t: the
// first step of Adam moves a variable by lr*g/(|g|+eps) ≈ lr.
func TestAdamFollowsSchedule(t *testing.T) {
	opt := &Adam{}
	opt.SetSchedule(PiecewiseConstantDecay{Boundaries: []int64{0}, Values: []float64{0.01, 0.001}})
	got := stepSizes(opt, 2)
	if math.Abs(got[0]-0.01) > 1e-6 || math.Abs(got[1]-0.001) > 1e-6 {
		t.Errorf("Adam steps %v, want about 0.01 then 0.001 (constant gradients keep m/sqrt(v) at 1)", got)
	}
}

// A schedule whose length is "the rest of training" gets the run's length
// from SetTrainingSteps; Schedule and Config keep the 0.
func TestSetTrainingSteps(t *testing.T) {
	opt := &SGD{}
	s := OneCycle{MaxLR: 1, PctStart: 0.5, DivFactor: 10, FinalDivFactor: 100}
	opt.SetSchedule(s)
	opt.SetTrainingSteps(10)
	want := OneCycle{MaxLR: 1, TotalSteps: 10, PctStart: 0.5, DivFactor: 10, FinalDivFactor: 100}
	// peak at step 4 (0.5*10-1), the end 1/10/100 at step 9.
	got := stepSizes(opt, 10)
	for k, g := range got {
		if math.Abs(g-want.Rate(int64(k))) > 1e-7 {
			t.Errorf("step %d moved %v, want %v", k, g, want.Rate(int64(k)))
		}
	}
	if math.Abs(got[4]-1) > 1e-7 || math.Abs(got[9]-0.001) > 1e-7 {
		t.Errorf("steps 4 and 9 moved %v and %v, want 1 and 0.001", got[4], got[9])
	}
	if opt.Schedule() != s {
		t.Errorf("Schedule() = %#v, want the one set, %#v", opt.Schedule(), s)
	}
	if _, ok := opt.Config()["learning_rate"].(map[string]any)["config"].(map[string]any)["total_steps"]; ok {
		t.Errorf("Config wrote the run's total_steps; it must keep \"the rest of training\"")
	}
}

// Config writes the schedule as Keras does and FromConfig reads it back,
// through JSON; the restored optimizer continues at its iteration count.
func TestScheduleConfigRoundTrip(t *testing.T) {
	for _, s := range []Schedule{
		CosineDecay{InitialLearningRate: 0.1, DecaySteps: 100, Alpha: 0.1, WarmupTarget: 0.2, WarmupSteps: 10},
		CosineDecay{InitialLearningRate: 0.01},
		ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 10, DecayRate: 0.9, Staircase: true},
		PiecewiseConstantDecay{Boundaries: []int64{3, 7}, Values: []float64{0.1, 0.01, 0.001}},
		OneCycle{MaxLR: 0.4, TotalSteps: 50, PctStart: 0.25},
	} {
		for _, name := range names {
			opt, _ := Parse(name)
			opt.SetSchedule(s)
			stepSizes(opt, 3)
			b, err := json.Marshal(opt.Config())
			if err != nil {
				t.Fatal(err)
			}
			var cfg map[string]any
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			lr := cfg["learning_rate"].(map[string]any)
			if lr["module"] != "keras.optimizers.schedules" || lr["class_name"] == nil {
				t.Errorf("%s: learning_rate %s, want Keras's serialised schedule", name, b)
			}
			back, err := FromConfig(name, cfg)
			if err != nil {
				t.Fatalf("%s %T: %v", name, s, err)
			}
			if !reflect.DeepEqual(back.Schedule(), s) {
				t.Errorf("%s: schedule %#v back, want %#v", name, back.Schedule(), s)
			}
			if err := back.SetState(opt.Iterations(), opt.State()); err != nil {
				t.Fatal(err)
			}
			if back.LearningRate() != s.Rate(3) || back.LearningRate() != opt.LearningRate() {
				t.Errorf("%s %T: restored rate %v, want step 3's %v", name, s, back.LearningRate(), s.Rate(3))
			}
		}
	}
}

func TestScheduleConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		lr   any
		want string
	}{
		{map[string]any{"class_name": "ExponentialDecay"}, "initial_learning_rate is required"},
		{map[string]any{"class_name": "LinearDecay", "config": map[string]any{}}, "CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay"},
		{map[string]any{"config": map[string]any{}}, "no class_name"},
		{map[string]any{"class_name": "CosineDecay", "config": 3.0}, "want an object"},
		{map[string]any{"class_name": "CosineDecay", "config": map[string]any{"initial_learning_rate": 0.1}, "extra": 1.0}, `unknown key "extra"`},
	} {
		_, err := FromConfig("adam", map[string]any{"learning_rate": tt.lr})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "adam learning_rate") {
			t.Errorf("learning_rate %v: error %v, want one naming adam learning_rate and saying %q", tt.lr, err, tt.want)
		}
	}
}

// Evaluating a schedule on every step allocates nothing.
func TestScheduleStepAllocs(t *testing.T) {
	w := &tensor.Tensor{Shape: tensor.Shape{4}, Data: make([]float32, 4)}
	g := &tensor.Tensor{Shape: tensor.Shape{4}, Data: []float32{1, 2, 3, 4}}
	vs, gs := []*tensor.Tensor{w}, []*tensor.Tensor{g}
	for _, s := range []Schedule{
		CosineDecay{InitialLearningRate: 0.1, WarmupTarget: 0.2, WarmupSteps: 3},
		ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 2, DecayRate: 0.5},
		PiecewiseConstantDecay{Boundaries: []int64{1, 3}, Values: []float64{0.5, 0.25, 0.125}},
		OneCycle{MaxLR: 1},
	} {
		opt := &Adam{}
		opt.SetSchedule(s)
		opt.SetTrainingSteps(100)
		opt.Apply(vs, gs)
		if n := testing.AllocsPerRun(20, func() { opt.Apply(vs, gs) }); n != 0 {
			t.Errorf("%T: %v allocations per step, want 0", s, n)
		}
	}
}
