package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A labels file names a Keras model's classes for predict, serve's
// --model-dir and convert; a file with the wrong count or a blank line is
// refused with a message that says what a labels file holds.
func TestLabels(t *testing.T) {
	keras := filepath.Join(kerasModelsDir(t), "07_divya_mnist_mlp.keras")
	dir := t.TempDir()
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	labels := filepath.Join(dir, "digits.txt")
	// CRLF line ends and a final blank line, as editors leave them.
	if err := os.WriteFile(labels, []byte(strings.Join(names, "\r\n")+"\r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "x.png")
	writeTestPNG(t, img)

	out, errOut, code := runCLI(t, "predict", "--load", keras, "--labels", labels, "--top", "10", img)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	for _, n := range names {
		if !strings.Contains(out, n+" ") {
			t.Errorf("predict printed %q; want the class %q", out, n)
		}
	}

	for _, tc := range []struct{ body, want string }{
		{"a\nb\n", "2 class names (a, b) for a model with 10 outputs"},
		{"zero\n\ntwo\n", "line 2 is blank"},
		{"", "is empty"},
		{"\xff\n", "not UTF-8"},
	} {
		bad := filepath.Join(dir, "bad.txt")
		if err := os.WriteFile(bad, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runCLI(t, "predict", "--load", keras, "--labels", bad, img)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("labels %q: exit %d, %q; want an error saying %q", tc.body, code, errOut, tc.want)
		}
	}

	// --model-dir reads NAME.labels.txt and does not take it for a model.
	mdir := t.TempDir()
	b, err := os.ReadFile(keras)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mdir, "mnist.keras"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mdir, "mnist"+labelsSuffix), []byte(strings.Join(names, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var notes strings.Builder
	models, err := loadModelDir(mdir, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if m := models["mnist"]; m == nil || strings.Join(m.Classes, ",") != strings.Join(names, ",") {
		t.Errorf("--model-dir: models %v; want mnist with the labels file's classes", models)
	}
	if len(models) != 1 || strings.Contains(notes.String(), "skipping") {
		t.Errorf("--model-dir served %d models, notes %q; want the labels file left alone", len(models), notes.String())
	}

	// convert keeps them in gokeras's format.
	conv := filepath.Join(dir, "mnist.gkm")
	if _, errOut, code := runCLI(t, "convert", "--labels", labels, keras, conv); code != 0 {
		t.Fatalf("convert: exit %d: %s", code, errOut)
	}
	out2, errOut, code := runCLI(t, "predict", "--load", conv, "--top", "10", img)
	if code != 0 || out2 != out {
		t.Errorf("predict on the converted model: exit %d, %q (%s); want %q", code, out2, errOut, out)
	}
}
