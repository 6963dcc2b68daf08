package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// tiedScore gives many configurations the same score, so a ranking
// depends on the order of the trials as well as on their scores.
func tiedScore(tr Trial) float64 {
	v, _ := tr.Point.Get("dense.units")
	n, _ := strconv.Atoi(v)
	return float64(n%3) / 10
}

func fakeSweep(t *testing.T, grid, results string, ran *[]Trial) *Sweep {
	return &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
		Grid: mustGrid(t, grid), Epochs: 2, Results: results,
		Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
			*ran = append(*ran, tr)
			return Result{Score: tiedScore(tr), LastScore: tiedScore(tr), BestEpoch: tr.Epochs, Seconds: 1}, nil
		}}
}

// finalText is a report's ranking: key, rung, epochs and score of each
// configuration, best first.
func finalText(rep *Report) []string {
	var out []string
	for _, r := range rep.Final() {
		out = append(out, fmt.Sprintf("%s rung=%d epochs=%d score=%g", r.Key, r.Rung, r.Epochs, r.Score))
	}
	return out
}

// TestShardsCoverGrid splits a grid of 7 trials 3 ways: every trial runs
// in exactly one shard, trial k in shard k mod 3, the same split when
// computed again; the merged shards rank as the whole run does, ties
// (7 trials, 3 scores) included.
func TestShardsCoverGrid(t *testing.T) {
	dir := t.TempDir()
	const grid = "dense.units=1,2,3,4,5,6,7"
	split := func(run string) ([][]int, []string) {
		var idx [][]int
		var files []string
		for i := range 3 {
			var ran []Trial
			sh := Shard{i, 3}
			path := ShardResultsPath(filepath.Join(dir, run, "r.csv"), sh)
			s := fakeSweep(t, grid, path, &ran)
			s.Shard = sh
			if _, err := s.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			var ks []int
			for _, tr := range ran {
				ks = append(ks, tr.Index)
				if want := strconv.Itoa(tr.Index + 1); tr.Point[0].Value != want {
					t.Errorf("shard %d: trial %d is %s, want dense.units=%s (the grid's order)", i, tr.Index, tr.Point, want)
				}
			}
			idx = append(idx, ks)
			files = append(files, path)
		}
		return idx, files
	}
	a, files := split("a")
	b, _ := split("b")
	want := [][]int{{0, 3, 6}, {1, 4}, {2, 5}}
	for i := range want {
		if !slices.Equal(a[i], want[i]) || !slices.Equal(b[i], want[i]) {
			t.Errorf("shard %d ran trials %v, then %v; want %v", i, a[i], b[i], want[i])
		}
	}
	if got := filepath.Base(files[2]); got != "r.shard-2-of-3.csv" {
		t.Errorf("shard 2's results file is %s", got)
	}
	if recs := readCSV(t, files[0]); strings.Join(recs[0][:5], ",") != "key,setup,rung,epochs,trial" || recs[2][4] != "3" {
		t.Errorf("shard 0's results file:\n%v", recs)
	}

	var ran []Trial
	whole, err := fakeSweep(t, grid, filepath.Join(dir, "whole.csv"), &ran).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Shard files in any order.
	m, err := MergeFiles([]string{files[2], files[0], files[1]})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := finalText(m.Report), finalText(whole); !slices.Equal(got, want) {
		t.Errorf("merged ranking\n  %s\nwant (the whole run's)\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(m.Gaps) != 0 {
		t.Errorf("gaps in complete shards: %q", m.Gaps)
	}
	if m, err := MergeFiles([]string{files[0], files[2]}); err != nil || !slices.Equal(m.Gaps, []string{"rung 1 lacks trials 1, 4 of 0 to 6"}) {
		t.Errorf("shard 1 missing: gaps %q, %v", m.Gaps, err)
	}
	if m.Report.Objective != "val_accuracy" || !m.Report.Maximize || !slices.Equal(m.Report.Params, []string{"dense.units"}) || m.Report.Halving {
		t.Errorf("merged report %+v", m.Report)
	}
	var wantTable, gotTable strings.Builder
	whole.WriteTable(&wantTable)
	m.Report.WriteTable(&gotTable)
	if gotTable.String() != wantTable.String() {
		t.Errorf("merged table\n%s\nwant\n%s", gotTable.String(), wantTable.String())
	}
	// The merged file serves as the whole sweep's results file.
	out := filepath.Join(dir, "merged.csv")
	if err := m.Write(out); err != nil {
		t.Fatal(err)
	}
	ran = nil
	rep, err := fakeSweep(t, grid, out, &ran).Run(context.Background())
	if err != nil || len(ran) != 0 || rep.Reused != 7 {
		t.Errorf("rerun on the merged file: %d trained, %d reused, %v; want 0, 7", len(ran), rep.Reused, err)
	}
}

// TestShardedHalving runs successive halving rung by rung in 3 shards,
// merging after each rung, and gets the whole run's trials and ranking.
func TestShardedHalving(t *testing.T) {
	dir := t.TempDir()
	const grid = "dense.units=1,2,3,4,5,6,7,8,9"
	newSweep := func(results string, ran *[]Trial) *Sweep {
		s := fakeSweep(t, grid, results, ran)
		s.Halving, s.Epochs, s.CheckpointDir = true, 9, filepath.Join(dir, "ck")
		return s
	}
	var whole []Trial
	wholeRep, err := newSweep(filepath.Join(dir, "whole.csv"), &whole).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	trialText := func(ts []Trial) []string {
		var out []string
		for _, tr := range ts {
			out = append(out, fmt.Sprintf("%s@%d index %d continues %v", tr.Key, tr.Epochs, tr.Index, tr.Prev != nil))
		}
		slices.Sort(out)
		return out
	}
	var sharded []Trial
	merged := filepath.Join(dir, "merged.csv")
	var files []string
	for i := range 3 {
		files = append(files, ShardResultsPath(filepath.Join(dir, "h.csv"), Shard{i, 3}))
	}
	for rung := 1; rung <= 3; rung++ {
		for i := range 3 {
			s := newSweep(files[i], &sharded)
			s.Shard, s.Rung = Shard{i, 3}, rung
			if rung > 1 {
				s.From = merged
			}
			if _, err := s.Run(context.Background()); err != nil {
				t.Fatalf("rung %d shard %d: %v", rung, i, err)
			}
		}
		if rung == 1 {
			// Rung 2 without rung 1's merged results is refused.
			s := newSweep(files[0], &sharded)
			s.Shard, s.Rung, s.From = Shard{0, 3}, 2, filepath.Join(dir, "none.csv")
			if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "reads the merged results of rungs 1 to 1") {
				t.Errorf("rung 2 without rung 1's results: %v", err)
			}
			// Nor with only two shards' results.
			m, err := MergeFiles(files[:2])
			if err != nil {
				t.Fatal(err)
			}
			part := filepath.Join(dir, "part.csv")
			if err := m.Write(part); err != nil {
				t.Fatal(err)
			}
			s.From = part
			if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "lacks 3 of the 9 results of rung 1 (dense.units=3") {
				t.Errorf("rung 2 with two shards of rung 1: %v", err)
			}
		}
		m, err := MergeFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Write(merged); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := trialText(sharded), trialText(whole); !slices.Equal(got, want) {
		t.Errorf("sharded trials\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	m, err := MergeFiles([]string{merged})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Report.Halving {
		t.Errorf("merged report of a halving is not marked Halving")
	}
	if got, want := finalText(m.Report), finalText(wholeRep); !slices.Equal(got, want) {
		t.Errorf("merged ranking\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	s := newSweep(files[0], &sharded)
	s.Shard = Shard{0, 3}
	if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "runs one rung at a time") {
		t.Errorf("sharded halving without a rung: %v", err)
	}
	s.Rung, s.From = 4, merged
	if _, err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "has 3 rungs") {
		t.Errorf("rung 4 of 3: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		spec string
		env  map[string]string
		want Shard
		err  string
	}{
		{spec: "0/8", want: Shard{0, 8}},
		{spec: "7/8", want: Shard{7, 8}},
		{spec: "8/8", err: "index 8 is out of range; with 8 shards it is 0 to 7"},
		{spec: "-1/8", err: "index -1 is out of range"},
		{spec: "1/0", err: "the count \"0\" is not a whole number of at least 1"},
		{spec: "3", err: "is not I/N or auto"},
		{spec: "x/3", err: "the index \"x\" is not a whole number"},
		{spec: "auto/4", env: map[string]string{EnvJobIndex: "3"}, want: Shard{3, 4}},
		{spec: "auto/4", env: map[string]string{EnvSlurmIndex: "2"}, want: Shard{2, 4}},
		// Kubernetes first when both are set.
		{spec: "auto/4", env: map[string]string{EnvJobIndex: "1", EnvSlurmIndex: "2"}, want: Shard{1, 4}},
		{spec: "auto", env: map[string]string{EnvSlurmIndex: "5", EnvSlurmCount: "8"}, want: Shard{5, 8}},
		{spec: "auto/4", err: "reads the index from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm job array), but neither is set"},
		{spec: "auto/4", env: map[string]string{EnvSlurmIndex: "4"}, err: "index 4 is out of range; with 4 shards it is 0 to 3 (from SLURM_ARRAY_TASK_ID=4; a Slurm array for 4 shards is --array=0-3)"},
		{spec: "auto/4", env: map[string]string{EnvJobIndex: "two"}, err: "JOB_COMPLETION_INDEX=\"two\" is not a whole number"},
		{spec: "auto", env: map[string]string{EnvJobIndex: "1"}, err: "the shard count is not known"},
		{spec: "auto", env: map[string]string{EnvSlurmIndex: "1"}, err: "the shard count is not known"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.spec, func(k string) string { return tt.env[k] })
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q %v: error %v, want one containing %q", tt.spec, tt.env, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%q %v: %v, %v; want %v", tt.spec, tt.env, got, err, tt.want)
		}
	}
	if p := ShardResultsPath("out/results.csv", Shard{2, 8}); p != filepath.Join("out", "results.shard-2-of-8.csv") {
		t.Errorf("ShardResultsPath: %s", p)
	}
}

