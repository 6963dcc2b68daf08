package train

import (
	"fmt"

	"github.com/gokeras/gokeras/optim"
)

// SwapEMAWeights is Keras's callback of that name
// (keras/src/callbacks/swap_ema_weights.py), for an optimizer with EMA on
// (optim.EMA{Use: true}, Keras's use_ema=True): the validation at the end
// of each epoch scores the moving averages of the weights instead of the
// weights being trained, which go back before the next batch. With
// SwapOnEpoch the averages also stay in the model from the end of each
// epoch to the start of the next, so callbacks listed after this one (a
// ModelCheckpoint) see and save them.
//
// The values are exchanged in place, as Keras does, so nothing is
// allocated. Keras's fit copies the averages into the model when the
// epochs end (FinalizeVariableValues), and so does gokeras's; this
// callback keeps that true however Fit ends. Keras's own misses one case:
// when EarlyStopping ends training with SwapOnEpoch, Keras leaves the
// trained weights rather than the averages in the model. Here the model
// ends with the averages then too, and an interrupted Fit leaves the
// trained weights in the model, as it does without the callback.
//
// With SwapOnEpoch, list a BackupAndRestore before this callback, not
// after: one after it would back up the averages as the weights (and the
// weights as the averages), and a resumed run would train on from the
// averages.
type SwapEMAWeights struct {
	NopCallback
	// SwapOnEpoch is Keras's swap_on_epoch.
	SwapOnEpoch bool

	in bool // the averages are in the model and the weights in the averages
}

// swap exchanges the model's trainable values with the optimizer's
// averages; before the first step there are none and nothing changes.
func (c *SwapEMAWeights) swap(r *Run) {
	avg := r.Model.Optimizer.(optim.EMAHolder).EMAAverages()
	if avg == nil {
		return
	}
	values, _ := r.Model.trainable()
	for i, w := range values {
		a := avg[i].Data
		for j, v := range w.Data {
			w.Data[j], a[j] = a[j], v
		}
	}
	c.in = !c.in
}

// OnTrainBegin refuses an optimizer without EMA, as Keras does.
func (c *SwapEMAWeights) OnTrainBegin(r *Run) error {
	c.in = false
	if _, ok := r.Model.Optimizer.(optim.EMAHolder); !ok || !emaOn(r.Model.Optimizer) {
		return fmt.Errorf("train: SwapEMAWeights needs an optimizer with EMA on; set its EMA field to optim.EMA{Use: true} (Keras's use_ema=True)")
	}
	return nil
}

// emaOn reports whether opt keeps EMA averages, from its config as Keras
// writes it (use_ema).
func emaOn(opt optim.Optimizer) bool {
	use, _ := opt.Config()["use_ema"].(bool)
	return use
}

func (c *SwapEMAWeights) OnEpochBegin(r *Run, _ int) error {
	if c.SwapOnEpoch && c.in {
		c.swap(r)
	}
	return nil
}

// OnTestBegin puts the averages in for validation.
func (c *SwapEMAWeights) OnTestBegin(r *Run) error {
	if !c.in {
		c.swap(r)
	}
	return nil
}

// OnTestEnd puts the trained weights back.
func (c *SwapEMAWeights) OnTestEnd(r *Run, _ Logs) error {
	if c.in {
		c.swap(r)
	}
	return nil
}

func (c *SwapEMAWeights) OnEpochEnd(r *Run, _ int, _ Logs) error {
	if c.SwapOnEpoch && !c.in {
		c.swap(r)
	}
	return nil
}

// finalizeHook is implemented by callbacks that must act just before Fit
// finalizes the optimizer's variables (copies the EMA averages in).
type finalizeHook interface{ beforeFinalize(r *Run) }

// beforeFinalize runs just before Fit copies the averages into the model:
// with the averages in the model and the weights in their place, copying
// the model into the averages makes that copy leave the averages in the
// model (Keras's _finalize_ema_values).
func (c *SwapEMAWeights) beforeFinalize(r *Run) {
	if !c.in {
		return
	}
	values, _ := r.Model.trainable()
	for i, a := range r.Model.Optimizer.(optim.EMAHolder).EMAAverages() {
		copy(a.Data, values[i].Data)
	}
	c.in = false
}

// OnTrainEnd, after a Fit that stopped early with an error (no
// finalizing), puts the trained weights back in the model.
func (c *SwapEMAWeights) OnTrainEnd(r *Run) error {
	if c.in {
		c.swap(r)
	}
	return nil
}
