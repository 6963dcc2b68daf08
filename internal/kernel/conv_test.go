package kernel

import (
	"math/rand/v2"
	"testing"
)

// im2colRef is the loop Im2colNHWC's documentation gives.
func im2colRef(g *ConvGeom, x, col []float32) {
	k := g.ColCols()
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						for c := 0; c < g.C; c++ {
							iy, ix := oy*g.SH-g.PadT+ky, ox*g.SW-g.PadL+kx
							v := float32(0)
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								v = x[((n*g.H+iy)*g.W+ix)*g.C+c]
							}
							col[((n*g.OH+oy)*g.OW+ox)*k+(ky*g.KW+kx)*g.C+c] = v
						}
					}
				}
			}
		}
	}
}

// TestIm2colAgainstLoop checks the im2col fast paths (4- and 9-float
// window rows, windows over the padding on either side, strides larger
// than the window) against the documented loop, and that col2im is its
// adjoint: <im2col(x), c> = <x, col2im(c)>.
func TestIm2colAgainstLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	out := func(in, k, s, pad, extra int) int { return (in+pad+extra-k)/s + 1 }
	for _, tc := range []struct{ h, w, c, kh, kw, sh, sw, pt, pl, pb, pr int }{
		{28, 28, 1, 4, 4, 1, 1, 0, 0, 0, 0}, // fashion-cnn's first layer
		{32, 32, 3, 3, 3, 1, 1, 1, 1, 1, 1}, // cifar10-cnn's, "same"
		{9, 11, 3, 3, 3, 2, 2, 1, 1, 1, 1},
		{7, 7, 1, 4, 4, 1, 1, 1, 2, 2, 1},
		{5, 6, 2, 2, 2, 3, 3, 0, 0, 0, 0}, // stride past the window
		{6, 5, 5, 5, 5, 1, 1, 2, 2, 2, 2},
		{4, 4, 16, 1, 1, 1, 1, 0, 0, 0, 0},
		{3, 8, 1, 3, 9, 1, 1, 1, 1, 1, 0}, // the window is wider than the image
		{8, 3, 2, 1, 3, 1, 2, 0, 3, 0, 3},
		{4, 3, 1, 2, 5, 2, 3, 0, 0, 0, 2}, // no padding on the left, wider than the image
		{4, 3, 2, 2, 4, 1, 1, 0, 0, 0, 1},
	} {
		g := ConvGeom{N: 3, H: tc.h, W: tc.w, C: tc.c, KH: tc.kh, KW: tc.kw, SH: tc.sh, SW: tc.sw, PadT: tc.pt, PadL: tc.pl}
		g.OH, g.OW = out(tc.h, tc.kh, tc.sh, tc.pt, tc.pb), out(tc.w, tc.kw, tc.sw, tc.pl, tc.pr)
		if g.OH <= 0 || g.OW <= 0 {
			t.Fatalf("%+v: empty output", tc)
		}
		x := randSlice(r, g.N*g.H*g.W*g.C)
		want := make([]float32, g.ColRows()*g.ColCols())
		im2colRef(&g, x, want)
		for _, th := range []int{1, 2} {
			old := SetThreads(th)
			got := randSlice(r, len(want)) // every entry must be written
			Im2colNHWC(&g, x, got)
			SetThreads(old)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v threads %d: col[%d] = %v, want %v", tc, th, i, got[i], want[i])
				}
			}
		}
		c := randSlice(r, len(want))
		dx := make([]float32, len(x))
		Col2imNHWC(&g, c, dx)
		var lhs, rhs float64
		for i := range want {
			lhs += float64(want[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(dx[i])
		}
		if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
			t.Fatalf("%+v: <im2col x, c> = %v but <x, col2im c> = %v", tc, lhs, rhs)
		}
	}
}
