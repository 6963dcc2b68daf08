package main

import (
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
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
		{[]string{"sweep", "--grid", "dense=8", "--trials", "dense=8"}, "give --grid or --trials, not both"},
		{[]string{"sweep", "--trials", "dense=8; dense=16", "--random", "1"}, "--random draws points from a --grid"},
		{[]string{"sweep", "--trials", "dense=8; dense=16", "--halving"}, "--halving needs a --grid"},
		{[]string{"sweep", "--trials", "dense=8; dense=8.0"}, "trials 1 and 2 are the same point (dense=8)"},
		{[]string{"sweep", "--trials", "dense=8 epochs=1; dense=16"}, "trial 2 (dense=16): it does not set epochs"},
		{[]string{"sweep", "--trials", "dense=8,16"}, "gives several values"},
		{[]string{"sweep", "--trials", "dense_7=8"}, `no layer named "dense_7"`},
		{[]string{"sweep", "--grid", "dense=8", "--validation-split", "0"}, "--validation-split 0 leaves no held-out data to rank the trials on; add --test"},
		{[]string{"sweep", "--grid", "dense=8", "--validation-split", "0", "--test", "--objective", "val_accuracy"}, `objective "val_accuracy" is not a test metric`},
		{[]string{"sweep", "--grid", "dense=8", "--image-dir", "no-such-folder"}, "--image-dir no-such-folder is not a folder"},
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
	if !strings.Contains(out, `the first Dropout is "dropout", the second`) || !strings.Contains(out, "--halving") ||
		!strings.Contains(out, "--trials 'dropout=0.2 dropout_1=0.2 epochs=30 batch_size=256;") ||
		!strings.Contains(out, "With --validation-split 0 --test each trial trains on the whole training") {
		t.Errorf("help:\n%s", out)
	}
}

// TestSweepTrialsRankByTest runs two listed points on the whole of the
// embedded digits, ranked by test accuracy.
func TestSweepTrialsRankByTest(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "t.csv")
	args := []string{"sweep", "--trials", "dense=4 epochs=1; epochs=3 dense=16", "--batch-size", "64",
		"--validation-split", "0", "--test", "--results", results}
	out, errOut, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("sweep exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"[1/2] dense.units=4 epochs=1 (1 epochs): training",
		"[2/2] dense.units=16 epochs=3 (3 epochs): test_accuracy ",
		"configurations by test_accuracy after the last epoch, each trained on the whole training set (no validation split",
		"#  dense.units  epochs  test_accuracy  test_loss  params  time",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "val_") {
		t.Errorf("output names validation scores:\n%s", out)
	}
	recs := readResults(t, results)
	if len(recs) != 3 || strings.Join(recs[0], ",") != "key,setup,rung,epochs,dense.units,test_accuracy,test_loss,params,seconds,status,finished" {
		t.Fatalf("results file:\n%v", recs)
	}
	acc := map[string]float64{}
	for _, rec := range recs[1:] {
		a, err := strconv.ParseFloat(rec[5], 64)
		if err != nil || !(a > 0.1 && a <= 1) || !strings.HasSuffix(rec[1], "validation_split=0") {
			t.Errorf("row %v: want a test accuracy and the setup validation_split=0", rec)
		}
		acc[rec[4]] = a
	}
	// The table ranks by the file's test accuracies.
	best, worst := "16", "4"
	if acc["4"] > acc["16"] {
		best, worst = worst, best
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#  dense.units") {
			if len(lines) < i+3 || !strings.HasPrefix(lines[i+1], "1  "+best+" ") || !strings.HasPrefix(lines[i+2], "2  "+worst+" ") ||
				!strings.Contains(lines[i+1], strconv.FormatFloat(acc[best], 'f', 4, 64)) {
				t.Errorf("table does not rank dense=%s (%v) over dense=%s (%v):\n%s", best, acc[best], worst, acc[worst], out)
			}
		}
	}
	// Run again: both points are in the file.
	out, _, code = runCLI(t, args...)
	if code != 0 || strings.Count(out, "done before") != 2 {
		t.Errorf("second run (exit %d) trained again:\n%s", code, out)
	}
}

