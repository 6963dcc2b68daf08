package optim

import (
	"math"
)

// ExponentialDecay is Keras's: InitialLearningRate * DecayRate^(step/DecaySteps),
// with the exponent floored when Staircase is set (step decay: multiply by
// DecayRate every DecaySteps steps).
type ExponentialDecay struct {
	InitialLearningRate float64
	DecaySteps          int64
	DecayRate           float64
	Staircase           bool
}

// Rate returns the rate at step.
func (e ExponentialDecay) Rate(step int64) float64 {
	p := float64(step) / float64(e.DecaySteps)
	if e.Staircase {
		p = math.Floor(p)
	}
	return e.InitialLearningRate * math.Pow(e.DecayRate, p)
}
