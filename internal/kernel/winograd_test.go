package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convRef is the direct definition of a stride-1 NHWC convolution with an
// HWIO kernel, accumulated in float64.
func convRef(g *ConvGeom, k int, x, w []float32) []float32 {
	y := make([]float32, g.N*g.OH*g.OW*k)
	for n := range g.N {
		for oy := range g.OH {
			for ox := range g.OW {
				for f := range k {
					var s float64
					for ky := range g.KH {
						for kx := range g.KW {
							iy, ix := oy-g.PadT+ky, ox-g.PadL+kx
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							for c := range g.C {
								s += float64(x[((n*g.H+iy)*g.W+ix)*g.C+c]) * float64(w[((ky*g.KW+kx)*g.C+c)*k+f])
							}
						}
					}
					y[((n*g.OH+oy)*g.OW+ox)*k+f] = float32(s)
				}
			}
		}
	}
	return y
}

// convDataGradRef is the adjoint of convRef in x.
func convDataGradRef(g *ConvGeom, k int, dy, w []float32) []float32 {
	dx := make([]float64, g.N*g.H*g.W*g.C)
	for n := range g.N {
		for oy := range g.OH {
			for ox := range g.OW {
				for f := range k {
					d := float64(dy[((n*g.OH+oy)*g.OW+ox)*k+f])
					for ky := range g.KH {
						for kx := range g.KW {
							iy, ix := oy-g.PadT+ky, ox-g.PadL+kx
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							for c := range g.C {
								dx[((n*g.H+iy)*g.W+ix)*g.C+c] += d * float64(w[((ky*g.KW+kx)*g.C+c)*k+f])
							}
						}
					}
				}
			}
		}
	}
	out := make([]float32, len(dx))
	for i, v := range dx {
		out[i] = float32(v)
	}
	return out
}

// maxRelErr is max |got-want| over max |want|, the scale-aware error of a
// convolution output.
func maxRelErr(got, want []float32) float64 {
	var scale, e float64
	for i := range want {
		scale = max(scale, math.Abs(float64(want[i])))
		e = max(e, math.Abs(float64(got[i]-want[i])))
	}
	return e / max(scale, 1e-30)
}

// convFilterGradRef is the gradient of convRef's output in w, in float64.
func convFilterGradRef(g *ConvGeom, k int, x, dy []float32) []float32 {
	dw := make([]float64, 9*g.C*k)
	for n := range g.N {
		for oy := range g.OH {
			for ox := range g.OW {
				for ky := range 3 {
					for kx := range 3 {
						iy, ix := oy-g.PadT+ky, ox-g.PadL+kx
						if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
							continue
						}
						for c := range g.C {
							xv := float64(x[((n*g.H+iy)*g.W+ix)*g.C+c])
							for f := range k {
								dw[((ky*3+kx)*g.C+c)*k+f] += xv * float64(dy[((n*g.OH+oy)*g.OW+ox)*k+f])
							}
						}
					}
				}
			}
		}
	}
	out := make([]float32, len(dw))
	for i, v := range dw {
		out[i] = float32(v)
	}
	return out
}

// TestWinogradMatchesDirect checks both algorithms, F(2x2) and F(4x4),
// forced, against the direct definitions, and the automatic choice.
func TestWinogradMatchesDirect(t *testing.T) {
	// F(4x4)'s transforms have entries up to 8 and 1/24, so its float32
	// error is larger than F(2x2)'s, but still under 1.5e-6 here.
	for _, v := range []struct {
		name string
		vt   *winoVariant
		tol  float64
	}{{"F(2x2)", &wino2, 1e-5}, {"F(4x4)", &wino4, 1e-5}, {"auto", nil, 1e-5}} {
		t.Run(v.name, func(t *testing.T) {
			winoForce = v.vt
			defer func() { winoForce = nil }()
			testWinogradMatchesDirect(t, v.tol)
		})
	}
}

