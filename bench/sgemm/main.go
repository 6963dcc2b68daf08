// Command sgemm runs OpenBLAS's cblas_sgemm and gokeras's Gemm on the same
// shapes in one process and prints GFLOP/s side by side, on 1 and on 2
// threads. It lives in its own module so that cgo and OpenBLAS never reach
// gokeras's users.
//
//	sudo apt-get install libopenblas-dev
//	cd bench && go run ./sgemm            # or: go run ./sgemm -reps 20 -threads 1,2
package main

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unsafe"

	"github.com/gokeras/gokeras/internal/kernel"
)

type shape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// The shapes issue 5 names: a square product and the ones cifar10-cnn's
// second convolution (as im2col) and first Dense layer run per step.
var shapes = []shape{
	{"1024^3", false, false, 1024, 1024, 1024},
	{"conv2 fwd [32768x576]x[576x128]", false, false, 32768, 128, 576},
	{"conv2 dW [576x32768]x[32768x128]", true, false, 576, 128, 32768},
	{"conv2 dX [32768x128]x[128x576]", false, true, 32768, 576, 128},
	{"dense [128x8192]x[8192x256]", false, false, 128, 256, 8192},
}

func openblas(s shape, a, b, c []float32) {
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	lda, ldb := s.k, s.n
	if s.transA {
		ta, lda = C.CblasTrans, s.m
	}
	if s.transB {
		tb, ldb = C.CblasTrans, s.k
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(s.m), C.blasint(s.n), C.blasint(s.k), 1,
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		0, (*C.float)(unsafe.Pointer(&c[0])), C.blasint(s.n))
}

func gokeras(s shape, a, b, c []float32) {
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	kernel.Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
}

// best returns the best GFLOP/s of reps runs after one warm-up.
func best(s shape, reps int, f func()) float64 {
	f()
	var times []float64
	for i := 0; i < reps; i++ {
		t := time.Now()
		f()
		times = append(times, time.Since(t).Seconds())
	}
	sort.Float64s(times)
	return 2 * float64(s.m) * float64(s.n) * float64(s.k) / times[0] / 1e9
}

func main() {
	reps := flag.Int("reps", 10, "timed runs per measurement (the best is reported)")
	threadList := flag.String("threads", "1,2", "thread counts to measure")
	flag.Parse()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "shape\tthreads\tOpenBLAS GFLOP/s\tgokeras GFLOP/s\tratio\tmax rel diff\t\n")
	r := rand.New(rand.NewPCG(1, 2))
	for _, ts := range strings.Split(*threadList, ",") {
		th, err := strconv.Atoi(ts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad -threads:", err)
			os.Exit(2)
		}
		runtime.GOMAXPROCS(max(th, 1))
		kernel.SetThreads(th)
		C.openblas_set_num_threads(C.int(th))
		for _, s := range shapes {
			a, b := make([]float32, s.m*s.k), make([]float32, s.k*s.n)
			for i := range a {
				a[i] = r.Float32() - 0.5
			}
			for i := range b {
				b[i] = r.Float32() - 0.5
			}
			c1, c2 := make([]float32, s.m*s.n), make([]float32, s.m*s.n)
			ob := best(s, *reps, func() { openblas(s, a, b, c1) })
			gk := best(s, *reps, func() { gokeras(s, a, b, c2) })
			var diff float64
			for i := range c1 {
				d := math.Abs(float64(c1[i]-c2[i])) / (1 + math.Abs(float64(c1[i])))
				diff = math.Max(diff, d)
			}
			fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.0f%%\t%.1e\t\n", s.name, th, ob, gk, 100*gk/ob, diff)
		}
	}
	w.Flush()
	fmt.Printf("gokeras kernel: %s; GOMAXPROCS as threads\n", kernel.GemmKernelName())
}
