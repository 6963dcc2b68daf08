//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// Each element-wise assembly kernel (through its wrapper, which finishes
// the tail in Go) must equal its portable twin bit for bit on every length
// 1..67 and some random longer ones, at misaligned offsets, and must not
// write outside its slices.

const vecGuard = -31337.25

// vecLengths are the lengths every twin test sweeps.
func vecLengths(r *rand.Rand) []int {
	var ns []int
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	for range 6 {
		ns = append(ns, 68+r.IntN(3000))
	}
	return ns
}

// specialValues mixes ordinary numbers with the cases the branch-free code
// must get right: signed zeros, infinities, NaN of both signs, denormals.
func specialValues(r *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), 1e-40, -1e-40}
	x := make([]float32, n)
	for i := range x {
		if r.IntN(8) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		} else {
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// guarded returns a slice of n values at offset off inside a buffer whose
// other cells hold vecGuard, and a check that the guards are intact.
func guarded(t *testing.T, vals []float32, off int) ([]float32, func(name string)) {
	buf := make([]float32, off+len(vals)+9)
	for i := range buf {
		buf[i] = vecGuard
	}
	s := buf[off : off+len(vals) : off+len(vals)]
	copy(s, vals)
	return s, func(name string) {
		t.Helper()
		for i, v := range buf {
			if (i < off || i >= off+len(vals)) && v != vecGuard {
				t.Fatalf("%s: wrote outside its slice at buffer index %d (len %d, offset %d)", name, i, len(vals), off)
			}
		}
	}
}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func sameBitsOrNaN(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && (a[i] == a[i] || b[i] == b[i]) {
			return i
		}
	}
	return -1
}

func needAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("CPU has no AVX2: the assembly never runs here")
	}
}

func TestVecTwinsUnary(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 1, 3, 7} {
			a := specialValues(r, n)
			b := specialValues(r, n)
			// relu
			want := make([]float32, n)
			reluGeneric(want, a)
			got, check := guarded(t, make([]float32, n), off)
			reluFast(got, a)
			check("relu")
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("relu n=%d off=%d: [%d] = %v, want %v", n, off, i, got[i], want[i])
			}
			// relu backward: y is a relu output, dy anything
			reluGeneric(want, a)
			y := append([]float32(nil), want...)
			wantDz := make([]float32, n)
			reluBackwardGeneric(wantDz, b, y)
			gotDz, check := guarded(t, make([]float32, n), off)
			reluBackwardFast(gotDz, b, y)
			check("relu backward")
			if i := sameBits(gotDz, wantDz); i >= 0 {
				t.Fatalf("relu backward n=%d off=%d: [%d] = %v, want %v", n, off, i, gotDz[i], wantDz[i])
			}
			// bias + relu, in place
			wantX := append([]float32(nil), a...)
			biasReLUGeneric(wantX, b)
			gotX, check := guarded(t, a, off)
			biasReLUFast(gotX, b)
			check("bias relu")
			if i := sameBits(gotX, wantX); i >= 0 {
				t.Fatalf("bias relu n=%d off=%d: [%d] = %v, want %v", n, off, i, gotX[i], wantX[i])
			}
			// max
			wantX = append(wantX[:0], a...)
			maxGeneric(wantX, b)
			gotX, check = guarded(t, a, off)
			maxFast(gotX, b)
			check("max")
			if i := sameBits(gotX, wantX); i >= 0 {
				t.Fatalf("max n=%d off=%d: [%d] = %v, want %v", n, off, i, gotX[i], wantX[i])
			}
			// add
			wantX = append(wantX[:0], a...)
			addGeneric(wantX, b)
			gotX, check = guarded(t, a, off)
			addFast(gotX, b)
			check("add")
			if i := sameBits(gotX, wantX); i >= 0 {
				t.Fatalf("add n=%d off=%d: [%d] = %v, want %v", n, off, i, gotX[i], wantX[i])
			}
			// add into a third slice
			add3Generic(wantX, a, b)
			gotX, check = guarded(t, make([]float32, n), off)
			add3Fast(gotX, a, b)
			check("add3")
			if i := sameBits(gotX, wantX); i >= 0 {
				t.Fatalf("add3 n=%d off=%d: [%d] = %v, want %v", n, off, i, gotX[i], wantX[i])
			}
		}
	}
}

