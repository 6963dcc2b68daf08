package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func runEvaluate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("evaluate", stdout)
	load := fs.String("load", "", "the saved model (required): gokeras's, or Keras's .keras or .h5")
	modelFlag := fs.String("model", "", "the architecture (a preset or a model JSON) for a --load file of Keras weights only (.weights.h5)")
	dsFlag := fs.String("dataset", "", "data set (default: the one the model was trained on)")
	dataDir := fs.String("data-dir", "", "folder with downloaded data set files")
	seed := fs.Uint64("seed", 1, "seed of the 80/20 split for sets without a test split (use the training seed)")
	batch := countVar(fs, "batch-size", 32, "batch size")
	confusion := fs.String("confusion", "", "print the confusion matrix and draw it to this PNG file")
	ttaFlag := fs.String("tta", "none", "also report the test accuracy with test-time augmentation: flip or flip-shift (a gokeras extension)")
	pixels := pixelRangeVar(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *load == "" {
		return fmt.Errorf("--load is required: the model file written by 'gokeras train --save'")
	}
	tta, err := train.ParseTTA(*ttaFlag)
	if err != nil {
		return err
	}
	m, err := loadModel("evaluate", *load, *modelFlag, flagSet(fs, "model"), stderr)
	if err != nil {
		return err
	}
	name := *dsFlag
	if name == "" {
		name = m.DatasetName
	}
	if name == "" {
		return fmt.Errorf("the model does not record its data set; give --dataset")
	}
	if *pixels, err = pixelsFor(fs, *pixels, m); err != nil {
		return err
	}
	opts := dataset.Options{DataDir: *dataDir, Seed: *seed, Progress: stderr, Uint8: true, PixelRange: *pixels}
	imagesFor(m, &opts) // a folder of images, as train reads it
	_, test, err := dataset.Load(name, opts)
	if err != nil {
		return err
	}
	if cols, err := columnInputs(m, name, test); err != nil {
		return err
	} else if cols[0] != nil {
		// Table columns by input name, as train gives them.
		if tta != gokeras.TTANone || *confusion != "" {
			return fmt.Errorf("--tta and --confusion are for classifiers of one input; model %s takes table columns", *load)
		}
		logs, err := m.EvaluateMulti(cols[0], gokeras.List{test.Y}, gokeras.EvaluateOptions{BatchSize: *batch})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, formatTestLogs(logs))
		return nil
	}
	x, y := kerasData("evaluate", m, inputs(test), test.Y, stderr)
	if err := checkFits(m, *load, name, x); err != nil {
		return err
	}
	logs, err := m.Evaluate(x, y, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, formatTestLogs(logs))
	if err := printTTA(stdout, m, test, *batch, tta); err != nil {
		return err
	}
	if *confusion != "" {
		return writeConfusion(stdout, *confusion, m, x, test.Y, test.Classes)
	}
	return nil
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", stdout)
	load := fs.String("load", "", "the saved model (required)")
	top := countVar(fs, "top", 3, "how many classes to show per input, at least 1")
	pixels := pixelRangeVar(fs)
	labels := labelsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *load == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: gokeras predict --load MODEL FILE...; FILE is a PNG/JPEG image or a CSV of feature rows (with a header naming the model's columns when it was trained on a table; other columns are ignored)")
	}
	m, err := gokeras.Load(*load)
	if err != nil {
		return err
	}
	if err := applyLabels(m, *labels); err != nil {
		return err
	}
	if *pixels, err = pixelsFor(fs, *pixels, m); err != nil {
		return err
	}
	r := inputReader{in: m.Net().InputShape(), features: m.Features, notes: stderr, cmd: "predict", top: pixelTop(*pixels)}
	names := m.InputNames()
	if len(names) > 1 {
		// Several inputs, each a column named after it (as train feeds a
		// table to such a model): read those columns, then split them.
		r.in, r.features = tensor.Shape{len(names)}, names
	}
	for _, path := range fs.Args() {
		x, labels, err := r.read(path)
		if err != nil {
			return err
		}
		var out *tensor.Tensor
		if len(names) > 1 {
			named, err := gokeras.TableInputs(m, names, x)
			if err != nil {
				return err
			}
			outs, err := m.PredictMulti(named, 0)
			if err != nil {
				return err
			}
			out = outs[0]
		} else if out, err = m.Predict(x, 0); err != nil {
			return err
		}
		cols := out.Shape[len(out.Shape)-1]
		for i, label := range labels {
			row := out.Data[i*cols : (i+1)*cols]
			fmt.Fprintf(stdout, "%s: %s\n", label, describeOutput(row, m.Classes, *top))
		}
	}
	return nil
}

