package gokeras_test

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// concModel is a small CNN with every kind of per-call layer state:
// convolution (im2col and Winograd), pooling, batch norm, dropout.
func concModel(t testing.TB) *gokeras.Sequential {
	m := gokeras.NewSequential(
		&nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{12, 12, 3}},
		&nn.MaxPooling2D{},
		&nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU},
		&nn.BatchNormalization{},
		&nn.Dropout{Rate: 0.3},
		&nn.Flatten{},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	m.Seed = 3
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

func concData(n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := tensor.New(n, 12, 12, 3)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := tensor.New(n)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(10))
	}
	return x, y
}

// TestConcurrentPredictEvaluate: Predict and Evaluate on one model from 12
// goroutines at once, with mixed batch sizes and inputs, give the same
// bits as serial calls (run it with -race: CI does).
func TestConcurrentPredictEvaluate(t *testing.T) {
	m := concModel(t)
	// A little training first, so batch norm's statistics and the
	// optimizer's state are not the initial ones.
	xt, yt := concData(64, 9)
	if _, err := m.Fit(xt, yt, gokeras.FitOptions{Epochs: 1, BatchSize: 16, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	type job struct {
		x, y *tensor.Tensor
		bs   int
	}
	var jobs []job
	for i, n := range []int{1, 5, 33, 70} {
		x, y := concData(n, uint64(i))
		for _, bs := range []int{1, 7, 32, 64} {
			jobs = append(jobs, job{x, y, bs})
		}
	}
	wantP := make([]*tensor.Tensor, len(jobs))
	wantE := make([]map[string]float64, len(jobs))
	for i, j := range jobs {
		p, err := m.Predict(j.x, j.bs)
		if err != nil {
			t.Fatal(err)
		}
		wantP[i] = p
		l, err := m.Evaluate(j.x, j.y, j.bs)
		if err != nil {
			t.Fatal(err)
		}
		wantE[i] = l
	}
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for range rounds * len(jobs) {
				i := r.IntN(len(jobs))
				j := jobs[i]
				if r.IntN(3) == 0 {
					l, err := m.Evaluate(j.x, j.y, j.bs)
					if err != nil {
						errs <- err
						return
					}
					for k, v := range wantE[i] {
						if math.Float64bits(l[k]) != math.Float64bits(v) {
							errs <- fmt.Errorf("goroutine %d job %d: evaluate %s = %v, serial %v", g, i, k, l[k], v)
							return
						}
					}
					continue
				}
				p, err := m.Predict(j.x, j.bs)
				if err != nil {
					errs <- err
					return
				}
				for k := range p.Data {
					if math.Float32bits(p.Data[k]) != math.Float32bits(wantP[i].Data[k]) {
						errs <- fmt.Errorf("goroutine %d job %d (batch %d): output %d = %v, serial %v", g, i, j.bs, k, p.Data[k], wantP[i].Data[k])
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkConcurrentPredict measures Predict throughput on one model
// from 1 goroutine and from 8 (batch 32 of 12x12x3 images).
func BenchmarkConcurrentPredict(b *testing.B) {
	m := concModel(b)
	x, _ := concData(32, 5)
	for _, g := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			if _, err := m.Predict(x, 32); err != nil {
				b.Fatal(err)
			}
			var next sync.WaitGroup
			start := time.Now()
			per := (b.N + g - 1) / g
			for range g {
				next.Add(1)
				go func() {
					defer next.Done()
					for range per {
						if _, err := m.Predict(x, 32); err != nil {
							panic(err)
						}
					}
				}()
			}
			next.Wait()
			b.ReportMetric(float64(per*g*32)/time.Since(start).Seconds(), "samples/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}