func TestVecTwinAdam(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 2, 5} {
			w, g, m := specialValues(r, n), specialValues(r, n), specialValues(r, n)
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.ExpFloat64())
			}
			w1, m1, v1 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			adamGeneric(w1, g, m1, v1, 1e-3, 0.1, 0.001, 1e-7)
			w2, cw := guarded(t, w, off)
			m2, cm := guarded(t, m, off+1)
			v2, cv := guarded(t, v, off+2)
			adamFast(w2, g, m2, v2, 1e-3, 0.1, 0.001, 1e-7)
			cw("adam w")
			cm("adam m")
			cv("adam v")
			// Arithmetic on NaN inputs may keep either operand's NaN
			// payload, so NaN only has to meet NaN.
			for name, p := range map[string][2][]float32{"w": {w2, w1}, "m": {m2, m1}, "v": {v2, v1}} {
				if i := sameBitsOrNaN(p[0], p[1]); i >= 0 {
					t.Fatalf("adam %s n=%d off=%d: [%d] = %v, want %v", name, n, off, i, p[0][i], p[1][i])
				}
			}
		}
	}
}

func TestVecTwinsMaxArg(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 1, 6} {
			x0, x1 := specialValues(r, n), specialValues(r, n)
			// Ties must keep the earlier cell.
			for i := range x1 {
				if r.IntN(5) == 0 {
					x1[i] = x0[i]
				}
			}
			base0, base1 := 1000+r.IntN(1000), 5000+r.IntN(1000)
			wantY, wantArg := make([]float32, n), make([]int32, n)
			maxArgInitGeneric(wantY, wantArg, x0, base0)
			maxArgUpdateGeneric(wantY, wantArg, x1, base1)

			gotY, check := guarded(t, make([]float32, n), off)
			argBuf := make([]int32, n+off+9)
			for i := range argBuf {
				argBuf[i] = -99
			}
			gotArg := argBuf[off : off+n : off+n]
			maxArgInitFast(gotY, gotArg, x0, base0)
			maxArgUpdateFast(gotY, gotArg, x1, base1)
			check("maxArg y")
			for i, a := range argBuf {
				if (i < off || i >= off+n) && a != -99 {
					t.Fatalf("maxArg wrote arg outside its slice at %d (n=%d off=%d)", i, n, off)
				}
			}
			if i := sameBits(gotY, wantY); i >= 0 {
				t.Fatalf("maxArg y n=%d off=%d: [%d] = %v, want %v", n, off, i, gotY[i], wantY[i])
			}
			for i := range gotArg {
				if gotArg[i] != wantArg[i] {
					t.Fatalf("maxArg arg n=%d off=%d: [%d] = %d, want %d (x0 %v, x1 %v)", n, off, i, gotArg[i], wantArg[i], x0[i], x1[i])
				}
			}
		}
	}
}

func TestVecTwinsWinograd(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range vecLengths(r)[:68+3] {
		for _, off := range []int{0, 3} {
			// Input tile: rows rs apart, columns cs apart, n channels each.
			cs := n + r.IntN(3)
			rs := 4*cs + r.IntN(5)
			d := specialValues(r, 3*rs+3*cs+n+off)[off:]
			vs := n + r.IntN(4)
			want := make([]float32, 15*vs+n)
			winoInGeneric(want, vs, d, rs, cs, n)
			got, check := guarded(t, make([]float32, 15*vs+n), off)
			winoInFast(got, vs, d, rs, cs, n)
			check("winoIn")
			if i := sameBitsOrNaN(got, want); i >= 0 {
				t.Fatalf("winoIn n=%d off=%d: [%d] = %v, want %v", n, off, i, got[i], want[i])
			}

			// Adjoint of the output transform.
			gms := n + r.IntN(4)
			gdy := specialValues(r, 2*(2*n+3)+n+off)[off:]
			grs, gcs := 2*n+r.IntN(3)+1, n+r.IntN(2)
			wantM := make([]float32, 15*gms+n)
			winoGradOutGeneric(wantM, gms, gdy, grs, gcs, n)
			gotM, check := guarded(t, make([]float32, 15*gms+n), off)
			winoGradOutFast(gotM, gms, gdy, grs, gcs, n)
			check("winoGradOut")
			if i := sameBitsOrNaN(gotM, wantM); i >= 0 {
				t.Fatalf("winoGradOut n=%d off=%d: [%d] = %v, want %v", n, off, i, gotM[i], wantM[i])
			}

			ms := n + r.IntN(4)
			m := specialValues(r, 15*ms+n+off)[off:]
			yrs, ycs := 2*n+r.IntN(3)+1, n+r.IntN(2)
			wantY := make([]float32, yrs+ycs+n)
			gotY, check := guarded(t, make([]float32, yrs+ycs+n), off)
			// Cells between the four outputs must stay as they were.
			for i := range wantY {
				wantY[i] = 0.5
				gotY[i] = 0.5
			}
			winoOutGeneric(wantY, yrs, ycs, m, ms, n)
			winoOutFast(gotY, yrs, ycs, m, ms, n)
			check("winoOut")
			if i := sameBitsOrNaN(gotY, wantY); i >= 0 {
				t.Fatalf("winoOut n=%d off=%d: [%d] = %v, want %v", n, off, i, gotY[i], wantY[i])
			}
		}
	}
}