// describeOutput shows the top classes with probabilities, or the values
// of a regression output.
func describeOutput(row []float32, classes []string, top int) string {
	if len(row) == 1 || classes == nil {
		parts := make([]string, len(row))
		for i, v := range row {
			parts[i] = strconv.FormatFloat(float64(v), 'g', 6, 32)
		}
		return strings.Join(parts, " ")
	}
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
	var parts []string
	for _, i := range idx[:min(top, len(idx))] {
		name := strconv.Itoa(i)
		if i < len(classes) {
			name = classes[i]
		}
		parts = append(parts, fmt.Sprintf("%s %.4f", name, row[i]))
	}
	return strings.Join(parts, ", ")
}

// inputReader reads the files predict (and inspect) run a model on: images
// resized to the model's input, or CSV rows of features.
type inputReader struct {
	in       tensor.Shape // the model's input shape, one sample
	features []string     // the model's column names, nil if unknown
	notes    io.Writer    // where notes about resizing and ignored columns go
	cmd      string       // the command, for the notes: "predict"
	top      float64      // what a white pixel reads as: 1 (also for 0) or 255 (--pixel-range)
	resized  bool         // the resize note was written
	gray     bool         // the note on reading images for an (H, W) model was written
}

// read reads one image, resized to the model's input and scaled to
// [0, 1] (or [0, 255], r.top), or every row of a CSV file of features.
func (r *inputReader) read(path string) (*tensor.Tensor, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	in := r.in
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return r.readCSV(f, path)
	}
	gray2D := len(in) == 2 // a model on (H, W) images, as Keras MLPs on MNIST take them
	if len(in) != 3 && !gray2D {
		return nil, nil, fmt.Errorf("%s: the model takes inputs of shape %v, not images; give a CSV of feature rows", path, in)
	}
	if gray2D {
		in = tensor.Shape{in[0], in[1], 1}
		if !r.gray {
			fmt.Fprintf(r.notes, "gokeras %s: the model takes inputs of shape %v: reading images as grayscale %dx%d, one value a pixel\n", r.cmd, r.in, in[1], in[0])
			r.gray = true
		}
	}
	// Through dataset's pixel limit: a small file can declare a huge image.
	img, _, err := dataset.DecodeImage(f)
	if err != nil {
		var big *dataset.ImageTooLargeError
		if errors.As(err, &big) {
			return nil, nil, fmt.Errorf("%s: %w", path, big)
		}
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without dataset's "decoding image" context
		}
		return nil, nil, fmt.Errorf("%s: not a PNG, JPEG or GIF image: %w", path, err)
	}
	if b := img.Bounds(); (b.Dx() != in[1] || b.Dy() != in[0]) && !r.resized {
		// Once per run: a folder of photos would otherwise print a line each.
		fmt.Fprintf(r.notes, "gokeras %s: resizing %s from %dx%d to the model's %dx%d input (a box filter that does not keep the aspect ratio); other images of another size are resized the same way\n",
			r.cmd, path, b.Dx(), b.Dy(), in[1], in[0])
		r.resized = true
	}
	x := tensor.New(1, in[0], in[1], in[2])
	imageToTensorRange(img, in[0], in[1], in[2], max(r.top, 1), x.Data)
	if gray2D {
		x.Shape = tensor.Shape{1, in[0], in[1]}
	}
	return x, []string{path}, nil
}

