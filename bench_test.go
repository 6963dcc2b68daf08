package gokeras

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

var evalBatch = 256

// BenchmarkEvaluate times evaluate() of the presets on synthetic data of
// their input shape (go test -bench Evaluate -run ^$); b.N counts samples.
func BenchmarkEvaluate(b *testing.B) {
	for _, name := range []string{"cifar10-cnn", "fashion-cnn", "cifar10-fast"} {
		b.Run(name, func(b *testing.B) {
			p, err := LookupPreset(name)
			if err != nil {
				b.Fatal(err)
			}
			m, err := p.Model()
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Build(); err != nil {
				b.Fatal(err)
			}
			const n = 1024
			batch := evalBatch
			in := m.Net().InputShape()
			x := tensor.New(append(tensor.Shape{n}, in...)...)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range x.Data {
				x.Data[i] = r.Float32()
			}
			y := tensor.New(n)
			for i := range y.Data {
				y.Data[i] = float32(r.IntN(10))
			}
			if _, err := m.Evaluate(x, y, batch); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ResetTimer()
			for done := 0; done < b.N; done += n {
				if _, err := m.Evaluate(x, y, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

func init() {
	if s := os.Getenv("GOKERAS_BENCH_EVAL_BATCH"); s != "" {
		evalBatch, _ = strconv.Atoi(s)
	}
}
