package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

func TestBenchJSON(t *testing.T) {
	out, errOut, code := runCLI(t, "bench", "--model", "digits-cnn", "--steps", "3", "--eval-batch-size", "16", "--json")
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, errOut)
	}
	var res struct {
		Model         string  `json:"model"`
		BatchSize     int     `json:"batch_size"`
		EvalBatchSize int     `json:"eval_batch_size"`
		Train         float64 `json:"train_samples_per_s"`
		Eval          float64 `json:"eval_samples_per_s"`
		MFLOP         float64 `json:"train_mflop_per_sample"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	if res.Model != "digits-cnn" || res.BatchSize != 32 || res.EvalBatchSize != 16 {
		t.Errorf("bench reported model %q batch %d eval batch %d, want digits-cnn, 32 (the preset's), 16", res.Model, res.BatchSize, res.EvalBatchSize)
	}
	if !(res.Train > 0 && res.Eval > 0 && res.MFLOP > 0) {
		t.Errorf("bench rates must be positive: %+v", res)
	}
}

func TestBenchBadEvalBatch(t *testing.T) {
	_, errOut, code := runCLI(t, "bench", "--model", "digits-cnn", "--eval-batch-size", "0")
	if code == 0 || !strings.Contains(errOut, "--eval-batch-size") {
		t.Errorf("bench --eval-batch-size 0: exit %d, stderr %q; want an error naming the flag", code, errOut)
	}
}

// A model file with two outputs compiled per output: bench says it times
// one-input, one-output models instead of failing inside.
func TestBenchSeveralOutputs(t *testing.T) {
	in := &nn.InputLayer{Name: "x", Shape: tensor.Shape{4}}
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{nn.Call(&nn.Dense{Name: "a", Units: 2}, in), nn.Call(&nn.Dense{Name: "b", Units: 1}, in)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CompileOutputs(&optim.Adam{}, gokeras.Output{Loss: loss.MSE{}}, gokeras.Output{Loss: loss.MSE{}, LossWeight: 0.5}); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "two.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, "bench", "--model", path, "--steps", "1")
	if code == 0 || !strings.Contains(errOut, "1 inputs and 2 outputs") {
		t.Errorf("bench of a two-output model: exit %d, stderr %q", code, errOut)
	}
}
