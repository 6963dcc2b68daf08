package train

import (
	"fmt"
	"math"
)

// TerminateOnNaN is Keras's callback of that name
// (keras/src/callbacks/terminate_on_nan.py): it watches the loss after
// each batch.
//
// gokeras checks the loss itself without it: by default Fit stops at the
// first batch whose loss is NaN or infinite and returns an error wrapping
// ErrNaN (with the History of the finished epochs), which is what Keras's
// TerminateOnNaN(raise_error=True) does. Adding TerminateOnNaN{} (RaiseError
// false, Keras's default) asks instead for Keras's graceful stop: the batch
// ends normally, the callback prints "Batch 3: Invalid loss, terminating
// training" and sets StopTraining, the epoch ends (validation, OnEpochEnd,
// the History gets the epoch with its NaN loss), OnTrainEnd runs and Fit
// returns no error. TerminateOnNaN{RaiseError: true} keeps the default.
type TerminateOnNaN struct {
	NopCallback
	RaiseError bool
}

// gracefulNaN reports whether cs asks for the graceful stop.
func gracefulNaN(cs []Callback) bool {
	for _, c := range cs {
		if t, ok := c.(*TerminateOnNaN); ok && !t.RaiseError {
			return true
		}
	}
	return false
}

func (t *TerminateOnNaN) OnBatchEnd(r *Run, batch int, logs Logs) error {
	l, ok := logs["loss"]
	if !ok || !(math.IsNaN(l) || math.IsInf(l, 0)) {
		return nil
	}
	if t.RaiseError {
		// Not reached through Fit, which stops before the callbacks see
		// the batch; kept for a caller driving the hooks itself.
		return fmt.Errorf("train: %w: NaN or Inf loss encountered at batch %d (loss %v); terminating training immediately", ErrNaN, batch, l)
	}
	if r.Out != nil {
		fmt.Fprintf(r.Out, "Batch %d: Invalid loss, terminating training\n", batch)
	}
	r.StopTraining = true
	return nil
}
