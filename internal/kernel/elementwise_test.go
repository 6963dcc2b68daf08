package kernel

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkElementwise(b *testing.B) {
	const n = 1 << 22
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice(r, n), make([]float32, n)
	bias := randSlice(r, 64)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for i := 0; i < b.N; i++ {
				f()
			}
		})
	}
	run("ReLU", func() { ReLU(y, x) })
	run("ReLUBackward", func() { ReLUBackward(y, x, x) })
	run("AddBiasRows", func() { AddBiasRows(y, n/64, 64, bias) })
	run("Add", func() { Add(y, x) })
	g := &ConvGeom{N: 64, H: 32, W: 32, C: 64, KH: 2, KW: 2, SH: 2, SW: 2, OH: 16, OW: 16}
	arg := make([]int32, 64*16*16*64)
	run("MaxPool2x2", func() { MaxPoolNHWC(g, x, y, arg) })
	dx := make([]float32, n)
	run("MaxPoolBackward2x2", func() { MaxPoolBackwardNHWC(g, y[:len(arg)], arg, dx) })
}
