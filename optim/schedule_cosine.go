package optim

import (
	"math"
)

// CosineDecay is Keras's CosineDecay: an optional linear warm-up from
// InitialLearningRate to WarmupTarget over WarmupSteps, then a cosine decay
// over DecaySteps from the warm-up target (or from InitialLearningRate when
// WarmupTarget is 0, Keras's None) down to Alpha times it, held after.
//
//	warm-up (step < WarmupSteps): lr0 + (target - lr0) * step/WarmupSteps
//	decay: from * ((1-Alpha) * (1 + cos(π * min(t, DecaySteps)/DecaySteps))/2 + Alpha),
//	       t = step - WarmupSteps
//
// DecaySteps 0 means the rest of training (SetTrainingSteps fills it in).
type CosineDecay struct {
	InitialLearningRate float64
	DecaySteps          int64
	Alpha               float64
	WarmupTarget        float64 // 0: no warm-up
	WarmupSteps         int64
}

// Rate returns the rate at step.
func (c CosineDecay) Rate(step int64) float64 {
	from := c.InitialLearningRate
	if c.WarmupTarget != 0 {
		if step < c.WarmupSteps {
			return c.InitialLearningRate + (c.WarmupTarget-c.InitialLearningRate)*float64(step)/float64(c.WarmupSteps)
		}
		from = c.WarmupTarget
		step -= c.WarmupSteps
	}
	if c.DecaySteps <= 0 {
		return from
	}
	frac := float64(min(step, c.DecaySteps)) / float64(c.DecaySteps)
	return from * ((1-c.Alpha)*0.5*(1+math.Cos(math.Pi*frac)) + c.Alpha)
}

func (c CosineDecay) withTotal(steps int64) Schedule {
	if c.DecaySteps == 0 {
		warm := int64(0)
		if c.WarmupTarget != 0 {
			warm = c.WarmupSteps
		}
		c.DecaySteps = max(steps-warm, 1)
	}
	return c
}
