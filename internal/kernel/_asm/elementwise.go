package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The element-wise kernels below work on whole blocks of 8 floats; the Go
// wrappers run the portable twin on the tail. None uses FMA, so each equals
// its twin bit for bit.

// blocks loads the length of slice param into a register and shifts it to a
// count of 8-float blocks, jumping to done when there are none.
func blocks(param, done string) reg.Register {
	n := Load(Param(param).Len(), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef(done))
	return n
}

func ptr(param string) reg.Register { return Load(Param(param).Base(), GP64()) }

func advance(step int, ps ...reg.Register) {
	for _, p := range ps {
		ADDQ(U32(step), p)
	}
}

// byteStrides loads int params counted in floats and turns them into byte
// strides.
func byteStrides(names ...string) []reg.Register {
	rs := make([]reg.Register, len(names))
	for i, name := range names {
		rs[i] = Load(Param(name), GP64())
		SHLQ(U8(2), rs[i])
	}
	return rs
}

// broadcastF32 puts the float32 argument param in every lane of dst,
// reading it straight from the argument frame: VBROADCASTSS m32 is VEX, where
// avo's Load into an X register would be a legacy-SSE MOVSS (see vexOnly).
func broadcastF32(param string, dst reg.VecPhysical) {
	b, err := Param(param).Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(b.Addr, dst)
}

// broadcastGP32 puts the low 32 bits of general register r in every lane of
// dst, through tmp.
//
// vexOnly: every function here that runs VEX/EVEX instructions must not run a
// legacy-SSE one (MOVQ r64, Xn is legacy SSE; VMOVQ is its VEX form). Intel
// cores stall on each legacy-SSE instruction while upper register halves are
// dirty (Intel's optimization reference manual, "Mixing AVX code with SSE
// code"); one MOVQ in the max-pool loop made it 7x slower on a Xeon. AMD
// cores do not stall. asm_lint_test.go in the parent package enforces it.
func broadcastGP32(r reg.Register, tmp reg.VecPhysical, dst reg.VecPhysical) {
	VMOVQ(r, tmp)
	VPBROADCASTD(tmp, dst)
}

// VCMPPS predicates (Intel SDM, CMPPS imm8 table): NLE_UQ is true where
// !(a <= b), NaN included; GT_OQ where a > b, false on NaN.
const (
	cmpNLEUQ = 0x06
	cmpGTOQ  = 0x1e
)

func genMaxArg() {
	iota := GLOBL("iota8", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	eight := GLOBL("eight8", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(8))
	}

	for _, update := range []bool{false, true} {
		name := "maxArgInitAVX2"
		body := []string{"\t\ty[i], arg[i] = x[i], int32(base+i)"}
		if update {
			name = "maxArgUpdateAVX2"
			body = []string{
				"\t\tif x[i] > y[i] || x[i] != x[i] {",
				"\t\t\ty[i], arg[i] = x[i], int32(base+i)",
				"\t\t}",
			}
		}
		TEXT(name, NOSPLIT, "func(y []float32, arg []int32, x []float32, base int)")
		doc := []string{
			fmt.Sprintf("%s must equal, for n = len(y) rounded down to a multiple of 8,", name),
			"",
			"\tfor i := 0; i < n; i++ {",
		}
		doc = append(doc, body...)
		doc = append(doc, "\t}", "", "without bounds checks: len(arg) and len(x) are at least n.")
		Doc(doc...)
		Pragma("noescape")
		done := name + "_done"
		y, arg, x := ptr("y"), ptr("arg"), ptr("x")
		n := blocks("y", done)
		base := Load(Param("base"), GP64())
		idx, step := reg.Y8, reg.Y9
		broadcastGP32(base, reg.X8, idx)
		VPADDD(iota, idx, idx)
		VMOVDQU(eight, step)
		Label(name + "_loop")
		if update {
			VMOVUPS(Mem{Base: x}, reg.Y0)
			VMOVUPS(Mem{Base: y}, reg.Y1)
			maxStep(reg.Y1, reg.Y0, reg.Y2, reg.Y3)
			VMOVUPS(reg.Y1, Mem{Base: y})
			VMOVDQU(Mem{Base: arg}, reg.Y4)
			VBLENDVPS(reg.Y2, idx, reg.Y4, reg.Y4)
			VMOVDQU(reg.Y4, Mem{Base: arg})
		} else {
			VMOVUPS(Mem{Base: x}, reg.Y0)
			VMOVUPS(reg.Y0, Mem{Base: y})
			VMOVDQU(idx, Mem{Base: arg})
		}
		VPADDD(step, idx, idx)
		advance(32, y, arg, x)
		DECQ(n)
		JNZ(LabelRef(name + "_loop"))
		Label(done)
		VZEROUPPER()
		RET()
	}
}

