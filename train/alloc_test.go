package train

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// stepModel is a small CNN with every kind of layer the note uses, and a
// batch for it.
func stepModel(t testing.TB) (*Model, *tensor.Tensor, *tensor.Tensor) {
	net := &nn.Stack{}
	net.Add(
		&nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{16, 16, 3}},
		&nn.MaxPooling2D{},
		&nn.Dropout{Rate: 0.2},
		&nn.Flatten{},
		&nn.Dense{Units: 32, Activation: activation.ReLU},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.SparseCategoricalCrossentropy{}, Optimizer: &optim.Adam{}, Metrics: []metric.Metric{&metric.Accuracy{}}}
	r := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(32, 16, 16, 3)
	y := tensor.New(32)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(10))
	}
	return m, x, y
}

// BenchmarkTrainStep measures one training step of stepModel; allocs/op
// is the steady-state allocation count per step, which should be zero.
func BenchmarkTrainStep(b *testing.B) {
	m, x, y := stepModel(b)
	m.step(x, y, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.step(x, y, nil)
	}
}

func TestTrainStepAllocatesNothing(t *testing.T) {
	m, x, y := stepModel(t)
	m.step(x, y, nil)
	if a := testing.AllocsPerRun(5, func() { m.step(x, y, nil) }); a != 0 {
		t.Errorf("a training step allocates %v times once warm, want 0 (go test -bench TrainStep -memprofile shows where)", a)
	}
}

// TestWeightedTrainStepAllocatesNothing is TestTrainStepAllocatesNothing
// with sample weights and a weighted metric, on the fused softmax path and
// on the plain one (logits).
func TestWeightedTrainStepAllocatesNothing(t *testing.T) {
	for _, fromLogits := range []bool{false, true} {
		m, x, y := stepModel(t)
		if fromLogits {
			m.Loss = loss.SparseCategoricalCrossentropy{FromLogits: true}
		}
		m.WeightedMetrics = []metric.Metric{&metric.SparseCategoricalAccuracy{}}
		w := make([]float32, x.Shape[0])
		for i := range w {
			w[i] = float32(i % 3)
		}
		m.step(x, y, w)
		if a := testing.AllocsPerRun(5, func() { m.step(x, y, w) }); a != 0 {
			t.Errorf("from_logits %v: a weighted training step allocates %v times once warm, want 0", fromLogits, a)
		}
	}
}

// TestBatchesAllocateNothing checks that reading a shuffled batch, from
// float32 inputs or from uint8 pixels, reuses the batch buffers.
func TestBatchesAllocateNothing(t *testing.T) {
	y := tensor.New(100)
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = (i * 37) % 100
	}
	w := make([]float32, 100)
	for _, x := range []Inputs{tensor.New(100, 16, 16, 3), tensor.NewBytes(255, 100, 16, 16, 3)} {
		b := &batcher{}
		r := rows{[]Inputs{x}, []*tensor.Tensor{y}, w, 0, 100}
		b.gather(r, idx)
		b.span(r, 64, 96)
		if a := testing.AllocsPerRun(20, func() { b.gather(r, idx); b.span(r, 0, 32) }); a != 0 {
			t.Errorf("%T: a batch allocates %v times, want 0", x, a)
		}
	}
}

// TestFitAllocatesNothingPerStep runs Fit for 4 and for 20 steps on uint8
// pixels: the allocations must not grow with the steps.
func TestFitAllocatesNothingPerStep(t *testing.T) {
	m, _, _ := stepModel(t)
	x := tensor.NewBytes(255, 20*32, 16, 16, 3)
	y := tensor.New(20 * 32)
	for _, weighted := range []bool{false, true} {
		var w []float32
		if weighted {
			w = make([]float32, y.Len())
			for i := range w {
				w[i] = 1 + float32(i%2)
			}
		}
		fit := func(steps int) float64 {
			return testing.AllocsPerRun(2, func() {
				if _, err := Fit(context.Background(), m, x, y, Options{BatchSize: 32, StepsPerEpoch: steps, SampleWeight: w, Out: io.Discard, Verbose: OneLine}); err != nil {
					t.Fatal(err)
				}
			})
		}
		// 16 more steps: an allocation per step would add 16. A sync.Pool
		// emptied by a garbage collection mid-run refills with one or two
		// allocations, which is not per step (and made this test flaky
		// when it compared for equality).
		if short, long := fit(4), fit(20); long >= short+8 {
			t.Errorf("weighted %v: Fit allocates %v times over 4 steps, %v over 20; want no allocation per step", weighted, short, long)
		}
	}
}
