package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestReduceLROnPlateauSequence drives the callback with scripted epoch
// logs; the expected rates are worked by hand from
// keras/src/callbacks/reduce_lr_on_plateau.py's on_epoch_end (cooldown
// counted down first, then the improvement test, then the wait unless in
// cooldown; a rate at min_lr is left alone and the wait not reset).
func TestReduceLROnPlateauSequence(t *testing.T) {
	for _, c := range []struct {
		name   string
		cb     *ReduceLROnPlateau
		lr0    float64
		series []float64
		// the rate logged at each epoch's end, and the rate after it
		logged, after []float64
		messages      []string
	}{
		{
			// min mode, factor 0.5, patience 2, cooldown 1, min_lr 0.2:
			// e0 best 1.0; e1 wait 1; e2 (0.995 is not below 0.99) wait 2:
			// 1 -> 0.5, cooldown 1; e3 cooldown 0, improves (best 0.5);
			// e4 wait 1; e5 wait 2: 0.5 -> 0.25, cooldown 1; e6 cooldown
			// ends this epoch, so it counts: wait 1; e7 wait 2: 0.125
			// clipped to 0.2; e8 wait 1; e9 wait 2, but 0.2 is not above
			// float32(0.2): unchanged; e10 wait 3: unchanged.
			name: "min",
			cb:   &ReduceLROnPlateau{Monitor: "loss", Factor: 0.5, Patience: 2, Cooldown: 1, MinLR: 0.2, MinDelta: 0.01, Verbose: 1},
			lr0:  1, series: []float64{1, 1, 0.995, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6},
			logged:   []float64{1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2},
			after:    []float64{1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2},
			messages: []string{"\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.5.\n", "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.25.\n", "\nEpoch 8: ReduceLROnPlateau reducing learning rate to 0.2.\n"},
		},
		{
			// auto mode on an accuracy is max mode; factor 0.1, patience
			// 1, cooldown 2: e0 best 0.5; e1 (0.505 is not above 0.51)
			// 0.1 -> 0.01, cooldown 2; e2 cooldown 1, no count; e3
			// cooldown 0, counts: 0.01 -> 0.001, cooldown 2; e4 cooldown
			// 1, improves (best 0.9); e5 cooldown 0, counts: -> 0.0001.
			name: "max",
			cb:   &ReduceLROnPlateau{Monitor: "val_accuracy", Patience: 1, Cooldown: 2, MinDelta: 0.01},
			lr0:  0.1, series: []float64{0.5, 0.505, 0.4, 0.4, 0.9, 0.9},
			logged: []float64{0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1},
			after:  []float64{0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1 * 0.1},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			opt := &optim.SGD{LR: c.lr0}
			r := &Run{Model: &Model{Optimizer: opt}, Out: &out}
			if err := c.cb.OnTrainBegin(r); err != nil {
				t.Fatal(err)
			}
			for e, v := range c.series {
				logs := Logs{c.cb.Monitor: v}
				if err := c.cb.OnEpochEnd(r, e, logs); err != nil {
					t.Fatal(err)
				}
				if got := logs["learning_rate"]; math.Abs(got-c.logged[e]) > 1e-15 {
					t.Errorf("epoch %d logged learning_rate %v, want %v", e, got, c.logged[e])
				}
				if got := opt.LearningRate(); math.Abs(got-c.after[e]) > 1e-15 {
					t.Errorf("epoch %d: rate %v after, want %v", e, got, c.after[e])
				}
			}
			if got := out.String(); got != strings.Join(c.messages, "") {
				t.Errorf("messages %q, want %q", got, strings.Join(c.messages, ""))
			}
		})
	}
}

func TestReduceLROnPlateauErrors(t *testing.T) {
	sched := &optim.SGD{}
	sched.SetSchedule(optim.OneCycle{MaxLR: 1, TotalSteps: 10})
	for _, c := range []struct {
		cb   *ReduceLROnPlateau
		opt  optim.Optimizer
		want string
	}{
		{&ReduceLROnPlateau{Factor: 1}, &optim.SGD{}, "factor 1 must be in (0, 1)"},
		{&ReduceLROnPlateau{Factor: 1.5}, &optim.SGD{}, "factor 1.5"},
		{&ReduceLROnPlateau{Cooldown: -1}, &optim.SGD{}, "must not be negative"},
		{&ReduceLROnPlateau{}, sched, "rate is a schedule"},
	} {
		err := c.cb.OnTrainBegin(&Run{Model: &Model{Optimizer: c.opt}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.cb, err, c.want)
		}
	}
	// A missing quantity names what is logged.
	p := &ReduceLROnPlateau{}
	r := &Run{Model: &Model{Optimizer: &optim.SGD{}}}
	if err := p.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	if err := p.OnEpochEnd(r, 0, Logs{"loss": 1}); err == nil || !strings.Contains(err.Error(), `monitors "val_loss"`) {
		t.Errorf("err %v, want val_loss not logged", err)
	}
}