func genMax() {
	TEXT("maxAVX2", NOSPLIT, "func(y, x []float32)")
	Doc("maxAVX2 must equal, for n = len(y) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tif x[i] > y[i] || x[i] != x[i] {",
		"\t\t\ty[i] = x[i]",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(x) >= n.")
	Pragma("noescape")
	y, x := ptr("y"), ptr("x")
	n := blocks("y", "max_done")
	Label("max_loop")
	VMOVUPS(Mem{Base: x}, reg.Y0)
	VMOVUPS(Mem{Base: y}, reg.Y1)
	maxStep(reg.Y1, reg.Y0, reg.Y2, reg.Y3)
	VMOVUPS(reg.Y1, Mem{Base: y})
	advance(32, y, x)
	DECQ(n)
	JNZ(LabelRef("max_loop"))
	Label("max_done")
	VZEROUPPER()
	RET()
}

func genReLU() {
	// reluAVX2: y = z where !(z <= 0), else +0: one compare whose
	// predicate is true on NaN, so NaN passes (vexOnly's note on VEX).
	TEXT("reluAVX2", NOSPLIT, "func(y, z []float32)")
	Doc("reluAVX2 must equal, for n = len(z) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\ty[i] = reluKeep(z[i])",
		"\t}",
		"",
		"without bounds checks: len(y) >= n.")
	Pragma("noescape")
	y, z := ptr("y"), ptr("z")
	n := blocks("z", "relu_done")
	VXORPS(reg.Y7, reg.Y7, reg.Y7)
	Label("relu_loop")
	VMOVUPS(Mem{Base: z}, reg.Y0)
	VCMPPS(U8(cmpNLEUQ), reg.Y7, reg.Y0, reg.Y1) // !(z <= 0)
	VANDPS(reg.Y0, reg.Y1, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: y})
	advance(32, y, z)
	DECQ(n)
	JNZ(LabelRef("relu_loop"))
	Label("relu_done")
	VZEROUPPER()
	RET()

	TEXT("reluBackwardAVX2", NOSPLIT, "func(dz, dy, y []float32)")
	Doc("reluBackwardAVX2 must equal, for n = len(y) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tif y[i] > 0 {",
		"\t\t\tdz[i] = dy[i]",
		"\t\t} else {",
		"\t\t\tdz[i] = 0",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(dz) and len(dy) are at least n.")
	Pragma("noescape")
	dz, dy, yy := ptr("dz"), ptr("dy"), ptr("y")
	n = blocks("y", "relub_done")
	VXORPS(reg.Y7, reg.Y7, reg.Y7)
	Label("relub_loop")
	VMOVUPS(Mem{Base: yy}, reg.Y0)
	VCMPPS(U8(cmpGTOQ), reg.Y7, reg.Y0, reg.Y0) // y > 0, false on NaN
	VANDPS(Mem{Base: dy}, reg.Y0, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: dz})
	advance(32, dz, dy, yy)
	DECQ(n)
	JNZ(LabelRef("relub_loop"))
	Label("relub_done")
	VZEROUPPER()
	RET()

	TEXT("biasReLUAVX2", NOSPLIT, "func(x, bias []float32)")
	Doc("biasReLUAVX2 must equal, for n = len(x) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tx[i] = reluKeep(x[i] + bias[i])",
		"\t}",
		"",
		"without bounds checks: len(bias) >= n.")
	Pragma("noescape")
	x, bias := ptr("x"), ptr("bias")
	n = blocks("x", "biasrelu_done")
	VXORPS(reg.Y7, reg.Y7, reg.Y7)
	Label("biasrelu_loop")
	VMOVUPS(Mem{Base: x}, reg.Y0)
	VADDPS(Mem{Base: bias}, reg.Y0, reg.Y0)
	VCMPPS(U8(cmpNLEUQ), reg.Y7, reg.Y0, reg.Y1)
	VANDPS(reg.Y0, reg.Y1, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: x})
	advance(32, x, bias)
	DECQ(n)
	JNZ(LabelRef("biasrelu_loop"))
	Label("biasrelu_done")
	VZEROUPPER()
	RET()

	TEXT("addAVX2", NOSPLIT, "func(dst, src []float32)")
	Doc("addAVX2 must equal, for n = len(dst) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tdst[i] += src[i]",
		"\t}",
		"",
		"without bounds checks: len(src) >= n.")
	Pragma("noescape")
	d, s := ptr("dst"), ptr("src")
	n = blocks("dst", "add_done")
	Label("add_loop")
	VMOVUPS(Mem{Base: d}, reg.Y0)
	VADDPS(Mem{Base: s}, reg.Y0, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: d})
	advance(32, d, s)
	DECQ(n)
	JNZ(LabelRef("add_loop"))
	Label("add_done")
	VZEROUPPER()
	RET()

	TEXT("add3AVX2", NOSPLIT, "func(dst, a, b []float32)")
	Doc("add3AVX2 must equal, for n = len(dst) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tdst[i] = a[i] + b[i]",
		"\t}",
		"",
		"without bounds checks: len(a), len(b) >= n.")
	Pragma("noescape")
	d3, a3, b3 := ptr("dst"), ptr("a"), ptr("b")
	n = blocks("dst", "add3_done")
	Label("add3_loop")
	VMOVUPS(Mem{Base: a3}, reg.Y0)
	VADDPS(Mem{Base: b3}, reg.Y0, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: d3})
	advance(32, d3, a3, b3)
	DECQ(n)
	JNZ(LabelRef("add3_loop"))
	Label("add3_done")
	VZEROUPPER()
	RET()
}

func genAdam() {
	TEXT("adamAVX2", NOSPLIT, "func(w, g, m, v []float32, lr, c1, c2, eps float32)")
	Doc("adamAVX2 must equal, for n = len(w) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tm[i] += float32((g[i] - m[i]) * c1)",
		"\t\tv[i] += float32((float32(g[i]*g[i]) - v[i]) * c2)",
		"\t\tw[i] -= float32(lr*m[i]) / (float32(math.Sqrt(float64(v[i]))) + eps)",
		"\t}",
		"",
		"without bounds checks: len(g), len(m), len(v) are at least n. It uses",
		"no fused multiply-add, and the square root and division are IEEE",
		"correctly rounded, so it equals the loop bit for bit.")
	Pragma("noescape")
	w, g, m, v := ptr("w"), ptr("g"), ptr("m"), ptr("v")
	n := blocks("w", "adam_done")
	lr, c1, c2, eps := reg.Y8, reg.Y9, reg.Y10, reg.Y11
	broadcastF32("lr", lr)
	broadcastF32("c1", c1)
	broadcastF32("c2", c2)
	broadcastF32("eps", eps)
	Label("adam_loop")
	VMOVUPS(Mem{Base: g}, reg.Y0)
	VMOVUPS(Mem{Base: m}, reg.Y1)
	VSUBPS(reg.Y1, reg.Y0, reg.Y2) // g - m
	VMULPS(c1, reg.Y2, reg.Y2)
	VADDPS(reg.Y2, reg.Y1, reg.Y1) // m + (g-m)*c1
	VMOVUPS(reg.Y1, Mem{Base: m})
	VMOVUPS(Mem{Base: v}, reg.Y3)
	VMULPS(reg.Y0, reg.Y0, reg.Y4) // g*g
	VSUBPS(reg.Y3, reg.Y4, reg.Y4) // g*g - v
	VMULPS(c2, reg.Y4, reg.Y4)
	VADDPS(reg.Y4, reg.Y3, reg.Y3)
	VMOVUPS(reg.Y3, Mem{Base: v})
	VSQRTPS(reg.Y3, reg.Y3)
	VADDPS(eps, reg.Y3, reg.Y3)
	VMULPS(reg.Y1, lr, reg.Y1) // lr*m
	VDIVPS(reg.Y3, reg.Y1, reg.Y1)
	VMOVUPS(Mem{Base: w}, reg.Y5)
	VSUBPS(reg.Y1, reg.Y5, reg.Y5)
	VMOVUPS(reg.Y5, Mem{Base: w})
	advance(32, w, g, m, v)
	DECQ(n)
	JNZ(LabelRef("adam_loop"))
	Label("adam_done")
	VZEROUPPER()
	RET()
}

