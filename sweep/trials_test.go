package sweep

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// noteTrials are the note's four CIFAR-10 settings.
const noteTrials = `dropout=0.2 dropout_1=0.2 epochs=30 batch_size=256;
	dropout=0.3 dropout_1=0.6 epochs=30 batch_size=256;
	dropout=0.2 dropout_1=0.7 epochs=50 batch_size=256;
	dropout=0.1 dropout_1=0.8 epochs=50 batch_size=128`

func TestParseTrials(t *testing.T) {
	tests := []struct {
		spec string
		want []Point
	}{
		{noteTrials, []Point{
			{{"dropout", "0.2"}, {"dropout_1", "0.2"}, {"epochs", "30"}, {"batch_size", "256"}},
			{{"dropout", "0.3"}, {"dropout_1", "0.6"}, {"epochs", "30"}, {"batch_size", "256"}},
			{{"dropout", "0.2"}, {"dropout_1", "0.7"}, {"epochs", "50"}, {"batch_size", "256"}},
			{{"dropout", "0.1"}, {"dropout_1", "0.8"}, {"epochs", "50"}, {"batch_size", "128"}}}},
		// Later points may list the names in another order; the first's is kept.
		// Values are canonical; a trailing semicolon is allowed.
		{"a=0.10 b=x; b=y a=1e-1;", []Point{{{"a", "0.1"}, {"b", "x"}}, {{"a", "0.1"}, {"b", "y"}}}},
		// Quotes and brackets keep their commas, spaces and semicolons.
		{`s="cosine:lr=0.01,warmup=5" k=[3, 3]; s="a;b c" k=[5,5]`, []Point{
			{{"s", "cosine:lr=0.01,warmup=5"}, {"k", "[3,3]"}}, {{"s", "a;b c"}, {"k", "[5,5]"}}}},
		{"dense=8", []Point{{{"dense", "8"}}}},
	}
	for _, tt := range tests {
		got, err := ParseTrials(tt.spec)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseTrials(%q) =\n  %v, %v\nwant %v", tt.spec, got, err, tt.want)
		}
	}
}

func TestParseTrialsErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "list of trials is empty"},
		{" ; ", "list of trials is empty"},
		{"a=1 b=2; a=3", "trial 2 (a=3): it does not set b; every trial sets the same names"},
		{"a=1; a=2 b=3", "trial 2 (a=2 b=3): it sets b which trial 1 does not"},
		{"a=1 b=2; a=1 c=2", "does not set b and sets c which trial 1 does not"},
		{"a=1 b=2; b=2.0 a=1", "trials 1 and 2 are the same point (a=1 b=2); give each once"},
		{"a=1; a=2; a=0.1; a=2", "trials 2 and 4 are the same point"},
		{"a=1 a=2", "trial 1 (a=1 a=2): it sets a twice"},
		{"a=1,2", `"a=1,2" gives several values`},
		{"a=1,", `"a=1," gives several values`},
		{"a", `"a" is not NAME=VALUE`},
		{"a=1 =2", `"=2" is not NAME=VALUE`},
		{"a=", `"a=" is not NAME=VALUE`},
		{`a="x`, "double quote is not closed"},
		{"a=[1,2", "brackets do not match"},
	}
	for _, tt := range tests {
		if _, err := ParseTrials(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTrials(%q): %v\nwant an error containing %q", tt.spec, err, tt.want)
		}
	}
}

func mustTrials(t *testing.T, spec string) []Point {
	t.Helper()
	p, err := ParseTrials(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrialsResolveAndRun runs the note's four points with a fake
// trainer: names are resolved, the points run in order for their own
// epochs, and the columns are the first point's names.
func TestTrialsResolveAndRun(t *testing.T) {
	var got []string
	s := &Sweep{Model: preset("cifar10-cnn"), X: tensor.New(4, 32, 32, 3), Y: tensor.New(4),
		Trials: mustTrials(t, noteTrials), Results: filepath.Join(t.TempDir(), "n.csv"),
		Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
			got = append(got, tr.Point.String()+" @"+strconv.Itoa(tr.Epochs))
			return Result{Score: 0.5, BestEpoch: 1}, nil
		}}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"dropout.rate=0.2 dropout_1.rate=0.2 epochs=30 batch_size=256 @30",
		"dropout.rate=0.3 dropout_1.rate=0.6 epochs=30 batch_size=256 @30",
		"dropout.rate=0.2 dropout_1.rate=0.7 epochs=50 batch_size=256 @50",
		"dropout.rate=0.1 dropout_1.rate=0.8 epochs=50 batch_size=128 @50",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trials\n  %v\nwant\n  %v", got, want)
	}
	if p := []string{"dropout.rate", "dropout_1.rate", "epochs", "batch_size"}; !reflect.DeepEqual(rep.Params, p) {
		t.Errorf("params %v, want %v", rep.Params, p)
	}
	// The same points written with other names and order are the same trials.
	s.Trials = mustTrials(t, strings.NewReplacer("dropout=", "dropout.rate=", "batch_size=", "batch_size=").Replace(noteTrials))
	s.Trials[0][0], s.Trials[0][1] = s.Trials[0][1], s.Trials[0][0]
	got = nil
	if rep, err = s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 || rep.Reused != 4 {
		t.Errorf("second run trained %v (reused %d); want all four found", got, rep.Reused)
	}
}

