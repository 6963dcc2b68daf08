package optim

import (
	"math"
)

// OneCycle is the one-cycle policy of PyTorch's OneCycleLR (Keras has
// none; momentum is not cycled): the rate rises from MaxLR/DivFactor to
// MaxLR over the first PctStart of TotalSteps, then falls to
// MaxLR/DivFactor/FinalDivFactor at the last step, both along half a cosine:
//
//	anneal(a, b, p) = b + (a - b) * (1 + cos(π p))/2
//	rise: p = step / (PctStart*TotalSteps - 1)
//	fall: p = (step - (PctStart*TotalSteps - 1)) / (TotalSteps - PctStart*TotalSteps)
//
// Zero fields take PyTorch's defaults: PctStart 0.3, DivFactor 25,
// FinalDivFactor 1e4; TotalSteps 0 means the whole run. Steps past the end
// keep the final rate.
type OneCycle struct {
	MaxLR          float64
	TotalSteps     int64
	PctStart       float64
	DivFactor      float64
	FinalDivFactor float64
}

func (o OneCycle) withTotal(steps int64) Schedule {
	if o.TotalSteps == 0 {
		o.TotalSteps = steps
	}
	return o
}

// Rate returns the rate at step.
func (o OneCycle) Rate(step int64) float64 {
	pct, div, fdiv := o.PctStart, o.DivFactor, o.FinalDivFactor
	if pct == 0 {
		pct = 0.3
	}
	if div == 0 {
		div = 25
	}
	if fdiv == 0 {
		fdiv = 1e4
	}
	lo := o.MaxLR / div
	end := lo / fdiv
	anneal := func(a, b, p float64) float64 { return b + (a-b)*0.5*(1+math.Cos(math.Pi*p)) }
	peak := pct*float64(o.TotalSteps) - 1
	last := float64(o.TotalSteps) - 1
	s := math.Min(float64(step), last)
	if s <= peak {
		if peak <= 0 {
			return o.MaxLR
		}
		return anneal(lo, o.MaxLR, s/peak)
	}
	return anneal(o.MaxLR, end, (s-peak)/(last-peak))
}