// TestMergeRefuses checks that files of different sweeps are not merged
// and that a trial in two files is kept once, a differing one reported.
func TestMergeRefuses(t *testing.T) {
	dir := t.TempDir()
	run := func(name, grid string, shard Shard, edit func(*Sweep)) string {
		var ran []Trial
		path := filepath.Join(dir, name)
		s := fakeSweep(t, grid, path, &ran)
		s.Shard = shard
		if edit != nil {
			edit(s)
		}
		if _, err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := run("a.csv", "dense.units=1,2,3", Shard{0, 2}, nil)
	b := run("b.csv", "dense.units=1,2,3", Shard{1, 2}, nil)
	other := run("other.csv", "dense.units=1,2 batch_size=8", Shard{1, 2}, nil)
	seed := run("seed.csv", "dense.units=1,2,3", Shard{1, 2}, func(s *Sweep) { s.Seed = 7 })
	loss := run("loss.csv", "dense.units=1,2,3", Shard{1, 2}, func(s *Sweep) { s.Objective = "val_loss" })
	junk := filepath.Join(dir, "junk.csv")
	os.WriteFile(junk, []byte("a,b,c\n1,2,3\n"), 0o644)
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{a, other}, "are results of different sweeps: their columns are"},
		{[]string{a, loss}, "are results of different sweeps"},
		{[]string{a, seed}, "belong to different sweeps, with the setups\n  batch_size=32 epochs=2 seed=1"},
		{[]string{junk}, "is not a results file of gokeras sweep"},
		{[]string{a, filepath.Join(dir, "missing.csv")}, "missing.csv: no such file"},
		{nil, "at least one results file"},
	} {
		if _, err := MergeFiles(tt.files); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("merge %v: %v; want an error containing %q", tt.files, err, tt.want)
		}
	}
	// b again, and a copy of a with one score changed.
	data, _ := os.ReadFile(a)
	recs := strings.Split(string(data), "\n")
	changed := filepath.Join(dir, "changed.csv")
	os.WriteFile(changed, []byte(recs[0]+"\n"+strings.Replace(recs[1], ",0.1,", ",0.2,", 1)+"\n"), 0o644)
	m, err := MergeFiles([]string{a, b, b, changed})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Report.Results) != 3 || m.Duplicates != 2 || len(m.Conflicts) != 1 ||
		!strings.Contains(m.Conflicts[0], "dense.units=1 (2 epochs): "+a+" has val_accuracy=0.1") ||
		!strings.Contains(m.Conflicts[0], changed+" has val_accuracy=0.2") {
		t.Errorf("merged %d results, %d duplicates, conflicts %q", len(m.Report.Results), m.Duplicates, m.Conflicts)
	}
}

// TestShardsRandom splits a random sample: every shard draws the same
// sample from the seed, and the merged shards rank as the whole run.
func TestShardsRandom(t *testing.T) {
	dir := t.TempDir()
	const grid = "dense.units=1,2,3,4,5,6,7,8,9 batch_size=16,32"
	var ran, whole []Trial
	var files []string
	for i := range 2 {
		path := ShardResultsPath(filepath.Join(dir, "r.csv"), Shard{i, 2})
		s := fakeSweep(t, grid, path, &ran)
		s.Random, s.Seed, s.Shard = 5, 3, Shard{i, 2}
		if _, err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	s := fakeSweep(t, grid, filepath.Join(dir, "whole.csv"), &whole)
	s.Random, s.Seed = 5, 3
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ts []Trial) []string {
		var out []string
		for _, tr := range ts {
			out = append(out, tr.Key)
		}
		return slices.Sorted(slices.Values(out))
	}
	if got, want := keys(ran), keys(whole); len(got) != 5 || !slices.Equal(got, want) {
		t.Errorf("shards ran %q, the whole run %q", got, want)
	}
	m, err := MergeFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := finalText(m.Report), finalText(rep); !slices.Equal(got, want) {
		t.Errorf("merged ranking\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