// genWinograd emits the Winograd F(2x2,3x3) tile transforms, 8 channels per
// iteration. Addresses are recomputed from a few strides each iteration so
// that the loops fit in the general registers.
func genWinograd() {
	TEXT("winoInAVX2", NOSPLIT, "func(v []float32, vs int, d []float32, rs, cs, n int)")
	Doc("winoInAVX2 must equal winoInGeneric for n rounded down to a multiple of 8:",
		"it writes V = Bᵀ d B for each channel of one 4×4 input tile, d(i, j) at",
		"d[i*rs+j*cs:] and V(4i+j) at v[(4i+j)*vs:]. No bounds checks: the caller",
		"guarantees len(d) > 3*rs+3*cs+n-1 and len(v) > 15*vs+n-1.")
	Pragma("noescape")
	v, d := ptr("v"), ptr("d")
	st := byteStrides("vs", "rs", "cs")
	vs, rs, cs := st[0], st[1], st[2]
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("winoin_done"))
	vs4 := GP64()
	MOVQ(vs, vs4)
	SHLQ(U8(2), vs4)
	t1, t2 := GP64(), GP64()
	Y := func(i int) reg.VecPhysical { return ymm(i) }
	// rowT loads input row i and writes its transform d B into out[0..3]
	// (Y registers), using Y0..Y3 for the loads.
	rowT := func(i int, out [4]int) {
		MOVQ(d, t1)
		for range i {
			ADDQ(rs, t1)
		}
		VMOVUPS(Mem{Base: t1}, Y(0))
		VMOVUPS(Mem{Base: t1, Index: cs, Scale: 1}, Y(1))
		VMOVUPS(Mem{Base: t1, Index: cs, Scale: 2}, Y(2))
		LEAQ(Mem{Base: t1, Index: cs, Scale: 2}, t2)
		VMOVUPS(Mem{Base: t2, Index: cs, Scale: 1}, Y(3))
		VSUBPS(Y(2), Y(0), Y(out[0])) // d0 - d2
		VADDPS(Y(2), Y(1), Y(out[1])) // d1 + d2
		VSUBPS(Y(1), Y(2), Y(out[2])) // d2 - d1
		VSUBPS(Y(3), Y(1), Y(out[3])) // d1 - d3
	}
	// store writes Y registers regs to V(4i+0..3).
	store := func(i int, regs [4]int) {
		MOVQ(v, t1)
		for range i {
			ADDQ(vs4, t1)
		}
		VMOVUPS(Y(regs[0]), Mem{Base: t1})
		VMOVUPS(Y(regs[1]), Mem{Base: t1, Index: vs, Scale: 1})
		VMOVUPS(Y(regs[2]), Mem{Base: t1, Index: vs, Scale: 2})
		LEAQ(Mem{Base: t1, Index: vs, Scale: 2}, t2)
		VMOVUPS(Y(regs[3]), Mem{Base: t2, Index: vs, Scale: 1})
	}
	Label("winoin_loop")
	e1, e2 := [4]int{4, 5, 6, 7}, [4]int{8, 9, 10, 11}
	tmp := [4]int{12, 13, 14, 15}
	rowT(1, e1)
	rowT(2, e2)
	for j := range 4 {
		VADDPS(Y(e2[j]), Y(e1[j]), Y(tmp[j])) // V1 = e1 + e2
	}
	store(1, tmp)
	for j := range 4 {
		VSUBPS(Y(e1[j]), Y(e2[j]), Y(tmp[j])) // V2 = e2 - e1
	}
	store(2, tmp)
	rowT(0, tmp) // e0
	for j := range 4 {
		VSUBPS(Y(e2[j]), Y(tmp[j]), Y(tmp[j])) // V0 = e0 - e2
	}
	store(0, tmp)
	rowT(3, e2) // e3, in e2's registers
	for j := range 4 {
		VSUBPS(Y(e2[j]), Y(e1[j]), Y(tmp[j])) // V3 = e1 - e3
	}
	store(3, tmp)
	ADDQ(U32(32), d)
	ADDQ(U32(32), v)
	DECQ(n)
	JNZ(LabelRef("winoin_loop"))
	Label("winoin_done")
	VZEROUPPER()
	RET()

	TEXT("winoOutAVX2", NOSPLIT, "func(y []float32, rs, cs int, m []float32, ms, n int)")
	Doc("winoOutAVX2 must equal winoOutGeneric for n rounded down to a multiple of 8:",
		"it writes Y = Aᵀ M A for each channel of one tile, M(xi) at m[xi*ms:] and",
		"Y(i, j) at y[i*rs+j*cs:]. No bounds checks: the caller guarantees",
		"len(m) > 15*ms+n-1 and len(y) > rs+cs+n-1.")
	Pragma("noescape")
	y, m := ptr("y"), ptr("m")
	st = byteStrides("rs", "cs", "ms")
	yrs, ycs, ms := st[0], st[1], st[2]
	n = Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("winoout_done"))
	ms4 := GP64()
	MOVQ(ms, ms4)
	SHLQ(U8(2), ms4)
	u1, u2 := GP64(), GP64()
	Label("winoout_loop")
	// s0[j] = m0j + m1j + m2j in Y8..Y11, s1[j] = m1j - m2j - m3j in Y12..Y15.
	MOVQ(m, u1)
	for j := range 4 {
		if j > 0 {
			ADDQ(ms, u1)
		}
		MOVQ(u1, u2)
		VMOVUPS(Mem{Base: u2}, Y(0))
		ADDQ(ms4, u2)
		VMOVUPS(Mem{Base: u2}, Y(1))
		ADDQ(ms4, u2)
		VMOVUPS(Mem{Base: u2}, Y(2))
		ADDQ(ms4, u2)
		VMOVUPS(Mem{Base: u2}, Y(3))
		VADDPS(Y(1), Y(0), Y(8+j))
		VADDPS(Y(2), Y(8+j), Y(8+j))
		VSUBPS(Y(2), Y(1), Y(12+j))
		VSUBPS(Y(3), Y(12+j), Y(12+j))
	}
	for i, s := range []int{8, 12} {
		VADDPS(Y(s+1), Y(s), Y(0))
		VADDPS(Y(s+2), Y(0), Y(0)) // a0 + a1 + a2
		VSUBPS(Y(s+2), Y(s+1), Y(1))
		VSUBPS(Y(s+3), Y(1), Y(1)) // a1 - a2 - a3
		MOVQ(y, u1)
		if i == 1 {
			ADDQ(yrs, u1)
		}
		VMOVUPS(Y(0), Mem{Base: u1})
		VMOVUPS(Y(1), Mem{Base: u1, Index: ycs, Scale: 1})
	}
	ADDQ(U32(32), y)
	ADDQ(U32(32), m)
	DECQ(n)
	JNZ(LabelRef("winoout_loop"))
	Label("winoout_done")
	VZEROUPPER()
	RET()
}

