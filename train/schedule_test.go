package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
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
	} {
		_, err := ParseSchedule(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.msg) || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("ParseSchedule(%q) error = %v, want one saying %q", bad.in, err, bad.msg)
		}
	}
}

// lrRecorder records, after each batch, the step just taken and the rate
// it used; it must come before LRSchedule, which then sets the next rate.
type lrRecorder struct {
	NopCallback
	steps []int64
	rates []float64
}

func (r *lrRecorder) OnBatchEnd(run *Run, batch int, logs Logs) error {
	opt := run.Model.Optimizer
	r.steps = append(r.steps, opt.Iterations()-1)
	r.rates = append(r.rates, opt.LearningRate())
	return nil
}

func TestLRScheduleInFit(t *testing.T) {
	fit := func(s Schedule, epochs int) (*lrRecorder, *History, *Model) {
		net := &nn.Stack{}
		net.Add(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
		if err := net.Build(nil, 1); err != nil {
			t.Fatal(err)
		}
		m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{}}
		x, y := tensor.New(10, 2), tensor.New(10, 1)
		for i := range x.Data {
			x.Data[i] = float32(i%7) * 0.1
		}
		rec := &lrRecorder{}
		h, err := Fit(context.Background(), m, x, y, Options{Epochs: epochs, BatchSize: 2, Verbose: Silent, Out: io.Discard,
			Callbacks: []Callback{rec, &LRSchedule{Schedule: s}}})
		if err != nil {
			t.Fatal(err)
		}
		return rec, h, m
	}
	// OneCycle with TotalSteps 0 spans the run: 2 epochs of 5 batches.
	rec, h, _ := fit(OneCycle{MaxLR: 1}, 2)
	want := OneCycle{MaxLR: 1, TotalSteps: 10}
	if len(rec.steps) != 10 {
		t.Fatalf("%d batches recorded, want 10", len(rec.steps))
	}
	for i, s := range rec.steps {
		if s != int64(i) || math.Abs(rec.rates[i]-want.Rate(s)) > 1e-12 {
			t.Errorf("batch %d: step %d at rate %v, want step %d at %v", i, s, rec.rates[i], i, want.Rate(int64(i)))
		}
	}
	if got := rec.rates[9]; math.Abs(got-1.0/25/1e4) > 1e-12 {
		t.Errorf("last batch rate %v, want the final 4e-6", got)
	}
	if got := h.History["learning_rate"]; len(got) != 2 || got[0] != rec.rates[4] || got[1] != rec.rates[9] {
		t.Errorf("history learning_rate = %v, want the rates of each epoch's last batch %v, %v", got, rec.rates[4], rec.rates[9])
	}
	// Cosine with DecaySteps 0 decays over what the warm-up leaves.
	rec, _, _ = fit(CosineDecay{WarmupTarget: 0.1, WarmupSteps: 2}, 1)
	wantC := CosineDecay{WarmupTarget: 0.1, WarmupSteps: 2, DecaySteps: 3}
	for i, s := range rec.steps {
		if math.Abs(rec.rates[i]-wantC.Rate(s)) > 1e-12 {
			t.Errorf("cosine batch %d: rate %v, want %v", i, rec.rates[i], wantC.Rate(s))
		}
	}
}

// fit ends with the optimizer's finalize step: with use_ema the weights
// are the averages, and a bad lr_multipliers key stops fit before a step.
func TestFitFinalizesEMA(t *testing.T) {
	net := &nn.Stack{}
	net.Add(&nn.Dense{Name: "d", Units: 1, InputShape: tensor.Shape{2}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	opt := &optim.SGD{LR: 0.1, Momentum: 0.9, EMA: optim.EMA{Use: true, Momentum: 0.8}}
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: opt}
	x, y := tensor.New(10, 2), tensor.New(10, 1)
	for i := range x.Data {
		x.Data[i] = float32(i%7) * 0.1
	}
	for i := range y.Data {
		y.Data[i] = 1
	}
	if _, err := Fit(context.Background(), m, x, y, Options{Epochs: 2, BatchSize: 2, Verbose: Silent, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	slots := opt.State()
	for i, p := range net.Params() {
		avg := slots[2*i+1] // m/i, average/i
		if avg.Name != fmt.Sprintf("average/%d", i) || !reflect.DeepEqual(p.Value.Data, avg.Value.Data) {
			t.Errorf("%s = %v, want the average %s = %v", p.Name, p.Value.Data, avg.Name, avg.Value.Data)
		}
	}
	m.Optimizer = &optim.SGD{LRMultipliers: optim.LRMultipliers{"dense_9": 2}}
	before := net.Params()[0].Value.Clone()
	_, err := Fit(context.Background(), m, x, y, Options{Epochs: 1, Verbose: Silent, Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "dense_9") || !reflect.DeepEqual(before.Data, net.Params()[0].Value.Data) {
		t.Errorf("unknown multiplier key: err = %v, and the weights must not change", err)
	}
}
