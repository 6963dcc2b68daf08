package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
)

// bostonRow is the first row of boston_housing, in the data set's order.
var bostonRow = []string{"0.00632", "18.0", "2.31", "0", "0.538", "6.575", "65.2", "4.0900", "1", "296", "15.3", "396.90", "4.98"}

func writeCSV(t *testing.T, path string, rows ...[]string) {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// predictValue runs predict on one CSV and returns the value after the
// row's label, or fails.
func predictValues(t *testing.T, model, csvPath string) (string, string) {
	t.Helper()
	out, errOut, code := runCLI(t, "predict", "--load", model, csvPath)
	if code != 0 {
		t.Fatalf("predict %s: exit %d, %s", csvPath, code, errOut)
	}
	return strings.TrimPrefix(strings.TrimSpace(out), csvPath+":2: "), errOut
}

// TestPredictCSVByHeader: a model trained on a table keeps its column
// names, and predict matches a CSV's header by name: reordered columns
// give the same prediction, missing ones are named, extra ones are
// ignored with a note, and NaN or infinite values are errors naming the
// line and column (S4).
func TestPredictCSVByHeader(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "boston.safetensors")
	if _, errOut, code := runCLI(t, "train", "--model", "boston-mlp", "--epochs", "1", "--verbose", "0", "--save", model); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	m, err := gokeras.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Features, dataset.BostonFeatures) {
		t.Fatalf("saved Features %q, want %q", m.Features, dataset.BostonFeatures)
	}
	inOrder := filepath.Join(dir, "in.csv")
	writeCSV(t, inOrder, dataset.BostonFeatures, bostonRow)
	want, _ := predictValues(t, model, inOrder)

	rev := filepath.Join(dir, "rev.csv")
	writeCSV(t, rev, reversed(dataset.BostonFeatures), reversed(bostonRow))
	if got, _ := predictValues(t, model, rev); got != want {
		t.Errorf("reversed columns predict %s, in order %s", got, want)
	}
	extra := filepath.Join(dir, "extra.csv")
	writeCSV(t, extra, append([]string{"MEDV"}, dataset.BostonFeatures...), append([]string{"24.0"}, bostonRow...))
	got, note := predictValues(t, model, extra)
	if got != want || !strings.Contains(note, "ignoring columns the model was not trained on: MEDV") {
		t.Errorf("with an extra MEDV column: %s (want %s), stderr %q", got, want, note)
	}

	tests := []struct {
		name string
		rows [][]string
		want string
	}{
		{"missing", [][]string{dataset.BostonFeatures[2:], bostonRow[2:]}, "lacks the model's columns CRIM, ZN"},
		{"made-up names", [][]string{{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12"}, bostonRow}, "the header (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12) names none of the model's columns: CRIM, ZN, INDUS"},
		{"no header", [][]string{bostonRow}, "no header line"},
		{"twice", [][]string{append(slices.Clone(dataset.BostonFeatures), "RM"), append(slices.Clone(bostonRow), "6")}, "column RM appears twice"},
		{"Inf", [][]string{dataset.BostonFeatures, bostonRow, append([]string{"Inf"}, bostonRow[1:]...)}, "line 3 column CRIM: \"Inf\" is not a finite number"},
		{"NaN", [][]string{dataset.BostonFeatures, append(slices.Clone(bostonRow[:5]), append([]string{"NaN"}, bostonRow[6:]...)...)}, "line 2 column RM: \"NaN\" is not a finite number"},
		{"overflow", [][]string{dataset.BostonFeatures, append([]string{"1e39"}, bostonRow[1:]...)}, "line 2 column CRIM: \"1e39\" is not a finite number"},
		{"text", [][]string{dataset.BostonFeatures, append([]string{"abc"}, bostonRow[1:]...)}, "line 2 column CRIM: \"abc\" is not a number"},
		{"short row", [][]string{dataset.BostonFeatures, bostonRow[1:]}, "line 2: 12 fields, the header has 13"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "bad.csv")
		writeCSV(t, path, tt.rows...)
		_, errOut, code := runCLI(t, "predict", "--load", model, path)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, %q; want %q", tt.name, code, errOut, tt.want)
		}
	}
}

// TestPredictCSVWithoutFeatures: a model file without column names (saved
// before they were recorded) matches by position and warns when the
// header's column count differs from the model's inputs.
func TestPredictCSVWithoutFeatures(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "boston.safetensors")
	if _, errOut, code := runCLI(t, "train", "--model", "boston-mlp", "--epochs", "1", "--verbose", "0", "--save", model); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	m, err := gokeras.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	m.Features = nil
	old := filepath.Join(dir, "old.safetensors")
	if err := m.Save(old); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.csv")
	writeCSV(t, in, dataset.BostonFeatures, bostonRow)
	want, note := predictValues(t, old, in)
	if note != "" {
		t.Errorf("same column count: stderr %q, want nothing", note)
	}
	if got, _ := predictValues(t, model, in); got != want {
		t.Errorf("by position %s, by name %s", want, got)
	}
	// A 14-name header over 13 values: positional, with a warning.
	wide := filepath.Join(dir, "wide.csv")
	writeCSV(t, wide, append(slices.Clone(dataset.BostonFeatures), "MEDV"), bostonRow)
	got, note := predictValues(t, old, wide)
	if got != want || !strings.Contains(note, "header names 14 columns but the model takes 13") {
		t.Errorf("14-column header: %s (want %s), stderr %q", got, want, note)
	}
	// Non-finite values are rejected here too.
	bad := filepath.Join(dir, "bad.csv")
	writeCSV(t, bad, append([]string{"-Inf"}, bostonRow[1:]...))
	if _, errOut, code := runCLI(t, "predict", "--load", old, bad); code == 0 || !strings.Contains(errOut, "line 1 column 1: \"-Inf\" is not a finite number") {
		t.Errorf("-Inf without a header: exit %d, %q", code, errOut)
	}
}