// TestVecTwinsWinograd4 checks the F(4x4) tile transforms' assembly
// against their Go twins, bit for bit, on awkward strides and values.
func TestVecTwinsWinograd4(t *testing.T) {
	needAVX2(t)
	defer func(z bool) { winoAVX512 = z }(winoAVX512)
	for _, z := range []bool{false, winoAVX512} { // AVX2 alone, then with AVX-512 if the CPU has it
		winoAVX512 = z
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range vecLengths(r)[:68+3] {
			for _, off := range []int{0, 3} {
				cs := n + r.IntN(3)
				rs := 6*cs + r.IntN(5)
				d := specialValues(r, 5*rs+5*cs+n+off)[off:]
				vs := n + r.IntN(4)
				want := make([]float32, 35*vs+n)
				winoIn4Generic(want, vs, d, rs, cs, n)
				got, check := guarded(t, make([]float32, 35*vs+n), off)
				winoIn4Fast(got, vs, d, rs, cs, n)
				check("winoIn4")
				if i := sameBitsOrNaN(got, want); i >= 0 {
					t.Fatalf("winoIn4 n=%d off=%d: [%d] = %v, want %v", n, off, i, got[i], want[i])
				}

				gms := n + r.IntN(4)
				grs, gcs := 4*n+r.IntN(3)+1, n+r.IntN(2)
				gdy := specialValues(r, 3*grs+3*gcs+n+off)[off:]
				wantM := make([]float32, 35*gms+n)
				winoGradOut4Generic(wantM, gms, gdy, grs, gcs, n)
				gotM, check := guarded(t, make([]float32, 35*gms+n), off)
				winoGradOut4Fast(gotM, gms, gdy, grs, gcs, n)
				check("winoGradOut4")
				if i := sameBitsOrNaN(gotM, wantM); i >= 0 {
					t.Fatalf("winoGradOut4 n=%d off=%d: [%d] = %v, want %v", n, off, i, gotM[i], wantM[i])
				}

				ms := n + r.IntN(4)
				m := specialValues(r, 35*ms+n+off)[off:]
				yrs, ycs := 4*n+r.IntN(3)+1, n+r.IntN(2)
				wantY := make([]float32, 3*yrs+3*ycs+n)
				gotY, check := guarded(t, make([]float32, 3*yrs+3*ycs+n), off)
				// Cells between the 16 outputs must stay as they were.
				for i := range wantY {
					wantY[i] = 0.5
					gotY[i] = 0.5
				}
				winoOut4Generic(wantY, yrs, ycs, m, ms, n)
				winoOut4Fast(gotY, yrs, ycs, m, ms, n)
				check("winoOut4")
				if i := sameBitsOrNaN(gotY, wantY); i >= 0 {
					t.Fatalf("winoOut4 n=%d off=%d: [%d] = %v, want %v", n, off, i, gotY[i], wantY[i])
				}
			}
		}
	}
}

