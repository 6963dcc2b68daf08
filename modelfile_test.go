package gokeras_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

const tinyLayers = `"config": {"layers": [
	{"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}},
	{"class_name": "Dense", "config": {"units": 2}}]}`

func tinyModelJSON(extra string) []byte {
	return []byte(`{"class_name": "Sequential", ` + tinyLayers + extra + `}`)
}

// TestFitConfigOnlyAbsentIsDefault is S2's model-file half: an explicit
// epochs or batch_size of 0 or less is an error, not the default.
func TestFitConfigOnlyAbsentIsDefault(t *testing.T) {
	bad := map[string]string{
		`{"epochs": -3}`:             "epochs is -3; give a positive number of epochs",
		`{"epochs": 0}`:              "epochs is 0",
		`{"batch_size": 0}`:          "batch_size is 0; give a positive number of examples per batch",
		`{"batch_size": -5}`:         "batch_size is -5",
		`{"epochs": 2.5}`:            "integer",
		`{"validation_split": 1.5}`:  "validation_split 1.5 must be in [0, 1)",
		`{"validation_split": -0.1}`: "validation_split -0.1",
		`{"epoch": 3}`:               `unknown key "epoch"`,
		`[3]`:                        "fit_config must be an object",
	}
	for fit, want := range bad {
		_, err := gokeras.ParseModelJSON(tinyModelJSON(`, "fit_config": ` + fit))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "not valid JSON") {
			t.Errorf("fit_config %s: err = %v, want %q", fit, err, want)
		}
	}
	good := map[string]gokeras.FitConfig{
		`{}`:               {},
		`{"epochs": null}`: {},
		`{"epochs": 4, "batch_size": 8, "validation_split": 0.2}`: {Epochs: 4, BatchSize: 8, ValidationSplit: 0.2},
		`{"validation_split": 0}`:                                 {},
	}
	for fit, want := range good {
		spec, err := gokeras.ParseModelJSON(tinyModelJSON(`, "fit_config": ` + fit))
		if err != nil || spec.Fit == nil || *spec.Fit != want {
			t.Errorf("fit_config %s: %+v, %v; want %+v", fit, spec, err, want)
		}
	}
}

// TestModelFileOptimizerAndScheduleZeros is S10's optimizer half: a
// negative learning rate and a decay_steps of 0 are errors in a model
// file; a learning_rate of 0 is honoured as 0.
func TestModelFileOptimizerAndScheduleZeros(t *testing.T) {
	compile := func(opt string) []byte {
		return tinyModelJSON(`, "compile_config": {"loss": "mse", "optimizer": ` + opt + `}`)
	}
	bad := map[string]string{
		`{"class_name": "Adam", "config": {"learning_rate": -0.001}}`:                                                                                                           "learning_rate is -0.001",
		`{"class_name": "SGD", "config": {"learning_rate": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0}}}}`:                         "decay_steps",
		`{"class_name": "SGD", "config": {"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.9}}}}`: "decay_steps",
		`{"class_name": "SGD", "config": {"learning_rate": {"class_name": "OneCycle", "config": {"max_lr": 0.1, "total_steps": 0}}}}`:                                           "total_steps",
		`{"class_name": "SGD", "config": {"learning_rate": {"class_name": "CosineDecay", "config": {"initial_learning_rate": -0.1, "decay_steps": 10}}}}`:                       "initial_learning_rate",
	}
	for opt, want := range bad {
		_, err := gokeras.ParseModelJSON(compile(opt))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("optimizer %s: err = %v, want %q", opt, err, want)
		}
	}
	spec, err := gokeras.ParseModelJSON(compile(`{"class_name": "Adam", "config": {"learning_rate": 0}}`))
	if err != nil || spec.Model.Optimizer().LearningRate() != 0 {
		t.Errorf("learning_rate 0: %v; want a rate of 0, not the default", err)
	}
	// No decay_steps: the rest of training (a gokeras extension).
	spec, err = gokeras.ParseModelJSON(compile(`{"class_name": "SGD", "config": {"learning_rate": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1}}}}`))
	if err != nil || spec.Model.Optimizer().Schedule() == nil {
		t.Fatalf("CosineDecay without decay_steps: %v", err)
	}
}

