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

// lrRecorder records, after each batch, the step just taken and the rate
// the optimizer gives the next one.
type lrRecorder struct {
	NopCallback
	steps []int64
	rates []float64
}

func (r *lrRecorder) OnBatchEnd(run *Run, batch int, logs Logs) error {
	opt := run.Model.Optimizer
	r.steps = append(r.steps, opt.Iterations())
	r.rates = append(r.rates, opt.LearningRate())
	return nil
}

func TestLRScheduleInFit(t *testing.T) {
	fit := func(s optim.Schedule, epochs int) (*lrRecorder, *History, *Model) {
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
	rec, h, m := fit(optim.OneCycle{MaxLR: 1}, 2)
	want := optim.OneCycle{MaxLR: 1, TotalSteps: 10}
	if len(rec.steps) != 10 {
		t.Fatalf("%d batches recorded, want 10", len(rec.steps))
	}
	for i, s := range rec.steps {
		if s != int64(i+1) || math.Abs(rec.rates[i]-want.Rate(s)) > 1e-12 {
			t.Errorf("after batch %d: step %d next at rate %v, want step %d at %v", i, s, rec.rates[i], i+1, want.Rate(int64(i+1)))
		}
	}
	if got := want.Rate(9); math.Abs(got-1.0/25/1e4) > 1e-12 {
		t.Errorf("last batch rate %v, want the final 4e-6", got)
	}
	if got := h.History["learning_rate"]; len(got) != 2 || got[0] != want.Rate(4) || got[1] != want.Rate(9) {
		t.Errorf("history learning_rate = %v, want the rates of each epoch's last batch %v, %v", got, want.Rate(4), want.Rate(9))
	}
	if s := m.Optimizer.Schedule(); s != (optim.OneCycle{MaxLR: 1}) {
		t.Errorf("optimizer schedule after Fit %#v, want the one given, with the run's length left out", s)
	}
	// Cosine with DecaySteps 0 decays over what the warm-up leaves.
	rec, _, _ = fit(optim.CosineDecay{WarmupTarget: 0.1, WarmupSteps: 2}, 1)
	wantC := optim.CosineDecay{WarmupTarget: 0.1, WarmupSteps: 2, DecaySteps: 3}
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

// A callback that sets the rate refuses an optimizer whose rate is a
// schedule, as Keras's learning_rate setter does, instead of ending it.
func TestSetRateWithScheduleRefused(t *testing.T) {
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	opt := &optim.SGD{}
	opt.SetSchedule(optim.CosineDecay{InitialLearningRate: 0.1, DecaySteps: 10})
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: opt}
	x, y := tensor.New(4, 2), tensor.New(4, 1)
	_, err := Fit(context.Background(), m, x, y, Options{Epochs: 1, BatchSize: 2, Verbose: Silent, Out: io.Discard,
		Callbacks: []Callback{&LearningRateScheduler{Schedule: func(int, float64) float64 { return 0.5 }}}})
	if err == nil || !strings.Contains(err.Error(), "LearningRateScheduler sets the learning rate, but the optimizer's rate is a schedule") {
		t.Errorf("err = %v, want LearningRateScheduler refused", err)
	}
	if opt.Schedule() == nil {
		t.Error("the schedule was removed")
	}
}
