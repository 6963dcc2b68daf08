package main

import (
	"image"
	"image/color"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/plot"
)

// TestPlotsOfATrainedModel trains the digits CNN briefly, then draws
// everything the issue asks for from it: training curves, the confusion
// matrix, wrong predictions, filters and feature maps.
func TestPlotsOfATrainedModel(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "digits.safetensors")
	hist := filepath.Join(dir, "history.png")
	stdout, stderr, code := runCLI(t, "train", "--epochs", "2", "--validation-split", "0.2", "--verbose", "0", "--save", model, "--plot", hist)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+hist+": training curves over 2 epochs") {
		t.Errorf("train stdout: %q", stdout)
	}

	t.Run("train --plot", func(t *testing.T) {
		img := readPNG(t, hist)
		// Two panels, loss and accuracy, each with training and validation.
		if sz := img.Bounds().Size(); sz != image.Pt(2*plot.PanelWidth, plot.PanelHeight) {
			t.Errorf("history plot is %v, want two %dx%d panels", sz, plot.PanelWidth, plot.PanelHeight)
		}
		for _, c := range []color.RGBA{plot.TrainColor, plot.ValColor} {
			if countExact(img, c) == 0 {
				t.Errorf("no pixel of line colour %v", c)
			}
		}
	})

	t.Run("evaluate --confusion", func(t *testing.T) {
		cmFile := filepath.Join(dir, "cm.png")
		stdout, stderr, code := runCLI(t, "evaluate", "--load", model, "--confusion", cmFile)
		if code != 0 {
			t.Fatalf("evaluate exit %d: %s", code, stderr)
		}
		_, test, err := dataset.Load("digits", dataset.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		total, diag := parseConfusion(t, stdout)
		if total != test.Len() {
			t.Errorf("confusion counts sum to %d, the test split has %d samples", total, test.Len())
		}
		m := testAccRE.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no test line:\n%s", stdout)
		}
		acc, _ := strconv.ParseFloat(m[2], 64)
		if got := float64(diag) / float64(total); got < acc-1e-4 || got > acc+1e-4 {
			t.Errorf("diagonal/total = %.4f, evaluate's accuracy %.4f", got, acc)
		}
		img := readPNG(t, cmFile)
		if img.Bounds().Dx() < 10*28 || img.Bounds().Dy() < 10*28 {
			t.Errorf("confusion heat map %v is smaller than 10x10 cells", img.Bounds())
		}
	})

	t.Run("imshow --load --wrong", func(t *testing.T) {
		out := filepath.Join(dir, "wrong.png")
		stdout, stderr, code := runCLI(t, "imshow", "--load", model, "--split", "test", "--wrong", "--n", "6", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "6 test images") {
			t.Errorf("stdout: %q", stdout)
		}
		// Every caption of a wrong prediction is red.
		img := readPNG(t, out)
		if countExact(img, color.RGBA{214, 39, 40, 255}) == 0 {
			t.Error("no red caption for wrong predictions")
		}
		if countExact(img, color.RGBA{0, 0, 0, 255}) == 0 {
			t.Error("no black pixels: the digits' backgrounds are missing")
		}
	})

	t.Run("inspect", func(t *testing.T) {
		maps := filepath.Join(dir, "maps.png")
		filters := filepath.Join(dir, "filters.png")
		stdout, stderr, code := runCLI(t, "inspect", "--load", model, "--sample", "0", "--out", maps, "--filters", filters)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"conv2d: 10 filters 3x3x1", "digits test sample 0: true ", "predicted ", "conv2d: 10 feature maps 6x6"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		// 10 filters of 3x3 at scale 27 in 4 columns; 10 maps of 6x6 at
		// scale 14 beside the 8x8 input at scale 10.
		if b := readPNG(t, filters).Bounds(); b.Dx() < 4*81 || b.Dy() < 3*81 {
			t.Errorf("filters image %v too small for 10 filters of 81 pixels", b)
		}
		if b := readPNG(t, maps).Bounds(); b.Dx() < 80+4*84 || b.Dy() < 3*84 {
			t.Errorf("feature map image %v too small", b)
		}

		// The same from an image file, and after the second convolution.
		digit := filepath.Join(dir, "digit.png")
		writeTestPNG(t, digit)
		stdout, stderr, code = runCLI(t, "inspect", "--load", model, "--image", digit, "--layer", "conv2d_1", "--out", maps)
		if code != 0 {
			t.Fatalf("--image: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "conv2d_1: 7 feature maps 5x5") || !strings.Contains(stdout, digit+": predicted ") {
			t.Errorf("stdout: %q", stdout)
		}
		readPNG(t, maps)
	})

	t.Run("inspect errors", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"--sample", "0", "--layer", "dense"}, "not feature maps; pick a convolution or pooling layer"},
			{[]string{"--sample", "0", "--layer", "nosuch"}, `no layer "nosuch"; layers: 0 conv2d, 1 conv2d_1`},
			{[]string{}, "give --image FILE or --sample N"},
			{[]string{"--sample", "100000"}, "past the test split"},
			{[]string{"--sample", "0", "--cmap", "jet"}, "--cmap is viridis or gray"},
		}
		for _, tt := range tests {
			args := append([]string{"inspect", "--load", model, "--out", filepath.Join(dir, "x.png")}, tt.args...)
			_, stderr, code := runCLI(t, args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
			}
		}
		if _, stderr, code := runCLI(t, "inspect", "--sample", "0"); code == 0 || !strings.Contains(stderr, "--load is required") {
			t.Errorf("without --load: %q", stderr)
		}
	})
}

var confusionRowRE = regexp.MustCompile(`^\d\s+((?:\s*\d+)+)$`)

// parseConfusion sums the matrix evaluate prints and its diagonal.
func parseConfusion(t *testing.T, out string) (total, diag int) {
	t.Helper()
	if !strings.Contains(out, "rows are true classes, columns predicted") {
		t.Fatalf("no confusion matrix in:\n%s", out)
	}
	row := 0
	for _, line := range strings.Split(out, "\n") {
		m := confusionRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for j, f := range strings.Fields(m[1]) {
			v, _ := strconv.Atoi(f)
			total += v
			if j == row {
				diag += v
			}
		}
		row++
	}
	if row != 10 {
		t.Fatalf("%d matrix rows, want 10:\n%s", row, out)
	}
	return total, diag
}

func countExact(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == c {
				n++
			}
		}
	}
	return n
}