// tinyFit trains a Dense(1) on 8 samples in batches of 2 with SGD.
func tinyFit(t *testing.T, o Options) (*Model, *History, error) {
	t.Helper()
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{LR: 0.1}}
	x, y := tensor.New(8, 2), tensor.New(8, 1)
	for i := range x.Data {
		x.Data[i] = float32(i%5) * 0.1
	}
	for i := range y.Data {
		y.Data[i] = float32(i % 3)
	}
	o.BatchSize, o.Verbose = 2, Silent
	if o.Out == nil {
		o.Out = io.Discard
	}
	h, err := Fit(context.Background(), m, x, y, o)
	return m, h, err
}

// rateLog records the rate each epoch trained with.
type rateLog struct {
	NopCallback
	rates []float64
}

func (l *rateLog) OnEpochEnd(r *Run, _ int, _ Logs) error {
	l.rates = append(l.rates, r.Model.Optimizer.LearningRate())
	return nil
}

func TestLearningRateScheduler(t *testing.T) {
	// Keras's docstring schedule: keep the rate for 2 epochs, then
	// multiply it by exp(-0.1) each epoch.
	sched := func(epoch int, lr float64) float64 {
		if epoch < 2 {
			return lr
		}
		return lr * math.Exp(-0.1)
	}
	var out bytes.Buffer
	rl := &rateLog{}
	lrs := &LearningRateScheduler{Schedule: sched, Verbose: 1}
	_, h, err := tinyFit(t, Options{Epochs: 4, Out: &out, Callbacks: []Callback{lrs, rl}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.1, 0.1, 0.1 * math.Exp(-0.1), 0.1 * math.Exp(-0.1) * math.Exp(-0.1)}
	for i := range want {
		if math.Abs(rl.rates[i]-want[i]) > 1e-15 {
			t.Errorf("epoch %d rate %v, want %v", i, rl.rates[i], want[i])
		}
	}
	if h.Len() != 4 {
		t.Errorf("%d epochs", h.Len())
	}
	for _, line := range []string{"\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n", "\nEpoch 4: LearningRateScheduler setting learning rate to "} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output %q lacks %q", out.String(), line)
		}
	}
	// Errors: no function, a NaN rate.
	if _, _, err := tinyFit(t, Options{Callbacks: []Callback{&LearningRateScheduler{}}}); err == nil || !strings.Contains(err.Error(), "no Schedule") {
		t.Errorf("err %v, want no Schedule", err)
	}
	nan := &LearningRateScheduler{Schedule: func(int, float64) float64 { return math.NaN() }}
	if _, _, err := tinyFit(t, Options{Callbacks: []Callback{nan}}); err == nil || !strings.Contains(err.Error(), "finite, non-negative") {
		t.Errorf("err %v, want a refused NaN rate", err)
	}
}

// poison makes the loss NaN from a given epoch on by setting a weight to
// NaN at that epoch's start.
type poison struct {
	NopCallback
	at int
}

func (p *poison) OnEpochBegin(r *Run, epoch int) error {
	if epoch == p.at {
		r.Model.Net.Params()[0].Value.Data[0] = float32(math.NaN())
	}
	return nil
}

// ended records OnTrainEnd and its Run.Err.
type ended struct {
	NopCallback
	called bool
	err    error
}

func (e *ended) OnTrainEnd(r *Run) error {
	e.called, e.err = true, r.Err
	return nil
}

func TestTerminateOnNaN(t *testing.T) {
	// The default: Fit stops at the first NaN batch with ErrNaN, the
	// History holds the epochs before, and OnTrainEnd sees the error.
	end := &ended{}
	_, h, err := tinyFit(t, Options{Epochs: 5, Callbacks: []Callback{&poison{at: 2}, end}})
	if !errors.Is(err, ErrNaN) || h.Len() != 2 || !end.called || !errors.Is(end.err, ErrNaN) {
		t.Errorf("default: err %v, %d epochs, OnTrainEnd %v with %v; want ErrNaN after 2 epochs, seen by OnTrainEnd", err, h.Len(), end.called, end.err)
	}
	// RaiseError keeps the default.
	_, h, err = tinyFit(t, Options{Epochs: 5, Callbacks: []Callback{&TerminateOnNaN{RaiseError: true}, &poison{at: 2}}})
	if !errors.Is(err, ErrNaN) || h.Len() != 2 {
		t.Errorf("RaiseError: err %v, %d epochs; want ErrNaN after 2", err, h.Len())
	}
	// Keras's graceful stop: the NaN batch is the last, the epoch ends
	// and is in the History with a NaN loss, Fit returns no error.
	var out bytes.Buffer
	end = &ended{}
	batches := &batchCount{}
	_, h, err = tinyFit(t, Options{Epochs: 5, Out: &out, Callbacks: []Callback{&TerminateOnNaN{}, &poison{at: 2}, end, batches}})
	if err != nil || h.Len() != 3 || !math.IsNaN(h.History["loss"][2]) || !end.called || end.err != nil {
		t.Errorf("graceful: err %v, %d epochs, losses %v, OnTrainEnd %v with %v; want 3 epochs, the last NaN, no error", err, h.Len(), h.History["loss"], end.called, end.err)
	}
	if batches.n != 4+4+1 {
		t.Errorf("graceful: %d batches ran, want 9 (the third epoch stops after its first)", batches.n)
	}
	if !strings.Contains(out.String(), "Batch 0: Invalid loss, terminating training\n") {
		t.Errorf("output %q lacks Keras's message", out.String())
	}
}

