package randdist

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDirichlet: draws sum to 1, and each component averages 1/k with
// the variance of Dirichlet(α): (k-1)/(k²(kα+1)).
func TestDirichlet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, k, alpha = 20000, 3, 1.0
	w := make([]float64, k)
	var mean, sq [k]float64
	for range n {
		Dirichlet(r, alpha, w)
		var s float64
		for i, v := range w {
			s += v
			mean[i] += v / n
			sq[i] += v * v / n
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("draw %v sums to %v", w, s)
		}
	}
	wantVar := float64(k-1) / (k * k * (k*alpha + 1))
	for i := range k {
		if v := sq[i] - mean[i]*mean[i]; math.Abs(mean[i]-1.0/k) > 0.01 || math.Abs(v-wantVar) > 0.005 {
			t.Errorf("component %d: mean %v variance %v, want %v and %v", i, mean[i], v, 1.0/k, wantVar)
		}
	}
}
