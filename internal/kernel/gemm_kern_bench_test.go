package kernel

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkGemmMicroKernel measures each raw micro-kernel with its panels
// in L1, the ceiling for Gemm.
func BenchmarkGemmMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, g := range gemmKernelsUnderTest() {
		const k = 256
		a, bb := randSlice(r, g.mr*k), randSlice(r, g.nr*k)
		c := make([]float32, g.mr*g.nr)
		b.Run(strings.ReplaceAll(g.name, " ", "_"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				g.kern(k, a, bb, c, g.nr)
			}
			b.ReportMetric(2*float64(g.mr*g.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
