package gokeras_test

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

func TestWithLayerConfig(t *testing.T) {
	p, _ := gokeras.LookupPreset("cifar10-cnn")
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = 7
	n, err := m.WithLayerConfig(
		gokeras.LayerSetting{Layer: "dropout_1", Value: 0.5}, // the main field: rate
		gokeras.LayerSetting{Layer: "dense", Field: "units", Value: 64.0},
	)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{}
	for _, l := range n.Layers() {
		if d, ok := l.(*nn.Dropout); ok {
			rates[d.Name] = d.Rate
		}
	}
	if want := map[string]float64{"dropout": 0.1, "dropout_1": 0.5}; !reflect.DeepEqual(rates, want) {
		t.Errorf("dropout rates %v, want %v", rates, want)
	}
	if u := n.Layers()[7].(*nn.Dense).Units; u != 64 {
		t.Errorf("dense units %d, want 64", u)
	}
	if n.Seed != 7 || n.Loss() == nil || n.Optimizer() == nil {
		t.Errorf("seed %d, loss %v, optimizer %v: not carried over", n.Seed, n.Loss(), n.Optimizer())
	}
	// The original is untouched.
	if d := m.Layers()[5].(*nn.Dropout); d.Rate != 0.8 {
		t.Errorf("original dropout_1 rate changed to %v", d.Rate)
	}
	if err := n.Build(); err != nil {
		t.Fatal(err)
	}
	// An int-or-tuple argument given as one number is the same setting.
	if _, err := m.WithLayerConfig(gokeras.LayerSetting{Layer: "conv2d", Field: "kernel_size", Value: 3.0}); err != nil {
		t.Errorf("kernel_size=3: %v", err)
	}
}

func TestWithLayerConfigErrors(t *testing.T) {
	p, _ := gokeras.LookupPreset("cifar10-cnn")
	tests := []struct {
		set  gokeras.LayerSetting
		want []string
	}{
		// The 1-based names: Keras calls the second Dropout dropout_1.
		{gokeras.LayerSetting{Layer: "dropout_2", Value: 0.5}, []string{`no layer named "dropout_2"`, "dropout (Dropout): rate", "dropout_1 (Dropout): rate", "conv2d (Conv2D): activation"}},
		{gokeras.LayerSetting{Layer: "dropout", Field: "rat", Value: 0.5}, []string{`no field "rat"`, "its fields are rate"}},
		{gokeras.LayerSetting{Layer: "flatten", Value: 1.0}, []string{"flatten (Flatten) has no main field", "flatten.FIELD"}},
		{gokeras.LayerSetting{Layer: "dropout", Value: 1.5}, []string{"rate 1.5 is outside [0, 1)"}},
		// Values the layer does not implement fail through nn.FromConfig's
		// strict rule, naming the layer, the key and the value: pooling
		// layers write data_format but only work channels-last.
		{gokeras.LayerSetting{Layer: "max_pooling2d", Field: "data_format", Value: "channels_first"}, []string{`"max_pooling2d" (MaxPooling2D)`, `data_format="channels_first" is not implemented for MaxPooling2D`, "channels_last"}},
		{gokeras.LayerSetting{Layer: "conv2d", Field: "groups", Value: 5.0}, []string{`"conv2d" (Conv2D)`, "filters=64 is not divisible by groups=5"}},
		{gokeras.LayerSetting{Layer: "conv2d", Field: "padding", Value: "sane"}, []string{`unknown padding "sane"`}},
		{gokeras.LayerSetting{Layer: "dropout", Value: "half"}, []string{`"rate" is half; want a number`}},
	}
	for _, tt := range tests {
		m, _ := p.Model()
		n, err := m.WithLayerConfig(tt.set)
		if err == nil {
			err = n.Build() // a bad value shows when the layer is built
		}
		if err == nil {
			t.Errorf("%v: no error", tt.set)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not contain %q", tt.set, err, w)
			}
		}
	}
}

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

// A setting of a Functional model's layer keeps the graph: resnet20 with
// its first block's first convolution at 8 filters instead of 16 (that
// convolution, its batch normalization and the next convolution shrink:
// 2,320 → 1,160, 64 → 32 and 2,320 → 1,168 params).
func TestWithLayerConfigFunctional(t *testing.T) {
	p, err := gokeras.LookupPreset("resnet20")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.WithLayerConfig(gokeras.LayerSetting{Layer: "conv2d_1", Field: "filters", Value: 8.0})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Net().Functional() {
		t.Fatal("the new model is not Functional")
	}
	if err := n.Build(); err != nil {
		t.Fatal(err)
	}
	if total, _, _ := n.Net().CountParams(); total != 274442-2344 {
		t.Fatalf("%d params, want %d", total, 274442-2344)
	}
}
