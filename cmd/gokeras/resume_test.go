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

// TestTrainLoadAndModelAgree: --model with --load is an error unless they
// are the same model, and a --load already past --epochs says that it
// trains nothing (S5).
func TestTrainLoadAndModelAgree(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := runCLI(t, "train", "--epochs", "2", "--verbose", "0", "--save", ck); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	// A Dense layer of another width, same input: a JSON model file.
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(`{"class_name": "Sequential", "config": {"layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}]}}`), 0o644)
	for _, tt := range []struct{ model, want string }{
		{"mnist-cnn", "--model mnist-cnn does not match the model in --load " + ck + ": it takes inputs of shape (28, 28, 1), the saved model (8, 8, 1)"},
		{other, "--model " + other + " does not match the model in --load " + ck + ": layer "},
	} {
		out, errOut, code := runCLI(t, "train", "--load", ck, "--model", tt.model, "--epochs", "3", "--verbose", "2")
		if code == 0 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "drop --model") {
			t.Errorf("--model %s --load: exit %d, %q; want %q", tt.model, code, errOut, tt.want)
		}
		if strings.Contains(out, "Epoch") {
			t.Errorf("--model %s --load: trained:\n%s", tt.model, out)
		}
	}
	// The same preset agrees and resumes.
	out, errOut, code := runCLI(t, "train", "--load", ck, "--model", "digits-cnn", "--epochs", "3", "--verbose", "2")
	if code != 0 || !strings.Contains(out, "Epoch 3/3") || strings.Contains(out, "Epoch 2/") {
		t.Errorf("--model digits-cnn --load (trained with digits-cnn): exit %d, %s\n%s", code, errOut, out)
	}
	// Nothing left to train: say so instead of printing only the test line.
	for _, e := range []string{"1", "2"} {
		out, errOut, code := runCLI(t, "train", "--load", ck, "--epochs", e, "--verbose", "2")
		want := "has trained 2 epochs and --epochs " + e + " is the total to reach, so there is nothing to train; give --epochs 3 or more"
		if code == 0 || !strings.Contains(errOut, want) || testAccRE.MatchString(out) {
			t.Errorf("--load (epoch 2) --epochs %s: exit %d, stdout %q, stderr %q; want %q", e, code, out, errOut, want)
		}
	}
}

// writeClassFolders makes root/CLASS/NN.png, n 8x8 images per class.
func writeClassFolders(t *testing.T, root string, classes []string, n int) {
	t.Helper()
	for ci, class := range classes {
		d := filepath.Join(root, class)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for p := range img.Pix {
				img.Pix[p] = uint8(20 + 70*ci + (p*7+i*13)%40)
			}
			f, err := os.Create(filepath.Join(d, fmt.Sprintf("%02d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
	}
}

// TestTrainImageDirClassCount: a folder with a number of classes the
// model's output cannot hold is an error before training, as is a single
// class; a one-unit sigmoid takes two classes (S7).
func TestTrainImageDirClassCount(t *testing.T) {
	three := t.TempDir()
	writeClassFolders(t, three, []string{"a", "b", "c"}, 5)
	out, errOut, code := runCLI(t, "train", "--image-dir", three, "--epochs", "1", "--verbose", "2")
	want := "has 3 classes (a, b, c) but model digits-cnn has 10 outputs"
	if code == 0 || !strings.Contains(errOut, want) || strings.Contains(out, "Epoch") {
		t.Errorf("3 classes for 10 outputs: exit %d, %q; want %q before training", code, errOut, want)
	}
	one := t.TempDir()
	writeClassFolders(t, one, []string{"only"}, 5)
	_, errOut, code = runCLI(t, "train", "--image-dir", one, "--epochs", "1", "--verbose", "0")
	if code == 0 || !strings.Contains(errOut, "has one class (only)") {
		t.Errorf("one class: exit %d, %q; want an error", code, errOut)
	}
	two := t.TempDir()
	writeClassFolders(t, two, []string{"dark", "light"}, 6)
	spec := filepath.Join(t.TempDir(), "binary.json")
	os.WriteFile(spec, []byte(`{"class_name": "Sequential", "config": {"layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 1, "activation": "sigmoid"}}]},
 "compile_config": {"loss": "binary_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]}}`), 0o644)
	if _, errOut, code := runCLI(t, "train", "--model", spec, "--image-dir", two, "--epochs", "1", "--verbose", "0"); code != 0 {
		t.Errorf("two classes, one sigmoid unit: exit %d, %s", code, errOut)
	}
}
