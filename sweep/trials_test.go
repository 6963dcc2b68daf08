package sweep

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
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