func TestTrialsOptionErrors(t *testing.T) {
	tests := []struct {
		set  func(*Sweep)
		want string
	}{
		{func(s *Sweep) { s.Grid = mustGrid(t, "dense=4,8") }, "both a grid and a list of trials"},
		{func(s *Sweep) { s.Random = 1 }, "random sample draws from a grid"},
		{func(s *Sweep) { s.Halving = true }, "successive halving needs a grid"},
		{func(s *Sweep) { s.Trials = []Point{{{"dense", "4"}}, {{"lr", "0.1"}}} }, "trial 2 (learning_rate=0.1): it does not set dense.units"},
		{func(s *Sweep) { s.Trials = []Point{{{"dense", "4"}}, {{"dense.units", "4.0"}}} }, "trials 1 and 2 are the same point"},
		{func(s *Sweep) { s.Trials = []Point{{{"dense_9", "4"}}} }, `trial 1 (dense_9=4): sweep: "dense_9" is neither`},
		{func(s *Sweep) { s.RankByTest = true }, "no test set"},
		{func(s *Sweep) { s.RankByTest, s.TestX, s.TestY, s.ValidationSplit = true, s.X, s.Y, 0.1 }, "validation split 0.1 with RankByTest"},
		{func(s *Sweep) { s.RankByTest, s.TestX, s.TestY, s.Objective = true, s.X, s.Y, "val_accuracy" }, `objective "val_accuracy" is not a test metric`},
		{func(s *Sweep) { s.Objective = "test_accuracy" }, "ranking by the test set needs RankByTest"},
		{func(s *Sweep) {
			s.RankByTest, s.TestX, s.TestY, s.Trials = true, s.X, s.Y, []Point{{{"validation_split", "0.2"}}}
		}, "validation_split is swept"},
	}
	for _, tt := range tests {
		s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
			Trials: []Point{{{"dense", "4"}}, {{"dense", "8"}}},
			Runner: func(context.Context, *Sweep, Trial) (Result, error) { return Result{}, nil }}
		tt.set(s)
		if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v\nwant one containing %q", err, tt.want)
		}
	}
}

// TestRankByTest trains two listed points on the whole of the embedded
// digits and ranks them by test accuracy: the rows hold it, the table
// ranks by it, and a trial scores what a plain fit on all the data with
// no validation split scores.
func TestRankByTest(t *testing.T) {
	trainSet, testSet, err := dataset.Load("digits", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(t.TempDir(), "t.csv")
	newSweep := func() *Sweep {
		return &Sweep{Model: preset("digits-cnn"), X: trainSet.X, Y: trainSet.Y, TestX: testSet.X, TestY: testSet.Y,
			RankByTest: true, Trials: mustTrials(t, "dense=4 epochs=1; dense=16 epochs=2"),
			BatchSize: 64, Results: results, Setup: "test"}
	}
	rep, err := newSweep().Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objective != "test_accuracy" || !rep.RankedByTest || rep.Ran != 2 {
		t.Fatalf("objective %s, ranked by test %v, %d trials; want test_accuracy, true, 2", rep.Objective, rep.RankedByTest, rep.Ran)
	}
	for _, r := range rep.Results {
		if !(r.Score > 0.1 && r.Score <= 1) || r.TestScore != r.Score || r.LastScore != r.Score || r.BestEpoch != r.Epochs ||
			!math.IsNaN(r.ValLoss) || !(r.TestLoss > 0) || r.Setup != "test batch_size=64 seed=1 validation_split=0" {
			t.Errorf("result %+v: want the test accuracy as score, the last epoch as best, no validation loss", r)
		}
	}

	// The first trial, trained by hand on all the data.
	m, err := preset("digits-cnn")()
	if err != nil {
		t.Fatal(err)
	}
	if m, err = withLayerConfig(m, layerSetting{Layer: "dense", Field: "units", Value: 4.0}); err != nil {
		t.Fatal(err)
	}
	m.Seed = 1
	if err := m.Build(trainSet.X.RowShape()...); err != nil {
		t.Fatal(err)
	}
	if err := m.Adapt(trainSet.X); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(trainSet.X, trainSet.Y, train.Options{Epochs: 1, BatchSize: 64, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	logs, err := m.Evaluate(testSet.X, testSet.Y, 64)
	if err != nil {
		t.Fatal(err)
	}
	if first := rep.Results[0]; first.Score != logs["accuracy"] || first.TestLoss != logs["loss"] {
		t.Errorf("trial dense=4: test accuracy %v, loss %v; a fit on all the data gives %v, %v", first.Score, first.TestLoss, logs["accuracy"], logs["loss"])
	}

	recs := readCSV(t, results)
	wantHead := "key,setup,rung,epochs,dense.units,test_accuracy,test_loss,params,seconds,status,finished"
	if len(recs) != 3 || strings.Join(recs[0], ",") != wantHead {
		t.Fatalf("results file:\n%v\nwant the header %s and two rows", recs, wantHead)
	}
	for i, rec := range recs[1:] {
		if acc, _ := strconv.ParseFloat(rec[5], 64); math.Abs(acc-rep.Results[i].Score) > 1e-5 {
			t.Errorf("row %d: test_accuracy %s, trial scored %v", i+1, rec[5], rep.Results[i].Score)
		}
	}

	// Run again: both rows are reused and ranked by test accuracy.
	rep, err = newSweep().Run(context.Background())
	if err != nil || rep.Reused != 2 || rep.Ran != 0 {
		t.Fatalf("second run: ran %d, reused %d, %v", rep.Ran, rep.Reused, err)
	}
	final := rep.Final()
	if final[0].Score < final[1].Score {
		t.Errorf("final order %v, %v: want the higher test accuracy first", final[0].Score, final[1].Score)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "#  dense.units  epochs  test_accuracy  test_loss  params  time") ||
		strings.Contains(table.String(), "val_") || !strings.Contains(lines[1], strconv.FormatFloat(final[0].Score, 'f', 4, 64)) {
		t.Errorf("table:\n%s", table.String())
	}
}
