package train

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/optim"
)

// LRSchedule runs the optimizer's learning-rate schedule over a Fit: the
// optimizer evaluates the schedule itself at its iteration count on every
// step (optim.Optimizer.SetSchedule, Keras's learning_rate given a
// LearningRateSchedule); this callback gives a schedule whose length was
// left 0 ("the rest of training") the run's length, Epochs*Steps, checks
// each rate, and after an epoch's last batch logs the rate that batch used
// as "learning_rate" (in OnEpochEnd the optimizer would already give the
// next step's rate). gokeras.Model.Fit adds one when the optimizer has
// a schedule. Keras has no such callback; its per-epoch
// LearningRateScheduler is LearningRateScheduler here.
type LRSchedule struct {
	NopCallback
	// Schedule, when set, becomes the optimizer's schedule at the start
	// of training; nil uses the one the optimizer has.
	Schedule optim.Schedule

	used float64 // the rate of the batch in progress
}

func (l *LRSchedule) OnTrainBegin(r *Run) error {
	opt := r.Model.Optimizer
	if l.Schedule != nil {
		opt.SetSchedule(l.Schedule)
	}
	if opt.Schedule() == nil {
		return fmt.Errorf("train: LRSchedule has no schedule; set its Schedule or the optimizer's (SetSchedule)")
	}
	opt.SetTrainingSteps(int64(r.Epochs) * int64(r.Steps))
	return l.check(opt)
}

func (l *LRSchedule) OnBatchEnd(r *Run, batch int, logs Logs) error {
	if batch == r.Steps-1 {
		logs["learning_rate"] = l.used
	}
	return l.check(r.Model.Optimizer)
}

// check refuses a rate the next step cannot use, which only a Schedule
// defined outside optim can give.
func (l *LRSchedule) check(opt optim.Optimizer) error {
	l.used = opt.LearningRate()
	if math.IsNaN(l.used) || math.IsInf(l.used, 0) || l.used < 0 {
		return fmt.Errorf("train: the learning-rate schedule gave %v at step %d; it must be a non-negative number", l.used, opt.Iterations())
	}
	return nil
}
