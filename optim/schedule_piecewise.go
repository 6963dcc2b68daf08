package optim

import (
	"sort"
)

// PiecewiseConstantDecay is Keras's: Values[0] up to and including step
// Boundaries[0], Values[i] for Boundaries[i-1] < step <= Boundaries[i], and
// the last value after the last boundary. len(Values) = len(Boundaries)+1.
type PiecewiseConstantDecay struct {
	Boundaries []int64
	Values     []float64
}

// Rate returns the rate at step.
func (p PiecewiseConstantDecay) Rate(step int64) float64 {
	i := sort.Search(len(p.Boundaries), func(i int) bool { return step <= p.Boundaries[i] })
	return p.Values[i]
}
