package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// genWinograd4 emits the Winograd F(4x4, 3x3) tile transforms, one vector
// of channels (lanes) per iteration. Each is a 1-D transform applied to the rows of the tile,
// the results going to a scratch area on the stack, then to its columns;
// the order of operations is the Go twins' (winograd4.go), which use no
// FMA, so the results match bit for bit.
func genWinograd4(isa string, Y func(int) reg.VecPhysical, lanes int) {
	vb := 4 * lanes // bytes per vector
	// broadcast puts the float32 with bits b in every lane of dst.
	broadcast := func(bits uint32, dst reg.VecPhysical, tmp reg.GPVirtual) {
		MOVL(U32(bits), tmp.As32())
		MOVQ(tmp, reg.X13)
		VPBROADCASTD(reg.X13, dst)
	}
	const four, eight = 0x40800000, 0x41000000
	// load reads cnt vectors from p, p+stride, ... into Y0, Y1, ...
	load := func(p, stride, tmp reg.Register, cnt int) {
		MOVQ(p, tmp)
		for i := range cnt {
			if i > 0 {
				ADDQ(stride, tmp)
			}
			VMOVUPS(Mem{Base: tmp}, Y(i))
		}
	}
	// store writes regs to p, p+stride, ...
	store := func(p, stride, tmp reg.Register, regs []int) {
		MOVQ(p, tmp)
		for i, r := range regs {
			if i > 0 {
				ADDQ(stride, tmp)
			}
			VMOVUPS(Y(r), Mem{Base: tmp})
		}
	}
	// loadS and storeS address the scratch area: vector i at s+vb*i.
	loadS := func(s Mem, first, step, cnt int) {
		for i := range cnt {
			VMOVUPS(s.Offset(vb*(first+i*step)), Y(i))
		}
	}
	storeS := func(s Mem, first, step int, regs []int) {
		for i, r := range regs {
			VMOVUPS(Y(r), s.Offset(vb*(first+i*step)))
		}
	}

	// in4 (Y15 = 4): x0..x5 in Y0..Y5; returns the registers of y0..y5.
	in4 := func() []int {
		VSUBPS(Y(2), Y(4), Y(6))    // a = x4 - x2
		VSUBPS(Y(3), Y(1), Y(7))    // b = x1 - x3
		VMULPS(Y(15), Y(2), Y(8))   // 4 x2
		VSUBPS(Y(8), Y(4), Y(8))    // c = x4 - 4 x2
		VMULPS(Y(15), Y(1), Y(9))   // 4 x1
		VSUBPS(Y(3), Y(9), Y(9))    // d = 4 x1 - x3
		VSUBPS(Y(9), Y(8), Y(10))   // y1 = c - d
		VADDPS(Y(9), Y(8), Y(11))   // y2 = c + d
		VSUBPS(Y(2), Y(0), Y(12))   // x0 - x2
		VMULPS(Y(15), Y(12), Y(12)) // 4 (x0 - x2)
		VADDPS(Y(6), Y(12), Y(12))  // y0 = 4 (x0 - x2) + a
		VADDPS(Y(7), Y(7), Y(13))   // b + b
		VSUBPS(Y(13), Y(6), Y(14))  // y3 = a - (b + b)
		VADDPS(Y(13), Y(6), Y(13))  // y4 = a + (b + b)
		VMULPS(Y(15), Y(7), Y(7))   // 4 b
		VSUBPS(Y(3), Y(5), Y(5))    // x5 - x3
		VADDPS(Y(5), Y(7), Y(5))    // y5 = 4 b + (x5 - x3)
		return []int{12, 10, 11, 14, 13, 5}
	}
	// out4 (Y15 = 4, Y14 = 8): m0..m5 in Y0..Y5; returns y0..y3.
	out4 := func() []int {
		VADDPS(Y(2), Y(1), Y(6))   // p = m1 + m2
		VSUBPS(Y(2), Y(1), Y(7))   // q = m1 - m2
		VADDPS(Y(4), Y(3), Y(8))   // r = m3 + m4
		VSUBPS(Y(4), Y(3), Y(9))   // s = m3 - m4
		VADDPS(Y(6), Y(0), Y(10))  // m0 + p
		VADDPS(Y(8), Y(10), Y(10)) // y0 = (m0 + p) + r
		VADDPS(Y(9), Y(9), Y(11))  // s + s
		VADDPS(Y(11), Y(7), Y(11)) // y1 = q + (s + s)
		VMULPS(Y(15), Y(8), Y(12)) // 4 r
		VADDPS(Y(12), Y(6), Y(12)) // y2 = p + 4 r
		VMULPS(Y(14), Y(9), Y(13)) // 8 s
		VADDPS(Y(13), Y(7), Y(13)) // q + 8 s
		VADDPS(Y(5), Y(13), Y(13)) // y3 = (q + 8 s) + m5
		return []int{10, 11, 12, 13}
	}
	// gradOut4 (Y15 = 4): y0..y3 in Y0..Y3; returns z0..z5.
	gradOut4 := func() []int {
		VADDPS(Y(2), Y(0), Y(4))  // e = y0 + y2
		VADDPS(Y(3), Y(1), Y(5))  // f = y1 + y3
		VMULPS(Y(15), Y(2), Y(6)) // 4 y2
		VADDPS(Y(6), Y(0), Y(6))  // g = y0 + 4 y2
		VMULPS(Y(15), Y(3), Y(7)) // 4 y3
		VADDPS(Y(7), Y(1), Y(7))  // y1 + 4 y3
		VADDPS(Y(7), Y(7), Y(7))  // h
		VADDPS(Y(5), Y(4), Y(8))  // z1 = e + f
		VSUBPS(Y(5), Y(4), Y(9))  // z2 = e - f
		VADDPS(Y(7), Y(6), Y(10)) // z3 = g + h
		VSUBPS(Y(7), Y(6), Y(11)) // z4 = g - h
		return []int{0, 8, 9, 10, 11, 3}
	}

	TEXT("winoIn4"+isa, 0, "func(v []float32, vs int, d []float32, rs, cs, n int)")
	Doc("winoIn4"+isa+" must equal winoIn4Generic for n rounded down to a multiple of",
		fmt.Sprint(lanes)+": it writes V = Bᵀ d B for each channel of one 6×6 input tile, d(i, j) at",
		"d[i*rs+j*cs:] and V(6i+j) at v[(6i+j)*vs:]. No bounds checks: the caller",
		"guarantees len(d) > 5*rs+5*cs+n-1 and len(v) > 35*vs+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(36 * vb)
		v, d := ptr("v"), ptr("d")
		st := byteStrides("vs", "rs", "cs")
		vs, rs, cs := st[0], st[1], st[2]
		n := Load(Param("n"), GP64())
		SHRQ(U8(bitsOf(lanes)), n)
		JZ(LabelRef("winoin4_done"+isa))
		t1, t2 := GP64(), GP64()
		broadcast(four, Y(15), t1)
		vs6 := GP64()
		LEAQ(Mem{Base: vs, Index: vs, Scale: 2}, vs6)
		SHLQ(U8(1), vs6)
		Label("winoin4_loop"+isa)
		MOVQ(d, t2)
		for i := range 6 {
			if i > 0 {
				ADDQ(rs, t2)
			}
			load(t2, cs, t1, 6)
			storeS(s, 6*i, 1, in4())
		}
		MOVQ(v, t2)
		for j := range 6 {
			if j > 0 {
				ADDQ(vs, t2)
			}
			loadS(s, j, 6, 6)
			store(t2, vs6, t1, in4())
		}
		ADDQ(U32(vb), d)
		ADDQ(U32(vb), v)
		DECQ(n)
		JNZ(LabelRef("winoin4_loop"+isa))
		Label("winoin4_done"+isa)
		VZEROUPPER()
		RET()
	}

	TEXT("winoOut4"+isa, 0, "func(y []float32, rs, cs int, m []float32, ms, n int)")
	Doc("winoOut4"+isa+" must equal winoOut4Generic for n rounded down to a multiple of",
		fmt.Sprint(lanes)+": it writes Y = Aᵀ M A for each channel of one tile, M(xi) at m[xi*ms:] and",
		"Y(i, j) at y[i*rs+j*cs:]. No bounds checks: the caller guarantees",
		"len(m) > 35*ms+n-1 and len(y) > 3*rs+3*cs+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(24 * vb)
		y, m := ptr("y"), ptr("m")
		st := byteStrides("rs", "cs", "ms")
		rs, cs, ms := st[0], st[1], st[2]
		n := Load(Param("n"), GP64())
		SHRQ(U8(bitsOf(lanes)), n)
		JZ(LabelRef("winoout4_done"+isa))
		t1, t2 := GP64(), GP64()
		broadcast(four, Y(15), t1)
		broadcast(eight, Y(14), t1)
		ms6 := GP64()
		LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms6)
		SHLQ(U8(1), ms6)
		Label("winoout4_loop"+isa)
		MOVQ(m, t2)
		for i := range 6 {
			if i > 0 {
				ADDQ(ms6, t2)
			}
			load(t2, ms, t1, 6)
			storeS(s, 4*i, 1, out4())
		}
		MOVQ(y, t2)
		for j := range 4 {
			if j > 0 {
				ADDQ(cs, t2)
			}
			loadS(s, j, 4, 6)
			store(t2, rs, t1, out4())
		}
		ADDQ(U32(vb), y)
		ADDQ(U32(vb), m)
		DECQ(n)
		JNZ(LabelRef("winoout4_loop"+isa))
		Label("winoout4_done"+isa)
		VZEROUPPER()
		RET()
	}

	TEXT("winoGradOut4"+isa, 0, "func(m []float32, ms int, dy []float32, rs, cs, n int)")
	Doc("winoGradOut4"+isa+" must equal winoGradOut4Generic for n rounded down to a",
		"multiple of "+fmt.Sprint(lanes)+": it writes dM = A dY Aᵀ for each channel of one tile, dY(i, j)",
		"at dy[i*rs+j*cs:] and dM(xi) at m[xi*ms:]. No bounds checks: the caller",
		"guarantees len(m) > 35*ms+n-1 and len(dy) > 3*rs+3*cs+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(24 * vb)
		m, dy := ptr("m"), ptr("dy")
		st := byteStrides("ms", "rs", "cs")
		ms, rs, cs := st[0], st[1], st[2]
		n := Load(Param("n"), GP64())
		SHRQ(U8(bitsOf(lanes)), n)
		JZ(LabelRef("winogo4_done"+isa))
		t1, t2 := GP64(), GP64()
		broadcast(four, Y(15), t1)
		ms6 := GP64()
		LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms6)
		SHLQ(U8(1), ms6)
		Label("winogo4_loop"+isa)
		MOVQ(dy, t2)
		for i := range 4 {
			if i > 0 {
				ADDQ(rs, t2)
			}
			load(t2, cs, t1, 4)
			storeS(s, 6*i, 1, gradOut4())
		}
		MOVQ(m, t2)
		for j := range 6 {
			if j > 0 {
				ADDQ(ms, t2)
			}
			loadS(s, j, 6, 4)
			store(t2, ms6, t1, gradOut4())
		}
		ADDQ(U32(vb), dy)
		ADDQ(U32(vb), m)
		DECQ(n)
		JNZ(LabelRef("winogo4_loop"+isa))
		Label("winogo4_done"+isa)
		VZEROUPPER()
		RET()
	}
}

