package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// depthwiseRef is the depthwise convolution written from its definition
// in float64, in scatter form (each input cell adds to the output cells
// it reaches), independent of the gather loops under test.
func depthwiseRef(g *ConvGeom, dm int, x, w []float32) []float64 {
	co := g.C * dm
	dh, dw := max(g.DH, 1), max(g.DW, 1)
	y := make([]float64, g.N*g.OH*g.OW*co)
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for ky := 0; ky < g.KH; ky++ {
					for kx := 0; kx < g.KW; kx++ {
						iy, ix := oy*g.SH-g.PadT+ky*dh, ox*g.SW-g.PadL+kx*dw
						if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
							continue
						}
						for c := 0; c < g.C; c++ {
							for m := 0; m < dm; m++ {
								y[((n*g.OH+oy)*g.OW+ox)*co+c*dm+m] += float64(x[((n*g.H+iy)*g.W+ix)*g.C+c]) * float64(w[((ky*g.KW+kx)*g.C+c)*dm+m])
							}
						}
					}
				}
			}
		}
	}
	return y
}

func dotF64(a []float32, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * b[i]
	}
	return s
}

// TestDepthwiseConv2DAgainstLoop checks the forward pass against the
// reference loop, and both backward passes through the adjoint identities
// <dy, f(x, w)> = <dx, x> = <dw, w> (f is linear in x and in w), for
// paddings on every side, strides past the window, depth multipliers 1
// and 3, channel counts below, at and above a band, dilated taps, and 1
// and 2 threads (the bits must not change with the thread count).
func TestDepthwiseConv2DAgainstLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	out := func(in, k, s, pad, extra int) int { return (in+pad+extra-k)/s + 1 }
	for _, tc := range []struct{ h, w, c, dm, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw int }{
		{6, 6, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
		{7, 5, 2, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1},
		{9, 8, 17, 1, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1},
		{5, 6, 20, 2, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1}, // stride past the window
		{4, 4, 5, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
		{3, 8, 4, 2, 3, 5, 1, 3, 1, 2, 1, 2, 1, 1},
		{8, 8, 32, 1, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},
		{9, 8, 3, 2, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1}, // dilated
		{8, 9, 17, 1, 2, 3, 1, 1, 0, 3, 1, 3, 3, 3},
		{7, 7, 2, 1, 3, 3, 2, 1, 0, 0, 0, 0, 1, 2},
	} {
		g := ConvGeom{N: 2, H: tc.h, W: tc.w, C: tc.c, KH: tc.kh, KW: tc.kw, SH: tc.sh, SW: tc.sw, PadT: tc.pt, PadL: tc.pl, DH: tc.dh, DW: tc.dw}
		ekh, ekw := (tc.kh-1)*max(tc.dh, 1)+1, (tc.kw-1)*max(tc.dw, 1)+1
		g.OH, g.OW = out(tc.h, ekh, tc.sh, tc.pt, tc.pb), out(tc.w, ekw, tc.sw, tc.pl, tc.pr)
		co := g.C * tc.dm
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, g.KH*g.KW*co)
		dy := randSlice(r, g.N*g.OH*g.OW*co)
		want := depthwiseRef(&g, tc.dm, x, w)
		var first [3][]float32
		for _, th := range []int{1, 2} {
			old := SetThreads(th)
			y := randSlice(r, len(want)) // garbage: the kernels overwrite
			dx := randSlice(r, len(x))
			dw := randSlice(r, len(w))
			DepthwiseConv2DNHWC(&g, tc.dm, x, w, y)
			DepthwiseConv2DBackwardInputNHWC(&g, tc.dm, dy, w, dx)
			DepthwiseConv2DBackwardFilterNHWC(&g, tc.dm, x, dy, dw)
			SetThreads(old)
			for i, v := range want {
				if math.Abs(float64(y[i])-v) > 1e-4*(1+math.Abs(v)) {
					t.Fatalf("%+v threads %d: y[%d] = %v, want %v", tc, th, i, y[i], v)
				}
			}
			// <dy, f(x, w)> is linear in x and in w.
			ydy := dotF64(dy, want)
			x64, w64 := make([]float64, len(x)), make([]float64, len(w))
			for i, v := range x {
				x64[i] = float64(v)
			}
			for i, v := range w {
				w64[i] = float64(v)
			}
			if got := dotF64(dx, x64); math.Abs(got-ydy) > 1e-3*(1+math.Abs(ydy)) {
				t.Errorf("%+v threads %d: <dx, x> = %v, want <dy, y> = %v", tc, th, got, ydy)
			}
			if got := dotF64(dw, w64); math.Abs(got-ydy) > 1e-3*(1+math.Abs(ydy)) {
				t.Errorf("%+v threads %d: <dw, w> = %v, want <dy, y> = %v", tc, th, got, ydy)
			}
			if th == 1 {
				first = [3][]float32{y, dx, dw}
				continue
			}
			for k, s := range [3][]float32{y, dx, dw} {
				for i := range s {
					if math.Float32bits(s[i]) != math.Float32bits(first[k][i]) {
						t.Fatalf("%+v: output %d differs between 1 and 2 threads at %d", tc, k, i)
					}
				}
			}
		}
	}
}
