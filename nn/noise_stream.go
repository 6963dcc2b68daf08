package nn

import (
	"fmt"
	"math/rand/v2"
)

// noiseStream is the private random stream of a layer that draws noise in
// training (SpatialDropout2D, GaussianNoise, GaussianDropout,
// AlphaDropout), seeded as Dropout's is: Build splits it off the model's
// generator, and Fit calls Reseed at each epoch so that a resumed run
// draws the same noise.
type noiseStream struct {
	rng *rand.Rand
}

// split seeds the stream from two draws of the model's generator.
func (s *noiseStream) split(rng *rand.Rand) {
	s.rng = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
}

// Reseed restarts the stream (used to make a resumed run repeatable).
func (s *noiseStream) Reseed(a, b uint64) { s.rng = rand.New(rand.NewPCG(a, b)) }

// grow returns buf resized to n, reusing its memory when it can.
func grow(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float32, n)
}

// checkRate is the rate check of the dropout layers: Keras requires
// 0 <= rate <= 1, and rate 1 divides by zero in their formulas.
func checkRate(rate float64) error {
	if !(rate >= 0 && rate < 1) {
		return fmt.Errorf("rate %v is outside [0, 1); it is the fraction of inputs to drop, e.g. 0.2", rate)
	}
	return nil
}
