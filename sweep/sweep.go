// Package sweep runs hyperparameter searches over a Keras-style model:
// every point of a grid, a random sample of it, successive halving,
// which stops the weak configurations early, or an explicit list of
// points (Trials). Each finished trial is
// appended to a results CSV file at once, so a sweep that is interrupted
// resumes where it stopped when run again: trials whose rows are there
// are not trained again.
//
// A hyperparameter is a layer's config field, named by the layer's Keras
// name and the config key ("dropout_1.rate", "conv2d.filters"; a bare
// layer name sets its main field, see Describe), or a fit
// setting (see FitSettings). Layers are named as Keras auto-names them:
// the first Dropout is "dropout", the second "dropout_1".
//
//	s := &sweep.Sweep{
//		Model: func() (*gokeras.Sequential, error) { p, _ := gokeras.LookupPreset("digits-cnn"); return p.Model() },
//		X: train.X, Y: train.Y,
//		Grid:    grid, // sweep.ParseGrid("dense.units=16,32 batch_size=32,64")
//		Epochs:  10,
//		Results: "digits-sweep.csv",
//	}
//	report, err := s.Run(ctx)
//	report.WriteTable(os.Stdout)
//
// Shard splits the trial list between processes that run the same
// sweep, on the machines of a batch scheduler (a Kubernetes Indexed Job,
// a Slurm job array), and MergeFiles combines their results files into
// the ranking one run would print; see docs/distributed.md.
//
// It sits above the root package and train: it builds models with
// gokeras and trains them with FitContext.
package sweep

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// FitSettings are the hyperparameters that are not layer fields, with
// what each takes. "lr" is accepted for learning_rate.
var FitSettings = map[string]string{
	"epochs":           "epochs to train, a whole number (not with halving, which sets it)",
	"batch_size":       "batch size, a whole number",
	"learning_rate":    "the optimizer's learning rate (replaces a model file's schedule)",
	"lr_schedule":      "a learning-rate schedule as optim.ParseSchedule reads it, e.g. \"cosine:lr=0.01,warmup=100\"",
	"label_smoothing":  "label smoothing of the cross-entropy loss, in [0, 1]",
	"optimizer":        "the optimizer by name: adam, sgd, rmsprop, adagrad, adamw (compiled with its defaults)",
	"validation_split": "the fraction of the training data held out for validation",
	"seed":             "the seed of weights, shuffling and dropout; several seeds repeat a configuration",
}

var aliases = map[string]string{"lr": "learning_rate"}

// Trial is one training run of a sweep.
type Trial struct {
	Point  Point  // the configuration, names resolved ("dropout.rate")
	Key    string // Point.Key()
	Rung   int    // the round of successive halving; 0 otherwise
	Epochs int    // the epochs the model has trained when the trial ends
	// Index is the trial's position in its rung's deterministic list
	// (the grid's order, the sample's, or the previous rung's ranking),
	// counting from 0: the shard it belongs to is Index mod Shard.Count.
	Index int
	// Prev is the configuration's result at the previous rung, which
	// this trial continues (successive halving), or nil.
	Prev *Result
	// ResumeFrom is the model saved at the end of Prev, if any; SaveTo
	// is where to save this trial's model for the next rung ("" for the
	// last rung). The default trainer uses them; a Runner may ignore them.
	ResumeFrom, SaveTo string
}

// Result is a finished trial, one row of the results file.
type Result struct {
	Key    string
	Setup  string // what the trial depended on besides the point (see Sweep.Setup)
	Point  Point
	Rung   int
	Epochs int
	// Trial is the trial's Index, written (the trial column) only by a
	// sharded sweep or a single rung (Sweep.Shard, Sweep.Rung) so that
	// Merge can restore the order of a whole run; -1 when not known.
	Trial int
	// Score is the objective at the trial's best epoch, LastScore at its
	// last epoch; BestEpoch counts from 1. ValLoss is the validation
	// loss at the best epoch.
	Score, LastScore float64
	BestEpoch        int
	ValLoss          float64
	// TestScore and TestLoss are the test-set values of the objective's
	// metric and the loss after training, NaN when no test set was given.
	TestScore, TestLoss float64
	Params              int     // the model's weight count
	Seconds             float64 // training time, earlier rungs included
	Status              string  // StatusOK or StatusDiverged
	Finished            time.Time
}

// Result statuses.
const (
	StatusOK = "ok"
	// StatusDiverged marks a trial whose loss stopped being finite; its
	// scores are NaN and it ranks last.
	StatusDiverged = "diverged"
)

