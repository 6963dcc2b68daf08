package train

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestEarlyStoppingSequence drives the callback with scripted logs; the
// stopping epochs are worked by hand from keras/src/callbacks/
// early_stopping.py's on_epoch_end (wait += 1 first, an improvement sets
// the best and resets the wait only if it beats the baseline, and returns
// before the patience test).
func TestEarlyStoppingSequence(t *testing.T) {
	base := 0.5
	for _, c := range []struct {
		name    string
		es      *EarlyStopping
		series  []float64
		stopped int // -1: ran every epoch
		best    int
	}{
		// best 1, 0.9; then waits 1, 2, 3 at epochs 2-4: stop at 4.
		{"patience", &EarlyStopping{Monitor: "loss", Patience: 3}, []float64{1, 0.9, 0.95, 0.95, 0.95, 0.8}, 4, 1},
		// min_delta 0.1: 0.95 is not better than 1, 0.85 is.
		{"min delta", &EarlyStopping{Monitor: "loss", Patience: 2, MinDelta: -0.1}, []float64{1, 0.95, 0.85, 0.8, 0.78}, 4, 2},
		// Improving but above the baseline: the wait grows (1, 2, 3)
		// but an improving epoch returns before the patience test; the
		// first that does not improve stops.
		{"baseline improving", &EarlyStopping{Monitor: "loss", Patience: 2, Baseline: &base}, []float64{0.9, 0.8, 0.7}, -1, 2},
		{"baseline", &EarlyStopping{Monitor: "loss", Patience: 2, Baseline: &base}, []float64{0.9, 0.8, 0.85}, 2, 1},
		// Below the baseline, waits reset as usual.
		{"baseline beaten", &EarlyStopping{Monitor: "loss", Patience: 2, Baseline: &base}, []float64{0.4, 0.3, 0.35, 0.2}, -1, 3},
		// Epochs 0 and 1 are not monitored: 5 and 9 do not count.
		{"start from epoch", &EarlyStopping{Monitor: "loss", Patience: 1, StartFromEpoch: 2}, []float64{5, 9, 1, 1}, 3, 2},
		// Patience 0 stops at the first epoch without improvement, never
		// at epoch 0.
		{"patience 0", &EarlyStopping{Monitor: "loss"}, []float64{1, 2}, 1, 0},
		// Auto mode: accuracy is a metric that goes up.
		{"auto accuracy", &EarlyStopping{Monitor: "val_accuracy", Patience: 1}, []float64{0.5, 0.6, 0.55}, 2, 1},
		// An output's loss goes down.
		{"auto output loss", &EarlyStopping{Monitor: "val_dense_1_loss", Patience: 1}, []float64{0.5, 0.6}, 1, 0},
		{"max", &EarlyStopping{Monitor: "loss", Mode: ModeMax, Patience: 1}, []float64{0.5, 0.4}, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &Model{Optimizer: &optim.SGD{}, Metrics: []metric.Metric{&metric.Accuracy{}}}
			m.nameMetrics()
			r := &Run{Model: m}
			if err := c.es.OnTrainBegin(r); err != nil {
				t.Fatal(err)
			}
			for e, v := range c.series {
				if r.StopTraining {
					t.Fatalf("still called after stopping")
				}
				if err := c.es.OnEpochEnd(r, e, Logs{c.es.Monitor: v}); err != nil {
					t.Fatal(err)
				}
				if r.StopTraining {
					break
				}
			}
			if c.es.StoppedEpoch != c.stopped || r.StopTraining != (c.stopped >= 0) || c.es.BestEpoch != c.best {
				t.Errorf("stopped at %d (StopTraining %v), best epoch %d; want %d, best %d", c.es.StoppedEpoch, r.StopTraining, c.es.BestEpoch, c.stopped, c.best)
			}
		})
	}
	// Auto mode on a quantity that is neither a loss nor a known metric.
	m := &Model{Optimizer: &optim.SGD{}}
	es := &EarlyStopping{Monitor: "val_score"}
	r := &Run{Model: m}
	es.OnTrainBegin(r)
	if err := es.OnEpochEnd(r, 0, Logs{"val_score": 1}); err == nil || !strings.Contains(err.Error(), "set Mode to ModeMax or ModeMin") {
		t.Errorf("err %v, want auto mode refused", err)
	}
}

// weightLog keeps the weights at each epoch's end.
type weightLog struct {
	NopCallback
	ws [][]*tensor.Tensor
}

func (w *weightLog) OnEpochEnd(r *Run, _ int, _ Logs) error {
	w.ws = append(w.ws, r.Weights())
	return nil
}

func TestEarlyStoppingRestoresBestWeights(t *testing.T) {
	// No stop (patience 10): Keras 3 still restores the best epoch's
	// weights when training ends; the best epoch is the one with the
	// lowest loss.
	var out bytes.Buffer
	es := &EarlyStopping{Monitor: "loss", Patience: 10, RestoreBestWeights: true, Verbose: 1}
	wl := &weightLog{}
	m, h, err := tinyFit(t, Options{Epochs: 5, Out: &out, Callbacks: []Callback{wl, es}})
	if err != nil {
		t.Fatal(err)
	}
	losses := h.History["loss"]
	best := 0
	for i, l := range losses {
		if l < losses[best] {
			best = i
		}
	}
	if es.BestEpoch != best || es.StoppedEpoch != -1 {
		t.Errorf("best epoch %d, stopped %d; want %d (losses %v), no stop", es.BestEpoch, es.StoppedEpoch, best, losses)
	}
	for i, p := range m.Net.Params() {
		for j, v := range p.Value.Data {
			if v != wl.ws[best][i].Data[j] {
				t.Fatalf("weight %d[%d] = %v, want the best epoch's %v", i, j, v, wl.ws[best][i].Data[j])
			}
		}
	}
	if want := "Restoring model weights from the end of the best epoch: "; !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	// Stopping early prints Keras's line.
	out.Reset()
	_, _, err = tinyFit(t, Options{Epochs: 5, Out: &out, Callbacks: []Callback{&EarlyStopping{Monitor: "loss", Mode: ModeMax, Verbose: 1}}})
	if err != nil || !strings.Contains(out.String(), "Epoch 2: early stopping\n") {
		t.Errorf("err %v, output %q; want Epoch 2: early stopping", err, out.String())
	}
}
