package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/train"
)

// Trials one at a time, for a work queue (issue 22, package sweep/queue):
// a coordinator lays out each rung's trials (RungTrials) and collects
// their results, and workers on other machines run them (RunTrial). A
// trial depends only on the sweep's options and the trial itself (its
// point, rung and epochs; the seed is the sweep's or the point's), never
// on the process that runs it, so the results equal Run's.

// StatusFailed marks a trial that could not be run (its training failed
// every time it was tried); its scores are NaN and it ranks last.
const StatusFailed = "failed"

// Prepare checks the options and resolves the names, as Run does before
// its first trial. RungTrials, RunTrial, NewReport and WriteResults need
// it; calling it again changes nothing.
func (s *Sweep) Prepare() error { return s.prepare() }

// CheckPoints builds the model of every configuration (after Prepare),
// as Run does before its first trial: a bad value shows at once, not
// when its turn comes on a worker.
func (s *Sweep) CheckPoints() error {
	for _, p := range s.points() {
		m, _, err := s.trialModel(p)
		if err != nil {
			return err // it names the point
		}
		if err := s.build(m); err != nil {
			return fmt.Errorf("sweep: %s: %w", p, err)
		}
		if _, err := s.epochsOf(p); err != nil {
			return err
		}
	}
	return nil
}

// Points returns the configurations the sweep visits (after Prepare).
func (s *Sweep) Points() []Point { return s.points() }

// RungCount returns the number of rounds of the sweep: those of
// successive halving (Rungs), else 1.
func (s *Sweep) RungCount() int {
	if !s.Halving {
		return 1
	}
	return len(Rungs(len(s.points()), s.Epochs, s.Eta))
}

// NewReport returns an empty report of the sweep, for Results gathered
// outside Run in the order Run visits them (rung by rung, RungTrials's
// order).
func (s *Sweep) NewReport() *Report {
	return &Report{Objective: s.Objective, Maximize: s.maximize, Params: s.params, Halving: s.Halving, RankedByTest: s.RankByTest}
}

// TrialID names a trial (a configuration trained to epochs) in 16 hex
// digits, for files and queue keys that cannot hold a key's characters.
func TrialID(key string, epochs int) string { return shortHash(doneKey(key, epochs)) }

// RungTrials returns the trials of rung k (counting from 0; 0 is the only
// one without halving) in the order Run visits them. For k > 0, earlier
// returns the result of a configuration after the epochs of an earlier
// rung; every configuration of rungs 0 to k-1 that the promotions reach
// must have one. ResumeFrom and SaveTo name files in CheckpointDir, as
// Run's do.
func (s *Sweep) RungTrials(k int, earlier func(key string, epochs int) (Result, bool)) ([]Trial, error) {
	points := s.points()
	if !s.Halving {
		if k != 0 {
			return nil, fmt.Errorf("sweep: rung %d: only successive halving has more than one rung", k+1)
		}
		trials := make([]Trial, len(points))
		for i, p := range points {
			e, err := s.epochsOf(p)
			if err != nil {
				return nil, err
			}
			trials[i] = Trial{Point: p, Key: p.Key(), Epochs: e, Index: i}
		}
		return trials, nil
	}
	rungs := Rungs(len(points), s.Epochs, s.Eta)
	if k < 0 || k >= len(rungs) {
		return nil, fmt.Errorf("sweep: rung %d: successive halving of %d configurations up to %d epochs with eta %d has %d rungs", k+1, len(points), s.Epochs, s.Eta, len(rungs))
	}
	alive, _, err := replayRungs(points, rungs, k, s.maximize, earlier)
	var miss *missingResults
	if errors.As(err, &miss) {
		return nil, fmt.Errorf("sweep: rung %d needs the result of %s after rung %d (%d epochs), which is not there yet", k+1, miss.points[0], miss.rung+1, miss.epochs)
	}
	if err != nil {
		return nil, err
	}
	trials := make([]Trial, len(alive))
	for j, c := range alive {
		trials[j] = s.rungTrial(c, j, k, rungs, s.CheckpointDir)
	}
	return trials, nil
}

// TrialOptions are what RunTrial adds to a trial's training.
type TrialOptions struct {
	// BackupDir, when set, backs the trial's training up after every
	// epoch (gokeras.BackupAndRestore, with the epochs' logs beside it),
	// so that the trial run again (on this machine or another that
	// reaches the folder) resumes from the last finished epoch and ends
	// with the same result. It is removed when the trial ends.
	BackupDir string
	// Callbacks are added to the trial's fit, after the backup's: a
	// worker's progress report.
	Callbacks []train.Callback
}

