package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/tensor"
)

// EarlyStopping stops training when Monitor has not improved by more than
// MinDelta for Patience epochs, as keras/src/callbacks/early_stopping.py
// does. Keras's defaults: monitor "val_loss", min_delta 0, patience 0,
// verbose 0, mode "auto", baseline None, restore_best_weights False,
// start_from_epoch 0.
//
// Each monitored epoch counts one wait; an improvement sets the best and
// resets the wait if it also beats Baseline (when set); training stops
// once the wait reaches Patience (never at the first epoch). Epochs before
// StartFromEpoch are not monitored. With RestoreBestWeights the weights of
// the best epoch (or of the first monitored one, if none improved) are put
// back when training ends, whether or not it stopped early, as Keras 3
// does in on_train_end; a Fit that ends with an error (a NaN loss, a
// cancelled context) leaves the weights as they are, as Keras's on_train_end
// is not reached then.
//
// ModeAuto decides as Keras 3's _set_monitor_op: "loss" (with or without
// "val_") goes down; a metric of the model goes the way it improves
// (metric.Increasing, Keras's _direction). gokeras adds that an output's
// loss ("dense_1_loss") goes down; for anything else auto mode is an
// error asking for ModeMin or ModeMax, as in Keras.
type EarlyStopping struct {
	NopCallback
	Monitor  string // "" means "val_loss"
	MinDelta float64
	Patience int
	Mode     Mode
	// Baseline, if set, is a value the monitored quantity must beat for an
	// epoch to reset the wait.
	Baseline           *float64
	RestoreBestWeights bool
	StartFromEpoch     int
	// Verbose 1 prints "Epoch 5: early stopping" when training stopped,
	// and "Restoring model weights from the end of the best epoch: 3."
	// when it restores them.
	Verbose int

	StoppedEpoch int // the epoch training stopped at, from 0 (-1: did not stop)
	BestEpoch    int // the best epoch so far, from 0

	best    float64
	wait    int
	weights []*tensor.Tensor
	mode    Mode // resolved at the first monitored epoch (0: not yet)
}

func (e *EarlyStopping) monitor() string {
	if e.Monitor == "" {
		return "val_loss"
	}
	return e.Monitor
}

func (e *EarlyStopping) OnTrainBegin(r *Run) error {
	if e.Patience < 0 || e.StartFromEpoch < 0 {
		return fmt.Errorf("train: EarlyStopping patience %d and start_from_epoch %d must not be negative", e.Patience, e.StartFromEpoch)
	}
	e.wait, e.weights, e.StoppedEpoch, e.BestEpoch, e.mode = 0, nil, -1, 0, ModeAuto
	return nil
}

// direction resolves Mode for the monitored quantity (see EarlyStopping).
func (e *EarlyStopping) direction(m *Model) (Mode, error) {
	if e.Mode != ModeAuto {
		return e.Mode, nil
	}
	name := strings.TrimPrefix(e.monitor(), "val_")
	if name == "loss" {
		return ModeMin, nil
	}
	ms := m.loggedMetrics()
	for i, n := range m.metricNames {
		if n == name && i < len(ms) {
			if up, ok := metric.Increasing(ms[i]); ok {
				if up {
					return ModeMax, nil
				}
				return ModeMin, nil
			}
		}
	}
	if strings.HasSuffix(name, "_loss") {
		return ModeMin, nil
	}
	return 0, fmt.Errorf("train: EarlyStopping monitors %q, and it cannot tell in auto mode whether that should be maximized or minimized; set Mode to ModeMax or ModeMin", e.monitor())
}

func (e *EarlyStopping) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	v, err := monitorValue("EarlyStopping", e.monitor(), logs)
	if err != nil {
		return err
	}
	if e.mode == ModeAuto {
		if e.mode, err = e.direction(r.Model); err != nil {
			return err
		}
		e.best = math.Inf(1)
		if e.mode == ModeMax {
			e.best = math.Inf(-1)
		}
	}
	if epoch < e.StartFromEpoch {
		return nil
	}
	if e.RestoreBestWeights && e.weights == nil {
		e.weights, e.BestEpoch = r.Weights(), epoch
	}
	e.wait++
	delta := math.Abs(e.MinDelta)
	if improved(e.mode, v, e.best, delta) {
		e.best, e.BestEpoch = v, epoch
		if e.RestoreBestWeights {
			e.weights = r.Weights()
		}
		if e.Baseline == nil || improved(e.mode, v, *e.Baseline, delta) {
			e.wait = 0
		}
		return nil
	}
	if e.wait >= e.Patience && epoch > 0 {
		e.StoppedEpoch = epoch
		r.StopTraining = true
	}
	return nil
}

func (e *EarlyStopping) OnTrainEnd(r *Run) error {
	if e.StoppedEpoch > 0 && e.Verbose > 0 && r.Out != nil {
		fmt.Fprintf(r.Out, "Epoch %d: early stopping\n", e.StoppedEpoch+1)
	}
	if e.RestoreBestWeights && e.weights != nil && r.Err == nil {
		if e.Verbose > 0 && r.Out != nil {
			fmt.Fprintf(r.Out, "Restoring model weights from the end of the best epoch: %d.\n", e.BestEpoch+1)
		}
		r.SetWeights(e.weights)
	}
	return nil
}

// loggedMetrics returns the model's metrics in the order of metricNames.
func (m *Model) loggedMetrics() []metric.Metric {
	if len(m.Outputs) == 0 {
		return append(append([]metric.Metric(nil), m.Metrics...), m.WeightedMetrics...)
	}
	var ms []metric.Metric
	for _, o := range m.Outputs {
		ms = append(ms, o.Metrics...)
	}
	for _, o := range m.Outputs {
		ms = append(ms, o.WeightedMetrics...)
	}
	return ms
}
