package main

// gokeras sweep: a hyperparameter search over a preset or model file,
// resumable from its results file. The search itself is package sweep.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/sweep"
	"github.com/gokeras/gokeras/train"
)

func init() {
	register(command{"sweep", "search hyperparameters (grid, random or successive halving); resumable; --shard and merge, or a NATS work queue (--queue, worker, status), spread it over machines", runSweep})
}

const sweepHelp = `gokeras sweep --model PRESET|FILE --grid 'NAME=V1,V2 NAME=...' [flags]
gokeras sweep --model PRESET|FILE --trials 'NAME=V NAME=V; NAME=V NAME=V' [flags]
gokeras sweep ... --shard I/N|auto/N|auto [--rung K --from MERGED.csv]
gokeras sweep merge OUT.csv IN.csv...
gokeras sweep ... --queue nats://HOST:4222   (coordinator; see docs/distributed.md)
gokeras sweep worker --queue nats://HOST:4222
gokeras sweep status --queue nats://HOST:4222

Trains one model per point of the grid (or --random N of them, or with
--halving successive halving that stops weak ones early), or per point
of an explicit --trials list, appends each finished trial to the results
CSV file, and prints the trials sorted by their score with one plot per
parameter. Run the same command again after an interruption (Ctrl-C) and
finished trials are skipped.

Each trial holds out the last --validation-split of the training data and
is ranked on it: val_accuracy (the best epoch's) for classifiers, else
val_loss. --test also scores the test split, for information only.
With --validation-split 0 --test each trial trains on the whole training
set and is ranked by the test split after its last epoch (test_accuracy,
else test_loss), as a paper reporting test accuracy compares settings;
the winner's test score is then an optimistic estimate.

The data is the preset's data set, --dataset, or --image-dir DIR: a
folder with train/ and test/ folders of class sub-folders (or only class
sub-folders, split 80/20 into train and test), read as train reads it:
images kept uint8 and resized to the model's input.

A NAME is a fit setting (epochs, batch_size, learning_rate or lr,
lr_schedule, label_smoothing, optimizer, validation_split, seed) or a
layer's config field, LAYER.FIELD, as to_json() writes it: dropout.rate,
conv2d_1.filters, dense.activation. A bare LAYER sets its main field
(Dropout rate, Dense units, Conv2D filters, pooling pool_size). Layers
are named as Keras names them: the first Dropout is "dropout", the second
"dropout_1", the third "dropout_2". --list prints a model's names.

Grid syntax: ` + sweep.GridSyntax + `

Trials syntax: ` + sweep.TrialsSyntax + `
--trials runs every point it lists: not with --grid, --random or --halving.

On many machines (see docs/distributed.md): --shard I/N runs part I of N
(I from 0) of the same trial list, trial k in part k mod N, writing
RESULTS.shard-I-of-N.csv; run the same command with I = 0..N-1 anywhere,
then 'gokeras sweep merge OUT.csv RESULTS.shard-*-of-N.csv' combines the
files and prints the ranking a single run prints. Shard syntax:
` + sweep.ShardSyntax + `
With --halving the shards run one rung at a time: --rung 1 first, merge,
then --rung 2 --from the merged file, and so on; the models passed from
rung to rung are in RESULTS-checkpoints, a folder every shard must reach.

With --queue nats://HOST:4222 the command is a coordinator: it puts the
trials on a NATS JetStream work queue, rung by rung, and 'gokeras sweep
worker --queue ...' on any number of machines trains them; 'gokeras sweep
status --queue ...' prints where the sweep stands. The results equal a
single run's. A worker that dies has its trial redelivered after
--ack-wait, a trial failing --max-deliver times is reported failed, and
the coordinator can be stopped and started again. Queue flags:
--nats-creds, --nats-tls-ca/-cert/-key, --ack-wait, --max-deliver,
--checkpoint-dir (a folder every worker reaches) or --checkpoints-in-queue
(the JetStream object store), --nats-replicas, --sweep-id.

Examples:
  gokeras sweep --list --model cifar10-cnn
  gokeras sweep --model digits-cnn --grid 'dense=16,32,64 batch_size=32,64' --epochs 10
  gokeras sweep --model cifar10-cnn --grid 'dropout=0.1,0.25 dropout_1=0.2,0.5,0.8' --halving --epochs 30 --budget 2h
  gokeras sweep --model cifar10-cnn --image-dir /tmp/cifar10-jpeg --validation-split 0 --test \
    --trials 'dropout=0.2 dropout_1=0.2 epochs=30 batch_size=256; dropout=0.1 dropout_1=0.8 epochs=50 batch_size=128'
  gokeras sweep --model digits-cnn --grid 'dense=8,16,32,64' --results out/s.csv --shard auto/4
  gokeras sweep merge out/s.csv out/s.shard-*-of-4.csv

`