// genWinogradGrad emits the adjoint of the output transform, dM = A dY Aᵀ,
// used by the filter gradient.
func genWinogradGrad() {
	TEXT("winoGradOutAVX2", NOSPLIT, "func(m []float32, ms int, dy []float32, rs, cs, n int)")
	Doc("winoGradOutAVX2 must equal winoGradOutGeneric for n rounded down to a multiple",
		"of 8: it writes dM = A dY Aᵀ for each channel of one tile, dY(i, j) at",
		"dy[i*rs+j*cs:] and dM(xi) at m[xi*ms:]. No bounds checks: the caller",
		"guarantees len(m) > 15*ms+n-1 and len(dy) > rs+cs+n-1.")
	Pragma("noescape")
	m, dy := ptr("m"), ptr("dy")
	st := byteStrides("ms", "rs", "cs")
	ms, rs, cs := st[0], st[1], st[2]
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("winogo_done"))
	ms4 := GP64()
	MOVQ(ms, ms4)
	SHLQ(U8(2), ms4)
	t1, t2 := GP64(), GP64()
	Y := func(i int) reg.VecPhysical { return ymm(i) }
	sign := Y(15)
	// -0.0 in every lane: XOR with it negates exactly, as Go's unary minus.
	MOVL(U32(0x80000000), t1.As32())
	broadcastGP32(t1, reg.X15, sign)
	Label("winogo_loop")
	MOVQ(dy, t1)
	VMOVUPS(Mem{Base: t1}, Y(0))                      // y00
	VMOVUPS(Mem{Base: t1, Index: cs, Scale: 1}, Y(1)) // y01
	ADDQ(rs, t1)
	VMOVUPS(Mem{Base: t1}, Y(2))                      // y10
	VMOVUPS(Mem{Base: t1, Index: cs, Scale: 1}, Y(3)) // y11
	// r rows (r0, r1) for i = 0..3 in Y4..Y11.
	VMOVUPS(Y(0), Y(4))
	VMOVUPS(Y(1), Y(5))
	VADDPS(Y(2), Y(0), Y(6))
	VADDPS(Y(3), Y(1), Y(7))
	VSUBPS(Y(2), Y(0), Y(8))
	VSUBPS(Y(3), Y(1), Y(9))
	VXORPS(sign, Y(2), Y(10))
	VXORPS(sign, Y(3), Y(11))
	MOVQ(m, t1)
	for i := range 4 {
		r0, r1 := Y(4+2*i), Y(5+2*i)
		if i > 0 {
			ADDQ(ms4, t1)
		}
		VMOVUPS(r0, Mem{Base: t1})
		VADDPS(r1, r0, Y(12))
		VMOVUPS(Y(12), Mem{Base: t1, Index: ms, Scale: 1})
		VSUBPS(r1, r0, Y(13))
		VMOVUPS(Y(13), Mem{Base: t1, Index: ms, Scale: 2})
		VXORPS(sign, r1, Y(14))
		LEAQ(Mem{Base: t1, Index: ms, Scale: 2}, t2)
		VMOVUPS(Y(14), Mem{Base: t2, Index: ms, Scale: 1})
	}
	ADDQ(U32(32), dy)
	ADDQ(U32(32), m)
	DECQ(n)
	JNZ(LabelRef("winogo_loop"))
	Label("winogo_done")
	VZEROUPPER()
	RET()
}

