package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// genBatchNormSums emits the float64 column reductions of batch
// normalisation over a band of 16 columns: the sums of x, the sums of
// squared deviations from the mean, and the sums of dy and dy*xhat. Each
// column keeps its float64 accumulator in a register lane and adds the
// rows in order, converting each float32 exactly (VCVTPS2PD) and
// multiplying and adding separately (no FMA), so each kernel equals its Go
// twin bit for bit. The Go loops keep the accumulators in memory and
// convert one value at a time, about 4 GB/s; these run at memory speed.
func genBatchNormSums() {
	TEXT("colSum16F64AVX2", NOSPLIT, "func(acc []float64, x []float32, rows, stride int)")
	Doc("colSum16F64AVX2 must equal",
		"",
		"\tfor r := 0; r < rows; r++ {",
		"\t\tfor j := 0; j < 16; j++ {",
		"\t\t\tacc[j] += float64(x[r*stride+j])",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(acc) >= 16, len(x) >= (rows-1)*stride+16, rows >= 1.")
	Pragma("noescape")
	a, x := ptr("acc"), ptr("x")
	rows := Load(Param("rows"), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	acc := loadAcc(a, 0)
	Label("colsum_loop")
	for i, s := range acc {
		VCVTPS2PD(Mem{Base: x, Disp: 16 * i}, reg.Y8)
		VADDPD(reg.Y8, s, s)
	}
	ADDQ(stride, x)
	DECQ(rows)
	JNZ(LabelRef("colsum_loop"))
	storeAcc(a, acc)
	VZEROUPPER()
	RET()

	TEXT("colSqDev16F64AVX2", NOSPLIT, "func(acc, mu []float64, x []float32, rows, stride int)")
	Doc("colSqDev16F64AVX2 must equal",
		"",
		"\tfor r := 0; r < rows; r++ {",
		"\t\tfor j := 0; j < 16; j++ {",
		"\t\t\td := float64(x[r*stride+j]) - mu[j]",
		"\t\t\tacc[j] += d * d",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(acc), len(mu) >= 16, len(x) >= (rows-1)*stride+16, rows >= 1.")
	Pragma("noescape")
	a, m, x := ptr("acc"), ptr("mu"), ptr("x")
	rows = Load(Param("rows"), GP64())
	stride = Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	acc = loadAcc(a, 0)
	mu := loadAcc(m, 4)
	Label("colsqdev_loop")
	for i, s := range acc {
		VCVTPS2PD(Mem{Base: x, Disp: 16 * i}, reg.Y8)
		VSUBPD(mu[i], reg.Y8, reg.Y8)
		VMULPD(reg.Y8, reg.Y8, reg.Y8)
		VADDPD(reg.Y8, s, s)
	}
	ADDQ(stride, x)
	DECQ(rows)
	JNZ(LabelRef("colsqdev_loop"))
	storeAcc(a, acc)
	VZEROUPPER()
	RET()

	TEXT("colGradSum16F64AVX2", NOSPLIT, "func(sb, sg []float64, dy, xhat []float32, rows, stride int)")
	Doc("colGradSum16F64AVX2 must equal",
		"",
		"\tfor r := 0; r < rows; r++ {",
		"\t\tfor j := 0; j < 16; j++ {",
		"\t\t\tg := float64(dy[r*stride+j])",
		"\t\t\tsb[j] += g",
		"\t\t\tsg[j] += g * float64(xhat[r*stride+j])",
		"\t\t}",
		"\t}",
		"",
		"without bounds checks: len(sb), len(sg) >= 16, len(dy), len(xhat) >= (rows-1)*stride+16, rows >= 1.")
	Pragma("noescape")
	bp, gp, dy, xh := ptr("sb"), ptr("sg"), ptr("dy"), ptr("xhat")
	rows = Load(Param("rows"), GP64())
	stride = Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	sb := loadAcc(bp, 0)
	sg := loadAcc(gp, 4)
	Label("colgradsum_loop")
	for i := range sb {
		VCVTPS2PD(Mem{Base: dy, Disp: 16 * i}, reg.Y8)
		VCVTPS2PD(Mem{Base: xh, Disp: 16 * i}, reg.Y9)
		VADDPD(reg.Y8, sb[i], sb[i])
		VMULPD(reg.Y9, reg.Y8, reg.Y8)
		VADDPD(reg.Y8, sg[i], sg[i])
	}
	ADDQ(stride, dy)
	ADDQ(stride, xh)
	DECQ(rows)
	JNZ(LabelRef("colgradsum_loop"))
	storeAcc(bp, sb)
	storeAcc(gp, sg)
	VZEROUPPER()
	RET()
}

// loadAcc loads 16 float64s at p into Y(first) ... Y(first+3).
func loadAcc(p reg.Register, first int) []reg.VecPhysical {
	acc := make([]reg.VecPhysical, 4)
	for i := range acc {
		acc[i] = ymm(first + i)
		VMOVUPD(Mem{Base: p, Disp: 32 * i}, acc[i])
	}
	return acc
}

// storeAcc stores the 16 float64s of acc at p.
func storeAcc(p reg.Register, acc []reg.VecPhysical) {
	for i, a := range acc {
		VMOVUPD(a, Mem{Base: p, Disp: 32 * i})
	}
}
