package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

var testAccRE = regexp.MustCompile(`test_loss: ([0-9.]+) - test_accuracy: ([0-9.]+)`)

func TestTrainDefaultDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "digits.safetensors")
	hist := filepath.Join(dir, "hist.json")
	out, errOut, code := runCLI(t, "train", "--save", model, "--history", hist, "--verbose", "2")
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	m := testAccRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no test line in output:\n%s", out)
	}
	if acc, _ := strconv.ParseFloat(m[2], 64); acc < 0.95 {
		t.Errorf("digits test accuracy %v, want >= 0.95", acc)
	}
	var h struct {
		History map[string][]float64 `json:"history"`
	}
	data, err := os.ReadFile(hist)
	if err != nil || json.Unmarshal(data, &h) != nil || len(h.History["loss"]) == 0 {
		t.Fatalf("history file: %v %s", err, data)
	}
	// Evaluating the saved model gives the same line.
	out2, errOut, code := runCLI(t, "evaluate", "--load", model)
	if code != 0 {
		t.Fatalf("evaluate exited %d: %s", code, errOut)
	}
	if strings.TrimSpace(out2) != m[0] {
		t.Errorf("evaluate printed %q, train printed %q", strings.TrimSpace(out2), m[0])
	}
}

func TestTrainSameSeedSameOutput(t *testing.T) {
	a, _, _ := runCLI(t, "train", "--epochs", "2", "--seed", "5", "--verbose", "2")
	b, _, _ := runCLI(t, "train", "--epochs", "2", "--seed", "5", "--verbose", "2")
	c, _, _ := runCLI(t, "train", "--epochs", "2", "--seed", "6", "--verbose", "2")
	strip := regexp.MustCompile(`- \d+s - \d+[mu]?s/step `)
	a, b, c = strip.ReplaceAllString(a, ""), strip.ReplaceAllString(b, ""), strip.ReplaceAllString(c, "")
	if a != b {
		t.Errorf("same seed, different output:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("seeds 5 and 6 printed the same training")
	}
}

func TestBostonRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	out, errOut, code := runCLI(t, "train", "--model", "boston-mlp", "--dataset", "boston_housing", "--epochs", "100", "--verbose", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`test_loss: [0-9.]+ - test_mae: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no test_mae line:\n%s", out)
	}
	if mae, _ := strconv.ParseFloat(m[1], 64); mae > 3.5 {
		t.Errorf("boston test MAE %v, want <= 3.5", mae)
	}
}

func TestModelFileAndPredict(t *testing.T) {
	dir := t.TempDir()
	spec := `{"class_name": "Sequential", "config": {"name": "small", "layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
  {"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}},
  {"class_name": "MaxPooling2D", "config": {"pool_size": [2, 2]}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}]},
 "compile_config": {"loss": "sparse_categorical_crossentropy", "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}}, "metrics": ["accuracy"]},
 "fit_config": {"epochs": 3, "batch_size": 64}}`
	file := filepath.Join(dir, "small.json")
	os.WriteFile(file, []byte(spec), 0o644)
	model := filepath.Join(dir, "small.safetensors")
	out, errOut, code := runCLI(t, "train", "--model", file, "--dataset", "digits", "--save", model, "--verbose", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, "Epoch ") != 3 || !testAccRE.MatchString(out) {
		t.Errorf("want 3 epochs (fit_config) and a test line:\n%s", out)
	}
	out, _, _ = runCLI(t, "summary", "--model", file)
	if !strings.Contains(out, "Total params: 1,370") {
		t.Errorf("summary of the file model:\n%s", out)
	}
	// Predict on a PNG made of one digit-like image.
	png := filepath.Join(dir, "x.png")
	writeTestPNG(t, png)
	out, errOut, code = runCLI(t, "predict", "--load", model, png)
	if code != 0 || !strings.HasPrefix(out, png+": ") || strings.Count(out, ",") != 2 {
		t.Errorf("predict exit %d, output %q, stderr %q; want the top 3 classes", code, out, errOut)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want []string // every piece must appear in stderr
	}{
		{[]string{"train", "--epoch", "3"}, []string{"unknown flag -epoch", "--epochs", "--batch-size"}},
		{[]string{"train", "--model", "resnet50"}, []string{"unknown preset \"resnet50\"", "digits-cnn", "cifar10-cnn"}},
		{[]string{"train", "--dataset", "imagenet"}, []string{"imagenet", "digits", "mnist"}},
		{[]string{"train", "--model", "cifar10-cnn", "--dataset", "digits"}, []string{"(32, 32, 3)", "(8, 8, 1)", "--model or --dataset"}},
		{[]string{"train", "--model", "missing.json"}, []string{"missing.json"}},
		{[]string{"fly"}, []string{"unknown command \"fly\"", "train", "evaluate"}},
		{[]string{"evaluate"}, []string{"--load is required"}},
		{[]string{"evaluate", "--load", "nope.safetensors"}, []string{"nope.safetensors"}},
		{[]string{"train", "--verbose", "3"}, []string{"verbose 3"}},
	}
	for _, tt := range tests {
		_, errOut, code := runCLI(t, tt.args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want an error", tt.args)
			continue
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: error is not one line:\n%s", tt.args, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q lacks %q", tt.args, errOut, w)
			}
		}
	}
}

func TestCheckpointAndResume(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.safetensors")
	csvPath := filepath.Join(dir, "log.csv")
	_, errOut, code := runCLI(t, "train", "--epochs", "2", "--checkpoint", ck, "--csv-log", csvPath, "--verbose", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	full, _, _ := runCLI(t, "train", "--epochs", "4", "--verbose", "0")
	resumed, errOut, code := runCLI(t, "train", "--load", ck, "--epochs", "4", "--csv-log", csvPath, "--verbose", "0")
	if code != 0 {
		t.Fatalf("resume exit %d: %s", code, errOut)
	}
	if strings.TrimSpace(full) != strings.TrimSpace(resumed) {
		t.Errorf("4 epochs straight printed %q; 2 + checkpoint + 2 printed %q", full, resumed)
	}
	data, _ := os.ReadFile(csvPath)
	if n := strings.Count(string(data), "\n"); n != 5 {
		t.Errorf("CSV log has %d lines, want a header and 4 epochs:\n%s", n, data)
	}
}

func TestLRScheduleFlag(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.json")
	_, errOut, code := runCLI(t, "train", "--epochs", "2", "--lr-schedule", "cosine:lr=0.005,warmup=10", "--history", hist, "--verbose", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(hist)
	if !strings.Contains(string(data), "learning_rate") {
		t.Errorf("history lacks the scheduled learning_rate:\n%s", data)
	}
	_, errOut, code = runCLI(t, "train", "--lr-schedule", "triangle:lr=1")
	if code == 0 || !strings.Contains(errOut, "cosine") {
		t.Errorf("bad schedule: exit %d, %q; want the valid kinds", code, errOut)
	}
}