// genOptim emits the SGD, RMSprop and Adagrad updates (Adam is genAdam).
func genOptim() {
	TEXT("sgdAVX2", NOSPLIT, "func(w, g, m []float32, lr, mu float32, nesterov bool)")
	Doc("sgdAVX2 must equal, for n = len(w) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tm[i] = float32(mu*m[i]) - float32(lr*g[i])",
		"\t\tif nesterov {",
		"\t\t\tw[i] += float32(mu*m[i]) - float32(lr*g[i])",
		"\t\t} else {",
		"\t\t\tw[i] += m[i]",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(g) and len(m) are at least n.")
	Pragma("noescape")
	w, g, m := ptr("w"), ptr("g"), ptr("m")
	n := blocks("w", "sgd_done")
	lr, mu := reg.Y8, reg.Y9
	broadcastF32("lr", lr)
	broadcastF32("mu", mu)
	nest := Load(Param("nesterov"), GP8())
	TESTB(nest, nest)
	JNZ(LabelRef("sgd_nesterov"))
	for _, nesterov := range []bool{false, true} {
		label := "sgd_plain"
		if nesterov {
			label = "sgd_nesterov"
		}
		Label(label)
		VMOVUPS(Mem{Base: g}, reg.Y0)
		VMULPS(reg.Y0, lr, reg.Y0) // lr*g
		VMOVUPS(Mem{Base: m}, reg.Y1)
		VMULPS(reg.Y1, mu, reg.Y1)
		VSUBPS(reg.Y0, reg.Y1, reg.Y1) // m = mu*m - lr*g
		VMOVUPS(reg.Y1, Mem{Base: m})
		VMOVUPS(Mem{Base: w}, reg.Y2)
		if nesterov {
			VMULPS(reg.Y1, mu, reg.Y3)
			VSUBPS(reg.Y0, reg.Y3, reg.Y3) // mu*m - lr*g
			VADDPS(reg.Y3, reg.Y2, reg.Y2)
		} else {
			VADDPS(reg.Y1, reg.Y2, reg.Y2)
		}
		VMOVUPS(reg.Y2, Mem{Base: w})
		advance(32, w, g, m)
		DECQ(n)
		JNZ(LabelRef(label))
		JMP(LabelRef("sgd_done"))
	}
	Label("sgd_done")
	VZEROUPPER()
	RET()

	TEXT("sgdPlainAVX2", NOSPLIT, "func(w, g []float32, lr float32)")
	Doc("sgdPlainAVX2 must equal, for n = len(w) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tw[i] -= float32(lr * g[i])",
		"\t}",
		"",
		"without bounds checks: len(g) >= n.")
	Pragma("noescape")
	w, g = ptr("w"), ptr("g")
	n = blocks("w", "sgdp_done")
	broadcastF32("lr", lr)
	Label("sgdp_loop")
	VMOVUPS(Mem{Base: g}, reg.Y0)
	VMULPS(reg.Y0, lr, reg.Y0)
	VMOVUPS(Mem{Base: w}, reg.Y1)
	VSUBPS(reg.Y0, reg.Y1, reg.Y1)
	VMOVUPS(reg.Y1, Mem{Base: w})
	advance(32, w, g)
	DECQ(n)
	JNZ(LabelRef("sgdp_loop"))
	Label("sgdp_done")
	VZEROUPPER()
	RET()

	// rmspropAVX2 (rho given as c = 1-rho too) and adagradAVX2 share the
	// step w -= lr*g / sqrt(s+eps).
	for _, rms := range []bool{true, false} {
		name, sig := "adagradAVX2", "func(w, g, a []float32, lr, eps float32)"
		doc := []string{"\t\ta[i] += float32(g[i] * g[i])",
			"\t\tw[i] -= float32(lr*g[i]) / float32(math.Sqrt(float64(a[i]+eps)))"}
		if rms {
			name, sig = "rmspropAVX2", "func(w, g, v []float32, lr, rho, c, eps float32)"
			doc = []string{"\t\tv[i] = float32(rho*v[i]) + float32(float32(c*g[i])*g[i])",
				"\t\tw[i] -= float32(lr*g[i]) / float32(math.Sqrt(float64(v[i]+eps)))"}
		}
		TEXT(name, NOSPLIT, sig)
		d := []string{name + " must equal, for n = len(w) rounded down to a multiple of 8,", "",
			"\tfor i := 0; i < n; i++ {"}
		d = append(d, doc...)
		d = append(d, "\t}", "", "without bounds checks: the other slices hold at least n.")
		Doc(d...)
		Pragma("noescape")
		third := "a"
		if rms {
			third = "v"
		}
		w, g, s := ptr("w"), ptr("g"), ptr(third)
		done, loop := name+"_done", name+"_loop"
		n := blocks("w", done)
		lr, eps, rho, c := reg.Y8, reg.Y9, reg.Y10, reg.Y11
		broadcastF32("lr", lr)
		broadcastF32("eps", eps)
		if rms {
			broadcastF32("rho", rho)
			broadcastF32("c", c)
		}
		Label(loop)
		VMOVUPS(Mem{Base: g}, reg.Y0)
		VMOVUPS(Mem{Base: s}, reg.Y1)
		if rms {
			VMULPS(reg.Y0, c, reg.Y2)
			VMULPS(reg.Y0, reg.Y2, reg.Y2) // (c*g)*g
			VMULPS(reg.Y1, rho, reg.Y1)
			VADDPS(reg.Y2, reg.Y1, reg.Y1)
		} else {
			VMULPS(reg.Y0, reg.Y0, reg.Y2)
			VADDPS(reg.Y2, reg.Y1, reg.Y1)
		}
		VMOVUPS(reg.Y1, Mem{Base: s})
		VADDPS(eps, reg.Y1, reg.Y1)
		VSQRTPS(reg.Y1, reg.Y1)
		VMULPS(reg.Y0, lr, reg.Y0)
		VDIVPS(reg.Y1, reg.Y0, reg.Y0)
		VMOVUPS(Mem{Base: w}, reg.Y3)
		VSUBPS(reg.Y0, reg.Y3, reg.Y3)
		VMOVUPS(reg.Y3, Mem{Base: w})
		advance(32, w, g, s)
		DECQ(n)
		JNZ(LabelRef(loop))
		Label(done)
		VZEROUPPER()
		RET()
	}
}

// Cephes expf's constants (Stephen L. Moshier, Cephes Math Library,
// single/expf.c): exp(x) = 2^n · exp(r), n = floor(x·log2(e) + ½),
// r = x - n·ln2 in two parts, exp(r) a degree-7 polynomial.
var expConsts = []struct {
	name string
	v    float32
}{
	{"expHi", 88.3762626647949}, {"expLo", -87.3365478515625}, {"expLog2e", 1.44269504088896341},
	{"expHalf", 0.5}, {"expC1", 0.693359375}, {"expC2", -2.12194440e-4},
	{"expP0", 1.9875691500e-4}, {"expP1", 1.3981999507e-3}, {"expP2", 8.3334519073e-3},
	{"expP3", 4.1665795894e-2}, {"expP4", 1.6666665459e-1}, {"expP5", 5.0000001201e-1},
	{"expOne", 1},
}

// genExp emits expAVX2, the Cephes expf algorithm on 8 lanes without fused
// multiply-adds, equal bit for bit to expGeneric.
func genExp() {
	k := map[string]Mem{}
	for _, c := range expConsts {
		m := GLOBL(c.name, RODATA|NOPTR)
		for i := 0; i < 8; i++ {
			DATA(4*i, F32(c.v))
		}
		k[c.name] = m
	}
	bias := GLOBL("expBias", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(127))
	}
	TEXT("expAVX2", NOSPLIT, "func(dst, src []float32)")
	Doc("expAVX2 must equal expGeneric on the first len(src) rounded down to a",
		"multiple of 8 elements; no bounds checks: len(dst) >= that.")
	Pragma("noescape")
	d, s := ptr("dst"), ptr("src")
	n := blocks("src", "exp_done")
	Y := func(i int) reg.VecPhysical { return ymm(i) }
	Label("exp_loop")
	VMOVUPS(Mem{Base: s}, Y(0))
	// x = min(hi, x) and max(lo, x) keeping NaN (x as second source).
	VMOVUPS(k["expHi"], Y(1))
	VMINPS(Y(0), Y(1), Y(0))
	VMOVUPS(k["expLo"], Y(1))
	VMAXPS(Y(0), Y(1), Y(0))
	// fx = floor(x*log2e + 0.5)
	VMULPS(k["expLog2e"], Y(0), Y(2))
	VADDPS(k["expHalf"], Y(2), Y(2))
	VROUNDPS(U8(1), Y(2), Y(2))
	// x = x - fx*C1 - fx*C2
	VMULPS(k["expC1"], Y(2), Y(3))
	VSUBPS(Y(3), Y(0), Y(0))
	VMULPS(k["expC2"], Y(2), Y(3))
	VSUBPS(Y(3), Y(0), Y(0))
	// z = x*x; y = ((((p0 x + p1) x + p2) x + p3) x + p4) x + p5; y = y z + x + 1
	VMULPS(Y(0), Y(0), Y(4))
	VMULPS(k["expP0"], Y(0), Y(5))
	for _, p := range []string{"expP1", "expP2", "expP3", "expP4", "expP5"} {
		VADDPS(k[p], Y(5), Y(5))
		if p != "expP5" {
			VMULPS(Y(0), Y(5), Y(5))
		}
	}
	VMULPS(Y(4), Y(5), Y(5))
	VADDPS(Y(0), Y(5), Y(5))
	VADDPS(k["expOne"], Y(5), Y(5))
	// 2^fx from the exponent bits.
	VCVTTPS2DQ(Y(2), Y(6))
	VPADDD(bias, Y(6), Y(6))
	VPSLLD(U8(23), Y(6), Y(6))
	VMULPS(Y(6), Y(5), Y(5))
	VMOVUPS(Y(5), Mem{Base: d})
	advance(32, d, s)
	DECQ(n)
	JNZ(LabelRef("exp_loop"))
	Label("exp_done")
	VZEROUPPER()
	RET()
}

