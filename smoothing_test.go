package gokeras_test

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// compiledJSON is a model file with Keras 3's compile config for a loss
// with label smoothing and an optimizer whose learning rate is a schedule.
const compiledJSON = `{"class_name": "Sequential", "config": {"name": "s", "layers": [
 {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
 {"class_name": "Flatten", "config": {}},
 {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
 "compile_config": {
  "loss": {"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy",
           "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.1, "ignore_class": null},
           "registered_name": null},
  "optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {"name": "SGD", "momentum": 0.0,
    "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "PiecewiseConstantDecay",
                      "config": {"boundaries": [3], "values": [0.1, 0.01], "name": "PiecewiseConstant"}, "registered_name": null}}},
  "metrics": ["accuracy"]}}`

func TestModelFileScheduleAndSmoothing(t *testing.T) {
	spec, err := gokeras.ParseModelJSON([]byte(compiledJSON))
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Model
	wantLoss := loss.SparseCategoricalCrossentropy{LabelSmoothing: 0.1}
	wantSched := optim.PiecewiseConstantDecay{Boundaries: []int64{3}, Values: []float64{0.1, 0.01}}
	check := func(what string, m *gokeras.Sequential) {
		t.Helper()
		if m.Loss() != wantLoss {
			t.Errorf("%s: loss %#v, want %#v", what, m.Loss(), wantLoss)
		}
		if !reflect.DeepEqual(m.Optimizer().Schedule(), wantSched) {
			t.Errorf("%s: schedule %#v, want %#v", what, m.Optimizer().Schedule(), wantSched)
		}
	}
	check("parsed", m)
	// Fit follows the schedule: 8 steps, the last ones past the boundary.
	x, y := toyImages(64, 1)
	if _, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	if lr := m.Optimizer().LearningRate(); math.Abs(lr-0.01) > 1e-12 {
		t.Errorf("learning rate after 8 steps %v, want 0.01", lr)
	}
	// Saved and loaded, both settings survive.
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	check("loaded", back)
	// A model compiled again loses the old optimizer's schedule.
	if err := back.CompileNamed("sparse_categorical_crossentropy", "adam"); err != nil {
		t.Fatal(err)
	}
	if back.Optimizer().Schedule() != nil {
		t.Errorf("schedule %v kept after Compile", back.Optimizer().Schedule())
	}
}

func TestSetLabelSmoothing(t *testing.T) {
	m := toyModel(1)
	if err := m.SetLabelSmoothing(0.2); err != nil {
		t.Fatal(err)
	}
	if got := m.Loss(); got != (loss.SparseCategoricalCrossentropy{LabelSmoothing: 0.2}) {
		t.Errorf("loss %#v", got)
	}
	p, _ := gokeras.LookupPreset("boston-mlp")
	b, _ := p.Model()
	if err := b.SetLabelSmoothing(0.1); err == nil || !strings.Contains(err.Error(), "mean_squared_error has no label smoothing") {
		t.Errorf("mse: %v", err)
	}
}
