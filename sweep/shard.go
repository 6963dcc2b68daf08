package sweep

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Static sharding for batch schedulers (issue 22): a sweep's trial list
// is deterministic (the grid's order, a random sample drawn from the
// seed, or the listed trials), so N processes that each run the same
// command with another shard index split it without talking to each
// other. Trial k of the list (counting from 0) belongs to shard k mod N:
// every trial is in exactly one shard, the same on every machine, and
// the shards get trials of every part of the grid. Each shard writes its
// own results file (ShardResultsPath); Merge combines them.

// Shard is part Index (counting from 0) of Count parts of a sweep's
// trial list. The zero value is the whole list.
type Shard struct{ Index, Count int }

// Has reports whether trial k of the list belongs to the shard.
func (sh Shard) Has(k int) bool { return sh.Count <= 1 || k%sh.Count == sh.Index }

// String is the shard as ParseShard reads it, "2/8".
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.Count) }

// Environment variables ParseShard reads the index from, in this order.
const (
	// EnvJobIndex is set by Kubernetes in every pod of an Indexed Job
	// (completionMode: Indexed): 0 .. completions-1.
	EnvJobIndex = "JOB_COMPLETION_INDEX"
	// EnvSlurmIndex is set by Slurm in every task of a job array: the
	// task's value of --array, so --array=0-7 gives 0..7.
	EnvSlurmIndex = "SLURM_ARRAY_TASK_ID"
	// EnvSlurmCount is the number of tasks of a Slurm job array; it is
	// the shard count of a bare "auto".
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
)

// ShardSyntax documents ParseShard's input, for help texts.
const ShardSyntax = `I/N runs part I of N, I counting from 0 (0/8 .. 7/8); trial k of the
sweep's list belongs to part k mod N. auto/N reads I from
` + EnvJobIndex + ` (a Kubernetes Indexed Job) or else ` + EnvSlurmIndex + `
(a Slurm job array, which must then be --array=0-(N-1)); a bare auto also
takes N from ` + EnvSlurmCount + ` (Slurm only: Kubernetes does not
pass the completions count to the pod, so give auto/N there).`

// ParseShard reads a shard as ShardSyntax describes; getenv looks up the
// environment (os.Getenv).
func ParseShard(spec string, getenv func(string) string) (Shard, error) {
	spec = strings.TrimSpace(spec)
	idx, count, hasCount := strings.Cut(spec, "/")
	var sh Shard
	if hasCount {
		n, err := strconv.Atoi(strings.TrimSpace(count))
		if err != nil || n < 1 {
			return Shard{}, fmt.Errorf("sweep: shard %q: the count %q is not a whole number of at least 1; the syntax is\n%s", spec, count, ShardSyntax)
		}
		sh.Count = n
	}
	idx = strings.TrimSpace(idx)
	if idx != "auto" {
		if !hasCount {
			return Shard{}, fmt.Errorf("sweep: shard %q is not I/N or auto; the syntax is\n%s", spec, ShardSyntax)
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			return Shard{}, fmt.Errorf("sweep: shard %q: the index %q is not a whole number; the syntax is\n%s", spec, idx, ShardSyntax)
		}
		sh.Index = i
		return sh, sh.check(spec)
	}
	name, val := EnvJobIndex, getenv(EnvJobIndex)
	if val == "" {
		name, val = EnvSlurmIndex, getenv(EnvSlurmIndex)
	}
	if val == "" {
		return Shard{}, fmt.Errorf("sweep: shard %q reads the index from %s (Kubernetes Indexed Job) or %s (Slurm job array), but neither is set; outside those give the index, --shard 0/%s", spec, EnvJobIndex, EnvSlurmIndex, countText(sh.Count))
	}
	i, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil {
		return Shard{}, fmt.Errorf("sweep: shard %q: %s=%q is not a whole number", spec, name, val)
	}
	sh.Index = i
	if !hasCount {
		c := getenv(EnvSlurmCount)
		if name != EnvSlurmIndex || c == "" {
			return Shard{}, fmt.Errorf("sweep: shard %q: the shard count is not known (%s is set only in Slurm job arrays); give it: --shard auto/N with N the Job's completions", spec, EnvSlurmCount)
		}
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return Shard{}, fmt.Errorf("sweep: shard %q: %s=%q is not a whole number of at least 1", spec, EnvSlurmCount, c)
		}
		sh.Count = n
	}
	if err := sh.check(spec); err != nil {
		return Shard{}, fmt.Errorf("%w (from %s=%s; a Slurm array for %d shards is --array=0-%d)", err, name, val, sh.Count, sh.Count-1)
	}
	return sh, nil
}

func countText(n int) string {
	if n == 0 {
		return "N"
	}
	return strconv.Itoa(n)
}

func (sh Shard) check(spec string) error {
	if sh.Index < 0 || sh.Index >= sh.Count {
		return fmt.Errorf("sweep: shard %q: index %d is out of range; with %d shards it is 0 to %d", spec, sh.Index, sh.Count, sh.Count-1)
	}
	return nil
}

// ShardResultsPath names a shard's results file after the sweep's:
// results.csv becomes results.shard-2-of-8.csv. The whole list (Count
// 0 or 1) keeps path.
func ShardResultsPath(path string, sh Shard) string {
	if sh.Count <= 1 {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.shard-%d-of-%d%s", strings.TrimSuffix(path, ext), sh.Index, sh.Count, ext)
}