// genAffine emits scale, axpy and batch norm's per-row normalisation.
func genAffine() {
	TEXT("scaleAVX2", NOSPLIT, "func(x []float32, s float32)")
	Doc("scaleAVX2 must equal, for n = len(x) rounded down to a multiple of 8,",
		"", "\tfor i := 0; i < n; i++ {", "\t\tx[i] *= s", "\t}")
	Pragma("noescape")
	x := ptr("x")
	n := blocks("x", "scale_done")
	broadcastF32("s", reg.Y8)
	Label("scale_loop")
	VMULPS(Mem{Base: x}, reg.Y8, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: x})
	advance(32, x)
	DECQ(n)
	JNZ(LabelRef("scale_loop"))
	Label("scale_done")
	VZEROUPPER()
	RET()

	TEXT("axpyAVX2", NOSPLIT, "func(a float32, x, y []float32)")
	Doc("axpyAVX2 must equal, for n = len(x) rounded down to a multiple of 8,",
		"", "\tfor i := 0; i < n; i++ {", "\t\ty[i] += float32(a * x[i])", "\t}",
		"", "without bounds checks: len(y) >= n.")
	Pragma("noescape")
	xs, ys := ptr("x"), ptr("y")
	n = blocks("x", "axpy_done")
	broadcastF32("a", reg.Y8)
	Label("axpy_loop")
	VMULPS(Mem{Base: xs}, reg.Y8, reg.Y0)
	VADDPS(Mem{Base: ys}, reg.Y0, reg.Y0)
	VMOVUPS(reg.Y0, Mem{Base: ys})
	advance(32, xs, ys)
	DECQ(n)
	JNZ(LabelRef("axpy_loop"))
	Label("axpy_done")
	VZEROUPPER()
	RET()

	for _, keep := range []bool{false, true} {
		name, sig := "bnApplyAVX2", "func(y, x, mean, invStd, gamma, beta []float32)"
		if keep {
			name, sig = "bnApplyKeepAVX2", "func(y, xhat, x, mean, invStd, gamma, beta []float32)"
		}
		TEXT(name, NOSPLIT, sig)
		d := []string{name + " must equal, for n = len(x) rounded down to a multiple of 8,", "",
			"\tfor j := 0; j < n; j++ {",
			"\t\th := float32(x[j]-mean[j]) * invStd[j]"}
		if keep {
			d = append(d, "\t\txhat[j] = h")
		}
		d = append(d, "\t\ty[j] = float32(gamma[j]*h) + beta[j]", "\t}", "",
			"without bounds checks: the other slices hold at least n.")
		Doc(d...)
		Pragma("noescape")
		yp := ptr("y")
		var hp reg.Register
		if keep {
			hp = ptr("xhat")
		}
		xp, mp, ip, gp, bp := ptr("x"), ptr("mean"), ptr("invStd"), ptr("gamma"), ptr("beta")
		done, loop := name+"_done", name+"_loop"
		n := blocks("x", done)
		Label(loop)
		VMOVUPS(Mem{Base: xp}, reg.Y0)
		VSUBPS(Mem{Base: mp}, reg.Y0, reg.Y0)
		VMULPS(Mem{Base: ip}, reg.Y0, reg.Y0)
		if keep {
			VMOVUPS(reg.Y0, Mem{Base: hp})
		}
		VMULPS(Mem{Base: gp}, reg.Y0, reg.Y0)
		VADDPS(Mem{Base: bp}, reg.Y0, reg.Y0)
		VMOVUPS(reg.Y0, Mem{Base: yp})
		ps := []reg.Register{yp, xp, mp, ip, gp, bp}
		if keep {
			ps = append(ps, hp)
		}
		advance(32, ps...)
		DECQ(n)
		JNZ(LabelRef(loop))
		Label(done)
		VZEROUPPER()
		RET()
	}

	TEXT("bnBackDxAVX2", NOSPLIT, "func(dx, dy, xhat, coef, dbeta, dgamma []float32, n float32)")
	Doc("bnBackDxAVX2 must equal, for m = len(dx) rounded down to a multiple of 8,", "",
		"\tfor j := 0; j < m; j++ {",
		"\t\tdx[j] = coef[j] * (n*dy[j] - dbeta[j] - xhat[j]*dgamma[j])",
		"\t}", "",
		"without bounds checks (the other slices hold at least m), and without",
		"fused multiply-adds, so that every element has the Go loop's bits.")
	Pragma("noescape")
	{
		dxp, dyp, hp, cp, bp, gp := ptr("dx"), ptr("dy"), ptr("xhat"), ptr("coef"), ptr("dbeta"), ptr("dgamma")
		n := blocks("dx", "bnbackdx_done")
		broadcastF32("n", reg.Y8)
		Label("bnbackdx_loop")
		VMULPS(Mem{Base: dyp}, reg.Y8, reg.Y0) // n·dy
		VSUBPS(Mem{Base: bp}, reg.Y0, reg.Y0)  // − dbeta
		VMOVUPS(Mem{Base: hp}, reg.Y1)
		VMULPS(Mem{Base: gp}, reg.Y1, reg.Y1) // xhat·dgamma
		VSUBPS(reg.Y1, reg.Y0, reg.Y0)
		VMULPS(Mem{Base: cp}, reg.Y0, reg.Y0)
		VMOVUPS(reg.Y0, Mem{Base: dxp})
		advance(32, dxp, dyp, hp, cp, bp, gp)
		DECQ(n)
		JNZ(LabelRef("bnbackdx_loop"))
		Label("bnbackdx_done")
		VZEROUPPER()
		RET()
	}
}

