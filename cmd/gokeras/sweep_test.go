package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "s.csv")
	args := []string{"sweep", "--grid", "dense=8,16", "--grid", "batch_size=64", "--epochs", "1", "--results", results, "--test"}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("sweep exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"[1/2] dense.units=8 batch_size=64 (1 epochs): training",
		"configurations by val_accuracy",
		"#  dense.units  batch_size  val_accuracy  last",
		"test_accuracy",
		"best: dense.units=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	png := filepath.Join(dir, "s-plots", "dense.units.png")
	if _, err := os.Stat(png); err != nil {
		t.Errorf("plot: %v", err)
	}
	// Run again: both trials are in the results file.
	out, errOut, code = runCLI(t, args...)
	if code != 0 || strings.Count(out, "done before") != 2 || strings.Contains(out, ": training") {
		t.Errorf("second run (exit %d, %s) trained again:\n%s", code, errOut, out)
	}
	data, _ := os.ReadFile(results)
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Errorf("results file has %d lines, want a header and 2 rows:\n%s", n, data)
	}
}

func TestSweepCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sweep"}, "give the values to try with --grid"},
		{[]string{"sweep", "--model", "cifar10-cnn", "--grid", "dropout_1=0.1 dropout_2=0.5"}, "dropout_1 (Dropout): rate"},
		{[]string{"sweep", "--grid", "epochs=1,2", "--halving"}, "successive halving sets the epochs"},
		{[]string{"sweep", "--grid", "dense=8", "extra"}, "quote the grid"},
	}
	for _, tt := range tests {
		_, errOut, code := runCLI(t, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error containing %q", tt.args, code, errOut, tt.want)
		}
	}
	out, _, code := runCLI(t, "sweep", "--list", "--model", "cifar10-cnn")
	if code != 0 || !strings.Contains(out, "dropout_1 (Dropout): rate*") || !strings.Contains(out, "label_smoothing") {
		t.Errorf("--list (exit %d):\n%s", code, out)
	}
	out, _, _ = runCLI(t, "sweep", "-h")
	if !strings.Contains(out, `the first Dropout is "dropout", the second`) || !strings.Contains(out, "--halving") {
		t.Errorf("help:\n%s", out)
	}
}
