package gokeras_test

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func weightedData(n, in, classes int) (*tensor.Tensor, *tensor.Tensor, []float32) {
	r := rand.New(rand.NewPCG(31, 32))
	x := tensor.New(n, in)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := tensor.New(n)
	w := make([]float32, n)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(classes))
		w[i] = float32(r.IntN(4)) * 0.75
	}
	return x, y, w
}

// evalDuringFit runs EvaluateWith from a callback, while Fit holds the
// model's network, so that it runs on a replica with copies of the
// metrics.
type evalDuringFit struct {
	train.NopCallback
	m    *gokeras.Sequential
	x, y *tensor.Tensor
	w    []float32
	logs gokeras.Logs
	err  error
}

func (e *evalDuringFit) OnEpochEnd(*train.Run, int, train.Logs) error {
	e.logs, e.err = e.m.EvaluateWith(e.x, e.y, gokeras.EvaluateOptions{SampleWeight: e.w, BatchSize: 16})
	return nil
}

// TestSequentialSampleWeights trains a classifier with sample weights, a
// metric and the same metric weighted, and weighted validation data: the
// logs carry accuracy and weighted_accuracy (Keras's names), the
// validation values equal EvaluateWith's on the same data (on the
// model's network after Fit, and on a replica from a callback during it).
func TestSequentialSampleWeights(t *testing.T) {
	x, y, w := weightedData(64, 5, 3)
	vx, vy, vw := weightedData(24, 5, 3)
	m := gokeras.NewSequential(&nn.Dense{Units: 8, Activation: activation.ReLU, InputShape: tensor.Shape{5}}, &nn.Dense{Units: 3, Activation: activation.Softmax})
	m.Seed = 4
	if err := m.SetWeightedMetrics(&metric.Accuracy{}); err == nil {
		t.Error("SetWeightedMetrics before Compile: no error")
	}
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.SGD{LR: 0.05}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeightedMetrics(&metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	cb := &evalDuringFit{m: m, x: vx, y: vy, w: vw}
	h, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 2, BatchSize: 16, SampleWeight: w, Out: io.Discard, Verbose: train.Silent,
		ValidationData: &train.Data{X: vx, Y: vy, SampleWeight: vw}, Callbacks: []train.Callback{cb}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "accuracy", "weighted_accuracy", "val_loss", "val_accuracy", "val_weighted_accuracy"} {
		if _, ok := h.Last(k); !ok {
			t.Errorf("history has no %q: %v", k, h.History)
		}
	}
	if cb.err != nil {
		t.Fatal(cb.err)
	}
	if _, ok := cb.logs["weighted_accuracy"]; !ok {
		t.Errorf("EvaluateWith on a replica lost the weighted metric: %v", cb.logs)
	}
	after, err := m.EvaluateWith(vx, vy, gokeras.EvaluateOptions{SampleWeight: vw, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "accuracy", "weighted_accuracy"} {
		v, _ := h.Last("val_" + k)
		if after[k] != v || cb.logs[k] != v {
			t.Errorf("%s: val_%s %v in the history, %v from EvaluateWith during Fit, %v after", k, k, v, cb.logs[k], after[k])
		}
	}
	if after["accuracy"] == after["weighted_accuracy"] {
		t.Logf("note: weighted and unweighted accuracy coincide (%v)", after["accuracy"])
	}

	// Compile replaces the weighted metrics, as a new compile() does.
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.SGD{}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	if len(m.WeightedMetrics()) != 0 {
		t.Errorf("Compile kept %d weighted metrics", len(m.WeightedMetrics()))
	}
}

// TestEvaluateWeightedMSE checks evaluate(sample_weight=w) at the front
// door against Keras's definition computed from Predict's outputs:
// loss = sum_i w_i·mean_j (p_ij - y_ij)² / N, weighted mae =
// sum_i w_i·mean_j |p_ij - y_ij| / sum_i w_i.
func TestEvaluateWeightedMSE(t *testing.T) {
	const n, in, out = 30, 4, 2
	r := rand.New(rand.NewPCG(41, 42))
	x, y := tensor.New(n, in), tensor.New(n, out)
	w := make([]float32, n)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(r.NormFloat64())
	}
	for i := range w {
		w[i] = float32(r.Float64() * 3)
	}
	w[3] = 0
	m := gokeras.NewSequential(&nn.Dense{Units: out, InputShape: tensor.Shape{in}})
	m.Seed = 5
	if err := m.CompileNamed("mse", "sgd", "mae"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeightedMetrics(&metric.MAE{}); err != nil {
		t.Fatal(err)
	}
	logs, err := m.EvaluateWith(x, y, gokeras.EvaluateOptions{SampleWeight: w, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	var l, mae, wmae, wsum float64
	for i := 0; i < n; i++ {
		var se, ae float64
		for j := 0; j < out; j++ {
			d := float64(p.Data[i*out+j]) - float64(y.Data[i*out+j])
			se += d * d / out
			ae += math.Abs(d) / out
		}
		l += float64(w[i]) * se / n
		mae += ae / n
		wmae += float64(w[i]) * ae
		wsum += float64(w[i])
	}
	wmae /= wsum
	check := func(k string, want float64) {
		if got := logs[k]; math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
			t.Errorf("%s: %v, want %v", k, got, want)
		}
	}
	check("loss", l)
	check("mae", mae)
	check("weighted_mae", wmae)

	_, err = m.EvaluateWith(x, y, gokeras.EvaluateOptions{SampleWeight: w[:n-1]})
	if err == nil || !strings.Contains(err.Error(), "sample_weight has 29 values for 30 samples") {
		t.Errorf("29 weights for 30 samples: got %v", err)
	}
}

// TestWeightedMetricsSaved: the weighted metrics go into the model file's
// compile_config as Keras's weighted_metrics and come back from it.
func TestWeightedMetricsSaved(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 2, Activation: activation.Softmax, InputShape: tensor.Shape{3}})
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeightedMetrics(&metric.Accuracy{}, &metric.MSE{}); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"weighted_metrics": [`) {
		t.Fatalf("no weighted_metrics in %s", js)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mt := range spec.Model.WeightedMetrics() {
		names = append(names, mt.Name())
	}
	if strings.Join(names, ",") != "accuracy,mse" {
		t.Errorf("weighted metrics after ParseModelJSON: %v, want accuracy, mse", names)
	}
}

// A model compiled with accuracy, and accuracy again as a weighted
// metric: evaluate with sample weights reports both, the weighted one
// under Keras's name for it.
func ExampleSequential_SetWeightedMetrics() {
	x, _ := tensor.FromSlice([]float32{0, 1, 1, 0, 1, 1, 0, 0}, 4, 2)
	y, _ := tensor.FromSlice([]float32{0, 1, 1, 0}, 4)
	m := gokeras.NewSequential(&nn.Dense{Units: 2, Activation: activation.Softmax, InputShape: tensor.Shape{2}})
	if err := m.CompileNamed("sparse_categorical_crossentropy", "sgd", "accuracy"); err != nil {
		panic(err)
	}
	if err := m.SetWeightedMetrics(&metric.Accuracy{}); err != nil {
		panic(err)
	}
	logs, err := m.EvaluateWith(x, y, gokeras.EvaluateOptions{SampleWeight: []float32{1, 0, 2, 1}})
	if err != nil {
		panic(err)
	}
	fmt.Println(logs.Keys())
	// Output: [loss accuracy weighted_accuracy]
}
