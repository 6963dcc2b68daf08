package gokeras_test

import (
	"io"
	"path/filepath"
	"slices"
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

// A model inside another, as Sequential([block, Dense(...)]): it trains
// with the outer model, and Save/Load and the model JSON keep it nested
// with its weights under its name.
func TestNestedSequentialTrainsSavesLoads(t *testing.T) {
	block := gokeras.NewSequential(&nn.Dense{Units: 6, Activation: activation.ReLU}, &nn.Dense{Units: 6, Activation: activation.ReLU})
	block.Name = "block"
	m := gokeras.NewSequential(gokeras.Input(4), block.AsLayer(), &nn.Dense{Units: 2, Activation: activation.Softmax})
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{LR: 0.02}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(64, 4), tensor.New(64)
	for i := range 64 {
		c := i % 2
		y.Data[i] = float32(c)
		for j := range 4 {
			x.Data[i*4+j] = float32(c) + 0.1*float32((i*7+j*3)%5)
		}
	}
	hist, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 30, BatchSize: 16, Verbose: train.Silent, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := hist.Last("accuracy"); acc < 0.95 {
		t.Fatalf("accuracy %v after training", acc)
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"class_name": "Sequential"`) || !strings.Contains(string(data), `"name": "block"`) {
		t.Fatalf("the model JSON does not nest the block:\n%s", data)
	}
	path := filepath.Join(t.TempDir(), "nested.gkm")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(x, 0)
	got, err := back.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, want.Data) {
		t.Fatal("the loaded model predicts differently")
	}
	l, err := back.GetLayer("block")
	if err != nil || l.Class() != "Sequential" {
		t.Fatalf("GetLayer(block) = %v, %v", l, err)
	}
	if name := l.Params()[0].Name; name != "dense/kernel" {
		t.Fatalf("the nested kernel is named %q", name)
	}
}

// TestNestedAugmentationResumes: a model whose augmentation and dropout
// sit in a nested Sequential (Sequential([augment, ...]), as Keras's
// tutorials build it) resumed after a save trains the bits an
// uninterrupted run does: Fit reseeds the inner layers every epoch too.
func TestNestedAugmentationResumes(t *testing.T) {
	x, y := toyImages(96, 9)
	build := func() *gokeras.Sequential {
		augment := gokeras.NewSequential(&nn.RandomFlip{}, &nn.RandomTranslation{HeightFactor: [2]float64{-0.2, 0.2}, WidthFactor: [2]float64{-0.2, 0.2}}, &nn.Dropout{Rate: 0.2})
		augment.Name = "augment"
		m := gokeras.NewSequential(gokeras.Input(8, 8, 1), augment.AsLayer(),
			&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activation.ReLU},
			&nn.Flatten{}, &nn.Dense{Units: 2, Activation: activation.Softmax})
		m.Seed = 5
		if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	full := build()
	if _, err := full.Fit(x, y, silent(4)); err != nil {
		t.Fatal(err)
	}
	half := build()
	if _, err := half.Fit(x, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "half.gkm")
	if err := half.Save(path); err != nil {
		t.Fatal(err)
	}
	resumed, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resumed.Fit(x, y, silent(4)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(weights(full), weights(resumed)) {
		t.Error("a nested augmentation model saved at epoch 2 and resumed to 4 differs from an uninterrupted 4-epoch run")
	}
}

// TestPipelineInModel: Sequential([Pipeline([...]), ...]) trains, and its
// model JSON, .gkm and .keras files load back to the same predictions;
// the .keras config writes the Pipeline as Keras does (no trainable).
func TestPipelineInModel(t *testing.T) {
	x, y := toyImages(64, 11)
	m := gokeras.NewSequential(gokeras.Input(8, 8, 1),
		nn.NewPipeline("augment", &nn.RandomFlip{Mode: nn.FlipHorizontal}, &nn.RandomTranslation{HeightFactor: [2]float64{-0.1, 0.1}, WidthFactor: [2]float64{-0.1, 0.1}}),
		&nn.Flatten{}, &nn.Dense{Units: 2, Activation: activation.Softmax})
	m.Seed = 2
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(x, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(x, 0)
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"class_name": "Pipeline"`) {
		t.Fatalf("model JSON without the Pipeline:\n%s", js)
	}
	dir := t.TempDir()
	for _, name := range []string{"p.gkm", "p.keras"} {
		path := filepath.Join(dir, name)
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := gokeras.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := back.Predict(x, 0)
		if !slices.Equal(got.Data, want.Data) {
			t.Errorf("%s: predictions after load differ", name)
		}
	}
}