// genWinogradFilter4 emits F(4x4)'s filter transform and its adjoint, one
// vector of filters (matrix elements) per iteration, in the Go twins' order.
func genWinogradFilter4(isa string, Y func(int) reg.VecPhysical, lanes int) {
	vb := 4 * lanes // bytes per vector
	bits := func(f float32) uint32 { return math.Float32bits(f) }
	// Y15 = 1/4, Y14 = -1/6, Y13 = 1/24, Y12 = 1/6, Y11 = 1/12.
	constants := func(tmp reg.GPVirtual) {
		for i, f := range []float32{0.25, -1.0 / 6, 1.0 / 24, 1.0 / 6, 1.0 / 12} {
			MOVL(U32(bits(f)), tmp.As32())
			MOVQ(tmp, reg.X10)
			VPBROADCASTD(reg.X10, Y(15-i))
		}
	}
	// filter4: g0..g2 in Y0..Y2; returns u0..u5.
	filter4 := func() []int {
		VADDPS(Y(2), Y(0), Y(3))  // even = g0 + g2
		VMULPS(Y(0), Y(15), Y(4)) // u0 = g0/4
		VADDPS(Y(1), Y(3), Y(5))  // even + g1
		VMULPS(Y(5), Y(14), Y(5)) // u1
		VSUBPS(Y(1), Y(3), Y(6))  // even - g1
		VMULPS(Y(6), Y(14), Y(6)) // u2
		VMULPS(Y(0), Y(13), Y(7)) // g0/24
		VMULPS(Y(2), Y(12), Y(8)) // g2/6
		VADDPS(Y(8), Y(7), Y(7))  // a
		VMULPS(Y(1), Y(11), Y(8)) // b = g1/12
		VADDPS(Y(8), Y(7), Y(9))  // u3 = a + b
		VSUBPS(Y(8), Y(7), Y(10)) // u4 = a - b
		return []int{4, 5, 6, 9, 10, 2}
	}
	// filterGrad4: d0..d5 in Y0..Y5; returns w0..w2.
	filterGrad4 := func() []int {
		VADDPS(Y(2), Y(1), Y(6))  // p = d1 + d2
		VSUBPS(Y(2), Y(1), Y(7))  // q = d1 - d2
		VADDPS(Y(4), Y(3), Y(8))  // r = d3 + d4
		VSUBPS(Y(4), Y(3), Y(9))  // s = d3 - d4
		VMULPS(Y(0), Y(15), Y(0)) // d0/4
		VMULPS(Y(6), Y(12), Y(1)) // p/6
		VSUBPS(Y(1), Y(0), Y(0))
		VMULPS(Y(8), Y(13), Y(1)) // r/24
		VADDPS(Y(1), Y(0), Y(0))  // w0
		VMULPS(Y(7), Y(14), Y(2)) // -q/6
		VMULPS(Y(9), Y(11), Y(3)) // s/12
		VADDPS(Y(3), Y(2), Y(2))  // w1
		VMULPS(Y(6), Y(14), Y(3)) // -p/6
		VMULPS(Y(8), Y(12), Y(4)) // r/6
		VADDPS(Y(4), Y(3), Y(3))
		VADDPS(Y(5), Y(3), Y(3)) // w2
		return []int{0, 2, 3}
	}
	loadStrided := func(p, stride, tmp reg.Register, cnt int) {
		MOVQ(p, tmp)
		for i := range cnt {
			if i > 0 {
				ADDQ(stride, tmp)
			}
			VMOVUPS(Mem{Base: tmp}, Y(i))
		}
	}
	storeStrided := func(p, stride, tmp reg.Register, regs []int) {
		MOVQ(p, tmp)
		for i, r := range regs {
			if i > 0 {
				ADDQ(stride, tmp)
			}
			VMOVUPS(Y(r), Mem{Base: tmp})
		}
	}

	TEXT("winoFilter4"+isa, 0, "func(u, w []float32, plane, n int)")
	Doc("winoFilter4"+isa+" must equal winoFilter4Generic for n rounded down to a",
		"multiple of "+fmt.Sprint(lanes)+". No bounds checks: the caller guarantees",
		"len(w) > 8*plane+n-1 and len(u) > 35*plane+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(18 * vb)
		u, w := ptr("u"), ptr("w")
		pb := byteStrides("plane")[0]
		n := Load(Param("n"), GP64())
		SHRQ(U8(bitsOf(lanes)), n)
		JZ(LabelRef("winof4_done"+isa))
		t1, t2 := GP64(), GP64()
		constants(t1)
		pb3 := GP64()
		LEAQ(Mem{Base: pb, Index: pb, Scale: 2}, pb3)
		Label("winof4_loop"+isa)
		MOVQ(w, t2)
		for j := range 3 {
			if j > 0 {
				ADDQ(pb, t2)
			}
			loadStrided(t2, pb3, t1, 3)
			for i, r := range filter4() {
				VMOVUPS(Y(r), s.Offset(vb*(3*i+j)))
			}
		}
		MOVQ(u, t2)
		for i := range 6 {
			if i > 0 {
				ADDQ(pb3, t2)
				ADDQ(pb3, t2)
			}
			for j := range 3 {
				VMOVUPS(s.Offset(vb*(3*i+j)), Y(j))
			}
			storeStrided(t2, pb, t1, filter4())
		}
		ADDQ(U32(vb), u)
		ADDQ(U32(vb), w)
		DECQ(n)
		JNZ(LabelRef("winof4_loop"+isa))
		Label("winof4_done"+isa)
		VZEROUPPER()
		RET()
	}

	TEXT("winoFilterGrad4"+isa, 0, "func(dw, du []float32, plane, n int)")
	Doc("winoFilterGrad4"+isa+" must equal winoFilterGrad4Generic for n rounded down",
		"to a multiple of "+fmt.Sprint(lanes)+". No bounds checks: the caller guarantees",
		"len(du) > 35*plane+n-1 and len(dw) > 8*plane+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(18 * vb)
		dw, du := ptr("dw"), ptr("du")
		pb := byteStrides("plane")[0]
		n := Load(Param("n"), GP64())
		SHRQ(U8(bitsOf(lanes)), n)
		JZ(LabelRef("winofg4_done"+isa))
		t1, t2 := GP64(), GP64()
		constants(t1)
		pb6 := GP64()
		LEAQ(Mem{Base: pb, Index: pb, Scale: 2}, pb6)
		SHLQ(U8(1), pb6)
		Label("winofg4_loop"+isa)
		MOVQ(du, t2)
		for j := range 6 {
			if j > 0 {
				ADDQ(pb, t2)
			}
			loadStrided(t2, pb6, t1, 6)
			for ky, r := range filterGrad4() {
				VMOVUPS(Y(r), s.Offset(vb*(6*ky+j)))
			}
		}
		MOVQ(dw, t2)
		for ky := range 3 {
			if ky > 0 {
				ADDQ(pb, t2)
				ADDQ(pb, t2)
				ADDQ(pb, t2)
			}
			for j := range 6 {
				VMOVUPS(s.Offset(vb*(6*ky+j)), Y(j))
			}
			storeStrided(t2, pb, t1, filterGrad4())
		}
		ADDQ(U32(vb), dw)
		ADDQ(U32(vb), du)
		DECQ(n)
		JNZ(LabelRef("winofg4_loop"+isa))
		Label("winofg4_done"+isa)
		VZEROUPPER()
		RET()
	}
}
