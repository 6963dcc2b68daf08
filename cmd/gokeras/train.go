package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// modelSource resolves --model: a preset name or a model JSON file.
// isModelPath tells a model file from a preset name: a path, or a name
// with a model file's extension.
func isModelPath(spec string) bool {
	switch strings.ToLower(filepath.Ext(spec)) {
	case ".json", ".keras", ".h5", ".hdf5", ".gkm", ".safetensors":
		return true
	}
	return strings.ContainsRune(spec, os.PathSeparator)
}

type modelSource struct {
	model   *gokeras.Sequential
	name    string
	dataset string // the preset's data set, "" for files without one
	fit     gokeras.FitConfig
}

func loadModelSource(spec string) (*modelSource, error) {
	if isModelPath(spec) {
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, fmt.Errorf("reading model file: %w", err)
		}
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' && t[0] != '[' {
			// Not JSON: a saved model (Keras's .keras or .h5, or
			// gokeras's own), architecture, compile config and weights;
			// training (each sweep trial) starts from its weights.
			m, err := gokeras.Load(spec)
			if err != nil {
				return nil, fmt.Errorf("--model %s is neither a model JSON file nor a saved model: %w", spec, err)
			}
			return &modelSource{model: m, name: spec, dataset: m.DatasetName}, nil
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
// A model with several inputs takes columns (columnInputs checks them).
func checkFits(m *gokeras.Sequential, modelName, dsName string, x gokeras.Inputs) error {
	want := m.Net().DeclaredInputShape()
	if want == nil || len(m.InputNames()) > 1 {
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
	epochs := countVar(fs, "epochs", 0, "epochs to train (default: the preset's)")
	batch := countVar(fs, "batch-size", 0, "batch size (default: the preset's, else 32)")
	stepsPerEpoch := fs.Int("steps-per-epoch", 0, "end each epoch after N batches, as Keras's steps_per_epoch; the next epoch continues in the same shuffled order (default: the whole training set)")
	valSplit := fs.Float64("validation-split", 0, "fraction of the training data (its last part) held out for validation")
	seed := fs.Uint64("seed", 1, "seed for weights, shuffling and dropout")
	save := fs.String("save", "", "save the trained model to this file")
	load := fs.String("load", "", "resume training a model saved with --save")
	histFile := fs.String("history", "", "write the training history as JSON to this file")
	checkpoint := fs.String("checkpoint", "", "save the model after every epoch to this file (resume with --load); {epoch:02d}-style fields allowed")
	lrSchedule := fs.String("lr-schedule", "", "learning-rate schedule, e.g. cosine:lr=0.01,warmup=500 or step:lr=0.1,every=5000 (see optim.ScheduleSyntax); saved with the model")
	labelSmoothing := fs.Float64("label-smoothing", 0, "label smoothing of the cross-entropy loss, in [0, 1], e.g. 0.1 (default: the model file's, else 0)")
	csvLog := fs.String("csv-log", "", "append each epoch's loss and metrics to this CSV file (Keras's CSVLogger)")
	backupDir := fs.String("backup-dir", "", "back up the training state to this directory after every epoch; run the same command again after a crash or Ctrl-C to resume from the last finished epoch (Keras's BackupAndRestore); deleted when training finishes")
	tensorBoard := fs.String("tensorboard", "", "write TensorBoard event files to this directory (train/ and validation/ runs, Keras's TensorBoard callback)")
	reduceLR := fs.String("reduce-lr-on-plateau", "", `reduce the learning rate when a quantity stops improving (Keras's ReduceLROnPlateau): "on" for Keras's defaults (monitor=val_loss,factor=0.1,patience=10), or key=value pairs, e.g. "monitor=loss,factor=0.5,patience=3"`)
	remote := fs.String("remote-monitor", "", `POST each epoch's logs to this URL, e.g. http://localhost:9000/publish/epoch/end/ (Keras's RemoteMonitor: a form field "data" holding the JSON object; an unreachable server does not stop training)`)
	remoteJSON := fs.Bool("remote-monitor-json", false, "with --remote-monitor, send the JSON object as the request body (Keras's send_as_json=True)")
	plotFile := fs.String("plot", "", "draw the training curves (loss and each metric per epoch) to this PNG file")
	verbose := fs.Int("verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	var classWeight classWeightValue
	fs.Var(&classWeight, "class-weight", `weigh each training sample by its class, as Keras's class_weight: "balanced" (every class weighs as much in total: n/(classes·count)) or a JSON object, e.g. '{"0": 1, "1": 5}' (classes not named weigh 1)`)
	mixup := fs.Float64("mixup", 0, "blend each training batch with a shuffled copy of itself, images and labels alike, by λ ~ Beta(ALPHA, ALPHA) (Keras's MixUp; its default ALPHA is 0.2); give it again when resuming with --load (without --mixup or --cutmix, a model file's fit_config mix applies)")
	cutmix := fs.String("cutmix", "", `paste into each training image a box of another image of the batch, the labels mixed by area (Keras's CutMix): FACTOR or LO,HI in [0, 1] (its default is 1.0); give it again when resuming with --load`)
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
	// Every file train writes is checked before a data set is loaded or
	// an epoch trained.
	outs := trainOutputs{save: *save, history: *histFile, plot: *plotFile}
	if err := checkOutputs(output{"save", *save}, output{"checkpoint", *checkpoint},
		output{"history", *histFile}, output{"plot", *plotFile}, output{"csv-log", *csvLog}); err != nil {
		return err
	}
	var src *modelSource
	if *load != "" {
		m, err := gokeras.Load(*load)
		if errors.Is(err, gokeras.ErrNotKerasModel) && flagSet(fs, "model") {
			// Keras weights alone: --model gives the architecture.
			m, err = loadModel("train", *load, *modelFlag, true, stderr)
		} else if err == nil {
			for _, n := range m.LoadNotes() {
				fmt.Fprintf(stderr, "gokeras train: %s\n", n)
			}
		}
		if err != nil {
			return err
		}
		src = &modelSource{model: m, name: *load, dataset: m.DatasetName}
		if flagSet(fs, "model") {
			// --model names what --load holds: it must agree, and then
			// its suggested fit settings apply.
			named, err := loadModelSource(*modelFlag)
			if err != nil {
				return err
			}
			if err := sameArchitecture(m, named.model); err != nil {
				return fmt.Errorf("--model %s does not match the model in --load %s: %v; drop --model to resume the saved model, or --load to train a new one", *modelFlag, *load, err)
			}
			src.fit = named.fit
			if src.dataset == "" {
				src.dataset = named.dataset
			}
		}
	} else {
		if src, err = loadModelSource(*modelFlag); err != nil {
			return err
		}
		src.model.Seed = *seed
	}
	m := src.model
	o := gokeras.FitOptions{
		Epochs:          firstPositive(*epochs, src.fit.Epochs, 1),
		BatchSize:       firstPositive(*batch, src.fit.BatchSize, 32),
		ValidationSplit: *valSplit,
		StepsPerEpoch:   *stepsPerEpoch,
		Verbose:         verb,
		Out:             stdout,
	}
	if done := m.Epoch(); o.Epochs <= done {
		// Epochs counts the total, as Keras's fit(initial_epoch=...)
		// resumes: nothing would be trained.
		given := fmt.Sprintf("--epochs %d is", o.Epochs)
		if !flagSet(fs, "epochs") {
			given = fmt.Sprintf("without --epochs, %d is", o.Epochs)
		}
		return fmt.Errorf("the model in %s has trained %s and %s the total to reach, so there is nothing to train; give --epochs %d or more (or use 'gokeras evaluate' to test it)", *load, plural(done, "epoch"), given, done+1)
	}
	if *load != "" {
		// Fine-tuning reads images in the range the model was trained on.
		if *data.pixels, err = pixelsFor(fs, *data.pixels, m); err != nil {
			return err
		}
	}
	dsName, trainSet, testSet, err := data.load(src, *seed, stderr)
	if err != nil {
		return err
	}
	x := inputs(trainSet)
	// A model with several inputs takes a table's columns by name (Keras's
	// fit on dict(dataframe)).
	colSets, err := columnInputs(m, dsName, trainSet, testSet)
	if err != nil {
		return err
	}
	cols, testCols := colSets[0], colSets[1]
	if cols != nil && tta != gokeras.TTANone {
		return fmt.Errorf("--tta is for image classifiers; model %s takes table columns", src.name)
	}
	m.DatasetName = dsName
	recordPixels(m, *data.pixels)
	if m.Classes == nil {
		m.Classes = trainSet.Classes
	}
	if m.Features == nil {
		m.Features = tableFeatures(dsName, trainSet)
	}
	if *load == "" {
		if cols != nil {
			if err := m.Build(); err != nil {
				return err
			}
			if err := m.AdaptMulti(cols); err != nil {
				return err
			}
		} else {
			if err := m.Build(x.RowShape()...); err != nil {
				return err
			}
			if err := m.Adapt(x); err != nil {
				return err
			}
		}
	}
	if err := checkClasses(m, src.name, dsName, trainSet.Classes); err != nil {
		return err
	}
	if *checkpoint != "" {
		o.Callbacks = append(o.Callbacks, &gokeras.ModelCheckpoint{Model: m, Filepath: *checkpoint})
	}
	if *lrSchedule != "" {
		sched, err := optim.ParseSchedule(*lrSchedule)
		if err != nil {
			return err
		}
		// On the optimizer rather than as a callback, so that --save keeps
		// it and --load resumes it.
		if m.Optimizer() == nil {
			return fmt.Errorf("--lr-schedule: the model has no optimizer; give it a compile_config")
		}
		m.Optimizer().SetSchedule(sched)
	}
	if flagSet(fs, "label-smoothing") {
		if err := m.SetLabelSmoothing(*labelSmoothing); err != nil {
			return err
		}
	}
	if *csvLog != "" {
		o.Callbacks = append(o.Callbacks, &train.CSVLogger{Filename: *csvLog, Append: *load != ""})
	}
	if *reduceLR != "" {
		p, err := parseReduceLR(*reduceLR)
		if err != nil {
			return err
		}
		o.Callbacks = append(o.Callbacks, p)
	}
	if *tensorBoard != "" {
		// Keras's write_graph: the model's JSON for the graph dashboard.
		js, err := m.ToJSON()
		if err != nil {
			return err
		}
		o.Callbacks = append(o.Callbacks, &train.TensorBoard{LogDir: *tensorBoard, ModelJSON: js})
	}
	if *backupDir != "" {
		o.Callbacks = append(o.Callbacks, &gokeras.BackupAndRestore{BackupDir: *backupDir})
	}
	if *remote != "" {
		rm, err := remoteMonitor(*remote, *remoteJSON)
		if err != nil {
			return err
		}
		o.Callbacks = append(o.Callbacks, rm)
	}
	if o.ValidationSplit == 0 {
		o.ValidationSplit = src.fit.ValidationSplit
	}
	if o.ClassWeight, err = classWeight.forLabels(trainSet.Y); err != nil {
		return err
	}
	if o.Mix, err = mixer(fs, *mixup, *cutmix); err != nil {
		return err
	}
	if o.Mix == nil {
		o.Mix = src.fit.Mix // the model file's recipe, unless a flag says otherwise
	}
	if classWeight.balanced && verb != train.Silent {
		fmt.Fprintf(stdout, "class_weight (balanced): %s\n", formatClassWeight(o.ClassWeight))
	}
	// What saving would refuse in the model itself (gokeras extensions
	// in a .keras file), before the first epoch.
	for _, o := range []output{{"save", *save}, {"checkpoint", *checkpoint}} {
		if o.path == "" {
			continue
		}
		if err := m.CheckSave(o.path); err != nil {
			return fmt.Errorf("--%s %s: %s; nothing was trained", o.flag, o.path, strings.TrimPrefix(err.Error(), "gokeras: save "+o.path+": "))
		}
	}
	ctx, stop := signalContext(commandContext())
	defer stop()
	fitY, testY := trainSet.Y, testSet.Y
	if *load != "" {
		// A Keras model compiled with categorical_crossentropy trains on
		// one-hot labels (kerasload.go).
		n := &onceNotes{w: stderr, cmd: "train"}
		fitY, testY = oneHotLabels(m, fitY, n), oneHotLabels(m, testY, n)
	}
	var hist *gokeras.History
	var fitErr error
	if cols != nil {
		hist, fitErr = m.FitMultiContext(ctx, cols, gokeras.List{fitY}, o)
	} else {
		hist, fitErr = m.FitContext(ctx, x, fitY, o)
	}
	// A signal during the last epoch's end, or after it, counts too: the
	// outputs are written and the test evaluation skipped.
	interrupted := ctx.Err() != nil
	if fitErr != nil && !interrupted {
		return fitErr
	}
	finished := 0
	if hist != nil {
		finished = hist.Len()
	}
	if interrupted && finished == 0 {
		// Nothing trained is worth replacing a file from an earlier run.
		return fmt.Errorf("%w before the first epoch finished; nothing was written", interruption(ctx))
	}
	outErr := outs.write(stdout, m, hist)
	if interrupted {
		msg := fmt.Sprintf("after %s; the model and history above keep them", plural(finished, "finished epoch"))
		if outErr != nil {
			msg = fmt.Sprintf("after %s; %s", plural(finished, "finished epoch"), errorText(outErr))
		}
		return fmt.Errorf("%w %s", interruption(ctx), msg)
	}
	if outErr != nil {
		return outErr
	}
	var logs gokeras.Logs
	if cols != nil {
		logs, err = m.EvaluateMulti(testCols, gokeras.List{testY}, gokeras.EvaluateOptions{BatchSize: o.BatchSize})
	} else {
		logs, err = m.Evaluate(inputs(testSet), testY, o.BatchSize)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, formatTestLogs(logs))
	return printTTA(stdout, m, testSet, o.BatchSize, tta)
}

// checkClasses says what to do when a built model's output cannot hold
// the data's classes: one unit per class, or one sigmoid unit for two
// classes. A single class is an error too: there is nothing to learn.
// Sets without classes (regression) pass.
func checkClasses(m *gokeras.Sequential, modelName, dsName string, classes []string) error {
	if classes == nil {
		return nil
	}
	list := strings.Join(classes, ", ")
	if len(classes) > 12 {
		list = strings.Join(classes[:12], ", ") + ", ..."
	}
	if len(classes) == 1 {
		return fmt.Errorf("%s has one class (%s); a classifier needs at least two classes to tell apart (one sub-folder per class)", dsName, list)
	}
	out := m.Net().OutputShape()
	if len(out) != 1 {
		return nil
	}
	units := out[0]
	if units == len(classes) || (units == 1 && len(classes) == 2) {
		return nil
	}
	return fmt.Errorf("%s has %d classes (%s) but model %s has %d outputs; give a model whose last layer has %d units (or 1 sigmoid unit for two classes)", dsName, len(classes), list, modelName, units, len(classes))
}

// sameArchitecture says how b differs from a, layer by layer (class and
// config, as to_json writes them), or returns nil when they are the same
// model. Weights, the optimizer and its state are not compared.
func sameArchitecture(a, b *gokeras.Sequential) error {
	la, err := a.LayerInfos()
	if err != nil {
		return err
	}
	lb, err := b.LayerInfos()
	if err != nil {
		return err
	}
	if in, want := a.Net().InputShape(), b.Net().DeclaredInputShape(); want != nil && in != nil && !in.Equal(want) {
		return fmt.Errorf("it takes inputs of shape %v, the saved model %v", want, in)
	}
	for i := range min(len(la), len(lb)) {
		if la[i].Class != lb[i].Class {
			return fmt.Errorf("layer %d is %s (%s), the saved model's is %s (%s)", i, lb[i].Name, lb[i].Class, la[i].Name, la[i].Class)
		}
		ca, _ := json.Marshal(la[i].Config)
		cb, _ := json.Marshal(lb[i].Config)
		if !bytes.Equal(ca, cb) {
			return fmt.Errorf("layer %d (%s) is configured %s, the saved model's %s", i, lb[i].Class, cb, ca)
		}
	}
	if len(la) != len(lb) {
		return fmt.Errorf("it has %d layers, the saved model %d", len(lb), len(la))
	}
	return nil
}

// columnInputs gives a model with several inputs the columns of a table
// named after them (gokeras.TableInputs), one Arrays per set; a model with
// one input gets nils (it takes the rows whole).
func columnInputs(m *gokeras.Sequential, dsName string, sets ...*dataset.Set) ([]gokeras.Arrays, error) {
	out := make([]gokeras.Arrays, len(sets))
	if len(m.InputNames()) < 2 {
		return out, nil
	}
	feats := tableFeatures(dsName, sets[0])
	if feats == nil {
		return nil, fmt.Errorf("the model has %d inputs (%s); the command line gives several inputs the columns of a table named after them, and %s is not a table with named columns", len(m.InputNames()), strings.Join(m.InputNames(), ", "), dsName)
	}
	for i, s := range sets {
		named, err := gokeras.TableInputs(m, feats, s.X)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dsName, err)
		}
		out[i] = named
	}
	return out, nil
}

// tableFeatures names the feature columns of an embedded table (iris,
// boston_housing, ...) in the order its rows hold them, or returns nil
// for images and sets without column names.
func tableFeatures(name string, s *dataset.Set) []string {
	if s.X == nil || len(s.X.Shape) != 2 {
		return nil
	}
	raw, err := dataset.RawCSV(name)
	if err != nil {
		return nil
	}
	header, err := csv.NewReader(bytes.NewReader(raw)).Read()
	// The last column is the target.
	if err != nil || len(header)-1 != s.X.Shape[1] {
		return nil
	}
	return header[:len(header)-1]
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
	pixels                     *dataset.PixelRange
}

func addDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{
		dataset:  fs.String("dataset", "", "data set name (default: the preset's)"),
		dataDir:  fs.String("data-dir", "", "folder with downloaded data set files (default: ~/.keras/datasets)"),
		imageDir: fs.String("image-dir", "", "train on a folder of images: train/ and test/ with class sub-folders (or class sub-folders, split 80/20), kept as uint8 and resized to the model's input"),
		pixels:   pixelRangeVar(fs),
	}
}

// load loads the training and test splits src's model trains on: the
// --image-dir folder read at the model's input size, else --dataset,
// else src's data set. Image sets stay uint8 pixels. name is the data
// set's name or the folder, as a saved model records it.
func (d dataFlags) load(src *modelSource, seed uint64, progress io.Writer) (name string, train, test *dataset.Set, err error) {
	opts := dataset.Options{DataDir: *d.dataDir, Seed: seed, Progress: progress, Uint8: true, PixelRange: *d.pixels}
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
	// Samples with the model's number of values in another shape are
	// reshaped, as a Keras user would (kerasload.go).
	reshapeSets(src.model, &onceNotes{w: progress, cmd: "train"}, train, test)
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

// plural is "1 epoch", "2 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
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
	plotPath := fs.String("plot", "", "also draw the model's graph into this PNG file (a box per layer call: name, class, output shape)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var m *gokeras.Sequential
	if *load != "" {
		var err error
		if m, err = loadModel("summary", *load, *modelFlag, flagSet(fs, "model"), stderr); err != nil {
			return err
		}
	} else {
		src, err := loadModelSource(*modelFlag)
		if err != nil {
			return err
		}
		m = src.model
	}
	if err := m.Summary(stdout); err != nil {
		return err
	}
	if *plotPath != "" {
		return writeModelPlot(m, *plotPath)
	}
	return nil
}

// mixer returns the label-mixing augmentation --mixup or --cutmix asks
// for, or nil.
func mixer(fs *flag.FlagSet, alpha float64, cutmix string) (train.Mixer, error) {
	switch {
	case flagSet(fs, "mixup") && flagSet(fs, "cutmix"):
		return nil, fmt.Errorf("--mixup and --cutmix cannot both be given; choose one")
	case flagSet(fs, "mixup"):
		if !(alpha > 0) || math.IsInf(alpha, 1) {
			return nil, fmt.Errorf("--mixup %v: give a positive alpha, e.g. 0.2 (Keras's default)", alpha)
		}
		return &train.MixUp{Alpha: alpha}, nil
	case flagSet(fs, "cutmix"):
		var f []float64
		for _, part := range strings.Split(cutmix, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil {
				return nil, fmt.Errorf("--cutmix %q: give a factor in [0, 1] or a range LO,HI, e.g. 1.0 (Keras's default)", cutmix)
			}
			f = append(f, v)
		}
		c := &train.CutMix{Factor: f}
		if err := c.Check(tensor.Shape{1, 1, 1}); err != nil {
			return nil, fmt.Errorf("--cutmix %q: %s", cutmix, strings.TrimPrefix(err.Error(), "train: "))
		}
		return c, nil
	}
	return nil, nil
}
