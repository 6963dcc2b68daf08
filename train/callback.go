package train

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// Run is the state of a Fit call that callbacks see and may change.
type Run struct {
	Model  *Model
	Epochs int // the epochs asked for
	// InitialEpoch is the epoch training starts at (Options.InitialEpoch);
	// OnTrainBegin may move it, as BackupAndRestore does when it restores
	// a backup (Keras's model._initial_epoch).
	InitialEpoch int
	Epoch        int // the current epoch, from 0
	Steps        int // batches in this epoch: all, or Options.StepsPerEpoch (fewer at the end of a pass)
	History      *History
	// StopTraining ends training: set in OnEpochEnd, after this epoch; set
	// in OnBatchEnd, after this batch (the epoch then ends as usual, with
	// validation and OnEpochEnd), as Keras's model.stop_training.
	StopTraining bool
	// Out is where callbacks with Verbose print (Options.Out).
	Out io.Writer
	// Err, set before OnTrainEnd, is why Fit stops with an error: the
	// context was cancelled or the loss was NaN. It is nil when the epochs
	// ran out or a callback set StopTraining.
	Err error
}

// Weights returns a copy of every weight of the model (for restoring).
func (r *Run) Weights() []*tensor.Tensor {
	var ws []*tensor.Tensor
	for _, p := range r.Model.Net.Params() {
		ws = append(ws, p.Value.Clone())
	}
	return ws
}

// SetWeights copies ws (from Weights) back into the model.
func (r *Run) SetWeights(ws []*tensor.Tensor) {
	for i, p := range r.Model.Net.Params() {
		copy(p.Value.Data, ws[i].Data)
	}
}

// Callback is called by Fit at Keras's hook points. Embed NopCallback to
// implement only some of them. An error stops training and is returned.
type Callback interface {
	OnTrainBegin(r *Run) error
	OnEpochBegin(r *Run, epoch int) error
	OnBatchEnd(r *Run, batch int, logs Logs) error
	OnEpochEnd(r *Run, epoch int, logs Logs) error
	OnTrainEnd(r *Run) error
}

// TestCallback is implemented by callbacks that act around the
// validation at the end of an epoch (Keras's on_test_begin and
// on_test_end, which Keras's fit calls for its validation pass), such as
// SwapEMAWeights. OnTestEnd gets the validation logs, without the "val_"
// prefix, as Keras passes them.
type TestCallback interface {
	OnTestBegin(r *Run) error
	OnTestEnd(r *Run, logs Logs) error
}

// callTest calls f on the callbacks of cs that implement TestCallback.
func callTest(cs []Callback, f func(TestCallback) error) error {
	for _, c := range cs {
		if t, ok := c.(TestCallback); ok {
			if err := f(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// NopCallback implements every hook as a no-op.
type NopCallback struct{}

func (NopCallback) OnTrainBegin(*Run) error          { return nil }
func (NopCallback) OnEpochBegin(*Run, int) error     { return nil }
func (NopCallback) OnBatchEnd(*Run, int, Logs) error { return nil }
func (NopCallback) OnEpochEnd(*Run, int, Logs) error { return nil }
func (NopCallback) OnTrainEnd(*Run) error            { return nil }

func callAll(cs []Callback, f func(Callback) error) error {
	for _, c := range cs {
		if err := f(c); err != nil {
			return err
		}
	}
	return nil
}

// Mode says whether a monitored quantity should go down or up. ModeAuto picks
// ModeMax for accuracy-like names and ModeMin otherwise, as Keras does.
type Mode int

const (
	ModeAuto Mode = iota
	ModeMin
	ModeMax
)

func (m Mode) resolve(monitor string) Mode {
	if m != ModeAuto {
		return m
	}
	if strings.Contains(monitor, "acc") || strings.HasPrefix(monitor, "auc") || strings.HasPrefix(monitor, "val_auc") {
		return ModeMax
	}
	return ModeMin
}

// monitorValue reads the monitored quantity, with an error that lists
// what is available when it is missing.
func monitorValue(who, monitor string, logs Logs) (float64, error) {
	v, ok := logs[monitor]
	if !ok {
		return 0, fmt.Errorf("train: %s monitors %q, which is not logged; available: %s (val_ quantities need validation data)", who, monitor, strings.Join(logs.Keys(), ", "))
	}
	return v, nil
}

// improved reports whether v beats best by more than minDelta in mode.
func improved(mode Mode, v, best, minDelta float64) bool {
	if mode == ModeMax {
		return v-minDelta > best
	}
	return v+minDelta < best
}

// Best tracks the best value of a monitored quantity across epochs, for
// callbacks that act on improvement (EarlyStopping, ModelCheckpoint).
type Best struct {
	Monitor  string
	Mode     Mode
	MinDelta float64

	value float64
	set   bool
}

// Update reads the monitored value from logs and reports whether it beats
// the best so far (the first value always does).
func (b *Best) Update(who string, logs Logs) (bool, error) {
	v, err := monitorValue(who, b.Monitor, logs)
	if err != nil {
		return false, err
	}
	if !b.set || improved(b.Mode.resolve(b.Monitor), v, b.value, math.Abs(b.MinDelta)) {
		b.value, b.set = v, true
		return true, nil
	}
	return false, nil
}

// Value is the best value seen.
func (b *Best) Value() float64 { return b.value }