// RunTrial runs one trial of the sweep (after Prepare), with Runner when
// it is set and otherwise as TrainTrial does, and returns its result as
// Run records it: key, point, rung, epochs, setup and index from t, the
// status and the time it finished.
func (s *Sweep) RunTrial(ctx context.Context, t Trial, o TrialOptions) (Result, error) {
	var out Result
	var err error
	if s.Runner != nil {
		out, err = s.Runner(ctx, s, t)
	} else {
		out, err = s.trainTrial(ctx, t, o)
	}
	if err != nil {
		return Result{}, err
	}
	out.Key, out.Point, out.Rung, out.Epochs, out.Setup, out.Trial = t.Key, t.Point, t.Rung, t.Epochs, s.setup, t.Index
	if out.Status == "" {
		out.Status = StatusOK
	}
	if out.Finished.IsZero() {
		out.Finished = time.Now().UTC().Truncate(time.Second)
	}
	return out, nil
}

// FailedResult is the result recorded for a trial that could not be run.
func (s *Sweep) FailedResult(t Trial) Result {
	nan := math.NaN()
	return Result{Key: t.Key, Point: t.Point, Rung: t.Rung, Epochs: t.Epochs, Setup: s.setup, Trial: t.Index,
		Score: nan, LastScore: nan, ValLoss: nan, TestScore: nan, TestLoss: nan, Status: StatusFailed,
		Finished: time.Now().UTC().Truncate(time.Second)}
}

// trainTrial is TrainTrial with o's backup and callbacks.
//
// It repeats TrainTrial's steps rather than calling it because TrainTrial
// takes no callbacks; TrainTrial could become s.trainTrial(ctx, t,
// TrialOptions{}).
func (s *Sweep) trainTrial(ctx context.Context, t Trial, opt TrialOptions) (Result, error) {
	m, o, err := s.trialModel(t.Point)
	if err != nil {
		return Result{}, err
	}
	prev := t.Prev
	resumed := false
	if t.ResumeFrom != "" && prev != nil {
		if _, err := os.Stat(t.ResumeFrom); err == nil {
			lm, err := gokeras.Load(t.ResumeFrom)
			if err != nil {
				return Result{}, fmt.Errorf("sweep: continuing %s: %w", t.Key, err)
			}
			m, resumed = lm, true
		}
	}
	cols, err := s.columns(m, s.X)
	if err != nil {
		return Result{}, err
	}
	if !resumed {
		prev = nil
		if err := s.build(m); err != nil {
			return Result{}, fmt.Errorf("sweep: %s: %w", t.Point, err)
		}
		if cols != nil {
			err = m.AdaptMulti(cols)
		} else {
			err = m.Adapt(s.X)
		}
		if err != nil {
			return Result{}, fmt.Errorf("sweep: %s: %w", t.Point, err)
		}
	}
	o.Epochs = t.Epochs
	var logs *epochLog
	if opt.BackupDir != "" {
		logs = &epochLog{path: filepath.Join(opt.BackupDir, "epochs.json")}
		// The logs first: saved before the backup of the same epoch, a
		// crash between the two leaves logs for an epoch the backup
		// does not have, which OnEpochBegin drops.
		o.Callbacks = append(o.Callbacks, logs, &gokeras.BackupAndRestore{BackupDir: opt.BackupDir})
	}
	o.Callbacks = append(o.Callbacks, opt.Callbacks...)
	start := time.Now()
	var hist *gokeras.History
	if cols != nil {
		hist, err = m.FitMultiContext(ctx, cols, gokeras.List{s.Y}, o)
	} else {
		hist, err = m.FitContext(ctx, s.X, s.Y, o)
	}
	secs := time.Since(start).Seconds()
	if logs != nil {
		secs += logs.before.seconds()
		hist = logs.before.join(hist)
	}
	if prev != nil {
		secs += prev.Seconds
	}
	total, _, _ := m.Net().CountParams()
	r := Result{Key: t.Key, Point: t.Point, Rung: t.Rung, Epochs: t.Epochs, Params: total, Seconds: secs,
		Status: StatusOK, TestScore: math.NaN(), TestLoss: math.NaN()}
	if errors.Is(err, train.ErrNaN) && ctx.Err() == nil {
		r.Status = StatusDiverged
		r.Score, r.LastScore, r.ValLoss = math.NaN(), math.NaN(), math.NaN()
		if opt.BackupDir != "" {
			os.RemoveAll(opt.BackupDir) // a rerun would diverge again
		}
		return r, nil
	}
	if err != nil {
		return Result{}, err
	}
	if !s.RankByTest {
		if err := s.score(&r, hist, prev); err != nil {
			return Result{}, err
		}
	}
	if s.TestX != nil {
		var logs gokeras.Logs
		testCols, err := s.columns(m, s.TestX)
		if err == nil && testCols != nil {
			logs, err = m.EvaluateMulti(testCols, gokeras.List{s.TestY}, gokeras.EvaluateOptions{BatchSize: o.BatchSize})
		} else if err == nil {
			logs, err = m.Evaluate(s.TestX, s.TestY, o.BatchSize)
		}
		if err != nil {
			return Result{}, fmt.Errorf("sweep: test set: %w", err)
		}
		r.TestLoss = logs["loss"]
		v, ok := logs[metricOf(s.Objective)]
		if ok {
			r.TestScore = v
		}
		if s.RankByTest {
			if !ok {
				return Result{}, fmt.Errorf("sweep: the test set's evaluation has no %q; the objective must be test_ and one of %s", metricOf(s.Objective), strings.Join(logs.Keys(), ", "))
			}
			r.Score, r.LastScore, r.BestEpoch, r.ValLoss = v, v, t.Epochs, math.NaN()
		}
	}
	if t.SaveTo != "" {
		if err := m.Save(t.SaveTo); err != nil {
			return Result{}, err
		}
	}
	return r, nil
}

