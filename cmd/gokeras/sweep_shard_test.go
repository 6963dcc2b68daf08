package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rankingRows returns the rows of the ranking table in a sweep's output,
// each without its last field (the training time, which differs from run
// to run), and the best: line.
func rankingRows(t *testing.T, out string) []string {
	t.Helper()
	var rows []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "#  "):
			in = true
		case in && strings.TrimSpace(l) == "":
			in = false
		case strings.HasPrefix(l, "best: "):
			rows = append(rows, l)
			continue
		}
		if in {
			f := strings.Fields(l)
			rows = append(rows, strings.Join(f[:len(f)-1], " "))
		}
	}
	if len(rows) < 2 {
		t.Fatalf("no ranking in:\n%s", out)
	}
	return rows
}

// TestSweepShardMerge runs a 3-trial grid on the embedded digits once
// whole and once as 3 shards (the middle one taking its index from
// JOB_COMPLETION_INDEX), merges the shards and gets the whole run's
// ranking: the same trials, order and scores.
func TestSweepShardMerge(t *testing.T) {
	dir := t.TempDir()
	common := []string{"sweep", "--grid", "dense=4,8,16", "--epochs", "1", "--batch-size", "64", "--plot-dir", ""}
	whole := filepath.Join(dir, "whole.csv")
	out, errOut, code := runCLI(t, append(common, "--results", whole)...)
	if code != 0 {
		t.Fatalf("whole sweep exited %d: %s", code, errOut)
	}
	want := rankingRows(t, out)
	if len(want) != 5 {
		t.Fatalf("whole ranking %q: want a header, 3 rows and best:", want)
	}

	results := filepath.Join(dir, "s.csv")
	var files []string
	for i, shard := range []string{"0/3", "auto/3", "2/3"} {
		if shard == "auto/3" {
			t.Setenv("JOB_COMPLETION_INDEX", "1")
		}
		out, errOut, code := runCLI(t, append(common, "--results", results, "--shard", shard)...)
		if code != 0 {
			t.Fatalf("shard %s exited %d: %s", shard, code, errOut)
		}
		if n := strings.Count(out, ": training"); n != 1 || !strings.Contains(out, "[1/1] dense.units=") ||
			!strings.Contains(out, "when every shard is done: gokeras sweep merge") {
			t.Errorf("shard %s trained %d trials, want 1:\n%s", shard, n, out)
		}
		f := filepath.Join(dir, "s.shard-"+string(rune('0'+i))+"-of-3.csv")
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("shard %s: %v", shard, err)
		}
		files = append(files, f)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "")
	merged := filepath.Join(dir, "merged.csv")
	out, errOut, code = runCLI(t, append([]string{"sweep", "merge", merged}, files[2], files[0], files[1])...)
	if code != 0 {
		t.Fatalf("merge exited %d: %s", code, errOut)
	}
	if !strings.Contains(out, "3 trials from 3 files merged into "+merged) || !strings.Contains(out, "configurations by val_accuracy (its best epoch):") {
		t.Errorf("merge output:\n%s", out)
	}
	if got := rankingRows(t, out); !slices.Equal(got, want) {
		t.Errorf("merged ranking\n  %s\nwant (the whole run's)\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// The merged file is the whole sweep's: a rerun trains nothing.
	out, _, code = runCLI(t, append(common, "--results", merged)...)
	if code != 0 || strings.Count(out, "done before") != 3 || strings.Contains(out, ": training") {
		t.Errorf("rerun on the merged file (exit %d):\n%s", code, out)
	}

	// A file of another sweep (another parameter) is refused.
	data, _ := os.ReadFile(files[0])
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other, []byte(strings.Replace(string(data), "dense.units", "dense.activation", 1)), 0o644)
	_, errOut, code = runCLI(t, "sweep", "merge", filepath.Join(dir, "m2.csv"), files[1], other)
	if code == 0 || !strings.Contains(errOut, "are results of different sweeps") {
		t.Errorf("merging another sweep's file: exit %d, %s", code, errOut)
	}
	// The same shard twice, one copy with another score: kept once, reported.
	changed := filepath.Join(dir, "changed.csv")
	lines := strings.SplitN(string(data), "\n", 3)
	f := strings.Split(lines[1], ",")
	f[6] = "0.0123" // val_accuracy (key,setup,rung,epochs,trial,dense.units,val_accuracy,...)
	os.WriteFile(changed, []byte(lines[0]+"\n"+strings.Join(f, ",")+"\n"), 0o644)
	out, errOut, code = runCLI(t, "sweep", "merge", filepath.Join(dir, "m3.csv"), files[0], files[1], changed)
	if code != 0 || !strings.Contains(out, "2 trials from 3 files") || !strings.Contains(out, "1 rows of trials already read dropped") ||
		!strings.Contains(out, "differing results of one trial: dense.units=4 (1 epochs): ") || !strings.Contains(out, "val_accuracy=0.0123") {
		t.Errorf("merge with a differing duplicate (exit %d, %s):\n%s", code, errOut, out)
	}
}

func TestSweepShardErrors(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "")
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"sweep", "--grid", "dense=8", "--shard", "auto/3"}, "but neither is set"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "3"}, []string{"sweep", "--grid", "dense=8", "--shard", "auto/3"}, "index 3 is out of range; with 3 shards it is 0 to 2 (from SLURM_ARRAY_TASK_ID=3; a Slurm array for 3 shards is --array=0-2)"},
		{map[string]string{"JOB_COMPLETION_INDEX": "0"}, []string{"sweep", "--grid", "dense=8", "--shard", "auto"}, "give it: --shard auto/N"},
		{nil, []string{"sweep", "--grid", "dense=8", "--shard", "3/3"}, "index 3 is out of range"},
		{nil, []string{"sweep", "--grid", "dense=8,16", "--halving", "--shard", "0/2"}, "runs one rung at a time: --rung 1"},
		{nil, []string{"sweep", "--grid", "dense=8,16", "--rung", "1"}, "add --halving"},
		{nil, []string{"sweep", "--grid", "dense=8,16", "--halving", "--rung", "2"}, "give the merged results of the earlier rungs with --from"},
		{nil, []string{"sweep", "--grid", "dense=8,16", "--halving", "--from", "x.csv"}, "--from gives the merged results"},
		{nil, []string{"sweep", "merge", "out.csv"}, "at least one results file"},
		{nil, []string{"sweep", "merge", "out.csv", "no-such.csv"}, "no-such.csv"},
	}
	for _, tt := range tests {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		_, errOut, code := runCLI(t, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v %v: exit %d, %q; want an error containing %q", tt.env, tt.args, code, errOut, tt.want)
		}
		for k := range tt.env {
			t.Setenv(k, "")
		}
	}
	out, _, _ := runCLI(t, "sweep", "merge", "-h")
	if !strings.Contains(out, "gokeras sweep merge OUT.csv IN.csv...") {
		t.Errorf("merge help:\n%s", out)
	}
	out, _, _ = runCLI(t, "sweep", "-h")
	if !strings.Contains(out, "--shard I/N runs part I of N") || !strings.Contains(out, "JOB_COMPLETION_INDEX") {
		t.Errorf("sweep help lacks --shard:\n%s", out)
	}
}
