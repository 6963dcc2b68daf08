package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// vecLoop emits a loop over the n (parameter "n") elements in vectors of
// lanes: setup runs once when there is a vector to do, body once per
// vector, and then each of ptrs moves one vector on.
func vecLoop(label string, lanes int, setup, body func(), ptrs ...reg.Register) {
	n := Load(Param("n"), GP64())
	SHRQ(U8(bitsOf(lanes)), n)
	JZ(LabelRef(label + "_done"))
	setup()
	Label(label + "_loop")
	body()
	for _, p := range ptrs {
		ADDQ(U32(4*lanes), p)
	}
	DECQ(n)
	JNZ(LabelRef(label + "_loop"))
	Label(label + "_done")
	VZEROUPPER()
	RET()
}

// times6 returns a new register holding 6·r.
func times6(r reg.Register) reg.Register {
	r6 := GP64()
	LEAQ(Mem{Base: r, Index: r, Scale: 2}, r6)
	SHLQ(U8(1), r6)
	return r6
}

// twoPasser returns the emitter of one vector's 2-D transform, with Y
// the vector registers of lanes floats: n1 source lines (src,
// src+srcStep, ...) of n1 cells srcStride apart go through f into the
// scratch s, then the scratch's columns through f again to dst lines
// (dst, dst+dstStep, ...) of cells dstStride apart. t1 and t2 are
// scratch registers.
func twoPasser(Y func(int) reg.VecPhysical, lanes int) func(s Mem, src, srcStep, srcStride reg.Register, n1 int, f func() []int,
	dst, dstStep, dstStride reg.Register, t1, t2 reg.Register) {
	vb := 4 * lanes
	return func(s Mem, src, srcStep, srcStride reg.Register, n1 int, f func() []int,
		dst, dstStep, dstStride reg.Register, t1, t2 reg.Register) {
		var w1 int
		MOVQ(src, t2)
		for i := range n1 {
			if i > 0 {
				ADDQ(srcStep, t2)
			}
			MOVQ(t2, t1)
			for k := range n1 {
				if k > 0 {
					ADDQ(srcStride, t1)
				}
				VMOVUPS(Mem{Base: t1}, Y(k))
			}
			regs := f()
			w1 = len(regs)
			for k, r := range regs {
				VMOVUPS(Y(r), s.Offset(vb*(w1*i+k)))
			}
		}
		MOVQ(dst, t2)
		for j := range w1 {
			if j > 0 {
				ADDQ(dstStep, t2)
			}
			for k := range n1 {
				VMOVUPS(s.Offset(vb*(w1*k+j)), Y(k))
			}
			MOVQ(t2, t1)
			for k, r := range f() {
				if k > 0 {
					ADDQ(dstStride, t1)
				}
				VMOVUPS(Y(r), Mem{Base: t1})
			}
		}
	}
}

// genWinograd4 emits the Winograd F(4x4, 3x3) tile transforms, one vector
// of channels (lanes) per iteration. Each is a 1-D transform applied to
// the rows of the tile, the results going to a scratch area on the stack,
// then to its columns; the order of operations is the Go twins'
// (winograd4.go), which use no FMA, so the results match bit for bit.
func genWinograd4(isa string, Y func(int) reg.VecPhysical, lanes int) {
	vb := 4 * lanes // bytes per vector
	// broadcast puts the float32 with bits b in every lane of dst.
	broadcast := func(bits uint32, dst reg.VecPhysical, tmp reg.GPVirtual) {
		MOVL(U32(bits), tmp.As32())
		broadcastGP32(tmp, reg.X13, dst)
	}
	const four, eight = 0x40800000, 0x41000000
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

	twoPass := twoPasser(Y, lanes)

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
		t1, t2, vs6 := GP64(), GP64(), times6(vs)
		vecLoop("winoin4"+isa, lanes, func() {
			broadcast(four, Y(15), t1)
		}, func() {
			twoPass(s, d, rs, cs, 6, in4, v, vs, vs6, t1, t2)
		}, d, v)
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
		t1, t2, ms6 := GP64(), GP64(), times6(ms)
		vecLoop("winoout4"+isa, lanes, func() {
			broadcast(four, Y(15), t1)
			broadcast(eight, Y(14), t1)
		}, func() {
			twoPass(s, m, ms6, ms, 6, out4, y, cs, rs, t1, t2)
		}, y, m)
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
		t1, t2, ms6 := GP64(), GP64(), times6(ms)
		vecLoop("winogo4"+isa, lanes, func() {
			broadcast(four, Y(15), t1)
		}, func() {
			twoPass(s, dy, rs, cs, 4, gradOut4, m, ms, ms6, t1, t2)
		}, dy, m)
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
			broadcastGP32(tmp, reg.X10, Y(15-i))
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
	twoPass := twoPasser(Y, lanes)

	TEXT("winoFilter4"+isa, 0, "func(u, w []float32, plane, n int)")
	Doc("winoFilter4"+isa+" must equal winoFilter4Generic for n rounded down to a",
		"multiple of "+fmt.Sprint(lanes)+". No bounds checks: the caller guarantees",
		"len(w) > 8*plane+n-1 and len(u) > 35*plane+n-1.")
	Pragma("noescape")
	{
		s := AllocLocal(18 * vb)
		u, w := ptr("u"), ptr("w")
		pb := byteStrides("plane")[0]
		t1, t2 := GP64(), GP64()
		pb3, pb6 := GP64(), times6(pb)
		LEAQ(Mem{Base: pb, Index: pb, Scale: 2}, pb3)
		// The kernel's columns, then the rows of G g.
		vecLoop("winof4"+isa, lanes, func() { constants(t1) }, func() {
			twoPass(s, w, pb, pb3, 3, filter4, u, pb6, pb, t1, t2)
		}, u, w)
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
		t1, t2 := GP64(), GP64()
		pb3, pb6 := GP64(), times6(pb)
		LEAQ(Mem{Base: pb, Index: pb, Scale: 2}, pb3)
		// dU's columns, then the rows of Gᵀ dU.
		vecLoop("winofg4"+isa, lanes, func() { constants(t1) }, func() {
			twoPass(s, du, pb, pb6, 6, filterGrad4, dw, pb3, pb, t1, t2)
		}, dw, du)
	}
}