// Sweep describes a search. The zero value of each option is its default.
type Sweep struct {
	// Model returns a new compiled model each time it is called: the
	// preset or model file every trial starts from. Required.
	Model func() (*gokeras.Sequential, error)
	// X and Y are the training data (X a float32 tensor or uint8 pixels,
	// see gokeras.Inputs). Every trial holds out their last
	// ValidationSplit for validation (as Keras's validation_split) and
	// is scored on it.
	X gokeras.Inputs
	Y *tensor.Tensor
	// TestX and TestY, when set, are evaluated after each trial (the
	// test_ columns); they choose between trials only with RankByTest.
	TestX gokeras.Inputs
	TestY *tensor.Tensor
	// Columns names X's (and TestX's) columns when they are a table: a
	// model with several inputs is then fed the column named after each
	// (gokeras.TableInputs), as Keras's fit(dict(dataframe)).
	Columns []string
	// RankByTest trains every trial on all of X and Y, with no validation
	// split (ValidationSplit must be 0), and ranks the trials by the test
	// set (TestX and TestY, required) after their last epoch: how a
	// paper that reports test accuracy compares its settings. Objective
	// is then a test metric, "test_accuracy" by default. The test set
	// picks the winner, so the winner's test score is an optimistic
	// estimate of how it does on new data.
	RankByTest bool

	Grid []Param
	// Trials, set instead of Grid, lists the configurations to run, in
	// order (ParseTrials): points that are not a grid's combinations,
	// such as a paper's settings. Every point sets the same names. Not
	// with Random or Halving.
	Trials []Point
	// Random, when positive, samples that many distinct points of the
	// grid (Sample) instead of running all of them.
	Random int
	// Seed draws the random sample and seeds every model (weights,
	// shuffling, dropout) unless "seed" is swept. 0 means 1.
	Seed uint64
	// Halving runs successive halving (Rungs) with reduction factor Eta
	// (0 means 3): Epochs is then the most a configuration trains.
	Halving bool
	Eta     int

	// Epochs, BatchSize and ValidationSplit are the fit settings of a
	// trial that does not sweep them. Defaults: 1, 32 and 0.1 (0 with
	// RankByTest).
	Epochs          int
	BatchSize       int
	ValidationSplit float64
	// Objective is the validation metric that ranks trials, a History
	// key such as "val_accuracy" or "val_loss"; with RankByTest a test
	// metric, "test_accuracy" or "test_loss". Default: val_ (test_) and
	// the model's first accuracy metric, else val_loss (test_loss).
	// Metrics named *accuracy, *auc, *precision or *recall are
	// maximised, others minimised.
	Objective string

	// Budget, when positive, stops starting trials once the time spent
	// plus the trial's estimated time (seconds per epoch so far) would
	// exceed it; the trials left are listed in Report.Skipped.
	Budget time.Duration

	// Results is the CSV file finished trials are appended to and read
	// back from when the sweep is run again (its folder is created if
	// needed); "" keeps nothing.
	Results string
	// Setup names what the results depend on besides the swept values,
	// such as "model=digits-cnn dataset=digits"; rows written with
	// another setup are not reused. Run adds the fit settings that are
	// not swept.
	Setup string
	// CheckpointDir holds, during successive halving, the models of the
	// configurations that continue to the next rung, so that a resumed
	// sweep continues them too. "" uses a temporary folder removed when
	// Run returns.
	CheckpointDir string

	// Shard, when Count is above 0, runs only the trials of the list
	// whose Index mod Count is Shard.Index (see Shard); the results file
	// then has a trial column, and each shard should have its own file
	// (ShardResultsPath), combined afterwards by Merge. With Halving,
	// Rung must be set: a sharded successive halving runs rung by rung.
	Shard Shard
	// Rung, when above 0, runs only that round of successive halving
	// (1 is the first), as one step of a sharded sweep. Rungs after the
	// first read the results of the earlier ones from From, the merged
	// results files of those rungs' shards, and continue the promoted
	// configurations from their models in CheckpointDir, which must
	// then be a folder every shard reaches (a configuration whose model
	// is not there trains again from scratch for the rung's epochs).
	Rung int
	From string

	// Log receives one line per trial (started, finished, reused); nil
	// prints nothing. FitOut, when set, receives each trial's training
	// progress at FitVerbose.
	Log        io.Writer
	FitOut     io.Writer
	FitVerbose train.Verbosity

	// Runner, when set, runs a trial instead of TrainTrial: tests use it
	// to count or fake trials.
	Runner func(ctx context.Context, s *Sweep, t Trial) (Result, error)

	params   []string // resolved parameter names, grid order
	grid     []Param  // Grid (or the values of Trials) with resolved names
	trials   []Point  // Trials with resolved names
	maximize bool
	setup    string
}

