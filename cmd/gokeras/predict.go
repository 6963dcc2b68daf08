package main

import (
	"encoding/csv"
	"fmt"
	"image"
	_ "image/jpeg" // register decoders for predict's input files
	_ "image/png"
	"io"
	"os"
	"path/filepath"
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
	load := fs.String("load", "", "the saved model (required)")
	dsFlag := fs.String("dataset", "", "data set (default: the one the model was trained on)")
	dataDir := fs.String("data-dir", "", "folder with downloaded data set files")
	seed := fs.Uint64("seed", 1, "seed of the 80/20 split for sets without a test split (use the training seed)")
	batch := fs.Int("batch-size", 32, "batch size")
	confusion := fs.String("confusion", "", "print the confusion matrix and draw it to this PNG file")
	ttaFlag := fs.String("tta", "none", "also report the test accuracy with test-time augmentation: flip or flip-shift (a gokeras extension)")
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
	m, err := gokeras.Load(*load)
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
	opts := dataset.Options{DataDir: *dataDir, Seed: *seed, Progress: stderr, Uint8: true}
	imagesFor(m, &opts) // a folder of images, as train reads it
	_, test, err := dataset.Load(name, opts)
	if err != nil {
		return err
	}
	x := inputs(test)
	if err := checkFits(m, *load, name, x); err != nil {
		return err
	}
	logs, err := m.Evaluate(x, test.Y, *batch)
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
	top := fs.Int("top", 3, "how many classes to show per input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *load == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: gokeras predict --load MODEL FILE...; FILE is a PNG/JPEG image or a CSV of feature rows")
	}
	m, err := gokeras.Load(*load)
	if err != nil {
		return err
	}
	in := m.Net().InputShape()
	for _, path := range fs.Args() {
		x, labels, err := readInputs(path, in)
		if err != nil {
			return err
		}
		out, err := m.Predict(x, 0)
		if err != nil {
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

// readInputs reads one image, resized to the model's input and scaled to
// [0, 1], or every row of a CSV file of features.
func readInputs(path string, in tensor.Shape) (*tensor.Tensor, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return readCSVRows(f, path, in)
	}
	if len(in) != 3 {
		return nil, nil, fmt.Errorf("%s: the model takes inputs of shape %v, not images; give a CSV of feature rows", path, in)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a PNG or JPEG image: %w", path, err)
	}
	x := tensor.New(1, in[0], in[1], in[2])
	imageToTensor(img, in[0], in[1], in[2], x.Data)
	return x, []string{path}, nil
}

func readCSVRows(r io.Reader, path string, in tensor.Shape) (*tensor.Tensor, []string, error) {
	if len(in) != 1 {
		return nil, nil, fmt.Errorf("%s: the model takes images of shape %v; give a PNG or JPEG file", path, in)
	}
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var data []float32
	var labels []string
	for i, rec := range recs {
		if len(rec) != in[0] {
			if i == 0 {
				continue // a header line
			}
			return nil, nil, fmt.Errorf("%s line %d: %d values, the model takes %d features", path, i+1, len(rec), in[0])
		}
		row := make([]float32, len(rec))
		ok := true
		for j, s := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil {
				if i == 0 {
					ok = false
					break
				}
				return nil, nil, fmt.Errorf("%s line %d column %d: %q is not a number", path, i+1, j+1, s)
			}
			row[j] = float32(v)
		}
		if !ok {
			continue
		}
		data = append(data, row...)
		labels = append(labels, fmt.Sprintf("%s:%d", path, i+1))
	}
	if len(labels) == 0 {
		return nil, nil, fmt.Errorf("%s: no rows of %d numbers", path, in[0])
	}
	x, err := tensor.FromSlice(data, len(labels), in[0])
	return x, labels, err
}