// TestVecTwinsWinogradFilter4 checks F(4x4)'s filter transform and its
// adjoint against their Go twins, bit for bit.
func TestVecTwinsWinogradFilter4(t *testing.T) {
	needAVX2(t)
	defer func(z bool) { winoAVX512 = z }(winoAVX512)
	for _, z := range []bool{false, winoAVX512} { // AVX2 alone, then with AVX-512 if the CPU has it
		winoAVX512 = z
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range vecLengths(r)[:68+3] {
			for _, off := range []int{0, 3} {
				plane := n + r.IntN(5)
				w := specialValues(r, 8*plane+n+off)[off:]
				want := make([]float32, 35*plane+n)
				winoFilter4Generic(want, w, plane, n)
				got, check := guarded(t, make([]float32, 35*plane+n), off)
				winoFilter4Fast(got, w, plane, n)
				check("winoFilter4")
				if i := sameBitsOrNaN(got, want); i >= 0 {
					t.Fatalf("winoFilter4 n=%d off=%d: [%d] = %v, want %v", n, off, i, got[i], want[i])
				}
				du := specialValues(r, 35*plane+n+off)[off:]
				wantW := make([]float32, 8*plane+n)
				winoFilterGrad4Generic(wantW, du, plane, n)
				gotW, check := guarded(t, make([]float32, 8*plane+n), off)
				winoFilterGrad4Fast(gotW, du, plane, n)
				check("winoFilterGrad4")
				if i := sameBitsOrNaN(gotW, wantW); i >= 0 {
					t.Fatalf("winoFilterGrad4 n=%d off=%d: [%d] = %v, want %v", n, off, i, gotW[i], wantW[i])
				}
			}
		}
	}
}

func TestVecTwinsOptimisers(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 3} {
			w, g, m := specialValues(r, n), specialValues(r, n), specialValues(r, n)
			s := make([]float32, n) // second moments are never negative
			for i := range s {
				s[i] = float32(r.ExpFloat64())
			}
			type run struct {
				name     string
				generic  func(w, g, m []float32)
				fast     func(w, g, m []float32)
				usesSlot bool
			}
			runs := []run{
				{"sgd momentum", func(w, g, m []float32) { sgdGeneric(w, g, m, 0.1, 0.9, false) },
					func(w, g, m []float32) { sgdFast(w, g, m, 0.1, 0.9, false) }, true},
				{"sgd nesterov", func(w, g, m []float32) { sgdGeneric(w, g, m, 0.1, 0.9, true) },
					func(w, g, m []float32) { sgdFast(w, g, m, 0.1, 0.9, true) }, true},
				{"sgd plain", func(w, g, _ []float32) { sgdPlainGeneric(w, g, 0.01) },
					func(w, g, _ []float32) { sgdPlainFast(w, g, 0.01) }, false},
				{"rmsprop", func(w, g, v []float32) { rmspropGeneric(w, g, v, 1e-3, 0.9, 0.1, 1e-7) },
					func(w, g, v []float32) { rmspropFast(w, g, v, 1e-3, 0.9, 0.1, 1e-7) }, true},
				{"adagrad", func(w, g, a []float32) { adagradGeneric(w, g, a, 1e-2, 1e-7) },
					func(w, g, a []float32) { adagradFast(w, g, a, 1e-2, 1e-7) }, true},
			}
			for _, rn := range runs {
				slot := m
				if rn.name == "rmsprop" || rn.name == "adagrad" {
					slot = s
				}
				w1, s1 := append([]float32(nil), w...), append([]float32(nil), slot...)
				rn.generic(w1, g, s1)
				w2, cw := guarded(t, w, off)
				s2, cs := guarded(t, slot, off+1)
				rn.fast(w2, g, s2)
				cw(rn.name + " w")
				cs(rn.name + " slot")
				if i := sameBitsOrNaN(w2, w1); i >= 0 {
					t.Fatalf("%s w n=%d off=%d: [%d] = %v, want %v", rn.name, n, off, i, w2[i], w1[i])
				}
				if i := sameBitsOrNaN(s2, s1); rn.usesSlot && i >= 0 {
					t.Fatalf("%s slot n=%d off=%d: [%d] = %v, want %v", rn.name, n, off, i, s2[i], s1[i])
				}
			}
		}
	}
}