// TestSavedRestOfTrainingScheduleLoads: a schedule over "the rest of
// training" is saved without its step count and loads again, and so do
// files written before, which stored it as 0.
func TestSavedRestOfTrainingScheduleLoads(t *testing.T) {
	for _, s := range []optim.Schedule{optim.CosineDecay{InitialLearningRate: 0.01}, optim.OneCycle{MaxLR: 0.1}} {
		m := toyModel(1)
		m.Optimizer().SetSchedule(s)
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		js, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(js), `"decay_steps": 0`) || strings.Contains(string(js), `"total_steps": 0`) {
			t.Errorf("%T: ToJSON writes a step count of 0:\n%s", s, js)
		}
		p := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(p); err != nil {
			t.Fatal(err)
		}
		if got, err := gokeras.Load(p); err != nil || fmt.Sprint(got.Optimizer().Schedule()) != fmt.Sprint(s) {
			t.Errorf("%T: Load = %v, %v; want the schedule back", s, got, err)
		}
	}
	// The old spelling, in a file gokeras wrote.
	old := editMeta(t, savedToy(t), "model", func(s string) string {
		var mj map[string]any
		if err := json.Unmarshal([]byte(s), &mj); err != nil {
			t.Fatal(err)
		}
		opt := mj["compile_config"].(map[string]any)["optimizer"].(map[string]any)["config"].(map[string]any)
		opt["learning_rate"] = map[string]any{"class_name": "CosineDecay", "config": map[string]any{
			"initial_learning_rate": 0.01, "decay_steps": 0, "alpha": 0, "warmup_steps": 0, "warmup_target": nil, "name": "CosineDecay"}}
		b, _ := json.Marshal(mj)
		return string(b)
	})
	m, err, _ := loadBytes(t, old)
	if err != nil || m.Optimizer().Schedule() == nil {
		t.Errorf("a file with the old decay_steps 0: %v", err)
	}
}

// TestFitConfigMix: fit_config's "mix" names the recipe's label-mixing
// augmentation as Keras serialises the layer; bad ones are refused.
func TestFitConfigMix(t *testing.T) {
	for fit, want := range map[string]train.Mixer{
		`{"mix": {"class_name": "MixUp", "config": {"alpha": 0.4, "seed": null, "name": "mix_up", "trainable": true, "dtype": "float32"}}}`: &train.MixUp{Alpha: 0.4},
		`{"mix": {"class_name": "MixUp", "config": {}}}`:                      &train.MixUp{Alpha: train.MixUpDefaultAlpha},
		`{"mix": {"class_name": "CutMix", "config": {"factor": 0.5}}}`:        &train.CutMix{Factor: []float64{0, 0.5}},
		`{"mix": {"class_name": "CutMix", "config": {"factor": [0.8, 0.2]}}}`: &train.CutMix{Factor: []float64{0.2, 0.8}},
		`{"epochs": 3, "mix": null}`:                                          nil,
	} {
		spec, err := gokeras.ParseModelJSON(tinyModelJSON(`, "fit_config": ` + fit))
		if err != nil {
			t.Errorf("fit_config %s: %v", fit, err)
			continue
		}
		if !reflect.DeepEqual(spec.Fit.Mix, want) {
			t.Errorf("fit_config %s: mix %#v, want %#v", fit, spec.Fit.Mix, want)
		}
	}
	for fit, want := range map[string]string{
		`{"mix": "cutmix"}`: `mix must be {"class_name"`,
		`{"mix": {"class_name": "AugMix", "config": {}}}`:                               `unknown mixer "AugMix"`,
		`{"mix": {"class_name": "MixUp", "config": {"alpha": -1}}}`:                     "MixUp alpha -1 must be positive",
		`{"mix": {"class_name": "CutMix", "config": {"factor": 2}}}`:                    "CutMix factor [0 2] must be",
		`{"mix": {"class_name": "CutMix", "config": {"scale": 2}}}`:                     `unknown key "scale"`,
		`{"mix": {"class_name": "MixUp", "config": {"data_format": "channels_first"}}}`: "channels_last",
	} {
		_, err := gokeras.ParseModelJSON(tinyModelJSON(`, "fit_config": ` + fit))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("fit_config %s: err %v, want %q", fit, err, want)
		}
	}
}
