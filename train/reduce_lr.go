package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ReduceLROnPlateau multiplies the learning rate by Factor when Monitor has
// not improved by more than MinDelta for Patience epochs, then waits
// Cooldown epochs before counting again, never going below MinLR; it
// follows keras/src/callbacks/reduce_lr_on_plateau.py. Keras's defaults:
// monitor "val_loss", factor 0.1, patience 10, verbose 0, mode "auto",
// min_delta 1e-4, cooldown 0, min_lr 0. It logs the rate of the epoch as
// "learning_rate" (after the History and the progress line have seen the
// epoch, as in gokeras every OnEpochEnd does).
type ReduceLROnPlateau struct {
	NopCallback
	Monitor string  // "" means "val_loss"
	Factor  float64 // 0 means 0.1; must be below 1
	// Patience 0 means 10. (Keras's patience=0 acts as 1: the wait is
	// counted before it is compared.)
	Patience int
	// MinDelta 0 means 1e-4; give a tiny positive value for "any
	// improvement".
	MinDelta float64
	Cooldown int
	MinLR    float64
	// Mode ModeAuto is ModeMax when Monitor contains "acc", ModeMin
	// otherwise (Keras's rule here, narrower than EarlyStopping's).
	Mode Mode
	// Verbose 1 prints a line when the rate is reduced, as Keras's
	// verbose=1: "Epoch 12: ReduceLROnPlateau reducing learning rate to
	// 0.001." (to Options.Out).
	Verbose int

	best           float64
	wait, cooldown int
	mode           Mode
}

func (p *ReduceLROnPlateau) OnTrainBegin(r *Run) error {
	if p.Monitor == "" {
		p.Monitor = "val_loss"
	}
	if p.Factor == 0 {
		p.Factor = 0.1
	}
	if p.Factor >= 1 || p.Factor < 0 || math.IsNaN(p.Factor) {
		return fmt.Errorf("train: ReduceLROnPlateau factor %v must be in (0, 1), as Keras requires (new rate = rate * factor)", p.Factor)
	}
	if p.Patience == 0 {
		p.Patience = 10
	}
	if p.MinDelta == 0 {
		p.MinDelta = 1e-4
	}
	if p.Patience < 0 || p.Cooldown < 0 || p.MinLR < 0 {
		return fmt.Errorf("train: ReduceLROnPlateau patience %d, cooldown %d and min_lr %v must not be negative", p.Patience, p.Cooldown, p.MinLR)
	}
	if err := settable("ReduceLROnPlateau", r.Model.Optimizer); err != nil {
		return err
	}
	// Keras's _reset: mode "min", or "auto" without "acc" in the name,
	// looks for a decrease.
	p.mode = p.Mode
	if p.mode == ModeAuto {
		p.mode = ModeMin
		if strings.Contains(p.Monitor, "acc") {
			p.mode = ModeMax
		}
	}
	p.best = math.Inf(1)
	if p.mode == ModeMax {
		p.best = math.Inf(-1)
	}
	p.wait, p.cooldown = 0, 0
	return nil
}

func (p *ReduceLROnPlateau) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	opt := r.Model.Optimizer
	logs["learning_rate"] = opt.LearningRate()
	v, err := monitorValue("ReduceLROnPlateau", p.Monitor, logs)
	if err != nil {
		return err
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.wait = 0
	}
	if improved(p.mode, v, p.best, p.MinDelta) {
		p.best, p.wait = v, 0
		return nil
	}
	if p.cooldown > 0 {
		return nil
	}
	p.wait++
	if p.wait < p.Patience {
		return nil
	}
	// As Keras: a rate already at min_lr is left alone and the wait keeps
	// growing; otherwise it is reduced and the cooldown starts.
	if lr := opt.LearningRate(); lr > float64(float32(p.MinLR)) {
		lr = math.Max(lr*p.Factor, p.MinLR)
		opt.SetLearningRate(lr)
		if p.Verbose > 0 && r.Out != nil {
			fmt.Fprintf(r.Out, "\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch+1, pyFloat(lr))
		}
		p.cooldown, p.wait = p.Cooldown, 0
	}
	return nil
}

// pyFloat formats v as Python's repr of a float does for the magnitudes a
// learning rate has (0.001, 1e-05, 1.0).
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}