func testWinogradMatchesDirect(t *testing.T, tol float64) {
	r := rand.New(rand.NewPCG(7, 8))
	cases := []struct{ n, h, w, c, k, pad int }{
		{1, 4, 4, 1, 1, 1}, {2, 5, 7, 3, 5, 1}, {1, 7, 5, 9, 17, 0}, {3, 16, 16, 64, 32, 1},
		{2, 1, 1, 4, 3, 1}, {1, 3, 3, 2, 2, 0}, {2, 9, 11, 8, 19, 1}, {1, 6, 6, 33, 9, 0},
		{40, 9, 9, 5, 6, 1}, // more tiles than winoGradSlots blocks
		{64, 8, 8, 24, 40, 1}, {8, 12, 12, 16, 16, 1}, {3, 10, 13, 8, 8, 0},
		{2, 400, 4, 2, 3, 1}, // tall: blocks start inside an image
	}
	for range 6 {
		cases = append(cases, struct{ n, h, w, c, k, pad int }{1 + r.IntN(3), 3 + r.IntN(12), 3 + r.IntN(12), 1 + r.IntN(40), 1 + r.IntN(40), r.IntN(2)})
	}
	var wg Winograd
	for _, tc := range cases {
		g := ConvGeom{N: tc.n, H: tc.h, W: tc.w, C: tc.c, KH: 3, KW: 3, SH: 1, SW: 1, PadT: tc.pad, PadL: tc.pad}
		g.OH, g.OW = tc.h+2*tc.pad-2, tc.w+2*tc.pad-2
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, 9*g.C*tc.k)
		y := make([]float32, g.N*g.OH*g.OW*tc.k+3)
		y[len(y)-3], y[len(y)-2], y[len(y)-1] = 42, 42, 42
		wg.Forward(&g, tc.k, x, w, y)
		if y[len(y)-3] != 42 || y[len(y)-1] != 42 {
			t.Fatalf("%+v: Forward wrote past y", tc)
		}
		if e := maxRelErr(y[:len(y)-3], convRef(&g, tc.k, x, w)); e > tol {
			t.Errorf("%+v: Forward relative error %.3g > %g", tc, e, tol)
		}
		dy := randSlice(r, g.N*g.OH*g.OW*tc.k)
		dx := make([]float32, g.N*g.H*g.W*g.C)
		for i := range dx {
			dx[i] = float32(math.NaN()) // must be overwritten everywhere
		}
		wg.BackwardData(&g, tc.k, dy, w, dx)
		if e := maxRelErr(dx, convDataGradRef(&g, tc.k, dy, w)); !(e <= tol) {
			t.Errorf("%+v: BackwardData relative error %.3g > %g", tc, e, tol)
		}
		dw := make([]float32, 9*g.C*tc.k)
		for i := range dw {
			dw[i] = float32(math.NaN())
		}
		wg.BackwardFilter(&g, tc.k, x, dy, dw)
		if e := maxRelErr(dw, convFilterGradRef(&g, tc.k, x, dy)); !(e <= tol) {
			t.Errorf("%+v: BackwardFilter relative error %.3g > %g", tc, e, tol)
		}
		// Forward keeps the transformed filter while the kernel is
		// unchanged: after the backward passes (which reuse the buffers),
		// again with the same kernel (the second pass keeps it, the third
		// uses it), and after one weight changes in place, it must still
		// match the reference.
		first := append([]float32(nil), y[:len(y)-3]...)
		for pass := range 4 {
			if pass == 3 {
				w[len(w)-1] += 0.5
			}
			wg.Forward(&g, tc.k, x, w, y)
			if pass == 2 && !wg.fwdOK {
				t.Fatalf("%+v: the third Forward with the same kernel did not keep the transform", tc)
			}
			if pass < 3 && !sameFloatBits(y[:len(y)-3], first) {
				t.Fatalf("%+v: Forward pass %d differs from the first", tc, pass)
			}
			if e := maxRelErr(y[:len(y)-3], convRef(&g, tc.k, x, w)); e > tol {
				t.Fatalf("%+v: Forward pass %d relative error %.3g > %g", tc, pass, e, tol)
			}
		}
	}
}

