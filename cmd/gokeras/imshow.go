package main

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/plot"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func init() {
	register(command{"imshow", "draw a data set's images as a captioned grid (PNG)", runImshow})
}

func runImshow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("imshow", stdout)
	dsFlag := fs.String("dataset", "digits", "data set name, or a folder of images")
	dataDir := fs.String("data-dir", "", "folder with downloaded data set files (default: ~/.keras/datasets)")
	seed := fs.Uint64("seed", 1, "seed of the 80/20 split for sets without a test split")
	n := countVar(fs, "n", 25, "how many images to draw")
	start := fs.Int("start", 0, "index of the first image")
	split := fs.String("split", "train", "which part to draw: train or test")
	out := fs.String("out", "", "PNG file to write (default: named after the data set, e.g. digits.png)")
	cols := countVar(fs, "cols", 0, "images per row (default: a square grid)")
	scale := countVar(fs, "scale", 0, "pixels per source pixel (default: images at least 80 pixels tall)")
	load := fs.String("load", "", "a saved model: caption each image \"true / predicted\", wrong predictions in red")
	wrongOnly := fs.Bool("wrong", false, "with --load: draw only images the model gets wrong")
	preview := fs.String("preview", "auto", "print the images in the terminal: auto (when stdout is a terminal), always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; imshow takes only flags", fs.Arg(0))
	}
	if *start < 0 {
		return fmt.Errorf("--start %d must not be negative", *start)
	}
	if *split != "train" && *split != "test" {
		return fmt.Errorf("--split is train or test, not %q", *split)
	}
	if *preview != "auto" && *preview != "always" && *preview != "never" {
		return fmt.Errorf("--preview is auto, always or never, not %q", *preview)
	}
	if *wrongOnly && *load == "" {
		return fmt.Errorf("--wrong needs --load MODEL to know which predictions are wrong")
	}
	trainSet, testSet, err := dataset.Load(*dsFlag, dataset.Options{DataDir: *dataDir, Seed: *seed, Progress: stderr})
	if err != nil {
		return err
	}
	set := trainSet
	if *split == "test" {
		set = testSet
	}
	if len(set.X.Shape) != 4 {
		return fmt.Errorf("data set %s holds rows of %v features, not images; imshow draws image sets (digits, mnist, fashion_mnist, cifar10, cifar100 or a folder of images)", *dsFlag, set.X.Shape[1:])
	}
	total := set.X.Shape[0]
	if *start >= total {
		return fmt.Errorf("--start %d is past the %s split's %d images", *start, *split, total)
	}
	yTrue := labelsOf(set.Y)
	// idx are the images to draw, in order.
	var idx []int
	var captions []string
	var wrong []bool
	if *load == "" {
		for i := *start; i < min(*start+*n, total); i++ {
			idx = append(idx, i)
			captions = append(captions, className(set.Classes, yTrue[i]))
		}
	} else {
		m, err := gokeras.Load(*load)
		if err != nil {
			return err
		}
		if err := checkFits(m, *load, *dsFlag, set.X); err != nil {
			return err
		}
		// With --wrong every image from --start on is a candidate; without,
		// only the ones drawn.
		cand := sampleRange(set.X, *start, min(*start+*n, total))
		first := *start
		if *wrongOnly {
			cand = sampleRange(set.X, *start, total)
		}
		pred, err := predictClasses(m, cand)
		if err != nil {
			return err
		}
		for j, p := range pred {
			i := first + j
			bad := p != yTrue[i]
			if *wrongOnly && !bad {
				continue
			}
			idx = append(idx, i)
			captions = append(captions, className(set.Classes, yTrue[i])+" / "+className(set.Classes, p))
			wrong = append(wrong, bad)
			if len(idx) == *n {
				break
			}
		}
		if len(idx) == 0 {
			fmt.Fprintf(stdout, "the model gets all %d images from %d on right; nothing to draw\n", len(pred), first)
			return nil
		}
	}
	if err := checkGridSize(len(idx), set.X.Shape[1], set.X.Shape[2], *cols, *scale); err != nil {
		return err
	}
	x := gather(set.X, idx)
	o := plot.GridOptions{Cols: *cols, Scale: *scale, Captions: captions, Wrong: wrong}
	img, err := plot.Grid(x, o)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = defaultImshowOut(*dsFlag, *split)
	}
	if err := plot.WritePNG(path, img); err != nil {
		return err
	}
	s := x.Shape
	fmt.Fprintf(stdout, "wrote %s: %d %s images %dx%dx%d from %d, %dx%d pixels\n", path, len(idx), *split, s[1], s[2], s[3], idx[0], img.Bounds().Dx(), img.Bounds().Dy())
	if *preview == "always" || (*preview == "auto" && isTerminal(stdout)) {
		return writePreview(stdout, x, o)
	}
	return nil
}

// maxGridPixels caps the grid imshow draws: PIL's Image.MAX_IMAGE_PIXELS
// (1024*1024*1024 // 4 // 3 = 89,478,485, a quarter GiB at 24 bits), above
// which PIL warns of a decompression bomb. At 4 bytes a pixel that is
// 341 MiB of canvas.
const maxGridPixels = 1024 * 1024 * 1024 / 4 / 3