// genMaxPool2 emits the 2x2, stride-2 max pool of one output row: each
// output pixel's channels in one pass over the two input rows, instead of a
// copy and three max passes.
// pixelCount loads len(out)/c, the output pixels of a pool row, jumping
// to done when there are none. DIVQ uses AX and DX.
func pixelCount(out string, c reg.Register, done string) reg.Register {
	pixels := Load(Param(out).Len(), GP64())
	XORQ(reg.RDX, reg.RDX)
	MOVQ(pixels, reg.RAX)
	DIVQ(c)
	MOVQ(reg.RAX, pixels)
	TESTQ(pixels, pixels)
	JZ(LabelRef(done))
	return pixels
}

// maxStep lets x beat the running maximum acc where it is larger or NaN
// (maxGeneric's rule), leaving the mask of winners in t1.
func maxStep(acc, x, t1, t2 reg.VecPhysical) {
	VCMPPS(U8(0x1e), acc, x, t1) // x > acc (ordered)
	VCMPPS(U8(0x03), x, x, t2)   // x is NaN
	VORPS(t2, t1, t1)
	VBLENDVPS(t1, x, acc, acc)
}

func genMaxPool2() {
	TEXT("maxPool2AVX2", NOSPLIT, "func(y, r0, r1 []float32, c int)")
	Doc("maxPool2AVX2 must equal, for c a positive multiple of 8 and",
		"ow = len(y)/c,",
		"",
		"\tfor o := 0; o < ow; o++ {",
		"\t\tfor i := 0; i < c; i++ {",
		"\t\t\tv := r0[2*o*c+i]",
		"\t\t\tfor _, x := range []float32{r0[(2*o+1)*c+i], r1[2*o*c+i], r1[(2*o+1)*c+i]} {",
		"\t\t\t\tif x > v || x != x {",
		"\t\t\t\t\tv = x",
		"\t\t\t\t}",
		"\t\t\t}",
		"\t\t\ty[o*c+i] = v",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: r0 and r1 hold at least 2*len(y) floats.")
	Pragma("noescape")
	y, r0, r1 := ptr("y"), ptr("r0"), ptr("r1")
	cs := byteStrides("c")[0]
	c := Load(Param("c"), GP64())
	pixels := pixelCount("y", c, "mp2_done")
	// r0b and r1b point at each window's right-hand column.
	r0b, r1b := GP64(), GP64()
	Label("mp2_pixel")
	LEAQ(Mem{Base: r0, Index: cs, Scale: 1}, r0b)
	LEAQ(Mem{Base: r1, Index: cs, Scale: 1}, r1b)
	j := GP64()
	XORQ(j, j)
	Label("mp2_chan")
	VMOVUPS(Mem{Base: r0, Index: j, Scale: 1}, reg.Y0)
	VMOVUPS(Mem{Base: r0b, Index: j, Scale: 1}, reg.Y1)
	VMOVUPS(Mem{Base: r1, Index: j, Scale: 1}, reg.Y4)
	VMOVUPS(Mem{Base: r1b, Index: j, Scale: 1}, reg.Y5)
	maxStep(reg.Y0, reg.Y1, reg.Y2, reg.Y3)
	maxStep(reg.Y0, reg.Y4, reg.Y2, reg.Y3)
	maxStep(reg.Y0, reg.Y5, reg.Y2, reg.Y3)
	VMOVUPS(reg.Y0, Mem{Base: y, Index: j, Scale: 1})
	ADDQ(U32(32), j)
	CMPQ(j, cs)
	JB(LabelRef("mp2_chan"))
	ADDQ(cs, y)
	LEAQ(Mem{Base: r0b, Index: cs, Scale: 1}, r0)
	LEAQ(Mem{Base: r1b, Index: cs, Scale: 1}, r1)
	DECQ(pixels)
	JNZ(LabelRef("mp2_pixel"))
	Label("mp2_done")
	VZEROUPPER()
	RET()
}

// genMaxPool2Arg emits the training-time 2x2, stride-2 max pool of one
// output row (maxima and the flat input index of each winner) and its
// backward pass, which writes every cell of the two input rows once: the
// window's gradient at its winner, zero elsewhere (no clear-and-scatter).
func genMaxPool2Arg() {
	iota := GLOBL("iota8pool", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	// idx sets the four candidate index vectors of the block at element
	// position pos: pos+lane, +c, +rs, +rs+c.
	idx := func(pos reg.Register, cv, rsv, i0, i1, i2, i3 reg.VecPhysical) {
		broadcastGP32(pos, reg.X15, i0)
		VPADDD(iota, i0, i0)
		VPADDD(cv, i0, i1)
		VPADDD(rsv, i0, i2)
		VPADDD(cv, i2, i3)
	}
	// prologue loads c (channels), pos (= base, the element index of the
	// first window) and cs (c in bytes), broadcasts c and rs into cv and
	// rsv, and counts the output pixels of the row (len(out)/c), jumping
	// to done when there are none.
	cv, rsv := reg.Y11, reg.Y12
	prologue := func(out, done string) (c, pos, cs, pixels reg.Register) {
		c = Load(Param("c"), GP64())
		pos = Load(Param("base"), GP64())
		rs := Load(Param("rs"), GP64())
		broadcastGP32(c, reg.X15, cv)
		broadcastGP32(rs, reg.X15, rsv)
		cs = GP64()
		MOVQ(c, cs)
		SHLQ(U8(2), cs)
		return c, pos, cs, pixelCount(out, c, done)
	}

	TEXT("maxPool2ArgAVX2", NOSPLIT, "func(y []float32, arg []int32, r0, r1 []float32, c, base, rs int)")
	Doc("maxPool2ArgAVX2 must equal maxPool2ArgGeneric for c a positive",
		"multiple of 8, without bounds checks.")
	Pragma("noescape")
	{
		y, arg, r0, r1 := ptr("y"), ptr("arg"), ptr("r0"), ptr("r1")
		c, pos, cs, pixels := prologue("y", "mpa_done")
		r0b, r1b, j := GP64(), GP64(), GP64()
		Label("mpa_pixel")
		LEAQ(Mem{Base: r0, Index: cs, Scale: 1}, r0b)
		LEAQ(Mem{Base: r1, Index: cs, Scale: 1}, r1b)
		XORQ(j, j)
		Label("mpa_chan")
		idx(pos, cv, rsv, reg.Y4, reg.Y5, reg.Y6, reg.Y7)
		VMOVUPS(Mem{Base: r0, Index: j, Scale: 1}, reg.Y0)
		for k, src := range []Mem{{Base: r0b, Index: j, Scale: 1}, {Base: r1, Index: j, Scale: 1}, {Base: r1b, Index: j, Scale: 1}} {
			cand := []reg.VecPhysical{reg.Y5, reg.Y6, reg.Y7}[k]
			VMOVUPS(src, reg.Y1)
			maxStep(reg.Y0, reg.Y1, reg.Y2, reg.Y3)
			VBLENDVPS(reg.Y2, cand, reg.Y4, reg.Y4) // and its index
		}
		VMOVUPS(reg.Y0, Mem{Base: y, Index: j, Scale: 1})
		VMOVDQU(reg.Y4, Mem{Base: arg, Index: j, Scale: 1})
		ADDQ(U32(8), pos)
		ADDQ(U32(32), j)
		CMPQ(j, cs)
		JB(LabelRef("mpa_chan"))
		ADDQ(c, pos) // the next window starts 2c after this one
		ADDQ(cs, y)
		ADDQ(cs, arg)
		LEAQ(Mem{Base: r0b, Index: cs, Scale: 1}, r0)
		LEAQ(Mem{Base: r1b, Index: cs, Scale: 1}, r1)
		DECQ(pixels)
		JNZ(LabelRef("mpa_pixel"))
		Label("mpa_done")
		VZEROUPPER()
		RET()
	}

	TEXT("maxPool2BackAVX2", NOSPLIT, "func(dx0, dx1, dy []float32, arg []int32, c, base, rs int)")
	Doc("maxPool2BackAVX2 must equal maxPool2BackGeneric for c a positive",
		"multiple of 8, without bounds checks.")
	Pragma("noescape")
	{
		dx0, dx1, dy, arg := ptr("dx0"), ptr("dx1"), ptr("dy"), ptr("arg")
		c, pos, cs, pixels := prologue("dy", "mpb_done")
		d0b, d1b, j := GP64(), GP64(), GP64()
		Label("mpb_pixel")
		LEAQ(Mem{Base: dx0, Index: cs, Scale: 1}, d0b)
		LEAQ(Mem{Base: dx1, Index: cs, Scale: 1}, d1b)
		XORQ(j, j)
		Label("mpb_chan")
		idx(pos, cv, rsv, reg.Y4, reg.Y5, reg.Y6, reg.Y7)
		VMOVDQU(Mem{Base: arg, Index: j, Scale: 1}, reg.Y0)
		VMOVUPS(Mem{Base: dy, Index: j, Scale: 1}, reg.Y1)
		for k, dst := range []Mem{{Base: dx0, Index: j, Scale: 1}, {Base: d0b, Index: j, Scale: 1}, {Base: dx1, Index: j, Scale: 1}, {Base: d1b, Index: j, Scale: 1}} {
			cand := []reg.VecPhysical{reg.Y4, reg.Y5, reg.Y6, reg.Y7}[k]
			VPCMPEQD(reg.Y0, cand, reg.Y2)
			VANDPS(reg.Y1, reg.Y2, reg.Y2)
			VMOVUPS(reg.Y2, dst)
		}
		ADDQ(U32(8), pos)
		ADDQ(U32(32), j)
		CMPQ(j, cs)
		JB(LabelRef("mpb_chan"))
		ADDQ(c, pos)
		ADDQ(cs, dy)
		ADDQ(cs, arg)
		LEAQ(Mem{Base: d0b, Index: cs, Scale: 1}, dx0)
		LEAQ(Mem{Base: d1b, Index: cs, Scale: 1}, dx1)
		DECQ(pixels)
		JNZ(LabelRef("mpb_pixel"))
		Label("mpb_done")
		VZEROUPPER()
		RET()
	}
}
