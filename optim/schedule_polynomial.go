package optim

import "math"

// PolynomialDecay is Keras's PolynomialDecay
// (keras/src/optimizers/schedules/learning_rate_schedule.py): from
// InitialLearningRate to EndLearningRate over DecaySteps along
//
//	(lr0 - end)*(1 - step/DecaySteps)^Power + end,  step = min(step, DecaySteps)
//
// held at the end after. With Cycle, DecaySteps is instead stretched to
// the first multiple of it not below step (once, for step 0), so the
// decay restarts from a lower rate each cycle.
//
// EndLearningRate is taken as written (Keras's default, 0.0001, is what
// ScheduleFromConfig uses when the key is absent); Power 0 means Keras's
// default 1, a linear decay.
type PolynomialDecay struct {
	InitialLearningRate float64
	DecaySteps          int64
	EndLearningRate     float64
	Power               float64
	Cycle               bool
}

// Rate returns the rate at step.
func (p PolynomialDecay) Rate(step int64) float64 {
	s, ds := float64(step), float64(p.DecaySteps)
	if p.Cycle {
		mult := 1.0
		if step != 0 {
			mult = math.Ceil(s / ds)
		}
		ds *= mult
	} else {
		s = math.Min(s, ds)
	}
	return (p.InitialLearningRate-p.EndLearningRate)*math.Pow(1-s/ds, or(p.Power, 1)) + p.EndLearningRate
}