// BenchmarkWinograd times the three passes of cifar10-fast's 3x3
// convolutions (batch 64) with each algorithm:
// go test -run X -bench Winograd ./internal/kernel
func BenchmarkWinograd(b *testing.B) {
	layers := []struct{ hw, c, k int }{{32, 24, 64}, {16, 64, 64}, {16, 64, 256}, {8, 256, 256}, {4, 256, 256}}
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range layers {
		g := ConvGeom{N: 64, H: l.hw, W: l.hw, C: l.c, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: l.hw, OW: l.hw}
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, 9*g.C*l.k)
		y := make([]float32, g.N*g.OH*g.OW*l.k)
		dw := make([]float32, len(w))
		for _, v := range []struct {
			name string
			vt   *winoVariant
		}{{"F2", &wino2}, {"F4", &wino4}} {
			b.Run(fmt.Sprintf("%dx%dx%d-%d/%s", l.hw, l.hw, l.c, l.k, v.name), func(b *testing.B) {
				winoForce = v.vt
				defer func() { winoForce = nil }()
				var wg Winograd
				flops := 2 * 9 * float64(g.N*g.OH*g.OW*l.c*l.k) * 3
				b.ResetTimer()
				for b.Loop() {
					wg.Forward(&g, l.k, x, w, y)
					wg.BackwardData(&g, l.k, y, w, x)
					wg.BackwardFilter(&g, l.k, x, y, dw)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestWinogradGradDirect: BackwardFilter with each micro-kernel reading
// the transforms' outputs in place gives the bits of the gemmSerial path,
// for channel counts on and off the kernel's mr and nr, with both
// variants.
func TestWinogradGradDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	defer func(g gemmKernel) { winoForce, winoGradDirect, sgemm = nil, true, g }(sgemm)
	ran := false
	for _, gk := range gemmKernelsUnderTest() {
		if gk.kernASet == nil || 12%gk.mr != 0 {
			continue
		}
		ran = true
		sgemm = *gk
		for _, vt := range []*winoVariant{&wino2, &wino4} {
			winoForce = vt
			for _, tc := range []struct{ n, hw, c, k int }{
				{4, 8, 16, 16}, {2, 16, 32, 32}, {8, 8, 64, 64}, {3, 9, 5, 7}, {2, 12, 13, 33}, {1, 6, 12, 32}, {5, 10, 40, 24},
			} {
				g := ConvGeom{N: tc.n, H: tc.hw, W: tc.hw, C: tc.c, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: tc.hw, OW: tc.hw}
				x := randSlice(r, g.N*g.H*g.W*g.C)
				dy := randSlice(r, g.N*g.OH*g.OW*tc.k)
				var direct, viaGemm Winograd
				got, want := make([]float32, 9*tc.c*tc.k), make([]float32, 9*tc.c*tc.k)
				winoGradDirect = true
				// Twice: the second pass meets the buffers the first left.
				direct.BackwardFilter(&g, tc.k, x, dy, got)
				direct.BackwardFilter(&g, tc.k, x, dy, got)
				winoGradDirect = false
				viaGemm.BackwardFilter(&g, tc.k, x, dy, want)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && got[i] != want[i] {
						t.Fatalf("%s, F(%dx%d) %+v: dw[%d] = %v in place, %v through gemmSerial", gk.name, vt.mt, vt.mt, tc, i, got[i], want[i])
					}
				}
			}
		}
	}
	if !ran {
		t.Skip("no assembly micro-kernel: BackwardFilter always takes the gemmSerial path")
	}
}

// TestWinogradForwardBias: ForwardBias gives the bits of Forward followed
// by AddBiasRows, or with relu BiasReLURows, for both variants and
// channel counts narrow and wide, blocks across images and inside one.
func TestWinogradForwardBias(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	defer func() { winoForce = nil }()
	for _, vt := range []*winoVariant{&wino2, &wino4} {
		winoForce = vt
		for _, tc := range []struct{ n, h, w, c, k int }{
			{4, 8, 8, 3, 16}, {2, 10, 7, 5, 7}, {64, 8, 8, 8, 64}, {2, 400, 4, 2, 3}, {1, 6, 6, 4, 600},
		} {
			g := ConvGeom{N: tc.n, H: tc.h, W: tc.w, C: tc.c, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: tc.h, OW: tc.w}
			x, w, bias := randSlice(r, g.N*g.H*g.W*g.C), randSlice(r, 9*g.C*tc.k), randSlice(r, tc.k)
			rows := g.N * g.OH * g.OW
			for _, relu := range []bool{false, true} {
				var wg Winograd
				want, got := make([]float32, rows*tc.k), make([]float32, rows*tc.k)
				wg.Forward(&g, tc.k, x, w, want)
				if relu {
					BiasReLURows(want, rows, tc.k, bias)
				} else {
					AddBiasRows(want, rows, tc.k, bias)
				}
				for pass := range 3 { // the third reuses the kept transform
					wg.ForwardBias(&g, tc.k, x, w, bias, got, relu)
					if i := firstBitDiff(got, want); i >= 0 {
						t.Fatalf("F(%dx%d) %+v relu %v pass %d: y[%d] = %v, want %v", vt.mt, vt.mt, tc, relu, pass, i, got[i], want[i])
					}
				}
			}
		}
	}
}
