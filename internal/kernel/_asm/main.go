// Command _asm generates the amd64 kernels in ../kernel_amd64.s, and their Go
// declarations in ../kernel_amd64_stubs.go, with avo. Families, by file:
//
//   - main.go: the SGEMM micro-kernels (AVX2 6x16 and AVX-512 12x32, each
//     accumulating or overwriting C) and the panel row copies;
//   - elementwise.go: max and arg-max (MaxPooling2D forward and backward,
//     with 2x2 fast paths), ReLU and its gradient, bias+ReLU, add, the
//     optimiser updates (Adam, SGD with and without momentum, RMSprop,
//     Adagrad), exp, scale, axpy, batch-norm apply, and the Winograd
//     F(2x2,3x3) tile transforms;
//   - winograd4.go: the Winograd F(4x4,3x3) tile and filter transforms, AVX2
//     and AVX-512;
//   - batchnorm.go: batch normalisation's float64 column sums (of x, of
//     squared deviations, of dy and dy*xhat) over bands of 16 columns.
//
// Every function that runs VEX/EVEX instructions uses only VEX/EVEX forms and
// ends with VZEROUPPER (see broadcastGP32); ../asm_lint_test.go checks the
// output. Run it through go generate in the parent package:
//
//	go generate ./internal/kernel
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// kernel describes one register-blocked micro-kernel: an mr×(nv*lanes) block
// of C is held in mr*nv vector accumulators; each k step loads nv vectors of
// the packed B panel and broadcasts mr values of the packed A panel.
type kernel struct {
	name   string
	mr, nv int
	lanes  int                         // float32 lanes per vector (8 ymm, 16 zmm)
	vec    func(i int) reg.VecPhysical // the i-th vector register
	nvec   int                         // vector registers available
	unroll int                         // k steps per loop iteration
	isa    string
}

func ymm(i int) reg.VecPhysical {
	return []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}[i]
}

func zmm(i int) reg.VecPhysical {
	return []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}[i]
}

func (kn kernel) nr() int { return kn.nv * kn.lanes }

// gen emits the kernel. With set, C is overwritten with 0+sum (bitwise what
// clearing C and accumulating gives) instead of accumulated into.
func (kn kernel) gen(set bool) {
	mr, nv, nr := kn.mr, kn.nv, kn.nr()
	name := fmt.Sprintf("sgemmKern%dx%d%s", mr, nr, kn.isa)
	op, verb := "+=", "accumulates"
	if set {
		name += "Set"
		op, verb = "=", "overwrites"
	}
	TEXT(name, NOSPLIT, "func(k int, a []float32, rs, ks int, b, c []float32, ldc int)")
	Doc(
		fmt.Sprintf("%s is the %s %dx%d SGEMM micro-kernel; it %s C and must equal", name, kn.isa, mr, nr, verb),
		"",
		fmt.Sprintf("\tfor i := 0; i < %d; i++ {", mr),
		fmt.Sprintf("\t\tfor j := 0; j < %d; j++ {", nr),
		"\t\t\tvar s float32 // fused multiply-adds, p in increasing order",
		"\t\t\tfor p := 0; p < k; p++ {",
		fmt.Sprintf("\t\t\t\ts += a[i*rs+p*ks] * b[p*%d+j]", nr),
		"\t\t\t}",
		fmt.Sprintf("\t\t\tc[i*ldc+j] %s 0 + s", op),
		"\t\t}",
		"\t}",
		"",
		"With rs == 1 and ks == "+fmt.Sprint(mr)+" a is a packed panel; rs == lda, ks == 1 reads",
		"row-major A in place and rs == 1, ks == lda reads A transposed in place.",
		"It does no bounds checks: the caller guarantees k >= 0,",
		fmt.Sprintf("len(a) > %d*rs+(k-1)*ks, len(b) >= %d*k and len(c) >= %d*ldc+%d.", mr-1, nr, mr-1, nr),
	)
	Pragma("noescape")

	k := Load(Param("k"), reg.RCX)
	ap := Load(Param("a").Base(), reg.RSI)
	r1 := Load(Param("rs"), reg.R11)
	ks := Load(Param("ks"), reg.R10)
	SHLQ(U8(2), r1)
	SHLQ(U8(2), ks)
	r3, r5 := reg.R12, reg.R13
	LEAQ(Mem{Base: r1, Index: r1, Scale: 2}, r3)
	LEAQ(Mem{Base: r1, Index: r1, Scale: 4}, r5)
	ap2 := reg.RAX
	if mr > 6 {
		LEAQ(Mem{Base: ap, Index: r3, Scale: 2}, ap2)
	}
	if mr > 12 {
		panic("mr > 12 needs another base register")
	}
	// aMem is A(i, 0) of the current k step: rows 0-5 off ap, 6-11 off ap2.
	aMem := func(i int) Mem {
		base := ap
		if i >= 6 {
			base = ap2
		}
		switch i % 6 {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: r1, Scale: 1}
		case 2:
			return Mem{Base: base, Index: r1, Scale: 2}
		case 3:
			return Mem{Base: base, Index: r3, Scale: 1}
		case 4:
			return Mem{Base: base, Index: r1, Scale: 4}
		default:
			return Mem{Base: base, Index: r5, Scale: 1}
		}
	}
	bp := Load(Param("b").Base(), reg.RDI)
	cp := Load(Param("c").Base(), reg.RDX)
	ldc := Load(Param("ldc"), reg.RBX)
	SHLQ(U8(2), ldc) // bytes

	acc := func(i, v int) reg.VecPhysical { return kn.vec(i*nv + v) }
	nacc := mr * nv
	bvec := func(v int) reg.VecPhysical { return kn.vec(nacc + v) }
	ntmp := kn.nvec - nacc - nv
	if ntmp < 1 {
		panic("not enough vector registers")
	}
	tmpi := 0
	tmp := func() reg.VecPhysical {
		r := kn.vec(nacc + nv + tmpi%ntmp)
		tmpi++
		return r
	}

	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			kn.zero(acc(i, v))
		}
	}
	// Warm the C rows while the products run.
	c := reg.R8
	MOVQ(cp, c)
	for i := 0; i < mr; i++ {
		for off := 0; off < nr*4; off += 64 {
			PREFETCHT0(Mem{Base: c, Disp: off})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}

	step := func(u int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: bp, Disp: (u*nr + v*kn.lanes) * 4}, bvec(v))
		}
		for i := 0; i < mr; i++ {
			t := tmp()
			VBROADCASTSS(aMem(i), t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bvec(v), t, acc(i, v))
			}
		}
		ADDQ(ks, ap)
		if mr > 6 {
			ADDQ(ks, ap2)
		}
	}

	rem := reg.R9
	MOVQ(k, rem)
	SHRQ(U8(bitsOf(kn.unroll)), k)
	ANDQ(U32(kn.unroll-1), rem)
	TESTQ(k, k)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for u := 0; u < kn.unroll; u++ {
		step(u)
	}
	ADDQ(U32(kn.unroll*nr*4), bp)
	DECQ(k)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_tail")
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_store"))
	Label(name + "_tail1")
	step(0)
	ADDQ(U32(nr*4), bp)
	DECQ(rem)
	JNZ(LabelRef(name + "_tail1"))

	Label(name + "_store")
	if set {
		z := tmp()
		kn.zero(z)
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				VADDPS(z, acc(i, v), acc(i, v))
				VMOVUPS(acc(i, v), Mem{Base: cp, Disp: v * kn.lanes * 4})
			}
			if i < mr-1 {
				ADDQ(ldc, cp)
			}
		}
	} else {
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				VADDPS(Mem{Base: cp, Disp: v * kn.lanes * 4}, acc(i, v), acc(i, v))
				VMOVUPS(acc(i, v), Mem{Base: cp, Disp: v * kn.lanes * 4})
			}
			if i < mr-1 {
				ADDQ(ldc, cp)
			}
		}
	}
	VZEROUPPER()
	RET()
}

