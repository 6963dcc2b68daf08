package train

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/optim"
)

// LearningRateScheduler sets the learning rate at the start of each epoch
// to Schedule(epoch, current rate) and logs the rate as "learning_rate" at
// the epoch's end, as keras/src/callbacks/learning_rate_scheduler.py does.
// Epochs count from 0. With Verbose 1 it prints "Epoch 3:
// LearningRateScheduler setting learning rate to 0.005." each epoch.
type LearningRateScheduler struct {
	NopCallback
	Schedule func(epoch int, lr float64) float64
	Verbose  int
}

func (s *LearningRateScheduler) OnTrainBegin(r *Run) error {
	if s.Schedule == nil {
		return fmt.Errorf("train: LearningRateScheduler has no Schedule; give it a func(epoch int, lr float64) float64")
	}
	return settable("LearningRateScheduler", r.Model.Optimizer)
}

func (s *LearningRateScheduler) OnEpochBegin(r *Run, epoch int) error {
	if err := settable("LearningRateScheduler", r.Model.Optimizer); err != nil {
		return err
	}
	lr := s.Schedule(epoch, r.Model.Optimizer.LearningRate())
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return fmt.Errorf("train: the learning-rate schedule returned %v at epoch %d; it must be a finite, non-negative number", lr, epoch)
	}
	r.Model.Optimizer.SetLearningRate(lr)
	if s.Verbose > 0 && r.Out != nil {
		fmt.Fprintf(r.Out, "\nEpoch %d: LearningRateScheduler setting learning rate to %s.\n", epoch+1, pyFloat(lr))
	}
	return nil
}

func (s *LearningRateScheduler) OnEpochEnd(r *Run, _ int, logs Logs) error {
	logs["learning_rate"] = r.Model.Optimizer.LearningRate()
	return nil
}

// settable refuses to set the rate of an optimizer whose rate is a
// schedule, as Keras's learning_rate setter does (base_optimizer.py):
// the callback would silently end the schedule.
func settable(who string, opt optim.Optimizer) error {
	if _, ok := opt.(*optim.MultiOptimizer); ok {
		// multi_optimizer.py: "Learning rate cannot be set on a
		// MultiOptimizer. Set the learning rate on the individual
		// sub-optimizers instead."
		return fmt.Errorf("train: %s sets the learning rate, but a MultiOptimizer has one per inner optimizer, as in Keras; give the inner optimizers schedules instead", who)
	}
	if s := opt.Schedule(); s != nil {
		return fmt.Errorf("train: %s sets the learning rate, but the optimizer's rate is a schedule (%T); use one or the other, as Keras requires", who, s)
	}
	return nil
}