// readCSV reads every row of a CSV file of features. A model that knows
// its column names (Sequential.Features) takes them from the header by
// name, in any order, and ignores other columns; one that does not takes
// them by position.
func (r *inputReader) readCSV(f io.Reader, path string) (*tensor.Tensor, []string, error) {
	in := r.in
	if len(in) != 1 {
		return nil, nil, fmt.Errorf("%s: the model takes images of shape %v; give a PNG or JPEG file", path, in)
	}
	if r.features != nil && len(r.features) != in[0] {
		return nil, nil, fmt.Errorf("the model file names %d feature columns but the model takes %d inputs; the file is inconsistent", len(r.features), in[0])
	}
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	var recs [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, line)
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("%s is empty; give a header and rows of %d numbers", path, in[0])
	}
	// cols[j] is the CSV column of the model's feature j; names[j] is
	// how errors call it.
	cols := make([]int, in[0])
	names := make([]string, in[0])
	header := recs[0]
	hasHeader := !allNumbers(header)
	if r.features != nil {
		if !hasHeader {
			return nil, nil, fmt.Errorf("%s has no header line; the model matches columns by name, so give a first line naming them: %s", path, strings.Join(r.features, ","))
		}
		at := map[string]int{}
		for i, h := range header {
			h = strings.TrimSpace(h)
			if _, dup := at[h]; dup && slices.Contains(r.features, h) {
				return nil, nil, fmt.Errorf("%s: column %s appears twice in the header", path, h)
			}
			at[h] = i
		}
		var missing []string
		for j, name := range r.features {
			i, ok := at[name]
			if !ok {
				missing = append(missing, name)
			}
			cols[j], names[j] = i, name
		}
		if len(missing) == len(r.features) {
			return nil, nil, fmt.Errorf("%s: the header (%s) names none of the model's columns: %s",
				path, strings.Join(header, ", "), strings.Join(r.features, ", "))
		}
		if missing != nil {
			return nil, nil, fmt.Errorf("%s lacks the model's columns %s (the model was trained on %s)",
				path, strings.Join(missing, ", "), strings.Join(r.features, ", "))
		}
		var extra []string
		for _, h := range header {
			if !slices.Contains(r.features, strings.TrimSpace(h)) {
				extra = append(extra, h)
			}
		}
		if extra != nil {
			fmt.Fprintf(r.notes, "gokeras %s: %s: ignoring columns the model was not trained on: %s\n", r.cmd, path, strings.Join(extra, ", "))
		}
	} else {
		for j := range cols {
			cols[j], names[j] = j, strconv.Itoa(j+1)
		}
		if hasHeader && len(header) != in[0] {
			fmt.Fprintf(r.notes, "gokeras %s: %s: the header names %d columns but the model takes %d; each row's values are taken by position, since the model file does not record the column names it was trained on\n",
				r.cmd, path, len(header), in[0])
		}
	}
	// By name, every row has the header's fields; by position, the
	// model's inputs.
	width := in[0]
	if r.features != nil {
		width = len(header)
	}
	rows := recs
	if hasHeader {
		rows, lines = recs[1:], lines[1:]
	}
	data := make([]float32, 0, len(rows)*in[0])
	labels := make([]string, 0, len(rows))
	for k, rec := range rows {
		if len(rec) != width {
			if r.features != nil {
				return nil, nil, fmt.Errorf("%s line %d: %d fields, the header has %d", path, lines[k], len(rec), width)
			}
			return nil, nil, fmt.Errorf("%s line %d: %d values, the model takes %d features", path, lines[k], len(rec), in[0])
		}
		for j, c := range cols {
			v, err := parseFeature(rec[c])
			if err != nil {
				return nil, nil, fmt.Errorf("%s line %d column %s: %w", path, lines[k], names[j], err)
			}
			data = append(data, v)
		}
		labels = append(labels, fmt.Sprintf("%s:%d", path, lines[k]))
	}
	if len(labels) == 0 {
		return nil, nil, fmt.Errorf("%s: no rows of %d numbers", path, in[0])
	}
	x, err := tensor.FromSlice(data, len(labels), in[0])
	return x, labels, err
}

// parseFeature reads one CSV value as a finite float32: the model cannot
// predict anything meaningful from NaN or infinity (and ReLU would hide
// them), so they are errors, as in scikit-learn's "Input contains NaN".
func parseFeature(s string) (float32, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is not a number", s)
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%q is not a finite number (float32 holds magnitudes up to 3.4e38); the model cannot predict from NaN or infinity", s)
	}
	return float32(v), nil
}

// allNumbers reports whether every field of rec parses as a number (a data
// row rather than a header).
func allNumbers(rec []string) bool {
	for _, s := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}