type batchCount struct {
	NopCallback
	n int
}

func (b *batchCount) OnBatchEnd(*Run, int, Logs) error { b.n++; return nil }

func TestTensorBoardCallback(t *testing.T) {
	dir := t.TempDir()
	tb := &TensorBoard{LogDir: dir, HistogramFreq: 2, UpdateFreq: 3, ModelJSON: []byte(`{"class_name": "Sequential"}`)}
	// ValidationSplit 0.25 leaves 6 samples: 3 batches of 2 per epoch.
	_, _, err := tinyFit(t, Options{Epochs: 3, ValidationSplit: 0.25, Callbacks: []Callback{tb}})
	if err != nil {
		t.Fatal(err)
	}
	tags := func(run string) map[string][]int64 {
		files, _ := filepath.Glob(filepath.Join(dir, run, "events.out.tfevents.*.v2"))
		if len(files) != 1 {
			t.Fatalf("%s: %d event files, want 1", run, len(files))
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return eventTags(t, b)
	}
	train, val := tags("train"), tags("validation")
	for _, c := range []struct {
		got   map[string][]int64
		tag   string
		steps []int64
	}{
		{train, "keras", []int64{0}},
		{train, "epoch_loss", []int64{0, 1, 2}},
		{train, "epoch_learning_rate", []int64{0, 1, 2}},
		{train, "batch_loss", []int64{3, 6, 9}},
		{train, "dense/kernel/histogram", []int64{0, 2}},
		{train, "dense/bias/histogram", []int64{0, 2}},
		{val, "epoch_loss", []int64{0, 1, 2}},
		{val, "evaluation_loss_vs_iterations", []int64{3, 6, 9}},
	} {
		if got := c.got[c.tag]; !equalSteps(got, c.steps) {
			t.Errorf("%s at steps %v, want %v", c.tag, got, c.steps)
		}
	}
	if _, ok := train["epoch_val_loss"]; ok {
		t.Errorf("val_loss written to the train run")
	}
}

func equalSteps(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventTags reads an event file (the framing is checked by package
// tensorboard's tests) and returns the steps at which each tag was written.
func eventTags(t *testing.T, b []byte) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for len(b) >= 16 {
		n := int(binary.LittleEndian.Uint64(b))
		ev := b[12 : 12+n]
		b = b[16+n:]
		var step int64
		var tag string
		for len(ev) > 0 {
			num, typ, k := protowire.ConsumeTag(ev)
			ev = ev[k:]
			k = protowire.ConsumeFieldValue(num, typ, ev)
			if k < 0 {
				t.Fatalf("bad event: %v", protowire.ParseError(k))
			}
			switch num {
			case 2:
				v, _ := protowire.ConsumeVarint(ev)
				step = int64(v)
			case 5: // summary.value[0].tag
				sum, _ := protowire.ConsumeBytes(ev)
				_, _, k1 := protowire.ConsumeTag(sum)
				val, _ := protowire.ConsumeBytes(sum[k1:])
				_, _, k2 := protowire.ConsumeTag(val)
				s, _ := protowire.ConsumeString(val[k2:])
				tag = s
			}
			ev = ev[k:]
		}
		if tag != "" {
			out[tag] = append(out[tag], step)
		}
	}
	return out
}

// TestHistorySeesCallbackLogs: as Keras's History runs after the user's
// callbacks, the History and the progress line get the learning_rate
// that ReduceLROnPlateau and LearningRateScheduler log.
func TestHistorySeesCallbackLogs(t *testing.T) {
	var out bytes.Buffer
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{LR: 0.1}}
	x, y := tensor.New(4, 2), tensor.New(4, 1)
	// patience 1 and min_delta 100: every epoch after the first halves
	// the rate, logged before the halving: 0.1, 0.1, 0.05.
	rl := &ReduceLROnPlateau{Monitor: "loss", Patience: 1, Factor: 0.5, MinDelta: 100}
	h, err := Fit(context.Background(), m, x, y, Options{Epochs: 3, BatchSize: 2, Verbose: OneLine, Out: &out, Callbacks: []Callback{rl}})
	if err != nil {
		t.Fatal(err)
	}
	got := h.History["learning_rate"]
	if len(got) != 3 || got[0] != 0.1 || got[1] != 0.1 || got[2] != 0.05 {
		t.Errorf("History learning_rate %v, want [0.1 0.1 0.05]", got)
	}
	if !strings.Contains(out.String(), "learning_rate: 0.0500") {
		t.Errorf("progress lines lack the logged rate:\n%s", out.String())
	}
}
