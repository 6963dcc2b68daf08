package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// lowbias32 hashes every lane of v in place (tmp is scratch): Chris
// Wellons's "lowbias32" integer hash (nullprogram.com/blog/2018/07/31,
// constants from his hash-prospector search).
func lowbias32(v, tmp, c1, c2 reg.VecPhysical) {
	VPSRLD(U8(16), v, tmp)
	VPXOR(tmp, v, v)
	VPMULLD(c1, v, v)
	VPSRLD(U8(15), v, tmp)
	VPXOR(tmp, v, v)
	VPMULLD(c2, v, v)
	VPSRLD(U8(16), v, tmp)
	VPXOR(tmp, v, v)
}

func splat32(name string, v uint32) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(v))
	}
	return m
}

func genDropout() {
	iota := GLOBL("dropIota", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	c1, c2 := splat32("lowbiasC1", 0x7feb352d), splat32("lowbiasC2", 0x846ca68b)
	sign, eight := splat32("dropSign", 0x80000000), splat32("dropEight", 8)

	TEXT("dropoutAVX2", NOSPLIT, "func(y, x, mask []float32, i0, k0, k1, thr uint32, keep float32)")
	Doc("dropoutAVX2 must equal, for n = len(x) rounded down to a multiple of 8,",
		"",
		"\tfor i := 0; i < n; i++ {",
		"\t\tm := float32(0)",
		"\t\tif dropDraw(i0+uint32(i), k0, k1) >= thr {",
		"\t\t\tm = keep",
		"\t\t}",
		"\t\tmask[i], y[i] = m, x[i]*m",
		"\t}",
		"",
		"without bounds checks: len(y) and len(mask) are at least n.")
	Pragma("noescape")
	y, x, mask := ptr("y"), ptr("x"), ptr("mask")
	n := blocks("x", "dropout_done")
	i0 := Load(Param("i0"), GP32())
	k0 := Load(Param("k0"), GP32())
	k1 := Load(Param("k1"), GP32())
	thr := Load(Param("thr"), GP32())
	VMOVD(i0, reg.X0)
	VPBROADCASTD(reg.X0, reg.Y0)
	VPADDD(iota, reg.Y0, reg.Y0) // lane indices i0+0 … i0+7
	VMOVD(k0, reg.X1)
	VPBROADCASTD(reg.X1, reg.Y1)
	VMOVD(k1, reg.X2)
	VPBROADCASTD(reg.X2, reg.Y2)
	VMOVD(thr, reg.X3)
	VPBROADCASTD(reg.X3, reg.Y3)
	VMOVDQU(sign, reg.Y4)
	// AVX2 compares signed: flip the sign bits of both sides for unsigned.
	VPXOR(reg.Y4, reg.Y3, reg.Y3)
	broadcastF32("keep", reg.Y5)
	VMOVDQU(c1, reg.Y6)
	VMOVDQU(c2, reg.Y7)
	VMOVDQU(eight, reg.Y8)
	Label("dropout_loop")
	VPADDD(reg.Y1, reg.Y0, reg.Y9)
	lowbias32(reg.Y9, reg.Y10, reg.Y6, reg.Y7)
	VPXOR(reg.Y2, reg.Y9, reg.Y9)
	lowbias32(reg.Y9, reg.Y10, reg.Y6, reg.Y7)
	VPXOR(reg.Y4, reg.Y9, reg.Y9)
	VPCMPGTD(reg.Y9, reg.Y3, reg.Y10) // thr > draw: dropped
	VANDNPS(reg.Y5, reg.Y10, reg.Y10) // keep where not dropped, else 0
	VMOVUPS(reg.Y10, Mem{Base: mask})
	VMULPS(Mem{Base: x}, reg.Y10, reg.Y11)
	VMOVUPS(reg.Y11, Mem{Base: y})
	VPADDD(reg.Y8, reg.Y0, reg.Y0)
	advance(32, y, x, mask)
	DECQ(n)
	JNZ(LabelRef("dropout_loop"))
	Label("dropout_done")
	VZEROUPPER()
	RET()
}

// genSumRows emits sumRows{16,32,64}AVX2: the column sums of a band of
// that many columns, rows added in order (no FMA) in one accumulator
// register per 8 columns, so each equals its Go twin bit for bit.
func genSumRows() {
	for _, w := range []int{16, 32, 64} {
		name := fmt.Sprintf("sumRows%dAVX2", w)
		TEXT(name, NOSPLIT, "func(dst, x []float32, rows, stride int)")
		Doc(name+" must equal",
			"",
			fmt.Sprintf("\tfor j := 0; j < %d; j++ {", w),
			"\t\tvar s float32",
			"\t\tfor r := 0; r < rows; r++ {",
			"\t\t\ts += x[r*stride+j]",
			"\t\t}",
			"\t\tdst[j] = s",
			"\t}",
			"",
			fmt.Sprintf("without bounds checks: len(dst) >= %d, len(x) >= (rows-1)*stride+%d, rows >= 1.", w, w))
		Pragma("noescape")
		d, x := ptr("dst"), ptr("x")
		rows := Load(Param("rows"), GP64())
		stride := Load(Param("stride"), GP64())
		SHLQ(U8(2), stride)
		acc := make([]reg.VecPhysical, w/8)
		for i := range acc {
			acc[i] = ymm(i)
			VXORPS(acc[i], acc[i], acc[i])
		}
		loop := fmt.Sprintf("sumrows%d_loop", w)
		Label(loop)
		for i, a := range acc {
			VADDPS(Mem{Base: x, Disp: 32 * i}, a, a)
		}
		ADDQ(stride, x)
		DECQ(rows)
		JNZ(LabelRef(loop))
		for i, a := range acc {
			VMOVUPS(a, Mem{Base: d, Disp: 32 * i})
		}
		VZEROUPPER()
		RET()
	}
}
