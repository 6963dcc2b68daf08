package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainStepsPerEpoch(t *testing.T) {
	out, errOut, code := runCLI(t, "train", "--epochs", "2", "--steps-per-epoch", "3", "--verbose", "2")
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	if n := strings.Count(out, "\n3/3 - "); n != 2 {
		t.Errorf("want two epochs of 3 steps, got %d:\n%s", n, out)
	}
	if _, errOut, code := runCLI(t, "train", "--steps-per-epoch", "-1"); code == 0 || !strings.Contains(errOut, "--steps-per-epoch") {
		t.Errorf("--steps-per-epoch -1: exit %d, %q; want an error naming the flag", code, errOut)
	}
}

// TestTrainOnPixels trains on a folder of images that need no resizing, so
// train and evaluate keep them as uint8 pixels; the model's Normalization
// layer adapts to them read as float32.
func TestTrainOnPixels(t *testing.T) {
	root := t.TempDir()
	for _, part := range []string{"train", "test"} {
		for ci, class := range []string{"dark", "light"} {
			d := filepath.Join(root, part, class)
			os.MkdirAll(d, 0o755)
			for i := range 12 {
				img := image.NewGray(image.Rect(0, 0, 8, 8))
				for p := range img.Pix {
					img.Pix[p] = uint8(30 + 150*ci + (p*7+i*13)%60)
				}
				f, _ := os.Create(filepath.Join(d, fmt.Sprintf("%02d.png", i)))
				png.Encode(f, img)
				f.Close()
			}
		}
	}
	spec := `{"class_name": "Sequential", "config": {"layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
  {"class_name": "Normalization", "config": {"axis": -1}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
 "compile_config": {"loss": "sparse_categorical_crossentropy", "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}}, "metrics": ["accuracy"]}}`
	dir := t.TempDir()
	file, model := filepath.Join(dir, "m.json"), filepath.Join(dir, "m.safetensors")
	os.WriteFile(file, []byte(spec), 0o644)
	out, errOut, code := runCLI(t, "train", "--model", file, "--image-dir", root, "--epochs", "10", "--verbose", "0", "--save", model)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	m := testAccRE.FindStringSubmatch(out)
	if m == nil || m[2] != "1.0000" {
		t.Fatalf("training on pixels printed %q; want test_accuracy 1.0000 on bright vs dark", out)
	}
	out2, errOut, code := runCLI(t, "evaluate", "--load", model, "--dataset", root, "--confusion", filepath.Join(dir, "cm.png"))
	if code != 0 {
		t.Fatalf("evaluate exited %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out2, m[0]+"\n") {
		t.Errorf("evaluate printed %q, train printed %q", out2, m[0])
	}
}

func TestTrainImageDirErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--image-dir", filepath.Join(dir, "missing")}, "missing is not a folder"},
		{[]string{"train", "--image-dir", dir, "--dataset", "digits"}, "give --dataset or --image-dir, not both"},
		{[]string{"train", "--image-dir", dir}, "has no class sub-folders"},
	}
	for _, tt := range tests {
		_, errOut, code := runCLI(t, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error containing %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestTrainTTA(t *testing.T) {
	out, errOut, code := runCLI(t, "train", "--epochs", "3", "--verbose", "0", "--tta", "flip")
	if code != 0 {
		t.Fatalf("train --tta flip exited %d: %s", code, errOut)
	}
	if !strings.Contains(out, "with test-time augmentation flip (") || len(testAccRE.FindAllString(out, -1)) != 2 {
		t.Errorf("train --tta flip printed %q; want the plain and the flip-averaged test metrics", out)
	}
	if _, errOut, code := runCLI(t, "train", "--tta", "mirror"); code == 0 || !strings.Contains(errOut, "flip-shift") {
		t.Errorf("--tta mirror: exit %d, %q; want an error listing the choices", code, errOut)
	}
}

// TestTrainTableColumns: a Functional model whose inputs are named after a
// table's columns (Keras's fit on dict(dataframe)) trains, evaluates and
// predicts on them; its lookup and Normalization adapt to their own
// columns. testdata/boston_columns.json takes RAD (an int64 code, one-hot
// by an IntegerLookup) and LSTAT (normalised) of boston_housing.
func TestTrainTableColumns(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "tab.gkm")
	out, errOut, code := runCLI(t, "train", "--model", filepath.Join("testdata", "boston_columns.json"), "--dataset", "boston_housing",
		"--epochs", "3", "--save", saved)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	trained := lastLine(out)
	if !strings.HasPrefix(trained, "test_loss: ") {
		t.Fatalf("train printed %q last", trained)
	}
	out, errOut, code = runCLI(t, "evaluate", "--load", saved)
	if code != 0 || strings.TrimSpace(out) != trained {
		t.Errorf("evaluate: exit %d, %q %s; want train's %q", code, out, errOut, trained)
	}
	rows := filepath.Join(dir, "rows.csv")
	os.WriteFile(rows, []byte("CRIM,RAD,LSTAT\n0.1,24,5\n0.2,4,20\n"), 0o644)
	out, errOut, code = runCLI(t, "predict", "--load", saved, rows)
	if code != 0 || strings.Count(out, rows+":") != 2 {
		t.Errorf("predict: exit %d, %q %s", code, out, errOut)
	}
	// An input that names no column says which there are.
	bad := filepath.Join(dir, "bad.json")
	js, _ := os.ReadFile(filepath.Join("testdata", "boston_columns.json"))
	os.WriteFile(bad, []byte(strings.ReplaceAll(string(js), `"LSTAT"`, `"lstat"`)), 0o644)
	if _, errOut, code := runCLI(t, "train", "--model", bad, "--dataset", "boston_housing", "--epochs", "1"); code == 0 || !strings.Contains(errOut, `boston_housing: gokeras: the model's input "lstat" names no column of the table (CRIM, ZN,`) {
		t.Errorf("an input named after no column: exit %d, %s", code, errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
