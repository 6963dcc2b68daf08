//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run . -out ../gemm_amd64.s -stubs ../gemm_amd64_stubs.go -pkg kernel"

// The Go wrappers check the bounds the assembly trusts.

func kern6x16AVX2(k int, a, b, c []float32, ldc int) {
	if k > 0 {
		_, _, _ = a[6*k-1], b[16*k-1], c[5*ldc+15]
		sgemmKern6x16AVX2(k, a, b, c, ldc)
	}
}

func kern6x16AVX2Set(k int, a, b, c []float32, ldc int) {
	_ = c[5*ldc+15]
	if k > 0 {
		_, _ = a[6*k-1], b[16*k-1]
	}
	sgemmKern6x16AVX2Set(k, a, b, c, ldc)
}

func kern12x32AVX512(k int, a, b, c []float32, ldc int) {
	if k > 0 {
		_, _, _ = a[12*k-1], b[32*k-1], c[11*ldc+31]
		sgemmKern12x32AVX512(k, a, b, c, ldc)
	}
}

func kern12x32AVX512Set(k int, a, b, c []float32, ldc int) {
	_ = c[11*ldc+31]
	if k > 0 {
		_, _ = a[12*k-1], b[32*k-1]
	}
	sgemmKern12x32AVX512Set(k, a, b, c, ldc)
}

var (
	gemmAVX2 = gemmKernel{name: "avx2 6x16", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096,
		kern: kern6x16AVX2, kernSet: kern6x16AVX2Set}
	gemmAVX512 = gemmKernel{name: "avx512 12x32", mr: 12, nr: 32, mc: 144, kc: 256, nc: 4096,
		kern: kern12x32AVX512, kernSet: kern12x32AVX512Set}
)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		gemmKernels = append(gemmKernels, &gemmAVX2)
		sgemm = gemmAVX2
	}
	if cpu.X86.HasAVX512F {
		gemmKernels = append(gemmKernels, &gemmAVX512)
		sgemm = gemmAVX512
	}
}
