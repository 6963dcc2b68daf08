package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/plot"
)

// readPNG decodes a PNG file the command wrote.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func TestImshowDigits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "grid.png")
	stdout, stderr, code := runCLI(t, "imshow", "--dataset", "digits", "--n", "12", "--out", out, "--preview", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out+": 12 train images 8x8x1 from 0") {
		t.Errorf("stdout: %q", stdout)
	}
	got := readPNG(t, out)

	// The file is plot.Grid of the first 12 training images, captioned
	// with their class names.
	train, _, err := dataset.Load("digits", dataset.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 12)
	captions := make([]string, 12)
	for i := range idx {
		idx[i] = i
		captions[i] = train.Classes[int(train.Y.Data[i])]
	}
	want, err := plot.Grid(gather(train.X, idx), plot.GridOptions{Captions: captions})
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("PNG is %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := 0; y < want.Bounds().Dy(); y++ {
		for x := 0; x < want.Bounds().Dx(); x++ {
			if g, w := color.RGBAModel.Convert(got.At(x, y)), want.At(x, y); g != w {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, g, w)
			}
		}
	}
	// Cross-check without the plot package: the first digit sits in the
	// top-left corner after the 8-pixel margin, each pixel a 10x10 block.
	for _, p := range [][2]int{{0, 0}, {3, 2}, {4, 4}, {7, 7}, {2, 5}} {
		v := train.X.Data[p[1]*8+p[0]]
		gray := uint8(v*255 + 0.5)
		for _, d := range [][2]int{{0, 0}, {9, 9}, {5, 3}} {
			c := color.GrayModel.Convert(got.At(8+10*p[0]+d[0], 8+10*p[1]+d[1])).(color.Gray)
			if c.Y != gray {
				t.Errorf("digit 0 pixel %v block offset %v = %d, want %d", p, d, c.Y, gray)
			}
		}
	}
}

func TestImshowPreview(t *testing.T) {
	out := filepath.Join(t.TempDir(), "grid.png")
	stdout, stderr, code := runCLI(t, "imshow", "--split", "test", "--n", "4", "--out", out, "--preview", "always")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"4 test images", "▀", "\x1b[38;2;", "\x1b[48;2;", "\x1b[0m\n", "row 1: ", "row 2: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	// Not a terminal, no preview by default.
	stdout, _, _ = runCLI(t, "imshow", "--n", "4", "--out", out)
	if strings.Contains(stdout, "\x1b[") {
		t.Error("escape codes written to a non-terminal")
	}
}

func TestImshowErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--dataset", "boston_housing"}, "not images"},
		{[]string{"--split", "val"}, "--split is train or test"},
		{[]string{"--wrong"}, "--wrong needs --load"},
		{[]string{"--start", "100000"}, "past the train split"},
		{[]string{"--n", "0"}, "--n 0: must be at least 1"},
		{[]string{"--preview", "yes"}, "--preview is auto, always or never"},
		{[]string{"--size", "3"}, "unknown flag -size; valid flags:"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		args := append([]string{"imshow", "--out", filepath.Join(t.TempDir(), "x.png")}, tt.args...)
		_, stderr, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestDefaultImshowOut(t *testing.T) {
	tests := []struct{ ds, split, want string }{
		{"digits", "train", "digits.png"},
		{"cifar10", "test", "cifar10_test.png"},
		{"/data/cifar10-jpeg/", "train", "cifar10-jpeg.png"},
	}
	for _, tt := range tests {
		if got := defaultImshowOut(tt.ds, tt.split); got != tt.want {
			t.Errorf("defaultImshowOut(%q, %q) = %q, want %q", tt.ds, tt.split, got, tt.want)
		}
	}
}
