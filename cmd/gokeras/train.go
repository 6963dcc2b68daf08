package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/train"
)

var errInterrupted = errors.New("interrupted")

// modelSource resolves --model: a preset name or a model JSON file.
type modelSource struct {
	model   *gokeras.Sequential
	name    string
	dataset string // the preset's data set, "" for files without one
	fit     gokeras.FitConfig
}

func loadModelSource(spec string) (*modelSource, error) {
	if strings.HasSuffix(spec, ".json") || strings.ContainsRune(spec, os.PathSeparator) {
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, fmt.Errorf("reading model file: %w", err)
		}
		ms, err := gokeras.ParseModelJSON(data)
		if err != nil {
			return nil, err
		}
		if ms.Compile == nil {
			// Keras's note compiles every model the same way.
			if err := ms.Model.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
				return nil, err
			}
		}
		src := &modelSource{model: ms.Model, name: spec}
		if ms.Fit != nil {
			src.fit = *ms.Fit
		}
		return src, nil
	}
	p, err := gokeras.LookupPreset(spec)
	if err != nil {
		return nil, fmt.Errorf("%v (or give a model file ending in .json)", err)
	}
	m, err := p.Model()
	if err != nil {
		return nil, err
	}
	return &modelSource{model: m, name: p.Name, dataset: p.Dataset, fit: p.Fit}, nil
}

