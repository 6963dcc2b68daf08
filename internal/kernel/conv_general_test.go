package kernel

import (
	"math/rand/v2"
	"testing"
)

// im2colGeneralRef is the loop Im2colNHWC's documentation gives, with
// dilation and groups, written out index by index.
func im2colGeneralRef(g *ConvGeom, x, col []float32) {
	k := g.ColCols()
	dh, dw, groups := max(g.DH, 1), max(g.DW, 1), max(g.Groups, 1)
	cg := g.C / groups
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for gr := 0; gr < groups; gr++ {
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							for c := 0; c < cg; c++ {
								iy, ix := oy*g.SH-g.PadT+ky*dh, ox*g.SW-g.PadL+kx*dw
								v := float32(0)
								if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
									v = x[((n*g.H+iy)*g.W+ix)*g.C+gr*cg+c]
								}
								col[((n*g.OH+oy)*g.OW+ox)*k+gr*k/groups+(ky*g.KW+kx)*cg+c] = v
							}
						}
					}
				}
			}
		}
	}
}

// col2imGeneralRef is the adjoint of im2colGeneralRef, scattered entry by
// entry.
func col2imGeneralRef(g *ConvGeom, col, dx []float32) {
	k := g.ColCols()
	dh, dw, groups := max(g.DH, 1), max(g.DW, 1), max(g.Groups, 1)
	cg := g.C / groups
	clear(dx)
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				for gr := 0; gr < groups; gr++ {
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							for c := 0; c < cg; c++ {
								iy, ix := oy*g.SH-g.PadT+ky*dh, ox*g.SW-g.PadL+kx*dw
								if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
									dx[((n*g.H+iy)*g.W+ix)*g.C+gr*cg+c] += col[((n*g.OH+oy)*g.OW+ox)*k+gr*k/groups+(ky*g.KW+kx)*cg+c]
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestIm2colGeneralAgainstLoop checks Im2colNHWC and Col2imNHWC on dilated
// and grouped windows (the portable general loop) against the naive twins
// above, over random geometries with padding on every side, strides, one
// and two threads; and that the general loop on a plain window gives the
// fast path's bits.
func TestIm2colGeneralAgainstLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	tested := 0
	for it := 0; it < 400; it++ {
		groups := []int{0, 1, 2, 3, 4}[r.IntN(5)]
		cg := 1 + r.IntN(5)
		g := ConvGeom{N: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(9), C: cg * max(groups, 1),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3),
			DH: r.IntN(4), DW: r.IntN(4), Groups: groups}
		ekh, ekw := (g.KH-1)*max(g.DH, 1)+1, (g.KW-1)*max(g.DW, 1)+1
		g.PadT, g.PadL = r.IntN(ekh), r.IntN(ekw)
		padB, padR := r.IntN(ekh), r.IntN(ekw)
		g.OH = (g.H+g.PadT+padB-ekh)/g.SH + 1
		g.OW = (g.W+g.PadL+padR-ekw)/g.SW + 1
		if g.H+g.PadT+padB < ekh || g.W+g.PadL+padR < ekw {
			continue
		}
		tested++
		x := randSlice(r, g.N*g.H*g.W*g.C)
		want := make([]float32, g.ColRows()*g.ColCols())
		im2colGeneralRef(&g, x, want)
		c := randSlice(r, len(want))
		wantDx := make([]float32, len(x))
		col2imGeneralRef(&g, c, wantDx)
		for _, th := range []int{1, 2} {
			old := SetThreads(th)
			got := randSlice(r, len(want)) // every entry must be written
			Im2colNHWC(&g, x, got)
			dx := randSlice(r, len(x)) // overwritten, not accumulated into
			Col2imNHWC(&g, c, dx)
			SetThreads(old)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%+v threads %d: col[%d] = %v, want %v", g, th, i, got[i], want[i])
				}
			}
			for i := range wantDx {
				if d := dx[i] - wantDx[i]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("%+v threads %d: dx[%d] = %v, want %v", g, th, i, dx[i], wantDx[i])
				}
			}
		}
		if g.general() {
			continue
		}
		// A plain window: the general loop must agree with the fast path.
		fast := make([]float32, len(want))
		Im2colNHWC(&g, x, fast)
		slow := make([]float32, len(want))
		ka := kargs{s: [8][]float32{0: x, 1: slow}, i: [4]int{0: g.ColCols(), 1: g.OH * g.OW}, g: &g}
		im2colGeneralBody(&ka, 0, g.N*g.OH)
		for i := range fast {
			if fast[i] != slow[i] {
				t.Fatalf("%+v: general loop col[%d] = %v, fast path %v", g, i, slow[i], fast[i])
			}
		}
	}
	if tested < 200 {
		t.Errorf("only %d geometries tested", tested)
	}
}

// TestWinogradRefusesGeneral: a dilated or grouped 3x3 window is not one
// Winograd computes.
func TestWinogradRefusesGeneral(t *testing.T) {
	base := ConvGeom{H: 8, W: 8, C: 8, KH: 3, KW: 3, SH: 1, SW: 1}
	if !WinogradUsable(&base) {
		t.Fatal("plain 3x3 refused")
	}
	for _, g := range []ConvGeom{{DH: 2}, {DW: 2}, {Groups: 2}} {
		gg := base
		gg.DH, gg.DW, gg.Groups = g.DH, g.DW, g.Groups
		if WinogradUsable(&gg) {
			t.Errorf("%+v accepted", gg)
		}
	}
}