// Report is what a sweep found.
type Report struct {
	Objective string
	Maximize  bool
	Params    []string // the swept parameters, resolved names in grid order
	Halving   bool
	// RankedByTest says that trials trained on all the training data and
	// Objective is a test metric (Sweep.RankByTest).
	RankedByTest bool
	// Results holds every finished trial of the sweep, those run now
	// and those read back from the results file, in the order the sweep
	// visits them.
	Results []Result
	Ran     int     // trials trained by this Run
	Reused  int     // trials found in the results file
	Skipped []Trial // trials not started because of the budget
}

// Resolve checks the grid against the model and returns it with every
// name in canonical form: fit settings by their full name, layer fields
// as "layer.field". Unknown names are errors that list the layers, their
// fields and the fit settings.
func Resolve(grid []Param, m *gokeras.Sequential) ([]Param, error) {
	infos, err := m.LayerInfos()
	if err != nil {
		return nil, err
	}
	out := make([]Param, len(grid))
	seen := map[string]string{}
	for i, p := range grid {
		name, err := resolveName(p.Name, infos)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("sweep: %s and %s both set %s; give it once", prev, p.Name, name)
		}
		seen[name] = p.Name
		out[i] = Param{Name: name, Values: p.Values}
	}
	return out, nil
}

func resolveName(name string, infos []gokeras.LayerInfo) (string, error) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	if _, ok := FitSettings[name]; ok {
		return name, nil
	}
	layer, field, _ := strings.Cut(name, ".")
	if !strings.Contains(name, ".") && !slices.ContainsFunc(infos, func(li gokeras.LayerInfo) bool { return li.Name == layer }) {
		return "", fmt.Errorf("sweep: %q is neither a fit setting (%s) nor a layer; the model has no layer named %q (Keras names the first layer of a class without a number: dropout, dropout_1, dropout_2, ...); its layers and their fields are:%s",
			name, strings.Join(fitSettingNames(), ", "), name, describeLayers(infos))
	}
	ls, err := resolveLayerSetting(infos, layer, field, nil)
	if err != nil {
		return "", err
	}
	return ls.Layer + "." + ls.Field, nil
}