func TestVecTwinExp(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 5} {
			x := specialValues(r, n)
			for i := range x {
				switch r.IntN(4) {
				case 0:
					x[i] *= 40 // reach both clamps
				case 1:
					x[i] = -float32(r.ExpFloat64() * 30) // softmax's range
				}
			}
			want := make([]float32, n)
			expGeneric(want, x)
			got, check := guarded(t, make([]float32, n), off)
			expFast(got, x)
			check("exp")
			if i := sameBitsOrNaN(got, want); i >= 0 {
				t.Fatalf("exp n=%d off=%d: exp(%v) = %v, want %v", n, off, x[i], got[i], want[i])
			}
		}
	}
}

func TestVecTwinsAffine(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(19, 20))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 3} {
			x, y := specialValues(r, n), specialValues(r, n)
			want := append([]float32(nil), x...)
			scaleGeneric(want, 0.37)
			got, check := guarded(t, x, off)
			scaleFast(got, 0.37)
			check("scale")
			if i := sameBitsOrNaN(got, want); i >= 0 {
				t.Fatalf("scale n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
			want = append(want[:0], y...)
			axpyGeneric(-1.7, x, want)
			got, check = guarded(t, y, off)
			axpyFast(-1.7, x, got)
			check("axpy")
			if i := sameBitsOrNaN(got, want); i >= 0 {
				t.Fatalf("axpy n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
			mean, invStd, gamma, beta := specialValues(r, n), specialValues(r, n), specialValues(r, n), specialValues(r, n)
			for _, keep := range []bool{false, true} {
				wantY, wantH := make([]float32, n), make([]float32, n)
				gotY, checkY := guarded(t, make([]float32, n), off)
				gotH, checkH := guarded(t, make([]float32, n), off+1)
				var wh, gh []float32
				if keep {
					wh, gh = wantH, gotH
				}
				bnApplyGeneric(wantY, wh, x, mean, invStd, gamma, beta)
				bnApplyFast(gotY, gh, x, mean, invStd, gamma, beta)
				checkY("bn y")
				checkH("bn xhat")
				if i := sameBitsOrNaN(gotY, wantY); i >= 0 {
					t.Fatalf("bn apply keep=%v n=%d: y[%d] = %v, want %v", keep, n, i, gotY[i], wantY[i])
				}
				if i := sameBitsOrNaN(gotH, wantH); i >= 0 {
					t.Fatalf("bn apply keep=%v n=%d: xhat[%d] = %v, want %v", keep, n, i, gotH[i], wantH[i])
				}
			}
			// Batch norm's input gradient: x as xhat, y as dy.
			coef, dbeta, dgamma := specialValues(r, n), specialValues(r, n), specialValues(r, n)
			want = make([]float32, n)
			bnBackDxGeneric(want, y, x, coef, dbeta, dgamma, 37)
			got, check = guarded(t, make([]float32, n), off)
			bnBackDxFast(got, y, x, coef, dbeta, dgamma, 37)
			check("bn dx")
			if i := sameBitsOrNaN(got, want); i >= 0 {
				t.Fatalf("bn dx n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

func TestMaxPool2Twin(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []int{8, 16, 24, 64, 3, 12} {
		for _, ow := range []int{1, 2, 3, 5, 16} {
			for off := 0; off < 3; off++ {
				r0 := specialValues(r, 2*ow*c+off%2) // rows may be longer (odd widths)
				r1 := specialValues(r, 2*ow*c+1)
				want := make([]float32, ow*c)
				maxPool2Generic(want, r0, r1, c)
				got, check := guarded(t, make([]float32, ow*c), off)
				maxPool2Fast(got, r0, r1, c)
				check("maxPool2")
				if i := sameBits(got, want); i >= 0 {
					t.Fatalf("maxPool2 c=%d ow=%d off=%d: [%d] = %v, want %v", c, ow, off, i, got[i], want[i])
				}
				// The twin itself against the general pool's order of cells.
				for o := 0; o < ow; o++ {
					for i := 0; i < c; i++ {
						v := r0[2*o*c+i]
						cells := []float32{r0[(2*o+1)*c+i], r1[2*o*c+i], r1[(2*o+1)*c+i]}
						acc := []float32{v}
						for _, x := range cells {
							maxGeneric(acc, []float32{x})
						}
						if math.Float32bits(acc[0]) != math.Float32bits(want[o*c+i]) {
							t.Fatalf("maxPool2Generic c=%d o=%d i=%d = %v, want %v", c, o, i, want[o*c+i], acc[0])
						}
					}
				}
			}
		}
	}
}

func TestMaxPool2ArgTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []int{8, 16, 24, 64, 3, 12} {
		for _, ow := range []int{1, 2, 3, 5, 16} {
			for off := 0; off < 3; off++ {
				rs := 2*ow*c + off // input rows may be longer (odd widths)
				x := specialValues(r, 2*rs)
				// Ties: copy some cells so the first must win.
				for i := 0; i < len(x); i += 7 {
					x[i] = x[(i+c)%len(x)]
				}
				r0, r1 := x[:rs], x[rs:]
				base := 1000 * off
				wantY, wantA := make([]float32, ow*c), make([]int32, ow*c)
				maxPool2ArgGeneric(wantY, wantA, r0, r1, c, base, rs)
				gotY, check := guarded(t, make([]float32, ow*c), off)
				gotA := make([]int32, ow*c)
				maxPool2ArgFast(gotY, gotA, r0, r1, c, base, rs)
				check("maxPool2Arg")
				if i := sameBits(gotY, wantY); i >= 0 {
					t.Fatalf("maxPool2Arg y c=%d ow=%d off=%d: [%d] = %v, want %v", c, ow, off, i, gotY[i], wantY[i])
				}
				for i := range wantA {
					if gotA[i] != wantA[i] {
						t.Fatalf("maxPool2Arg arg c=%d ow=%d off=%d: [%d] = %d, want %d", c, ow, off, i, gotA[i], wantA[i])
					}
				}
				// The twin against the general pool's Init/Update order.
				for o := 0; o < ow; o++ {
					for i := 0; i < c; i++ {
						p := 2*o*c + i
						y, a := []float32{0}, []int32{0}
						maxArgInitGeneric(y, a, r0[p:p+1], base+p)
						maxArgUpdateGeneric(y, a, r0[p+c:p+c+1], base+p+c)
						maxArgUpdateGeneric(y, a, r1[p:p+1], base+rs+p)
						maxArgUpdateGeneric(y, a, r1[p+c:p+c+1], base+rs+p+c)
						if math.Float32bits(y[0]) != math.Float32bits(wantY[o*c+i]) || a[0] != wantA[o*c+i] {
							t.Fatalf("maxPool2ArgGeneric c=%d o=%d i=%d: %v@%d, want %v@%d", c, o, i, wantY[o*c+i], wantA[o*c+i], y[0], a[0])
						}
					}
				}
				// Backward: the same winners route dy.
				dy := specialValues(r, ow*c)
				want0, want1 := make([]float32, rs), make([]float32, rs)
				maxPool2BackGeneric(want0, want1, dy, wantA, c, base, rs)
				got0, check0 := guarded(t, make([]float32, 2*ow*c), off)
				got1, check1 := guarded(t, make([]float32, 2*ow*c), 2-off)
				maxPool2BackFast(got0, got1, dy, wantA, c, base, rs)
				check0("maxPool2Back dx0")
				check1("maxPool2Back dx1")
				if i := sameBits(got0, want0[:2*ow*c]); i >= 0 {
					t.Fatalf("maxPool2Back dx0 c=%d ow=%d: [%d] = %v, want %v", c, ow, i, got0[i], want0[i])
				}
				if i := sameBits(got1, want1[:2*ow*c]); i >= 0 {
					t.Fatalf("maxPool2Back dx1 c=%d ow=%d: [%d] = %v, want %v", c, ow, i, got1[i], want1[i])
				}
				for k, a := range wantA {
					p := int(a) - base
					var got float32
					if p < rs {
						got = want0[p]
					} else {
						got = want1[p-rs]
					}
					if math.Float32bits(got) != math.Float32bits(dy[k]) {
						t.Fatalf("maxPool2BackGeneric: winner %d of output %d got %v, want dy %v", a, k, got, dy[k])
					}
				}
			}
		}
	}
}

func TestVecTwinDropout(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range vecLengths(r) {
		for _, off := range []int{0, 3} {
			x := specialValues(r, n)
			i0, k0, k1 := r.Uint32(), r.Uint32(), r.Uint32()
			// Thresholds at both ends and where the signed/unsigned
			// distinction matters.
			for _, thr := range []uint32{0, 1, 1 << 31, 1<<31 - 1, 1<<31 + 1, r.Uint32(), math.MaxUint32} {
				wy, wm := make([]float32, n), make([]float32, n)
				dropoutGeneric(wy, x, wm, i0, k0, k1, thr, 1.25)
				gy, cy := guarded(t, make([]float32, n), off)
				gm, cm := guarded(t, make([]float32, n), off+1)
				dropoutFast(gy, x, gm, i0, k0, k1, thr, 1.25)
				cy("dropout y")
				cm("dropout mask")
				if i := sameBits(gm, wm); i >= 0 {
					t.Fatalf("dropout n=%d thr=%#x: mask[%d] = %v, want %v", n, thr, i, gm[i], wm[i])
				}
				if i := sameBitsOrNaN(gy, wy); i >= 0 {
					t.Fatalf("dropout n=%d thr=%#x: y[%d] = %v, want %v (x %v)", n, thr, i, gy[i], wy[i], x[i])
				}
			}
		}
	}
}

func TestVecTwinSumRows(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(17, 18))
	for i, w := range []int{16, 32, 64} {
		for _, rows := range []int{0, 1, 2, 3, 17, 1000} {
			for _, stride := range []int{w, w + 1, 3 * w} {
				x := specialValues(r, max(0, (rows-1)*stride+w))
				want := make([]float32, w)
				sumRowsGeneric(want, x, rows, stride)
				got, check := guarded(t, make([]float32, w), 3)
				sumRowsVec[i](got, x, rows, stride)
				check("sumRows")
				if j := sameBitsOrNaN(got, want); j >= 0 {
					t.Fatalf("sumRows%d rows=%d stride=%d: column %d = %v, want %v", w, rows, stride, j, got[j], want[j])
				}
			}
		}
	}
}

// TestVecTwinBatchNormSums: the float64 column sums equal their Go twins
// bit for bit (or are both NaN), over widths with and without a tail past
// the 16-column bands, row counts and strides, accumulating into sums that
// do not start at zero, and write nothing past the columns they own.
func TestVecTwinBatchNormSums(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(19, 20))
	same := func(a, b []float64) int {
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) && (a[i] == a[i] || b[i] == b[i]) {
				return i
			}
		}
		return -1
	}
	start := func(w int) []float64 {
		s := make([]float64, w+3) // three guard values past the w columns
		for i := range s {
			s[i] = r.NormFloat64()
		}
		return s
	}
	for _, w := range []int{1, 5, 16, 20, 32, 48, 64, 71} {
		for _, rows := range []int{0, 1, 2, 3, 17, 1000} {
			for _, stride := range []int{w, w + 1, 3 * w} {
				n := max(0, (rows-1)*stride+w)
				x, dy := specialValues(r, n), specialValues(r, n)
				if rows == 1000 {
					x, dy = randSlice(r, n), randSlice(r, n) // finite sums too
				}
				mu := start(w)[:w]
				for _, tc := range []struct {
					name       string
					twin, fast func(a, b []float64)
				}{
					{"colSum", func(a, _ []float64) { colSumF64Generic(a[:w], x, rows, stride) },
						func(a, _ []float64) { colSumF64Fast(a[:w], x, rows, stride) }},
					{"colSqDev", func(a, _ []float64) { colSqDevF64Generic(a[:w], mu, x, rows, stride) },
						func(a, _ []float64) { colSqDevF64Fast(a[:w], mu, x, rows, stride) }},
					{"colGradSum", func(a, b []float64) { colGradSumF64Generic(a[:w], b[:w], dy, x, rows, stride) },
						func(a, b []float64) { colGradSumF64Fast(a[:w], b[:w], dy, x, rows, stride) }},
				} {
					wa, wb := start(w), start(w)
					ga, gb := append([]float64(nil), wa...), append([]float64(nil), wb...)
					tc.twin(wa, wb)
					tc.fast(ga, gb)
					if i := same(ga, wa); i >= 0 {
						t.Fatalf("%s w=%d rows=%d stride=%d: sum %d = %v, twin %v", tc.name, w, rows, stride, i, ga[i], wa[i])
					}
					if i := same(gb, wb); i >= 0 {
						t.Fatalf("%s w=%d rows=%d stride=%d: second sum %d = %v, twin %v", tc.name, w, rows, stride, i, gb[i], wb[i])
					}
				}
			}
		}
	}
}