// TestPredictTopAndResize: --top N shows N classes; an image of another
// size than the model's input is resized with one note on stderr naming
// both sizes, however many such images there are (P2, S8).
func TestPredictTopAndResize(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--save", model); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	big := filepath.Join(dir, "big.png") // 24x24
	writeTestPNG(t, big)
	small := filepath.Join(dir, "small.png")
	f, err := os.Create(small)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8)))
	f.Close()

	out, errOut, code := runCLI(t, "predict", "--load", model, "--top", "1", small)
	if code != 0 || strings.Count(out, ",") != 0 || !strings.HasPrefix(out, small+": ") {
		t.Errorf("--top 1: exit %d, %q %q; want one class", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("an 8x8 image for an 8x8 model: stderr %q, want nothing", errOut)
	}
	out, errOut, code = runCLI(t, "predict", "--load", model, "--top", "20", big, small, big)
	if code != 0 || strings.Count(out, "\n") != 3 || strings.Count(out, ",") != 27 {
		t.Errorf("--top 20 of 10 classes: exit %d, %q; want all 10 for each of 3 images", code, out)
	}
	note := "resizing " + big + " from 24x24 to the model's 8x8 input"
	if strings.Count(errOut, "resizing") != 1 || !strings.Contains(errOut, note) {
		t.Errorf("stderr %q; want one note %q", errOut, note)
	}
}

// TestPredictImagePixelLimit: predict and inspect decode images through
// dataset.DecodeImage, which refuses an image whose header declares more
// than dataset.MaxImagePixels before allocating it (P4). The limit is
// lowered here so that an ordinary 24x24 PNG stands in for a bomb.
func TestPredictImagePixelLimit(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--save", model); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	img := filepath.Join(dir, "x.png")
	writeTestPNG(t, img)
	old := dataset.MaxImagePixels
	dataset.MaxImagePixels = 24*24 - 1
	t.Cleanup(func() { dataset.MaxImagePixels = old })
	for _, args := range [][]string{
		{"predict", "--load", model, img},
		{"inspect", "--load", model, "--image", img, "--out", filepath.Join(dir, "maps.png")},
	} {
		_, errOut, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(errOut, img+": image is 24x24 = 576 pixels, more than the limit of 575") {
			t.Errorf("%v: exit %d, %q; want the pixel limit error naming the file", args, code, errOut)
		}
	}
	_, errOut, code := runCLI(t, "predict", "--load", model, model)
	if code == 0 || !strings.Contains(errOut, model+": not a PNG, JPEG or GIF image") {
		t.Errorf("predict on a non-image: exit %d, %q", code, errOut)
	}
}

// TestImagePixelLimitEnv: GOKERAS_MAX_IMAGE_PIXELS sets the limit for one
// run, and the limit error says so; a bad value is refused.
func TestImagePixelLimitEnv(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--save", model); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	img := filepath.Join(dir, "x.png")
	writeTestPNG(t, img)
	old := dataset.MaxImagePixels
	t.Cleanup(func() { dataset.MaxImagePixels = old })
	t.Setenv(pixelLimitEnv, "575")
	_, errOut, code := runCLI(t, "predict", "--load", model, img)
	if code == 0 || !strings.Contains(errOut, "more than the limit of 575") || !strings.Contains(errOut, pixelLimitEnv+"=576") {
		t.Errorf("limit 575: exit %d, %q; want the limit error and how to raise it", code, errOut)
	}
	t.Setenv(pixelLimitEnv, "576")
	if _, errOut, code := runCLI(t, "predict", "--load", model, img); code != 0 {
		t.Errorf("limit 576: exit %d, %q", code, errOut)
	}
	t.Setenv(pixelLimitEnv, "lots")
	if _, errOut, code := runCLI(t, "predict", "--load", model, img); code != 2 || !strings.Contains(errOut, pixelLimitEnv) {
		t.Errorf("bad value: exit %d, %q", code, errOut)
	}
}
