package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

func preset(name string) func() (*gokeras.Sequential, error) {
	return func() (*gokeras.Sequential, error) {
		p, err := gokeras.LookupPreset(name)
		if err != nil {
			return nil, err
		}
		return p.Model()
	}
}

func mustGrid(t *testing.T, spec string) []Param {
	t.Helper()
	g, err := ParseGrid(spec)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestResolveNames(t *testing.T) {
	m, _ := preset("cifar10-cnn")()
	got, err := Resolve(mustGrid(t, "dropout=0.1 dropout_1.rate=0.2 lr=0.01 conv2d_1=64 dense.activation=relu"), m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	want := []string{"dropout.rate", "dropout_1.rate", "learning_rate", "conv2d_1.filters", "dense.activation"}
	if !slices.Equal(names, want) {
		t.Errorf("resolved %v, want %v", names, want)
	}
	tests := []struct{ spec, want string }{
		// The dropout_1/dropout_2: Keras names the second Dropout dropout_1.
		{"dropout_2=0.5", `no layer named "dropout_2"`},
		{"dropout_2=0.5", "dropout_1 (Dropout): rate"},
		{"batchsize=32", "neither a fit setting (batch_size, epochs, label_smoothing"},
		{"dense.unit=3", `no field "unit"`},
		{"flatten=1", "has no main field"},
		{"dropout=0.1 dropout.rate=0.2", "both set dropout.rate"},
	}
	for _, tt := range tests {
		if _, err := Resolve(mustGrid(t, tt.spec), m); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resolve(%q): %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}

func TestTrialModelSetsFields(t *testing.T) {
	s := &Sweep{Model: preset("cifar10-cnn"), X: tensor.New(4, 32, 32, 3), Y: tensor.New(4),
		Grid: mustGrid(t, "dropout_1=0.3 lr=0.01 label_smoothing=0.1 batch_size=64 seed=9")}
	if err := s.prepare(); err != nil {
		t.Fatal(err)
	}
	m, o, err := s.trialModel(Expand(s.grid)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(32, 32, 3); err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{}
	for _, l := range m.Layers() {
		if d, ok := l.(*nn.Dropout); ok {
			rates[d.Name] = d.Rate
		}
	}
	if rates["dropout"] != 0.1 || rates["dropout_1"] != 0.3 {
		t.Errorf("dropout rates %v, want dropout 0.1 (the preset's) and dropout_1 0.3", rates)
	}
	if lr := m.Optimizer().LearningRate(); lr != 0.01 {
		t.Errorf("learning rate %v", lr)
	}
	if !strings.Contains(m.Loss().Name(), "crossentropy") || o.BatchSize != 64 || m.Seed != 9 {
		t.Errorf("loss %v, batch size %d, seed %d", m.Loss(), o.BatchSize, m.Seed)
	}
	if s.Objective != "val_accuracy" || !s.maximize {
		t.Errorf("objective %s (maximize %v), want val_accuracy maximised", s.Objective, s.maximize)
	}
}

func TestRunRejectsBadValuesFirst(t *testing.T) {
	ran := 0
	s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
		Grid: mustGrid(t, "dense.units=8,0"),
		Runner: func(context.Context, *Sweep, Trial) (Result, error) {
			ran++
			return Result{}, nil
		}}
	_, err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "dense.units=0") {
		t.Errorf("err = %v, want one naming dense.units=0", err)
	}
	if ran != 0 {
		t.Errorf("%d trials ran before the bad configuration was found", ran)
	}
}

// TestResumeAfterInterrupt trains on the embedded digits, is interrupted
// after the first trial, and resumes without training it again.
func TestResumeAfterInterrupt(t *testing.T) {
	trainSet, _, err := dataset.Load("digits", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(t.TempDir(), "sweep.csv")
	var trained []string
	newSweep := func(cancelAfter int, cancel func()) *Sweep {
		return &Sweep{Model: preset("digits-cnn"), X: trainSet.X, Y: trainSet.Y,
			Grid: mustGrid(t, "dense.units=8,16 batch_size=64"), Epochs: 1, Results: results, Setup: "test",
			Runner: func(ctx context.Context, s *Sweep, tr Trial) (Result, error) {
				trained = append(trained, tr.Key)
				r, err := s.TrainTrial(ctx, tr)
				if len(trained) == cancelAfter {
					cancel()
				}
				return r, err
			}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := newSweep(1, cancel).Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if rep == nil || rep.Ran != 1 || len(trained) != 1 {
		t.Fatalf("interrupted run: report %+v, trained %v; want one trial", rep, trained)
	}
	if recs := readCSV(t, results); len(recs) != 2 {
		t.Fatalf("results after the interrupt: %d lines, want a header and one row", len(recs))
	}
	first := trained[0]

	trained = nil
	rep, err = newSweep(0, nil).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(trained) != 1 || trained[0] == first {
		t.Errorf("resumed run trained %v; want only the trial after %q", trained, first)
	}
	if rep.Ran != 1 || rep.Reused != 1 || len(rep.Results) != 2 {
		t.Errorf("resumed run: ran %d, reused %d, %d results; want 1, 1, 2", rep.Ran, rep.Reused, len(rep.Results))
	}
	recs := readCSV(t, results)
	if len(recs) != 3 {
		t.Fatalf("results: %d lines, want a header and two rows:\n%v", len(recs), recs)
	}
	wantHead := "key,setup,rung,epochs,dense.units,batch_size,val_accuracy,val_accuracy_last,best_epoch,val_loss,test_accuracy,test_loss,params,seconds,status,finished"
	if h := strings.Join(recs[0], ","); h != wantHead {
		t.Errorf("header %s\nwant   %s", h, wantHead)
	}
	keys := []string{recs[1][0], recs[2][0]}
	if !slices.Equal(keys, []string{"batch_size=64 dense.units=8", "batch_size=64 dense.units=16"}) {
		t.Errorf("rows %v", keys)
	}
	for _, r := range rep.Results {
		if !(r.Score > 0.1 && r.Score <= 1) || r.Status != StatusOK || r.Params == 0 || r.BestEpoch != 1 {
			t.Errorf("result %+v: want a validation accuracy, status ok, a weight count, best epoch 1", r)
		}
	}
	if rep.Results[0].Setup != "test epochs=1 seed=1 validation_split=0.1" {
		t.Errorf("setup %q", rep.Results[0].Setup)
	}

	// A third run reuses everything; another setup reuses nothing.
	trained = nil
	if _, err := newSweep(0, nil).Run(context.Background()); err != nil || len(trained) != 0 {
		t.Errorf("third run trained %v (err %v); want nothing", trained, err)
	}
	s := newSweep(0, nil)
	s.Seed = 2
	if _, err := s.Run(context.Background()); err != nil || len(trained) != 2 {
		t.Errorf("run with another seed trained %v (err %v); want both trials", trained, err)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "#  dense.units  batch_size  val_accuracy  last") {
		t.Errorf("table:\n%s", table.String())
	}
}

// fakeScore makes dense.units=N score N/100 for the halving tests.
func fakeScore(tr Trial) float64 {
	v, _ := tr.Point.Get("dense.units")
	n, _ := strconv.Atoi(v)
	return float64(n) / 100
}

func TestHalving(t *testing.T) {
	dir := t.TempDir()
	var trials []Trial
	newSweep := func() *Sweep {
		return &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
			Grid: mustGrid(t, "dense.units=1,2,3,4,5,6,7,8,9"), Epochs: 9, Halving: true,
			Results: filepath.Join(dir, "h.csv"), CheckpointDir: filepath.Join(dir, "ck"),
			Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
				trials = append(trials, tr)
				return Result{Score: fakeScore(tr), LastScore: fakeScore(tr), BestEpoch: tr.Epochs, Seconds: 1}, nil
			}}
	}
	rep, err := newSweep().Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Rungs(9, 9, 3): 9 configurations for 1 epoch, 3 for 3, 1 for 9.
	var got []string
	for _, tr := range trials {
		v, _ := tr.Point.Get("dense.units")
		got = append(got, v+"@"+strconv.Itoa(tr.Epochs))
	}
	want := []string{"1@1", "2@1", "3@1", "4@1", "5@1", "6@1", "7@1", "8@1", "9@1", "9@3", "8@3", "7@3", "9@9"}
	if !slices.Equal(got, want) {
		t.Errorf("trials %v\nwant   %v", got, want)
	}
	for _, tr := range trials {
		switch {
		case tr.Rung == 0 && (tr.Prev != nil || tr.ResumeFrom != ""):
			t.Errorf("rung 0 trial %s continues %v", tr.Key, tr.Prev)
		case tr.Rung > 0 && (tr.Prev == nil || tr.Prev.Key != tr.Key || tr.ResumeFrom == ""):
			t.Errorf("rung %d trial %s does not continue its previous rung", tr.Rung, tr.Key)
		case tr.Rung < 2 && tr.SaveTo == "", tr.Rung == 2 && tr.SaveTo != "":
			t.Errorf("rung %d trial %s saves to %q", tr.Rung, tr.Key, tr.SaveTo)
		}
	}
	if best, ok := rep.Best(); !ok || best.Key != "dense.units=9" || best.Rung != 2 {
		t.Errorf("best %+v", best)
	}
	if final := rep.Final(); len(final) != 9 || final[1].Key != "dense.units=8" || final[1].Rung != 1 {
		t.Errorf("final results %v", final)
	}
	if recs := readCSV(t, filepath.Join(dir, "h.csv")); len(recs) != 14 {
		t.Errorf("results file has %d lines, want a header and 13 rows", len(recs))
	}
	if _, err := os.Stat(filepath.Join(dir, "ck")); !os.IsNotExist(err) {
		t.Errorf("checkpoint folder left after a complete sweep: %v", err)
	}
	// Run again: every rung is in the results file.
	trials = nil
	rep, err = newSweep().Run(context.Background())
	if err != nil || len(trials) != 0 || rep.Reused != 13 {
		t.Errorf("second run: %d trials, %d reused, err %v; want 0, 13, nil", len(trials), rep.Reused, err)
	}
	figs, err := rep.PlotScores()
	if err != nil || len(figs["dense.units"]) == 0 {
		t.Errorf("plots: %d figures, %v", len(figs), err)
	}
}

func TestBudgetSkipsTrials(t *testing.T) {
	ran := 0
	s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
		Grid: mustGrid(t, "dense.units=1,2,3,4"), Epochs: 2, Budget: time.Hour,
		Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
			ran++
			// Two hours per epoch: after the first trial nothing fits.
			return Result{Score: 0.5, Seconds: 4 * 3600}, nil
		}}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 || len(rep.Skipped) != 3 || rep.Skipped[0].Key != "dense.units=2" {
		t.Errorf("ran %d, skipped %v; want 1 run and the other 3 skipped", ran, rep.Skipped)
	}
}

func TestDivergedTrialRanksLast(t *testing.T) {
	s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
		Grid: mustGrid(t, "dense.units=1,2,3"), Results: filepath.Join(t.TempDir(), "d.csv"),
		Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
			if tr.Key == "dense.units=2" {
				return Result{Score: math.NaN(), LastScore: math.NaN(), ValLoss: math.NaN(), Status: StatusDiverged}, nil
			}
			return Result{Score: fakeScore(tr), LastScore: fakeScore(tr), ValLoss: 1, BestEpoch: 1}, nil
		}}
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Runner = nil // nothing left to train
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	final := rep.Final()
	if len(final) != 3 || final[0].Key != "dense.units=3" || final[2].Status != StatusDiverged || !math.IsNaN(final[2].Score) {
		t.Errorf("final %+v", final)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	if !strings.Contains(table.String(), "diverged") {
		t.Errorf("table does not show the diverged trial:\n%s", table.String())
	}
}

func TestResultsFileTornRowAndHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	newSweep := func(grid string) *Sweep {
		return &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
			Grid: mustGrid(t, grid), Results: path,
			Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
				return Result{Score: fakeScore(tr), BestEpoch: 1}, nil
			}}
	}
	if _, err := newSweep("dense.units=1,2").Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the last row's write.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-10], 0o644)
	rep, err := newSweep("dense.units=1,2").Run(context.Background())
	if err != nil || rep.Ran != 1 || rep.Reused != 1 {
		t.Fatalf("after a torn row: ran %d, reused %d, %v; want the torn trial run again", rep.Ran, rep.Reused, err)
	}
	if recs := readCSV(t, path); len(recs) != 3 {
		t.Errorf("%d lines after the repair, want 3", len(recs))
	}
	// Other parameters need another file.
	if _, err := newSweep("dense_1.units=10").Run(context.Background()); err == nil || !strings.Contains(err.Error(), "give another results file") {
		t.Errorf("other columns: %v", err)
	}
}

// TestHalvingContinuesTraining checks on the embedded digits that a
// configuration continued from its saved model at the next rung scores
// what a straight run of the same epochs scores.
func TestHalvingContinuesTraining(t *testing.T) {
	trainSet, _, err := dataset.Load("digits", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	resumed := 0
	s := &Sweep{Model: preset("digits-cnn"), X: trainSet.X, Y: trainSet.Y,
		Grid: mustGrid(t, "dense.units=4,8,16"), Epochs: 3, Halving: true, BatchSize: 64,
		Results: filepath.Join(dir, "h.csv"),
		Runner: func(ctx context.Context, s *Sweep, tr Trial) (Result, error) {
			if tr.ResumeFrom != "" {
				if _, err := os.Stat(tr.ResumeFrom); err == nil {
					resumed++
				}
			}
			return s.TrainTrial(ctx, tr)
		}}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	best, _ := rep.Best()
	if best.Epochs != 3 || best.Rung != 1 || resumed != 1 {
		t.Fatalf("best %+v after %d continued trials; want rung 2 at 3 epochs, continued once", best, resumed)
	}
	v, _ := best.Point.Get("dense.units")
	straight := &Sweep{Model: preset("digits-cnn"), X: trainSet.X, Y: trainSet.Y,
		Grid: mustGrid(t, "dense.units="+v), Epochs: 3, BatchSize: 64}
	srep, err := straight.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, want := best, srep.Results[0]
	if got.Score != want.Score || got.LastScore != want.LastScore || got.BestEpoch != want.BestEpoch || got.ValLoss != want.ValLoss {
		t.Errorf("continued: %s %v/%v at epoch %d (val_loss %v); straight run: %v/%v at epoch %d (val_loss %v)",
			got.Key, got.Score, got.LastScore, got.BestEpoch, got.ValLoss, want.Score, want.LastScore, want.BestEpoch, want.ValLoss)
	}
}

// TestResultsFileColumns checks that a swept epochs is the epochs column,
// not a second one, and that the same grid with its names in another
// order reuses the file. The file's folder is created.
func TestResultsFileColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "c.csv")
	ran := 0
	newSweep := func(grid string) *Sweep {
		return &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
			Grid: mustGrid(t, grid), Results: path,
			Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
				ran++
				return Result{Score: fakeScore(tr), LastScore: fakeScore(tr), BestEpoch: 1}, nil
			}}
	}
	rep, err := newSweep("dense.units=1,2 epochs=1,2").Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, path)
	wantHead := "key,setup,rung,epochs,dense.units,val_accuracy,val_accuracy_last,best_epoch,val_loss,test_accuracy,test_loss,params,seconds,status,finished"
	if h := strings.Join(recs[0], ","); h != wantHead || len(recs) != 5 || recs[4][3] != "2" {
		t.Errorf("results file:\n%v\nwant the header %s and 4 rows", recs, wantHead)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	if head := strings.Fields(strings.SplitN(table.String(), "\n", 2)[0]); strings.Count(" "+strings.Join(head, " ")+" ", " epochs ") != 1 {
		t.Errorf("table has two epochs columns:\n%s", table.String())
	}
	ran = 0
	rep, err = newSweep("epochs=1,2 dense.units=1,2,3").Run(context.Background())
	if err != nil || ran != 2 || rep.Reused != 4 {
		t.Fatalf("the grid in another order: ran %d, reused %d, %v; want the 2 new points run", ran, rep.Reused, err)
	}
	// New rows follow the file's column order.
	recs = readCSV(t, path)
	if len(recs) != 7 || recs[6][0] != "dense.units=3 epochs=2" || recs[6][4] != "3" || recs[6][3] != "2" {
		t.Errorf("results file after the reordered grid:\n%v", recs)
	}
}

// A trial that changes the optimizer (which compiles again) and a layer
// keeps the base model's weighted metrics.
func TestTrialKeepsWeightedMetrics(t *testing.T) {
	base := func() (*gokeras.Sequential, error) {
		m, err := preset("digits-cnn")()
		if err != nil {
			return nil, err
		}
		wm, _ := metric.Parse("accuracy")
		return m, m.SetWeightedMetrics(wm)
	}
	s := &Sweep{Model: base, X: tensor.New(4, 8, 8, 1), Y: tensor.New(4),
		Grid: mustGrid(t, "optimizer=sgd dense.units=16")}
	if err := s.prepare(); err != nil {
		t.Fatal(err)
	}
	m, _, err := s.trialModel(Expand(s.grid)[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Optimizer().Name() != "sgd" {
		t.Fatalf("optimizer %s, want sgd", m.Optimizer().Name())
	}
	if wm := m.WeightedMetrics(); len(wm) != 1 || wm[0].Name() != "accuracy" {
		t.Fatalf("weighted metrics %v, want [accuracy]", wm)
	}
}