// checkFits says what to do when the data's samples do not match the model.
func checkFits(m *gokeras.Sequential, modelName, dsName string, x gokeras.Inputs) error {
	want := m.Net().DeclaredInputShape()
	if want == nil {
		return nil
	}
	got := x.RowShape()
	if !got.Equal(want) {
		return fmt.Errorf("model %s takes inputs of shape %v but data set %s has %v; pick a matching --model or --dataset (see 'gokeras presets')", modelName, want, dsName, got)
	}
	return nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stdout)
	modelFlag := fs.String("model", "digits-cnn", "a preset name (see 'gokeras presets') or a Keras-style model JSON file")
	data := addDataFlags(fs)
	epochs := fs.Int("epochs", 0, "epochs to train (default: the preset's)")
	batch := fs.Int("batch-size", 0, "batch size (default: the preset's, else 32)")
	stepsPerEpoch := fs.Int("steps-per-epoch", 0, "end each epoch after N batches, as Keras's steps_per_epoch; the next epoch continues in the same shuffled order (default: the whole training set)")
	valSplit := fs.Float64("validation-split", 0, "fraction of the training data (its last part) held out for validation")
	seed := fs.Uint64("seed", 1, "seed for weights, shuffling and dropout")
	save := fs.String("save", "", "save the trained model to this file")
	load := fs.String("load", "", "resume training a model saved with --save")
	histFile := fs.String("history", "", "write the training history as JSON to this file")
	checkpoint := fs.String("checkpoint", "", "save the model after every epoch to this file (resume with --load); {epoch:02d}-style fields allowed")
	lrSchedule := fs.String("lr-schedule", "", "learning-rate schedule, e.g. cosine:lr=0.01,warmup=500 or step:lr=0.1,every=5000 (see train.ScheduleSyntax); saved with the model")
	labelSmoothing := fs.Float64("label-smoothing", 0, "label smoothing of the cross-entropy loss, in [0, 1], e.g. 0.1 (default: the model file's, else 0)")
	csvLog := fs.String("csv-log", "", "append each epoch's loss and metrics to this CSV file (Keras's CSVLogger)")
	plotFile := fs.String("plot", "", "draw the training curves (loss and each metric per epoch) to this PNG file")
	verbose := fs.Int("verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	ttaFlag := fs.String("tta", "none", "also report the test accuracy with test-time augmentation: flip (each image and its mirror) or flip-shift (also shifted a pixel both ways); a gokeras extension")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; train takes only flags", fs.Arg(0))
	}
	verb, err := train.ParseVerbosity(*verbose)
	if err != nil {
		return err
	}
	tta, err := train.ParseTTA(*ttaFlag)
	if err != nil {
		return err
	}
	if *stepsPerEpoch < 0 {
		return fmt.Errorf("--steps-per-epoch %d must be positive (or 0 for the whole training set)", *stepsPerEpoch)
	}
	var src *modelSource
	if *load != "" {
		m, err := gokeras.Load(*load)
		if err != nil {
			return err
		}
		src = &modelSource{model: m, name: *load, dataset: m.DatasetName}
	} else {
		if src, err = loadModelSource(*modelFlag); err != nil {
			return err
		}
		src.model.Seed = *seed
	}
	m := src.model
	dsName, trainSet, testSet, err := data.load(src, *seed, stderr)
	if err != nil {
		return err
	}
	x := inputs(trainSet)
	m.DatasetName = dsName
	if m.Classes == nil {
		m.Classes = trainSet.Classes
	}
	if *load == "" {
		if err := m.Build(x.RowShape()...); err != nil {
			return err
		}
		if err := m.Adapt(x); err != nil {
			return err
		}
	}
	o := gokeras.FitOptions{
		Epochs:          firstPositive(*epochs, src.fit.Epochs, 1),
		BatchSize:       firstPositive(*batch, src.fit.BatchSize, 32),
		ValidationSplit: *valSplit,
		StepsPerEpoch:   *stepsPerEpoch,
		Verbose:         verb,
		Out:             stdout,
	}
	if *checkpoint != "" {
		o.Callbacks = append(o.Callbacks, &gokeras.ModelCheckpoint{Model: m, Filepath: *checkpoint})
	}
	if *lrSchedule != "" {
		sched, err := train.ParseSchedule(*lrSchedule)
		if err != nil {
			return err
		}
		// On the model rather than as a callback, so that --save keeps it
		// and --load resumes it.
		m.SetLRSchedule(sched)
	}
	if flagSet(fs, "label-smoothing") {
		if err := m.SetLabelSmoothing(*labelSmoothing); err != nil {
			return err
		}
	}
	if *csvLog != "" {
		o.Callbacks = append(o.Callbacks, &train.CSVLogger{Filename: *csvLog, Append: *load != ""})
	}
	if o.ValidationSplit == 0 {
		o.ValidationSplit = src.fit.ValidationSplit
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	hist, fitErr := m.FitContext(ctx, x, trainSet.Y, o)
	interrupted := fitErr != nil && ctx.Err() != nil
	if fitErr != nil && !interrupted {
		return fitErr
	}
	if *histFile != "" && hist != nil {
		if err := hist.WriteJSON(*histFile); err != nil {
			return err
		}
	}
	if *plotFile != "" && hist != nil && hist.Len() > 0 {
		if err := writeHistoryPlot(stdout, *plotFile, hist); err != nil {
			return err
		}
	}
	if *save != "" {
		if err := m.Save(*save); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "saved %s (epoch %d)\n", *save, m.Epoch())
	}
	if interrupted {
		return fmt.Errorf("%w after %d finished epochs; the history and model above keep them", errInterrupted, hist.Len())
	}
	logs, err := m.Evaluate(inputs(testSet), testSet.Y, o.BatchSize)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, formatTestLogs(logs))
	return printTTA(stdout, m, testSet, o.BatchSize, tta)
}

// printTTA prints the test loss and metrics with test-time augmentation t,
// unless t is none.
func printTTA(stdout io.Writer, m *gokeras.Sequential, test *dataset.Set, batch int, t gokeras.TTA) error {
	if t == gokeras.TTANone {
		return nil
	}
	start := time.Now()
	logs, err := m.EvaluateTTA(inputs(test), test.Y, batch, t)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "with test-time augmentation %s (%.1fs): %s\n", t, time.Since(start).Seconds(), formatTestLogs(logs))
	return nil
}

// dataFlags choose the data a command trains on: a named data set or a
// folder of images. train and sweep share them, so that both read the
// same flags the same way.
type dataFlags struct {
	dataset, dataDir, imageDir *string
}

func addDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{
		dataset:  fs.String("dataset", "", "data set name (default: the preset's)"),
		dataDir:  fs.String("data-dir", "", "folder with downloaded data set files (default: ~/.keras/datasets)"),
		imageDir: fs.String("image-dir", "", "train on a folder of images: train/ and test/ with class sub-folders (or class sub-folders, split 80/20), kept as uint8 and resized to the model's input"),
	}
}

// load loads the training and test splits src's model trains on: the
// --image-dir folder read at the model's input size, else --dataset,
// else src's data set. Image sets stay uint8 pixels. name is the data
// set's name or the folder, as a saved model records it.
func (d dataFlags) load(src *modelSource, seed uint64, progress io.Writer) (name string, train, test *dataset.Set, err error) {
	opts := dataset.Options{DataDir: *d.dataDir, Seed: seed, Progress: progress, Uint8: true}
	switch {
	case *d.imageDir != "" && *d.dataset != "":
		return "", nil, nil, fmt.Errorf("give --dataset or --image-dir, not both")
	case *d.imageDir != "":
		if fi, err := os.Stat(*d.imageDir); err != nil || !fi.IsDir() {
			return "", nil, nil, fmt.Errorf("--image-dir %s is not a folder; give one with train/ and test/ folders of class sub-folders", *d.imageDir)
		}
		// One spelling per folder ("dir/" is "dir"), and never a data
		// set's name: a folder called mnist is ./mnist.
		name = filepath.Clean(*d.imageDir)
		if !strings.ContainsRune(name, filepath.Separator) {
			name = "." + string(filepath.Separator) + name
		}
		imagesFor(src.model, &opts)
	case *d.dataset != "":
		name = *d.dataset
	default:
		name = src.dataset
	}
	if name == "" {
		return "", nil, nil, fmt.Errorf("the model file names no data set; give --dataset (see 'gokeras datasets list') or --image-dir")
	}
	if train, test, err = dataset.Load(name, opts); err != nil {
		return "", nil, nil, err
	}
	if err := checkFits(src.model, src.name, name, inputs(train)); err != nil {
		return "", nil, nil, err
	}
	return name, train, test, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// imagesFor sets opts so that a folder of images loads at the size and in
// the colour mode the model takes (named sets ignore both).
func imagesFor(m *gokeras.Sequential, opts *dataset.Options) {
	if in := m.Net().DeclaredInputShape(); len(in) == 3 {
		opts.ImageSize = [2]int{in[0], in[1]}
		if in[2] == 1 {
			opts.ColorMode = dataset.ColorGrayscale
		}
	}
}

// inputs is what training reads of s: image pixels kept as uint8 (loaded
// with dataset.Options.Uint8, a quarter of float32's memory) or float32 X.
func inputs(s *dataset.Set) gokeras.Inputs {
	if s.Pixels != nil {
		return s.Pixels
	}
	return s.X
}

func firstPositive(vs ...int) int {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

// formatTestLogs prints "test_loss: 0.1234 - test_accuracy: 0.9600".
func formatTestLogs(l gokeras.Logs) string {
	keys := l.Keys()
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("test_%s: %.4f", k, l[k])
	}
	return strings.Join(parts, " - ")
}

func listPresets(w io.Writer) error {
	names := gokeras.PresetNames()
	sort.Strings(names)
	for _, n := range names {
		p, _ := gokeras.LookupPreset(n)
		fmt.Fprintf(w, "%-13s %-15s epochs %-3d batch %-4d %s\n", n, p.Dataset, p.Fit.Epochs, p.Fit.BatchSize, p.Description)
	}
	return nil
}

func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", stdout)
	modelFlag := fs.String("model", "digits-cnn", "a preset name or a model JSON file")
	load := fs.String("load", "", "a saved model instead of --model")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var m *gokeras.Sequential
	if *load != "" {
		var err error
		if m, err = gokeras.Load(*load); err != nil {
			return err
		}
	} else {
		src, err := loadModelSource(*modelFlag)
		if err != nil {
			return err
		}
		m = src.model
	}
	return m.Summary(stdout)
}