func fitSettingNames() []string {
	names := make([]string, 0, len(FitSettings))
	for n := range FitSettings {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe lists what a sweep over m can vary: the fit settings and every
// layer's fields, for help texts.
func Describe(m *gokeras.Sequential) (string, error) {
	infos, err := m.LayerInfos()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("fit settings:\n")
	for _, n := range fitSettingNames() {
		fmt.Fprintf(&b, "  %-17s %s\n", n, FitSettings[n])
	}
	b.WriteString("layer fields (LAYER.FIELD; a bare LAYER sets the field marked *):")
	for _, li := range infos {
		fs := li.Fields()
		for i, f := range fs {
			if f == mainField(li.Class) {
				fs[i] = f + "*"
			}
		}
		fmt.Fprintf(&b, "\n  %s (%s): %s", li.Name, li.Class, strings.Join(fs, ", "))
	}
	return b.String() + "\n", nil
}

// prepare checks the options and resolves the grid.
func (s *Sweep) prepare() error {
	if s.Model == nil {
		return fmt.Errorf("sweep: Model is not set; it builds the model every trial starts from")
	}
	if s.X == nil || s.Y == nil {
		return fmt.Errorf("sweep: no training data (X and Y)")
	}
	switch {
	case len(s.Grid) > 0 && len(s.Trials) > 0:
		return fmt.Errorf("sweep: both a grid and a list of trials are set; a grid combines values, a list gives each point: set one")
	case len(s.Trials) > 0 && s.Random > 0:
		return fmt.Errorf("sweep: a random sample draws from a grid; a list of trials runs every point it lists")
	case len(s.Trials) > 0 && s.Halving:
		return fmt.Errorf("sweep: successive halving needs a grid; a list of trials runs every point it lists for its own epochs")
	case len(s.Grid) == 0 && len(s.Trials) == 0:
		return fmt.Errorf("sweep: the grid is empty; the syntax is\n%s", GridSyntax)
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Eta == 0 {
		s.Eta = 3
	}
	switch {
	case s.Shard.Count < 0 || s.Shard.Count > 0 && (s.Shard.Index < 0 || s.Shard.Index >= s.Shard.Count):
		return fmt.Errorf("sweep: shard %s: the index must be 0 to the count less 1", s.Shard)
	case s.Rung < 0:
		return fmt.Errorf("sweep: rung %d: rungs count from 1", s.Rung)
	case s.Rung > 0 && !s.Halving:
		return fmt.Errorf("sweep: rung %d is a round of successive halving, but the sweep does not halve", s.Rung)
	case s.Halving && s.Shard.Count > 1 && s.Rung == 0:
		return fmt.Errorf("sweep: successive halving in %d shards runs one rung at a time, each rung's shards reading the merged results of the earlier rungs; set the rung (1 is the first)", s.Shard.Count)
	case s.Rung > 1 && s.From == "":
		return fmt.Errorf("sweep: rung %d continues the configurations rung %d promotes; give the merged results of the earlier rungs (From)", s.Rung, s.Rung-1)
	case s.Rung > 0 && s.CheckpointDir == "":
		return fmt.Errorf("sweep: rung %d alone needs a CheckpointDir every rung reaches, to pass the models on", s.Rung)
	}
	if s.Eta < 2 {
		return fmt.Errorf("sweep: eta %d must be at least 2 (3 keeps the best third each rung)", s.Eta)
	}
	if s.Epochs == 0 {
		s.Epochs = 1
	}
	if s.BatchSize == 0 {
		s.BatchSize = 32
	}
	if s.RankByTest {
		if s.ValidationSplit != 0 {
			return fmt.Errorf("sweep: validation split %v with RankByTest, which trains on all the data and ranks by the test set; set one", s.ValidationSplit)
		}
		if s.TestX == nil || s.TestY == nil {
			return fmt.Errorf("sweep: RankByTest ranks trials by the test set, but no test set (TestX and TestY) is given")
		}
	} else if s.ValidationSplit == 0 {
		s.ValidationSplit = 0.1
	}
	if s.Epochs < 0 || s.BatchSize < 0 || !(s.RankByTest || s.ValidationSplit > 0 && s.ValidationSplit < 1) || s.Random < 0 || s.Budget < 0 {
		return fmt.Errorf("sweep: epochs %d, batch size %d, random %d and budget %v must be positive and the validation split %v in (0, 1)",
			s.Epochs, s.BatchSize, s.Random, s.Budget, s.ValidationSplit)
	}
	base, err := s.Model()
	if err != nil {
		return err
	}
	if len(s.Trials) > 0 {
		if err := s.resolveTrials(base); err != nil {
			return err
		}
	} else if s.grid, err = Resolve(s.Grid, base); err != nil {
		return err
	}
	s.params = make([]string, len(s.grid))
	for i, p := range s.grid {
		s.params[i] = p.Name
	}
	if s.Halving && slices.Contains(s.params, "epochs") {
		return fmt.Errorf("sweep: successive halving sets the epochs of each rung itself; remove epochs from the grid and give the most epochs a configuration may train (--epochs)")
	}
	if slices.Contains(s.params, "learning_rate") && slices.Contains(s.params, "lr_schedule") {
		return fmt.Errorf("sweep: learning_rate and lr_schedule are both swept; a schedule sets the rate, so put the rates in the schedules (lr_schedule=\"cosine:lr=0.01\",\"cosine:lr=0.001\")")
	}
	if s.RankByTest && slices.Contains(s.params, "validation_split") {
		return fmt.Errorf("sweep: validation_split is swept, but RankByTest trains on all the data; remove it or rank on a validation split")
	}
	prefix := "val_"
	if s.RankByTest {
		prefix = "test_"
	}
	if s.Objective == "" {
		s.Objective = prefix + "loss"
		for _, mt := range base.Metrics() {
			if strings.Contains(mt.Name(), "accuracy") {
				s.Objective = prefix + mt.Name()
				break
			}
		}
	}
	switch {
	case s.RankByTest && !strings.HasPrefix(s.Objective, "test_"):
		return fmt.Errorf("sweep: objective %q is not a test metric; with no validation split trials are ranked on the test set, e.g. by test_accuracy or test_loss", s.Objective)
	case !s.RankByTest && !strings.HasPrefix(s.Objective, "val_"):
		return fmt.Errorf("sweep: objective %q is not a validation metric; trials are ranked on held-out data, e.g. val_accuracy or val_loss (ranking by the test set needs RankByTest and no validation split)", s.Objective)
	}
	s.maximize = maximized(s.Objective)
	var fixed []string
	for _, f := range []struct {
		name string
		val  string
	}{{"batch_size", strconv.Itoa(s.BatchSize)}, {"epochs", strconv.Itoa(s.Epochs)},
		{"seed", strconv.FormatUint(s.Seed, 10)}, {"validation_split", Canonical(fmt.Sprint(s.ValidationSplit))}} {
		if slices.Contains(s.params, f.name) || (f.name == "epochs" && s.Halving) {
			continue // a row's epochs column says how long it trained
		}
		fixed = append(fixed, f.name+"="+f.val)
	}
	s.setup = strings.TrimSpace(s.Setup + " " + strings.Join(fixed, " "))
	return nil
}

// resolveTrials resolves the names of every point of Trials against the
// model into s.trials, and their values into s.grid.
func (s *Sweep) resolveTrials(base *gokeras.Sequential) error {
	resolved := make([]Point, len(s.Trials))
	for i, p := range s.Trials {
		params := make([]Param, len(p))
		for j, st := range p {
			params[j] = Param{Name: st.Name, Values: []string{Canonical(st.Value)}}
		}
		rp, err := Resolve(params, base)
		if err != nil {
			return fmt.Errorf("sweep: trial %d (%s): %w", i+1, p, err)
		}
		resolved[i] = point(rp, 0)
	}
	var err error
	if s.trials, err = checkTrials(resolved); err != nil {
		return err
	}
	s.grid = trialParams(s.trials)
	return nil
}

func maximized(objective string) bool {
	for _, m := range []string{"accuracy", "auc", "precision", "recall"} {
		if strings.HasSuffix(objective, m) {
			return true
		}
	}
	return false
}

// points returns the configurations the sweep visits.
func (s *Sweep) points() []Point {
	if s.trials != nil {
		return s.trials
	}
	if s.Random > 0 {
		return Sample(s.grid, s.Random, s.Seed)
	}
	return Expand(s.grid)
}

// trialModel builds the model of a point and the fit options of its
// trial (without Epochs). It does not build the weights.
func (s *Sweep) trialModel(p Point) (*gokeras.Sequential, train.Options, error) {
	o := train.Options{BatchSize: s.BatchSize, ValidationSplit: s.ValidationSplit, Verbose: train.Silent, Out: io.Discard}
	if s.FitOut != nil {
		o.Verbose, o.Out = s.FitVerbose, s.FitOut
	}
	m, err := s.Model()
	if err != nil {
		return nil, o, err
	}
	m.Seed = s.Seed
	var layers []layerSetting
	for _, st := range p {
		if _, fit := FitSettings[st.Name]; fit {
			continue
		}
		layer, field, _ := strings.Cut(st.Name, ".")
		layers = append(layers, layerSetting{Layer: layer, Field: field, Value: jsonValue(st.Value)})
	}
	if len(layers) > 0 {
		if m, err = withLayerConfig(m, layers...); err != nil {
			return nil, o, fmt.Errorf("sweep: %s: %w", p, err)
		}
	}
	bad := func(st Setting, want string, err error) error {
		if err != nil {
			return fmt.Errorf("sweep: %s=%s: %w", st.Name, st.Value, err)
		}
		return fmt.Errorf("sweep: %s=%s: want %s", st.Name, st.Value, want)
	}
	// The optimizer first: compiling again resets the rest.
	if v, ok := p.Get("optimizer"); ok {
		opt, err := optim.Parse(strings.ToLower(v))
		if err != nil {
			return nil, o, bad(Setting{"optimizer", v}, "", err)
		}
		weighted := m.WeightedMetrics()
		if err := m.Compile(m.Loss(), opt, m.Metrics()...); err != nil {
			return nil, o, err
		}
		// Compile clears them, as Keras's compile does; the trial keeps
		// the base model's.
		if err := m.SetWeightedMetrics(weighted...); err != nil {
			return nil, o, err
		}
	}
	for _, st := range p {
		switch st.Name {
		case "epochs":
			// Trial.Epochs carries it.
		case "batch_size":
			n, err := strconv.Atoi(st.Value)
			if err != nil || n < 1 {
				return nil, o, bad(st, "a whole number of at least 1", nil)
			}
			o.BatchSize = n
		case "validation_split":
			f, err := strconv.ParseFloat(st.Value, 64)
			if err != nil || !(f > 0 && f < 1) {
				return nil, o, bad(st, "a fraction in (0, 1)", nil)
			}
			o.ValidationSplit = f
		case "seed":
			n, err := strconv.ParseUint(st.Value, 10, 64)
			if err != nil {
				return nil, o, bad(st, "a whole number", nil)
			}
			m.Seed = n
		case "learning_rate":
			f, err := strconv.ParseFloat(st.Value, 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return nil, o, bad(st, "a positive number", nil)
			}
			m.Optimizer().SetLearningRate(f) // replaces a schedule
		case "lr_schedule":
			sched, err := optim.ParseSchedule(st.Value)
			if err != nil {
				return nil, o, bad(st, "", err)
			}
			m.Optimizer().SetSchedule(sched)
		case "label_smoothing":
			f, err := strconv.ParseFloat(st.Value, 64)
			if err != nil {
				return nil, o, bad(st, "a number in [0, 1]", nil)
			}
			if err := m.SetLabelSmoothing(f); err != nil {
				return nil, o, bad(st, "", err)
			}
		}
	}
	return m, o, nil
}

// epochsOf returns the epochs a point trains for outside halving.
func (s *Sweep) epochsOf(p Point) (int, error) {
	v, ok := p.Get("epochs")
	if !ok {
		return s.Epochs, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("sweep: epochs=%s: want a whole number of at least 1", v)
	}
	return n, nil
}

// jsonValue reads a canonical value as the JSON value a layer config
// holds: numbers, true/false/null and lists as JSON, anything else as a
// string.
func jsonValue(v string) any {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	switch v {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
		var x any
		if err := jsonUnmarshal(v, &x); err == nil {
			return x
		}
	}
	return v
}

// TrainTrial is the default Runner: it builds the trial's model (or loads
// the model saved at the previous rung), trains it on the sweep's data
// with the validation split, and scores it.
func (s *Sweep) TrainTrial(ctx context.Context, t Trial) (Result, error) {
	return s.trainTrial(ctx, t, TrialOptions{})
}

// score fills the validation scores of r from the history of its epochs,
// and from prev when the trial continued prev's training.
func (s *Sweep) score(r *Result, h *train.History, prev *Result) error {
	vals, ok := h.History[s.Objective]
	if !ok || len(vals) == 0 {
		var keys []string
		for k := range h.History {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return fmt.Errorf("sweep: the training history has no %q; the objective must be one of %s", s.Objective, strings.Join(keys, ", "))
	}
	best := -1
	for i, v := range vals {
		if best < 0 || compareScores(v, vals[best], s.maximize) < 0 {
			best = i
		}
	}
	r.Score, r.LastScore, r.BestEpoch = vals[best], vals[len(vals)-1], h.Epoch[best]+1
	r.ValLoss = math.NaN()
	if vl := h.History["val_loss"]; len(vl) == len(vals) {
		r.ValLoss = vl[best]
	}
	if prev != nil && compareScores(prev.Score, r.Score, s.maximize) < 0 {
		r.Score, r.BestEpoch, r.ValLoss = prev.Score, prev.BestEpoch, prev.ValLoss
	}
	return nil
}

// Run runs the sweep. Trials found in the results file (same key, epochs
// and setup) are not run again. When ctx is cancelled the running trial
// stops without writing a row and Run returns the report so far with
// ctx's error; running the sweep again resumes it.
func (s *Sweep) Run(ctx context.Context) (*Report, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	rep := &Report{Objective: s.Objective, Maximize: s.maximize, Params: s.params, Halving: s.Halving, RankedByTest: s.RankByTest}
	points := s.points()
	// Every configuration must build before hours go into the first:
	// a bad value shows now, not when its turn comes.
	for _, p := range points {
		m, _, err := s.trialModel(p)
		if err != nil {
			return nil, err // it names the point
		}
		if err := s.build(m); err != nil {
			return nil, fmt.Errorf("sweep: %s: %w", p, err)
		}
		if _, err := s.epochsOf(p); err != nil {
			return nil, err
		}
	}
	rf := &resultsFile{path: s.Results, header: s.header(), objective: s.Objective, params: s.params, byTest: s.RankByTest}
	done := map[string]Result{}
	if s.Results != "" {
		// Now, not after the first trial's hours of training.
		if err := os.MkdirAll(filepath.Dir(s.Results), 0o755); err != nil {
			return nil, fmt.Errorf("sweep: results file: %w", err)
		}
		rows, other, err := rf.read(s.setup)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			done[doneKey(r.Key, r.Epochs)] = r
		}
		if other > 0 {
			s.logf("%s: %d rows were written with another setup than %q; they are kept but not reused\n", s.Results, other, s.setup)
		}
	}
	r := &runner{s: s, rep: rep, rf: rf, done: done, start: time.Now()}
	for _, res := range done {
		r.addEstimate(res)
	}
	if s.Halving {
		dir := s.CheckpointDir
		if dir == "" {
			tmp, err := os.MkdirTemp("", "gokeras-sweep-")
			if err != nil {
				return nil, fmt.Errorf("sweep: %w", err)
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		} else if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		if s.Rung > 0 {
			// Other shards may still read the folder: it is not removed.
			return rep, r.halvingRung(ctx, points, dir)
		}
		err := r.halving(ctx, points, dir)
		if err == nil && s.CheckpointDir != "" && len(rep.Skipped) == 0 {
			os.RemoveAll(s.CheckpointDir) // the sweep is complete; its rows are all it needs
		}
		return rep, err
	}
	return rep, r.grid(ctx, points)
}

func doneKey(key string, epochs int) string { return key + "\x00" + strconv.Itoa(epochs) }

// runner is one Run in progress.
type runner struct {
	s     *Sweep
	rep   *Report
	rf    *resultsFile
	done  map[string]Result
	start time.Time
	// secs and epochs sum the finished trials' training, for the budget.
	secs   float64
	epochs int
	n      int // trials visited, for the log
	total  int
}

func (r *runner) addEstimate(res Result) {
	if res.Status == StatusOK && res.Epochs > 0 {
		r.secs += res.Seconds
		r.epochs += res.Epochs
	}
}

func (s *Sweep) logf(format string, a ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, format, a...)
	}
}

func (r *runner) grid(ctx context.Context, points []Point) error {
	for k := range points {
		if r.s.Shard.Has(k) {
			r.total++
		}
	}
	for k, p := range points {
		if !r.s.Shard.Has(k) {
			continue
		}
		e, _ := r.s.epochsOf(p)
		t := Trial{Point: p, Key: p.Key(), Epochs: e, Index: k}
		if _, err := r.trial(ctx, t); err != nil {
			return err
		}
	}
	r.reportSkipped()
	return nil
}

// trial returns the trial's result, from the results file or by running
// it; ok is false when the budget skipped it.
func (r *runner) trial(ctx context.Context, t Trial) (res *Result, err error) {
	r.n++
	s := r.s
	if prev, ok := r.done[doneKey(t.Key, t.Epochs)]; ok {
		r.rep.Results = append(r.rep.Results, prev)
		r.rep.Reused++
		s.logf("[%d/%d] %s (%d epochs): done before, %s\n", r.n, r.total, t.Point, t.Epochs, r.scoreText(prev))
		return &prev, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Budget > 0 {
		est := time.Duration(0)
		if r.epochs > 0 {
			perEpoch := r.secs / float64(r.epochs)
			more := t.Epochs
			if t.Prev != nil && t.ResumeFrom != "" {
				more -= t.Prev.Epochs
			}
			est = time.Duration(perEpoch * float64(more) * float64(time.Second))
		}
		if time.Since(r.start)+est > s.Budget {
			r.rep.Skipped = append(r.rep.Skipped, t)
			s.logf("[%d/%d] %s (%d epochs): skipped, the budget of %v would run out (about %v needed)\n",
				r.n, r.total, t.Point, t.Epochs, s.Budget, est.Round(time.Second))
			return nil, nil
		}
	}
	s.logf("[%d/%d] %s (%d epochs): training\n", r.n, r.total, t.Point, t.Epochs)
	run := s.Runner
	if run == nil {
		run = func(ctx context.Context, s *Sweep, t Trial) (Result, error) { return s.TrainTrial(ctx, t) }
	}
	out, err := run(ctx, s, t)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sweep: interrupted during %s; its row was not written, so running the sweep again trains it: %w", t.Point, ctx.Err())
		}
		return nil, err
	}
	out.Key, out.Point, out.Rung, out.Epochs, out.Setup, out.Trial = t.Key, t.Point, t.Rung, t.Epochs, s.setup, t.Index
	if out.Status == "" {
		out.Status = StatusOK
	}
	if out.Finished.IsZero() {
		out.Finished = time.Now().UTC().Truncate(time.Second)
	}
	if s.Results != "" {
		if err := r.rf.append(out); err != nil {
			return nil, err
		}
	}
	r.addEstimate(out)
	r.done[doneKey(t.Key, t.Epochs)] = out
	r.rep.Results = append(r.rep.Results, out)
	r.rep.Ran++
	s.logf("[%d/%d] %s (%d epochs): %s\n", r.n, r.total, t.Point, t.Epochs, r.scoreText(out))
	return &out, nil
}

func (r *runner) scoreText(res Result) string {
	if res.Status != StatusOK {
		return res.Status
	}
	if r.s.RankByTest && r.s.Objective != "test_loss" {
		return fmt.Sprintf("%s %.4f, test_loss %.4f, %.1fs", r.s.Objective, res.Score, res.TestLoss, res.Seconds)
	}
	if r.s.RankByTest {
		return fmt.Sprintf("%s %.4f, %.1fs", r.s.Objective, res.Score, res.Seconds)
	}
	return fmt.Sprintf("%s %.4f (epoch %d), last %.4f, %.1fs", r.s.Objective, res.Score, res.BestEpoch, res.LastScore, res.Seconds)
}

func (r *runner) reportSkipped() {
	if n := len(r.rep.Skipped); n > 0 {
		r.s.logf("budget %v: %d trials not started\n", r.s.Budget, n)
	}
}

// halving runs successive halving over points, keeping the models that
// continue in dir.
func (r *runner) halving(ctx context.Context, points []Point, dir string) error {
	s := r.s
	rungs := Rungs(len(points), s.Epochs, s.Eta)
	for _, rg := range rungs {
		r.total += rg.Configs
	}
	alive := make([]rungConfig, len(points))
	for i, p := range points {
		alive[i] = rungConfig{p: p}
	}
	for k, rg := range rungs {
		s.logf("rung %d/%d: %d configurations, %d epochs each\n", k+1, len(rungs), len(alive), rg.Epochs)
		var results []Result
		byKey := map[string]rungConfig{}
		complete := true
		for j, c := range alive {
			byKey[c.p.Key()] = c
			t := s.rungTrial(c, j, k, rungs, dir)
			res, err := r.trial(ctx, t)
			if err != nil {
				return err
			}
			if res == nil {
				complete = false
				continue
			}
			if t.ResumeFrom != "" {
				os.Remove(t.ResumeFrom) // continued (or found done); no longer needed
			}
			results = append(results, *res)
		}
		if !complete {
			s.logf("rung %d is incomplete; successive halving stops here\n", k+1)
			r.reportSkipped()
			return nil
		}
		if k == len(rungs)-1 {
			break
		}
		keep := Promote(results, rungs[k+1].Configs, s.maximize)
		kept := map[string]bool{}
		alive = alive[:0]
		for i := range keep {
			c := byKey[keep[i].Key]
			c.prev = &keep[i]
			alive = append(alive, c)
			kept[keep[i].Key] = true
		}
		for _, res := range results {
			if !kept[res.Key] {
				os.Remove(checkpointPath(dir, res.Key, res.Epochs))
			}
		}
	}
	return nil
}

// continues reports whether a configuration's next rung continues its
// training rather than starting again. It does unless a learning-rate
// schedule is in play: a schedule whose length is the rest of training
// would restart mid-way.
func (s *Sweep) continues(p Point) bool {
	if _, ok := p.Get("lr_schedule"); ok {
		return false
	}
	if _, ok := p.Get("learning_rate"); ok {
		return true // it removes a model file's schedule
	}
	m, err := s.Model()
	return err == nil && (m.Optimizer() == nil || m.Optimizer().Schedule() == nil)
}

// checkpointPath names the saved model of a configuration after epochs.
func checkpointPath(dir, key string, epochs int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-e%d.safetensors", shortHash(key), epochs))
}

// build builds a trial's model for X: a model with several inputs from
// its own Input shapes, one input from X's rows.
func (s *Sweep) build(m *gokeras.Sequential) error {
	if len(m.InputNames()) > 1 {
		return m.Build()
	}
	return m.Build(s.X.RowShape()...)
}

// columns splits x into the inputs of a model with several (nil for a
// model with one): the columns named after them (Columns).
func (s *Sweep) columns(m *gokeras.Sequential, x gokeras.Inputs) (gokeras.Named, error) {
	if len(m.InputNames()) < 2 {
		return nil, nil
	}
	t, ok := x.(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("sweep: the model has %d inputs; it takes a table's columns, and the data are not a table", len(m.InputNames()))
	}
	return gokeras.TableInputs(m, s.Columns, t)
}
