// Package randdist draws from the Beta, Gamma and Dirichlet distributions
// on a math/rand/v2 stream, without allocating: the label-mixing
// augmentations (train.MixUp, train.CutMix) and AugMix use them.
// Hand-written rather than gonum's distuv, which allocates a generator per
// draw and returns NaN for the tiny shapes CutMix draws (alpha near 1e-6).
package randdist

import (
	"math"
	"math/rand/v2"
)

// Beta draws from Beta(a, b) as Ga/(Ga+Gb) with Ga ~ Gamma(a) and
// Gb ~ Gamma(b), computed from their logarithms so that tiny shapes give 0
// or 1 rather than 0/0.
func Beta(r *rand.Rand, a, b float64) float64 {
	la, lb := LogGamma(r, a), LogGamma(r, b)
	return 1 / (1 + math.Exp(lb-la))
}

// LogGamma returns the logarithm of a Gamma(a, 1) variate: Marsaglia and
// Tsang's method ("A simple method for generating gamma variables", ACM
// TOMS 26(3), 2000) for a >= 1, and for a < 1 their boost
// Gamma(a) = Gamma(a+1)·U^(1/a), taken in logs.
func LogGamma(r *rand.Rand, a float64) float64 {
	if a < 1 {
		u := 1 - r.Float64() // in (0, 1]
		return LogGamma(r, a+1) + math.Log(u)/a
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		z := r.NormFloat64()
		v := 1 + c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*z*z*z*z || math.Log(u) < z*z/2+d*(1-v+math.Log(v)) {
			return math.Log(d) + math.Log(v)
		}
	}
}

// Dirichlet fills w with a draw from Dirichlet(alpha, ..., alpha):
// normalised Gamma(alpha) variates, in logs for stability.
func Dirichlet(r *rand.Rand, alpha float64, w []float64) {
	top := math.Inf(-1)
	for i := range w {
		w[i] = LogGamma(r, alpha)
		top = max(top, w[i])
	}
	var s float64
	for i := range w {
		w[i] = math.Exp(w[i] - top)
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
}