// TestSweepImageDir sweeps on a tiny folder of RGB images, 16x16 resized
// to digits-cnn's 8x8 grayscale input: 12 training images in batches of
// 4 are 3 steps an epoch.
func TestSweepImageDir(t *testing.T) {
	root := t.TempDir()
	writeImageDir(t, root, 16, map[string]int{"train": 6, "test": 3})
	results := filepath.Join(t.TempDir(), "img.csv")
	out, errOut, code := runCLI(t, "sweep", "--image-dir", root+string(filepath.Separator), "--trials", "dense=4; dense=8",
		"--epochs", "2", "--batch-size", "4", "--validation-split", "0", "--test", "--verbose", "2", "--results", results)
	if code != 0 {
		t.Fatalf("sweep exited %d: %s", code, errOut)
	}
	if n := strings.Count(out, "3/3 - "); n != 4 {
		t.Errorf("%d epochs of 3 steps, want 2 trials of 2:\n%s", n, out)
	}
	recs := readResults(t, results)
	if len(recs) != 3 {
		t.Fatalf("results file:\n%v", recs)
	}
	for _, rec := range recs[1:] {
		if !strings.HasPrefix(rec[1], "model=digits-cnn dataset="+root+" ") {
			t.Errorf("setup %q, want the cleaned folder as the data set", rec[1])
		}
		// Too little training to learn even bright from dark: only that
		// the test split was evaluated.
		if a, err := strconv.ParseFloat(rec[5], 64); err != nil || a < 0 || a > 1 {
			t.Errorf("row %v: test accuracy %v", rec, a)
		}
	}
	if _, errOut, code := runCLI(t, "sweep", "--image-dir", root, "--dataset", "digits", "--grid", "dense=4"); code == 0 || !strings.Contains(errOut, "not both") {
		t.Errorf("--image-dir with --dataset: exit %d, %s", code, errOut)
	}
}

// writeImageDir writes root/PART/{dark,light}/NN.png, n RGB images of
// size x size per class of each part.
func writeImageDir(t *testing.T, root string, size int, parts map[string]int) {
	t.Helper()
	for part, n := range parts {
		for ci, class := range []string{"dark", "light"} {
			d := filepath.Join(root, part, class)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				img := image.NewRGBA(image.Rect(0, 0, size, size))
				for p := range size * size {
					v := uint8(20 + 180*ci + (p*7+i*13)%50)
					img.Set(p%size, p/size, color.RGBA{v, v / 2, 255 - v, 255})
				}
				f, err := os.Create(filepath.Join(d, fmt.Sprintf("%02d.png", i)))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
	}
}

func readResults(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// A saved model is a --model too (Keras's .keras here, gokeras's own
// likewise): every trial starts from its weights, so a trial of a trained
// model scores at least as well after its first epoch as a fresh one,
// and the architecture and compile config come from the file.
func TestSweepSavedModel(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "digits.keras")
	if _, errOut, code := runCLI(t, "train", "--model", "digits-cnn", "--epochs", "3", "--save", saved, "--verbose", "0"); code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	results := filepath.Join(dir, "s.csv")
	out, errOut, code := runCLI(t, "sweep", "--model", saved, "--dataset", "digits", "--grid", "epochs=1,2", "--results", results)
	if code != 0 {
		t.Fatalf("sweep --model %s exited %d: %s", saved, code, errOut)
	}
	if !strings.Contains(out, "best: epochs=") {
		t.Fatalf("sweep output lacks its best trial:\n%s", out)
	}
	// A fresh digits-cnn after one epoch is near 0.6 on this split; one
	// started from three epochs' weights is far above.
	recs := readResults(t, results)
	col := -1
	for i, h := range recs[0] {
		if h == "val_accuracy" {
			col = i
		}
	}
	if col < 0 || len(recs) != 3 {
		t.Fatalf("results %v: want a header with val_accuracy and 2 rows", recs)
	}
	for _, r := range recs[1:] {
		if v, err := strconv.ParseFloat(r[col], 64); err != nil || v < 0.8 {
			t.Errorf("trial %v: val_accuracy %q; a trial that starts from the saved weights scores above 0.8", r, r[col])
		}
	}
	if _, errOut, code := runCLI(t, "sweep", "--model", filepath.Join(dir, "missing.keras"), "--dataset", "digits", "--grid", "epochs=1"); code == 0 || !strings.Contains(errOut, "missing.keras") {
		t.Errorf("a missing model file: exit %d, %s", code, errOut)
	}
}