// checkGridSize refuses --scale and --cols that would make the grid of n
// images of h×w pixels larger than maxGridPixels, before plot.Grid
// allocates it. The size counted is the images alone (no margins or
// captions), in float64 so that no product overflows.
func checkGridSize(n, h, w, cols, scale int) error {
	if cols <= 0 {
		cols = gridCols(n)
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	if scale <= 0 {
		scale = max(1, (80+h-1)/h) // plot.Grid's default
	}
	gw := float64(cols) * float64(w) * float64(scale)
	gh := float64(rows) * float64(h) * float64(scale)
	if gw*gh <= maxGridPixels {
		return nil
	}
	size := func(v float64) string {
		if v < 1e15 {
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return fmt.Errorf("--scale %d with %d images of %dx%d in %d columns makes a grid of at least %sx%s pixels, over the limit of %d pixels; lower --scale, --n or --cols",
		scale, n, w, h, cols, size(gw), size(gh), maxGridPixels)
}

// defaultImshowOut names the grid after the data set: digits.png for the
// training split, digits_test.png for the test split.
func defaultImshowOut(ds, split string) string {
	base := filepath.Base(filepath.Clean(ds))
	if split == "test" {
		base += "_test"
	}
	return base + ".png"
}

// writePreview prints the grid without captions in terminal colours,
// then the captions row by row.
func writePreview(w io.Writer, x *tensor.Tensor, o plot.GridOptions) error {
	captions := o.Captions
	o.Captions, o.Wrong = nil, nil
	if o.Scale == 0 {
		o.Scale = 1
		if x.Shape[1] < 16 {
			o.Scale = 2 // 8x8 digits are too few characters to read
		}
	}
	img, err := plot.Grid(x, o)
	if err != nil {
		return err
	}
	if err := plot.WriteANSI(w, img, terminalColumns()); err != nil {
		return err
	}
	cols := o.Cols
	if cols <= 0 {
		cols = gridCols(len(captions))
	}
	for r := 0; r*cols < len(captions); r++ {
		row := captions[r*cols : min((r+1)*cols, len(captions))]
		if _, err := fmt.Fprintf(w, "row %d: %s\n", r+1, strings.Join(row, ", ")); err != nil {
			return err
		}
	}
	return nil
}

// gridCols is plot.Grid's default number of columns, ceil(sqrt(n)).
func gridCols(n int) int {
	c := 1
	for c*c < n {
		c++
	}
	return c
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// terminalColumns is the terminal's width as the shell exports it in
// COLUMNS, else 100.
func terminalColumns() int {
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		return c
	}
	return 100
}

// labelsOf returns class indices from a label tensor of shape (N,) or (N, 1).
func labelsOf(y *tensor.Tensor) []int {
	out := make([]int, len(y.Data))
	for i, v := range y.Data {
		out[i] = int(v)
	}
	return out
}

func className(classes []string, i int) string {
	if i >= 0 && i < len(classes) {
		return classes[i]
	}
	return strconv.Itoa(i)
}

// sampleRange is a view of samples lo..hi-1 of x.
func sampleRange(x *tensor.Tensor, lo, hi int) *tensor.Tensor {
	per := x.Shape[1:].Size()
	s := append(tensor.Shape{hi - lo}, x.Shape[1:]...)
	return &tensor.Tensor{Shape: s, Data: x.Data[lo*per : hi*per]}
}

// gather copies samples idx of x into a new batch.
func gather(x *tensor.Tensor, idx []int) *tensor.Tensor {
	per := x.Shape[1:].Size()
	s := append(tensor.Shape{len(idx)}, x.Shape[1:]...)
	out := tensor.New(s...)
	for j, i := range idx {
		copy(out.Data[j*per:(j+1)*per], x.Data[i*per:(i+1)*per])
	}
	return out
}

// predictClasses returns the model's most probable class per sample.
func predictClasses(m *gokeras.Sequential, x gokeras.Inputs) ([]int, error) {
	out, err := m.Predict(x, 0)
	if err != nil {
		return nil, err
	}
	k := out.Shape[len(out.Shape)-1]
	if k < 2 {
		return nil, fmt.Errorf("the model has %d output, not class probabilities; this needs a classifier", k)
	}
	pred := make([]int, out.Shape[0])
	for i := range pred {
		row := out.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		pred[i] = best
	}
	return pred, nil
}

// writeFigure saves img and says where.
func writeFigure(stdout io.Writer, path, what string, img image.Image) error {
	if err := plot.WritePNG(path, img); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "wrote %s: %s, %dx%d pixels\n", path, what, b.Dx(), b.Dy())
	return nil
}

// writeHistoryPlot draws the training curves of h (train --plot).
func writeHistoryPlot(stdout io.Writer, path string, h *train.History) error {
	if h == nil || h.Len() == 0 {
		return fmt.Errorf("no finished epoch to plot in %s", path)
	}
	epochs := make([]int, len(h.Epoch))
	for i, e := range h.Epoch {
		epochs[i] = e + 1 // History counts from 0, Keras's progress from 1
	}
	img, err := plot.TrainingCurves(epochs, h.History)
	if err != nil {
		return err
	}
	return writeFigure(stdout, path, fmt.Sprintf("training curves over %d epochs", h.Len()), img)
}

// writeConfusion prints the confusion matrix of m on (x, y) and, if path
// is set, draws it (evaluate --confusion).
func writeConfusion(stdout io.Writer, path string, m *gokeras.Sequential, x gokeras.Inputs, y *tensor.Tensor, classes []string) error {
	pred, err := predictClasses(m, x)
	if err != nil {
		return err
	}
	cm, err := plot.NewConfusion(classes, labelsOf(y), pred)
	if err != nil {
		return err
	}
	if err := cm.WriteText(stdout); err != nil {
		return err
	}
	return writeFigure(stdout, path, "confusion matrix", cm.Image())
}