// zero clears r with an instruction of the kernel's ISA level (VXORPS on
// zmm would need AVX512DQ).
func (kn kernel) zero(r reg.VecPhysical) {
	if kn.lanes == 16 {
		VPXORD(r, r, r)
		return
	}
	VXORPS(r, r, r)
}

// genCopyRows emits the panel packer for w-wide B panels: it copies rows
// rows of w floats, ld apart in src, to consecutive rows of dst.
func genCopyRows(w int) {
	name := fmt.Sprintf("copyRows%dAVX", w)
	TEXT(name, NOSPLIT, "func(dst, src []float32, ld, rows int)")
	Doc(
		fmt.Sprintf("%s must equal", name),
		"",
		"\tfor p := 0; p < rows; p++ {",
		fmt.Sprintf("\t\tcopy(dst[p*%d:p*%d+%d], src[p*ld:p*ld+%d])", w, w, w, w),
		"\t}",
		"",
		fmt.Sprintf("without bounds checks: len(dst) >= rows*%d and len(src) >= (rows-1)*ld+%d.", w, w),
	)
	Pragma("noescape")
	dst := Load(Param("dst").Base(), reg.RDI)
	src := Load(Param("src").Base(), reg.RSI)
	ld := Load(Param("ld"), reg.RDX)
	rows := Load(Param("rows"), reg.RCX)
	SHLQ(U8(2), ld)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for j := 0; j < w/8; j++ {
		VMOVUPS(Mem{Base: src, Disp: 32 * j}, ymm(j))
	}
	for j := 0; j < w/8; j++ {
		VMOVUPS(ymm(j), Mem{Base: dst, Disp: 32 * j})
	}
	ADDQ(ld, src)
	ADDQ(U32(4*w), dst)
	DECQ(rows)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func bitsOf(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	if 1<<b != n {
		panic("unroll must be a power of two")
	}
	return b
}

func main() {
	ConstraintExpr("amd64,!purego")
	kernels := []kernel{
		{name: "avx2", mr: 6, nv: 2, lanes: 8, vec: ymm, nvec: 16, unroll: 4, isa: "AVX2"},
		{name: "avx512", mr: 12, nv: 2, lanes: 16, vec: zmm, nvec: 32, unroll: 4, isa: "AVX512"},
	}
	for _, kn := range kernels {
		kn.gen(false)
		kn.gen(true)
	}
	genCopyRows(16)
	genCopyRows(32)
	genMaxArg()
	genMax()
	genMaxPool2()
	genMaxPool2Arg()
	genReLU()
	genAdam()
	genWinograd()
	genWinogradGrad()
	genWinograd4("AVX2", ymm, 8)
	genWinograd4("AVX512", zmm, 16)
	genWinogradFilter4("AVX2", ymm, 8)
	genWinogradFilter4("AVX512", zmm, 16)
	genOptim()
	genExp()
	genAffine()
	genDropout()
	genSumRows()
	genBatchNormSums()
	Generate()
}
