package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/train"
)

// TestTrainChecksOutputsFirst: a path train cannot write is an error
// before the data set is loaded or an epoch trained (D1, D2), naming the
// flag, and the check leaves nothing behind in the folder.
func TestTrainChecksOutputsFirst(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nodir")
	for _, flag := range []string{"save", "checkpoint", "history", "plot", "csv-log"} {
		path := filepath.Join(missing, "x")
		out, errOut, code := runCLI(t, "train", "--epochs", "3", "--verbose", "2", "--"+flag, path)
		if code == 0 || !strings.Contains(errOut, "--"+flag+" "+path+": folder "+missing+" does not exist") {
			t.Errorf("--%s in a missing folder: exit %d, %q; want an error naming the flag and the folder", flag, code, errOut)
		}
		if strings.Contains(out, "Epoch") {
			t.Errorf("--%s in a missing folder: trained before failing:\n%s", flag, out)
		}
		// A folder is not a file name.
		_, errOut, code = runCLI(t, "train", "--epochs", "3", "--"+flag, dir)
		if code == 0 || !strings.Contains(errOut, "is a folder") {
			t.Errorf("--%s %s: exit %d, %q; want 'is a folder'", flag, dir, code, errOut)
		}
	}
	// A FIFO and a read-only file are refused before training, as Save
	// would refuse them after it.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(dir, "ro.safetensors")
	if err := os.WriteFile(ro, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{fifo: "named pipe", ro: "read-only"} {
		out, errOut, code := runCLI(t, "train", "--epochs", "3", "--verbose", "2", "--save", path)
		if code == 0 || !strings.Contains(errOut, want) || strings.Contains(out, "Epoch") {
			t.Errorf("--save %s: exit %d, %q; want %q before any epoch", path, code, errOut, want)
		}
	}
	os.Remove(fifo)
	os.Remove(ro)
	// Two bad paths: both named.
	_, errOut, _ := runCLI(t, "train", "--history", filepath.Join(missing, "h.json"), "--plot", filepath.Join(missing, "p.png"))
	if !strings.Contains(errOut, "--history") || !strings.Contains(errOut, "--plot") {
		t.Errorf("two bad paths, error names %q", errOut)
	}
	// Good paths pass the check, and the probe files are gone.
	model := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--save", model, "--history", filepath.Join(dir, "h.json")); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "h.json m.safetensors" {
		t.Errorf("folder holds %q, want only h.json and m.safetensors", got)
	}
}

// TestTrainOutputsModelFirst: when one output fails at the end, the model
// and the other outputs are still written and the error names every
// failure (D1). This is what both the end of training and the Ctrl-C or
// SIGTERM path call.
func TestTrainOutputsModelFirst(t *testing.T) {
	m, err := gokeras.LookupPreset("digits-cnn")
	if err != nil {
		t.Fatal(err)
	}
	model, err := m.Model()
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Build(8, 8, 1); err != nil {
		t.Fatal(err)
	}
	hist := &train.History{Epoch: []int{0}, History: map[string][]float64{"loss": {1}}}
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone") // removed after the up-front check, say
	outs := trainOutputs{
		save:    filepath.Join(dir, "m.safetensors"),
		history: filepath.Join(gone, "h.json"),
		plot:    filepath.Join(dir, "p.png"),
	}
	var stdout bytes.Buffer
	err = outs.write(&stdout, model, hist)
	if err == nil || !strings.Contains(err.Error(), "--history") || strings.Contains(err.Error(), "--plot") {
		t.Errorf("error %v; want one naming --history only", err)
	}
	for _, p := range []string{outs.save, outs.plot} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written after --history failed: %v", p, err)
		}
	}
	// The model fails too: the history and plot are still written, and
	// both failures named.
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(outs.plot)
	outs.save = filepath.Join(dir, "nodir", "m.safetensors")
	err = outs.write(&stdout, model, hist)
	if err == nil || !strings.Contains(err.Error(), "--save") {
		t.Errorf("error %v; want one naming --save", err)
	}
	for _, p := range []string{outs.history, outs.plot} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written after --save failed: %v", p, err)
		}
	}
}