// gridFlag collects --grid, which may be given more than once.
type gridFlag []string

func (g *gridFlag) String() string     { return strings.Join(*g, " ") }
func (g *gridFlag) Set(v string) error { *g = append(*g, v); return nil }

func runSweep(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "merge" {
		return runSweepMerge(args[1:], stdout)
	}
	if len(args) > 0 && (args[0] == "worker" || args[0] == "status") {
		return runSweepQueueCommand(args[0], args[1:], stdout, stderr)
	}
	return sweepCommand(args, stdout, stderr, nil)
}

// sweepCommand is the sweep command. A queue worker (sweepqueue.go)
// passes built to get the sweep its flags describe instead of running it.
func sweepCommand(args []string, stdout, stderr io.Writer, built func(*sweepBuilt) error) error {
	fs := newFlags("sweep", stdout)
	modelFlag := fs.String("model", "digits-cnn", "a preset name (see 'gokeras presets'), a Keras-style model JSON file, or a saved model (Keras's .keras or .h5, or gokeras's own): every trial then starts from its weights")
	data := addDataFlags(fs)
	var grid gridFlag
	fs.Var(&grid, "grid", "the values to try: 'NAME=V1,V2 NAME=V1,...' (may be repeated; see -h)")
	trials := fs.String("trials", "", "the points to try instead of a grid: 'NAME=V NAME=V; NAME=V NAME=V' (see -h)")
	list := fs.Bool("list", false, "print the fit settings and layer fields of --model that a grid can name, and exit")
	random := fs.Int("random", 0, "try N points drawn at random (with --seed) instead of the whole grid")
	halving := fs.Bool("halving", false, "successive halving: train every point briefly, continue the best 1/eta, up to --epochs")
	eta := fs.Int("eta", 3, "successive halving's reduction factor")
	budget := fs.Duration("budget", 0, "wall-clock budget, e.g. 2h or 45m: no trial starts that would overrun it")
	epochs := countVar(fs, "epochs", 0, "epochs per trial unless swept; with --halving the most (default: the preset's)")
	batch := countVar(fs, "batch-size", 0, "batch size unless swept (default: the preset's, else 32)")
	valSplit := fs.Float64("validation-split", 0.1, "fraction of the training data (its last part) held out to rank trials; 0 with --test trains on all of it and ranks by the test split")
	objective := fs.String("objective", "", "metric ranking the trials, e.g. val_accuracy or val_loss; test_accuracy or test_loss with --validation-split 0 (default: the accuracy when the model has one, else the loss)")
	seed := fs.Uint64("seed", 1, "seed for the models (weights, shuffling, dropout) unless swept, and for --random")
	results := fs.String("results", "", "CSV file each finished trial is appended to; rerunning skips its trials (default: MODEL-sweep.csv)")
	plotDir := fs.String("plot-dir", "", "folder for the score-by-parameter plots, one PNG per parameter; \"\" given explicitly draws none (default: RESULTS-plots)")
	test := fs.Bool("test", false, "also evaluate each trial on the test split (reported, used to rank only with --validation-split 0)")
	shardFlag := fs.String("shard", "", "run part I of N of the trial list (I from 0): I/N, or auto/N (auto) reading I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID; results go to RESULTS.shard-I-of-N.csv (see -h)")
	rung := fs.Int("rung", 0, "with --halving: run only this rung (1 is the first), as one step of a sharded sweep")
	from := fs.String("from", "", "with --rung 2 or later: the merged results of the earlier rungs ('gokeras sweep merge')")
	verbose := fs.Int("verbose", 0, "each trial's training output: 0 none, 1 progress bar, 2 one line per epoch")
	qf := addQueueFlags(fs)
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		fmt.Fprint(stdout, sweepHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; sweep takes only flags (quote the grid or trials: --grid 'a=1,2 b=3', --trials 'a=1 b=3; a=2 b=3')", fs.Arg(0))
	}
	verb, err := train.ParseVerbosity(*verbose)
	if err != nil {
		return err
	}
	var shard sweep.Shard
	if *shardFlag != "" {
		if shard, err = sweep.ParseShard(*shardFlag, os.Getenv); err != nil {
			return err
		}
	}
	switch {
	case *rung < 0:
		return fmt.Errorf("--rung %d: rungs count from 1", *rung)
	case *rung > 0 && !*halving:
		return fmt.Errorf("--rung runs one round of successive halving; add --halving")
	case *halving && shard.Count > 1 && *rung == 0:
		return fmt.Errorf("--halving with --shard runs one rung at a time: --rung 1 in every shard, then 'gokeras sweep merge', then --rung 2 --from the merged file, and so on (see -h)")
	case *rung > 1 && *from == "":
		return fmt.Errorf("--rung %d continues what rung %d promotes: give the merged results of the earlier rungs with --from", *rung, *rung-1)
	case *from != "" && *rung < 2:
		return fmt.Errorf("--from gives the merged results of the earlier rungs to --rung 2 or later")
	}
	src, err := loadModelSource(*modelFlag)
	if err != nil {
		return err
	}
	if *list {
		text, err := sweep.Describe(src.model)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "hyperparameters of %s:\n%s", src.name, text)
		return nil
	}
	var params []sweep.Param
	var points []sweep.Point
	switch {
	case len(grid) > 0 && *trials != "":
		return fmt.Errorf("give --grid or --trials, not both: --grid combines values, --trials lists each point")
	case *trials != "" && *random > 0:
		return fmt.Errorf("--random draws points from a --grid; --trials runs every point it lists, so drop --random (or list fewer points)")
	case *trials != "" && *halving:
		return fmt.Errorf("--halving needs a --grid to halve; --trials runs every point it lists for its own epochs")
	case *trials != "":
		if points, err = sweep.ParseTrials(*trials); err != nil {
			return err
		}
	case len(grid) > 0:
		if params, err = sweep.ParseGrid(grid.String()); err != nil {
			return err
		}
	default:
		return fmt.Errorf("give the values to try with --grid, e.g. --grid 'dense=16,32 batch_size=32,64', or the points with --trials 'dense=16 batch_size=32; dense=32 batch_size=64'; --list shows the names %s takes", src.name)
	}
	rankByTest := *valSplit == 0
	if rankByTest && !*test {
		return fmt.Errorf("--validation-split 0 leaves no held-out data to rank the trials on; add --test to train each trial on the whole training set and rank by the test split, or give a split such as --validation-split 0.1")
	}
	// Wrong names fail now, before a data set is loaded or downloaded.
	// Every point of --trials sets the names of the first.
	names := params
	if points != nil {
		names = nil
		for _, st := range points[0] {
			names = append(names, sweep.Param{Name: st.Name, Values: []string{st.Value}})
		}
	}
	if _, err := sweep.Resolve(names, src.model); err != nil {
		return err
	}
	dsName, trainSet, testSet, err := data.load(src, *seed, stderr)
	if err != nil {
		return err
	}
	resultsPath := *results
	if resultsPath == "" {
		resultsPath = strings.TrimSuffix(filepath.Base(src.name), ".json") + "-sweep.csv"
	}
	base := strings.TrimSuffix(resultsPath, ".csv")
	checkpoints := base + "-checkpoints" // shared by the shards
	resultsPath = sweep.ShardResultsPath(resultsPath, shard)
	plots := strings.TrimSuffix(resultsPath, ".csv") + "-plots"
	if flagSet(fs, "plot-dir") {
		plots = *plotDir
	}
	spec := *modelFlag
	s := &sweep.Sweep{
		Model: func() (*gokeras.Sequential, error) {
			ms, err := loadModelSource(spec)
			if err != nil {
				return nil, err
			}
			return ms.model, nil
		},
		X: inputs(trainSet), Y: trainSet.Y, Columns: tableFeatures(dsName, trainSet),
		Grid: params, Trials: points, Random: *random, Seed: *seed,
		Halving: *halving, Eta: *eta,
		Epochs:          firstPositive(*epochs, src.fit.Epochs, 1),
		BatchSize:       firstPositive(*batch, src.fit.BatchSize, 32),
		ValidationSplit: *valSplit,
		RankByTest:      rankByTest,
		Objective:       *objective,
		Budget:          *budget,
		Results:         resultsPath,
		Setup:           fmt.Sprintf("model=%s dataset=%s", src.name, dsName),
		Log:             stdout,
		Shard:           shard,
		Rung:            *rung,
		From:            *from,
	}
	if *halving {
		s.CheckpointDir = checkpoints
	}
	if *verbose > 0 {
		s.FitOut, s.FitVerbose = stdout, verb
	}
	if *test {
		s.TestX, s.TestY = inputs(testSet), testSet.Y
	}
	if built != nil || qf.active() {
		return queueSweep(built, qf, &sweepBuilt{fs: fs, s: s, model: *modelFlag, results: resultsPath, plots: plots, checkpoints: checkpoints}, stdout)
	}
	ctx, stop := signalContext(commandContext())
	defer stop()
	start := time.Now()
	rep, runErr := s.Run(ctx)
	if rep == nil {
		return runErr
	}
	interrupted := runErr != nil && ctx.Err() != nil
	if runErr != nil && !interrupted {
		return runErr
	}
	if shard.Count > 1 {
		fmt.Fprintf(stdout, "\nshard %s", shard)
	}
	if *rung > 0 {
		fmt.Fprintf(stdout, "\nrung %d", *rung)
	}
	fmt.Fprintf(stdout, "\n%d trials trained in %v, %d found in %s", rep.Ran, time.Since(start).Round(time.Second), rep.Reused, resultsPath)
	if n := len(rep.Skipped); n > 0 {
		fmt.Fprintf(stdout, ", %d skipped for the %v budget:", n, *budget)
		for _, t := range rep.Skipped {
			fmt.Fprintf(stdout, "\n  %s (%d epochs)", t.Point, t.Epochs)
		}
	}
	if err := printRanking(stdout, rep, plots); err != nil {
		return err
	}
	if interrupted {
		return fmt.Errorf("%w; the running trial's row was not written, finished trials are in %s: run the same command again to resume", interruption(ctx), resultsPath)
	}
	printBest(stdout, rep)
	if shard.Count > 1 {
		fmt.Fprintf(stdout, "\nwhen every shard is done: gokeras sweep merge %s.csv %s.shard-*-of-%d.csv\n", base, base, shard.Count)
	}
	return nil
}

