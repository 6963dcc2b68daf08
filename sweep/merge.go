package sweep

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Merged is the combination of several results files of one sweep, such
// as the files of its shards (MergeFiles).
type Merged struct {
	// Report ranks the merged trials as the sweep's own run would: its
	// Results are in the order of the whole trial list (by rung, then by
	// the trial column; rows without one keep the order they were read
	// in), so Final, WriteTable and Best print what a single run prints.
	Report *Report
	// Conflicts describes each trial found in two files with different
	// scores; the first file's row is kept.
	Conflicts []string
	// Duplicates counts the rows of trials already read (identical or
	// not), which were dropped.
	Duplicates int
	// Gaps lists, per rung, the trial numbers below the highest one
	// merged that no file has: shards not finished or not given. (Trials
	// after the highest one cannot be told apart from none.)
	Gaps  []string
	file  *resultsFile
	setup string
}

// MergeFiles reads the results files of one sweep's shards (or any
// results files of one sweep) and combines them. Files of different
// sweeps (other parameters, objective, or setup: model, data set, fixed
// fit settings) are refused. A trial (key and epochs) found in more than
// one file is kept once.
//
// A results file does not say where a swept epochs stood among the
// parameters, so the merged report lists it last.
func MergeFiles(paths []string) (*Merged, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("sweep: merge needs at least one results file")
	}
	m := &Merged{}
	var firstPath string
	var header []string
	type seen struct {
		res  Result
		path string
		rec  []string
	}
	byKey := map[string]seen{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("sweep: merge: %w", err)
		}
		if cut := bytes.LastIndexByte(data, '\n') + 1; cut < len(data) {
			data = data[:cut] // a last row a crash cut short; its trial did not finish
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			return nil, fmt.Errorf("sweep: merge: results file %s: %w", path, err)
		}
		if len(recs) == 0 {
			return nil, fmt.Errorf("sweep: merge: %s is empty: it is no sweep's results file (a shard with no finished trial writes none)", path)
		}
		if m.file == nil {
			if m.file, err = fileOfHeader(path, recs[0]); err != nil {
				return nil, err
			}
			firstPath, header = path, recs[0]
		} else if !sameColumns(recs[0], header) {
			return nil, fmt.Errorf("sweep: merge: %s and %s are results of different sweeps: their columns are\n  %s\nand\n  %s\nmerge only the shards of one sweep (the same parameters and objective)",
				firstPath, path, strings.Join(header, ","), strings.Join(recs[0], ","))
		}
		if len(recs) == 1 {
			continue
		}
		f := *m.file
		f.path, f.header = path, recs[0]
		setups := map[string]bool{}
		for _, rec := range recs[1:] {
			if len(rec) > 1 {
				setups[rec[1]] = true
			}
		}
		for setup := range setups {
			if m.setup == "" {
				m.setup = setup
			} else if setup != m.setup {
				return nil, fmt.Errorf("sweep: merge: the rows of %s and %s belong to different sweeps, with the setups\n  %s\nand\n  %s\n(the model, data set and fit settings that were not swept); merge only the shards of one sweep",
					firstPath, path, m.setup, setup)
			}
		}
		if !slices.Contains(m.file.params, "epochs") && keySets(recs[1][0], "epochs") {
			// A swept epochs is the epochs column, not a parameter column.
			m.file.params = append(m.file.params, "epochs")
		}
		f.params = m.file.params
		rows, _, err := f.parse(data, m.setup)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			k := doneKey(r.Key, r.Epochs)
			rec := scoreFields(m.file, r)
			if prev, dup := byKey[k]; dup {
				m.Duplicates++
				if !slices.Equal(prev.rec, rec) {
					m.Conflicts = append(m.Conflicts, fmt.Sprintf("%s (%d epochs): %s has %s, %s has %s; kept %s's",
						r.Point, r.Epochs, prev.path, strings.Join(prev.rec, " "), path, strings.Join(rec, " "), prev.path))
				}
				continue
			}
			byKey[k] = seen{r, path, rec}
			m.Report = appendResult(m.Report, r)
		}
	}
	f := m.file
	rep := m.Report
	if rep == nil {
		rep = &Report{}
	}
	rep.Objective, rep.Maximize, rep.Params, rep.RankedByTest = f.objective, maximized(f.objective), f.params, f.byTest
	// Halving leaves epochs out of the setup (each rung sets it); so
	// does a swept epochs, which is a parameter.
	rep.Halving = m.setup != "" && !slices.Contains(f.params, "epochs") && !slices.ContainsFunc(strings.Fields(m.setup), func(w string) bool { return strings.HasPrefix(w, "epochs=") })
	slices.SortStableFunc(rep.Results, func(a, b Result) int {
		if a.Rung != b.Rung {
			return a.Rung - b.Rung
		}
		return a.Trial - b.Trial
	})
	m.Report = rep
	m.Gaps = gaps(rep.Results)
	return m, nil
}

