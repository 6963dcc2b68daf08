package optim

import "math"

// InverseTimeDecay is Keras's InverseTimeDecay
// (keras/src/optimizers/schedules/learning_rate_schedule.py):
//
//	InitialLearningRate / (1 + DecayRate*step/DecaySteps)
//
// with step/DecaySteps floored when Staircase is set.
type InverseTimeDecay struct {
	InitialLearningRate float64
	DecaySteps          int64
	DecayRate           float64
	Staircase           bool
}

// Rate returns the rate at step.
func (d InverseTimeDecay) Rate(step int64) float64 {
	p := float64(step) / float64(d.DecaySteps)
	if d.Staircase {
		p = math.Floor(p)
	}
	return d.InitialLearningRate / (1 + d.DecayRate*p)
}