// printRanking prints the configurations of rep best first, as a sweep
// and a merge of its shards print them, and draws the plots in plots
// ("" draws none).
func printRanking(stdout io.Writer, rep *sweep.Report, plots string) error {
	if rep.RankedByTest {
		fmt.Fprintf(stdout, "\n\nconfigurations by %s after the last epoch, each trained on the whole training set (no validation split; the test split ranks them):\n", rep.Objective)
	} else {
		fmt.Fprintf(stdout, "\n\nconfigurations by %s (its best epoch):\n", rep.Objective)
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if plots != "" && len(rep.Results) > 0 {
		files, err := rep.WritePlots(plots)
		if err != nil {
			return err
		}
		if len(files) > 0 {
			fmt.Fprintf(stdout, "\nplots: %s\n", strings.Join(files, " "))
		}
	}
	return nil
}

func printBest(stdout io.Writer, rep *sweep.Report) {
	if best, ok := rep.Best(); ok {
		fmt.Fprintf(stdout, "\nbest: %s (%d epochs): %s %.4f\n", best.Point, best.Epochs, rep.Objective, best.Score)
	}
}

const sweepMergeHelp = `gokeras sweep merge OUT.csv IN.csv...

Combines the results files of one sweep's shards (gokeras sweep --shard)
into OUT.csv and prints the configurations ranked as a single run of the
sweep prints them, with the plots in OUT-plots. OUT.csv may be one of the
inputs. Files of different sweeps (other parameters, objective, model,
data set or fixed fit settings) are refused; a trial found in several
files is kept once, from the first file that has it, and a copy with
other scores is reported, as are gaps in the trial numbers (a shard not
finished or not given). OUT.csv serves as the results file of the
unsharded command (it finds every trial done) and as --from of the next
--rung of a sharded successive halving.
`

func runSweepMerge(args []string, stdout io.Writer) error {
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		fmt.Fprint(stdout, sweepMergeHelp)
		return nil
	}
	if len(args) < 2 {
		return fmt.Errorf("sweep merge takes the output file and at least one results file: gokeras sweep merge OUT.csv IN.csv...")
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("sweep merge takes no flags (%s): gokeras sweep merge OUT.csv IN.csv...", a)
		}
	}
	out, ins := args[0], args[1:]
	m, err := sweep.MergeFiles(ins)
	if err != nil {
		return err
	}
	if err := m.Write(out); err != nil {
		return err
	}
	rep := m.Report
	fmt.Fprintf(stdout, "%d trials from %d files merged into %s", len(rep.Results), len(ins), out)
	if m.Duplicates > 0 {
		fmt.Fprintf(stdout, "; %d rows of trials already read dropped", m.Duplicates)
	}
	for _, c := range m.Conflicts {
		fmt.Fprintf(stdout, "\ndiffering results of one trial: %s", c)
	}
	for _, g := range m.Gaps {
		fmt.Fprintf(stdout, "\nincomplete: %s (trial k is in shard k mod N: are all shards finished and given?)", g)
	}
	if err := printRanking(stdout, rep, strings.TrimSuffix(out, ".csv")+"-plots"); err != nil {
		return err
	}
	printBest(stdout, rep)
	return nil
}
