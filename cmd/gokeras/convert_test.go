package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/tensor"
)

// predictBits predicts random inputs of the model's input shape.
func predictBits(t *testing.T, m *gokeras.Sequential, x *tensor.Tensor) []uint32 {
	t.Helper()
	y, err := m.Predict(x, 16)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint32, len(y.Data))
	for i, v := range y.Data {
		out[i] = math.Float32bits(v)
	}
	return out
}

// TestConvert converts Keras's own files (a Keras 3.10 .keras and a
// Keras 3.1 legacy .h5) to gokeras's format, to .keras, to legacy .h5,
// to .keras again and back: every file gokeras.Load reads predicts the
// same bits as the original.
func TestConvert(t *testing.T) {
	src := kerasModelsDir(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		in    string
		shape []int
	}{
		{"07_divya_mnist_mlp.keras", []int{28, 28}},
		{"03_moonflower_mnist_cnn.h5", []int{28, 28, 1}},
	} {
		in := filepath.Join(src, tc.in)
		orig, err := gokeras.Load(in)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		x := tensor.New(append([]int{5}, tc.shape...)...)
		for i := range x.Data {
			x.Data[i] = r.Float32()
		}
		want := predictBits(t, orig, x)
		base := strings.TrimSuffix(tc.in, filepath.Ext(tc.in))
		// IN -> gokeras -> .keras -> gokeras (no extension: decided by content).
		steps := [][2]string{
			{in, filepath.Join(dir, base+".safetensors")},
			{filepath.Join(dir, base+".safetensors"), filepath.Join(dir, base+".keras")},
			{filepath.Join(dir, base+".keras"), filepath.Join(dir, base+"-again")},
			// .keras -> legacy .h5 -> .keras.
			{filepath.Join(dir, base+".keras"), filepath.Join(dir, base+"-legacy.h5")},
			{filepath.Join(dir, base+"-legacy.h5"), filepath.Join(dir, base+"-from-h5.keras")},
		}
		for _, s := range steps {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"convert", s[0], s[1]}, &stdout, &stderr); code != 0 {
				t.Fatalf("convert %s %s: exit %d: %s", s[0], s[1], code, stderr.String())
			}
			m, err := gokeras.Load(s[1])
			if err != nil {
				t.Fatal(err)
			}
			if got := predictBits(t, m, x); !slicesEqual(got, want) {
				t.Errorf("%s: predictions differ from %s's", filepath.Base(s[1]), tc.in)
			}
		}
		head, err := os.ReadFile(filepath.Join(dir, base+".keras"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
			t.Errorf("%s.keras is not a zip", base)
		}
		if h5, _ := os.ReadFile(filepath.Join(dir, base+"-legacy.h5")); !bytes.HasPrefix(h5, []byte("\x89HDF\r\n\x1a\n")) {
			t.Errorf("%s-legacy.h5 is not an HDF5 file", base)
		}
		if k, _ := os.ReadFile(filepath.Join(dir, base+"-from-h5.keras")); !bytes.HasPrefix(k, []byte("PK\x03\x04")) {
			t.Errorf("%s-from-h5.keras is not a zip", base)
		}
		if again, _ := os.ReadFile(filepath.Join(dir, base+"-again")); bytes.HasPrefix(again, []byte("PK")) {
			t.Errorf("%s-again (no .keras extension) was written as a zip, want gokeras's format", base)
		}
	}
}

func slicesEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConvertRefuses: wrong arguments are errors that say what to do, and
// nothing is written.
func TestConvertRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"convert", filepath.Join(dir, "missing.keras"), filepath.Join(dir, "out.h5")}, "no such file"},
		{[]string{"convert", "in.keras"}, "give the input and output files"},
		{[]string{"convert", filepath.Join(dir, "missing.keras"), filepath.Join(dir, "out.keras")}, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error containing %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.h5")); err == nil {
		t.Error("out.h5 was written")
	}
}

// TestConvertSaysWhatKerasLoses: a gokeras model trained on the embedded
// digits converts to .keras, and convert says which of gokeras's extras
// the Keras format has no place for; converting back gives the same
// predictions.
func TestConvertSaysWhatKerasLoses(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "digits.safetensors")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"train", "--epochs", "1", "--verbose", "0", "--save", src}, &stdout, &stderr); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	out := filepath.Join(dir, "digits.keras")
	if code := run([]string{"convert", src, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("convert: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "data set name") {
		t.Errorf("convert said %q; want a note that the data set name is not written", stderr.String())
	}
	orig, err := gokeras.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(append([]int{3}, orig.Net().InputShape()...)...)
	for i := range x.Data {
		x.Data[i] = float32(i%17) / 16
	}
	if !slicesEqual(predictBits(t, orig, x), predictBits(t, back, x)) {
		t.Error("the .keras file predicts other values than the model it was converted from")
	}
}

// TestConvertTrainSaveKerasRefusedEarly: train --save x.keras with a
// gokeras extension Keras lacks (label smoothing on sparse labels) fails
// before the first epoch, saying what and that nothing was trained.
func TestConvertTrainSaveKerasRefusedEarly(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.keras")
	var stdout, stderr bytes.Buffer
	code := run([]string{"train", "--label-smoothing", "0.1", "--epochs", "1", "--save", out}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "label_smoothing on SparseCategoricalCrossentropy") || !strings.Contains(stderr.String(), "nothing was trained") {
		t.Errorf("exit %d, stderr %q; want an error naming label_smoothing, before training", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "Epoch 1/") {
		t.Error("an epoch was trained before the error")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("x.keras was written")
	}
}