// gaps finds the missing trial numbers of each rung in results, sorted
// by rung and trial.
func gaps(results []Result) []string {
	var out []string
	for i := 0; i < len(results); {
		j := i
		var missing []string
		next := 0
		for ; j < len(results) && results[j].Rung == results[i].Rung; j++ {
			t := results[j].Trial
			if t < 0 {
				continue
			}
			for ; next < t; next++ {
				missing = append(missing, fmt.Sprint(next))
			}
			next = t + 1
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("rung %d lacks trials %s of 0 to %d", results[i].Rung+1, strings.Join(missing, ", "), next-1))
		}
		i = j
	}
	return out
}

func appendResult(rep *Report, r Result) *Report {
	if rep == nil {
		rep = &Report{}
	}
	rep.Results = append(rep.Results, r)
	return rep
}

// scoreFields are what a trial measured, written as the file writes
// them; two rows of one trial differ when these do (not its time).
func scoreFields(f *resultsFile, r Result) []string {
	rec := f.record(r)
	var out []string
	for i, c := range f.header {
		switch c {
		case "key", "setup", "rung", "epochs", "trial", "seconds", "finished":
			continue
		}
		if !slices.Contains(f.params, c) {
			out = append(out, c+"="+rec[i])
		}
	}
	return out
}

// keySets reports whether a point's key (Point.Key) sets name.
func keySets(key, name string) bool {
	fields, err := split(key, func(r rune) bool { return r == ' ' })
	return err == nil && slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, name+"=") })
}

// fileOfHeader works out the parameters and the objective of a results
// file from its header, as Sweep.header writes it.
func fileOfHeader(path string, h []string) (*resultsFile, error) {
	cols := slices.DeleteFunc(slices.Clone(h), func(c string) bool { return c == "trial" })
	bad := fmt.Errorf("sweep: merge: %s is not a results file of gokeras sweep: its columns are\n  %s", path, strings.Join(h, ","))
	if len(cols) < 4 || !slices.Equal(cols[:4], []string{"key", "setup", "rung", "epochs"}) {
		return nil, bad
	}
	for i := 4; i < len(cols); i++ {
		obj := cols[i]
		if !strings.HasPrefix(obj, "val_") && !strings.HasPrefix(obj, "test_") {
			continue
		}
		s := &Sweep{params: cols[4:i], Objective: obj, RankByTest: strings.HasPrefix(obj, "test_")}
		if slices.Equal(s.header(), cols) {
			return &resultsFile{path: path, header: h, objective: obj, params: slices.Clone(s.params), byTest: s.RankByTest}, nil
		}
	}
	return nil, bad
}

// Write writes the merged trials to path as one results file (with the
// trial column when the inputs had it), in the report's order: a rerun
// of the whole sweep with it as its results file finds every trial done.
// It writes a temporary file and renames it, so path may be one of the
// merged files.
func (m *Merged) Write(path string) error {
	header := m.file.header
	if !slices.Contains(header, "trial") && slices.ContainsFunc(m.Report.Results, func(r Result) bool { return r.Trial >= 0 }) {
		header = append(slices.Clone(header[:4:4]), append([]string{"trial"}, header[4:]...)...)
	}
	f := *m.file
	f.header = header
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for _, r := range m.Report.Results {
		w.Write(f.record(r))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("sweep: merge: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("sweep: merge: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("sweep: merge: %w", err)
	}
	_, err = tmp.Write(b.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("sweep: merge: writing %s: %w", path, err)
	}
	return nil
}