// epochLog keeps the logs of a trial's epochs beside its backup, so that
// a trial resumed from the backup is scored on all its epochs, not only
// those after the resumption.
type epochLog struct {
	train.NopCallback
	path   string
	before savedEpochs // epochs of earlier runs, read at the start
	now    savedEpochs // every epoch so far, as saved
	begun  bool
	start  time.Time
}

// savedEpochs are logged epochs. Values are written as strconv's shortest
// form, which reads back to the same float64 and, unlike a JSON number,
// also holds NaN and infinities.
type savedEpochs struct {
	Epoch   []int               `json:"epoch"`
	Seconds []float64           `json:"seconds"`
	Logs    []map[string]string `json:"logs"`
}

// upTo returns the epochs before epoch.
func (e savedEpochs) upTo(epoch int) savedEpochs {
	var out savedEpochs
	for i, ep := range e.Epoch {
		if ep < epoch {
			out.Epoch = append(out.Epoch, ep)
			out.Seconds = append(out.Seconds, e.Seconds[i])
			out.Logs = append(out.Logs, e.Logs[i])
		}
	}
	return out
}

func (e savedEpochs) seconds() float64 {
	var s float64
	for _, v := range e.Seconds {
		s += v
	}
	return s
}

// join returns the saved epochs followed by h's.
func (e savedEpochs) join(h *train.History) *train.History {
	if len(e.Epoch) == 0 {
		return h
	}
	out := &train.History{History: map[string][]float64{}}
	for i, ep := range e.Epoch {
		out.Epoch = append(out.Epoch, ep)
		out.Seconds = append(out.Seconds, e.Seconds[i])
		for k, v := range e.Logs[i] {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				f = math.NaN()
			}
			out.History[k] = append(out.History[k], f)
		}
	}
	if h != nil {
		out.Epoch = append(out.Epoch, h.Epoch...)
		out.Seconds = append(out.Seconds, h.Seconds...)
		for k, v := range h.History {
			out.History[k] = append(out.History[k], v...)
		}
	}
	return out
}

func (l *epochLog) OnTrainBegin(*train.Run) error {
	l.before, l.now, l.begun = savedEpochs{}, savedEpochs{}, false
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(data, &l.before)
	}
	if err == nil && (len(l.before.Seconds) != len(l.before.Epoch) || len(l.before.Logs) != len(l.before.Epoch)) {
		err = errors.New("its lists differ in length")
	}
	if err != nil {
		return fmt.Errorf("sweep: the epoch logs %s beside the trial's backup cannot be read (%v); delete %s to train the trial afresh", l.path, err, filepath.Dir(l.path))
	}
	return nil
}

// OnEpochBegin drops logged epochs from the first epoch of this run on:
// the backup it resumed from had not reached them.
func (l *epochLog) OnEpochBegin(_ *train.Run, epoch int) error {
	if !l.begun {
		l.begun = true
		l.before = l.before.upTo(epoch)
		l.now = l.before.upTo(epoch)
	}
	l.start = time.Now()
	return nil
}

func (l *epochLog) OnEpochEnd(_ *train.Run, epoch int, logs train.Logs) error {
	row := make(map[string]string, len(logs))
	for k, v := range logs {
		row[k] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	l.now.Epoch = append(l.now.Epoch, epoch)
	l.now.Seconds = append(l.now.Seconds, time.Since(l.start).Seconds())
	l.now.Logs = append(l.now.Logs, row)
	data, err := json.Marshal(l.now)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(l.path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(l.path+".tmp", data, 0o644)
	}
	if err == nil {
		err = os.Rename(l.path+".tmp", l.path) // whole or not at all
	}
	if err != nil {
		return fmt.Errorf("sweep: saving the epoch logs beside the trial's backup: %w", err)
	}
	return nil
}

// WriteResults writes results (after Prepare) to path as a results file
// of the sweep, the rows in the order given, replacing the file: what Run
// would have appended, for results gathered outside Run. It writes a
// temporary file and renames it.
func (s *Sweep) WriteResults(path string, results []Result) error {
	f := &resultsFile{path: path, header: s.header(), objective: s.Objective, params: s.params, byTest: s.RankByTest}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(f.header)
	for _, r := range results {
		w.Write(f.record(r))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("sweep: results file: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("sweep: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sweep: writing %s: %w", path, err)
	}
	return nil
}

// ResultSetup is the setup Run writes in the results of the sweep (after
// Prepare): Setup and the fit settings that are not swept.
func (s *Sweep) ResultSetup() string { return s.setup }
