package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/optim"
)

func TestTrainLabelSmoothingAndScheduleAreSaved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	_, errOut, code := runCLI(t, "train", "--epochs", "1", "--steps-per-epoch", "2", "--verbose", "0",
		"--label-smoothing", "0.1", "--lr-schedule", "step:lr=0.01,every=100", "--save", path)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	m, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (loss.SparseCategoricalCrossentropy{LabelSmoothing: 0.1}); m.Loss() != want {
		t.Errorf("saved loss %#v, want %#v", m.Loss(), want)
	}
	want := optim.ExponentialDecay{InitialLearningRate: 0.01, DecaySteps: 100, DecayRate: 0.1, Staircase: true}
	if !reflect.DeepEqual(m.Optimizer().Schedule(), want) {
		t.Errorf("saved schedule %#v, want %#v", m.Optimizer().Schedule(), want)
	}
	_, errOut, code = runCLI(t, "train", "--model", "boston-mlp", "--label-smoothing", "0.1")
	if code == 0 || !strings.Contains(errOut, "has no label smoothing") {
		t.Errorf("boston-mlp --label-smoothing: exit %d, %q", code, errOut)
	}
}
