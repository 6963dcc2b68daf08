package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The results file is a CSV file with a header row and one row per
// finished trial, appended and synced to disk as each trial ends (a
// swept epochs is the epochs column):
//
//	key,setup,rung,epochs,<parameters...>,val_accuracy,val_accuracy_last,best_epoch,val_loss,test_accuracy,test_loss,params,seconds,status,finished
//
// or, ranked by the test set (RankByTest), with no validation columns:
//
//	key,setup,rung,epochs,<parameters...>,test_accuracy,test_loss,params,seconds,status,finished
//
// A sharded sweep or a single rung (Sweep.Shard, Sweep.Rung) adds a
// trial column after epochs: the trial's place in its rung's list, which
// Merge orders by. The column is optional when a file is read.
//
// A row is never rewritten. Trials are matched by key, epochs and setup,
// so a grid extended with new values reuses the rows of the old points.

// header returns the results file's columns for this sweep.
func (s *Sweep) header() []string {
	h := []string{"key", "setup", "rung", "epochs"}
	if s.Shard.Count > 0 || s.Rung > 0 {
		h = append(h, "trial")
	}
	for _, p := range s.params {
		if p != "epochs" { // a swept epochs is the epochs column
			h = append(h, p)
		}
	}
	cols := []string{s.Objective, s.Objective + "_last", "best_epoch", "val_loss", testColumn(s.Objective), "test_loss", "params", "seconds", "status", "finished"}
	if s.RankByTest {
		cols = []string{s.Objective, "test_loss", "params", "seconds", "status", "finished"}
	}
	for _, c := range cols {
		if !slices.Contains(h, c) {
			h = append(h, c) // val_loss (test_loss) once when it is the objective
		}
	}
	return h
}

// metricOf is the metric an objective names: "accuracy" for val_accuracy
// and test_accuracy.
func metricOf(objective string) string {
	return strings.TrimPrefix(strings.TrimPrefix(objective, "val_"), "test_")
}

// testColumn is the column of the objective's metric on the test set.
func testColumn(objective string) string { return "test_" + metricOf(objective) }

type resultsFile struct {
	path      string
	header    []string
	objective string
	params    []string
	byTest    bool // the objective is a test metric: no validation columns
}

// read returns the rows written with setup, and how many rows had another
// setup. A missing file is empty. A last line cut short by a crash is
// removed from the file; a complete last row that only lacks its final
// newline (an editor saved the file so) is kept, and the newline added.
func (f *resultsFile) read(setup string) ([]Result, int, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("sweep: %w", err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		cut := bytes.LastIndexByte(data, '\n') + 1
		if f.complete(data[:cut], data[cut:]) {
			if err := appendNewline(f.path); err != nil {
				return nil, 0, fmt.Errorf("sweep: ending the last row of %s with a newline: %w", f.path, err)
			}
			data = append(data, '\n')
		} else {
			// A row is written with one write and synced; a torn last
			// row is one a crash interrupted. Its trial is run again.
			if err := os.Truncate(f.path, int64(cut)); err != nil {
				return nil, 0, fmt.Errorf("sweep: removing the unfinished last row of %s: %w", f.path, err)
			}
			data = data[:cut]
		}
	}
	return f.parse(data, setup)
}

// parse reads the results file's whole rows, data, as read does.
func (f *resultsFile) parse(data []byte, setup string) ([]Result, int, error) {
	if len(data) == 0 {
		return nil, 0, nil
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, 0, fmt.Errorf("sweep: results file %s: %w", f.path, err)
	}
	if len(recs) == 0 {
		// Rows appended to it would have no header.
		return nil, 0, fmt.Errorf("sweep: results file %s holds only blank lines, no header row; empty it or give another results file", f.path)
	}
	if !sameColumns(recs[0], f.header) {
		return nil, 0, fmt.Errorf("sweep: results file %s has the columns\n  %s\nbut this sweep writes\n  %s\nsweep the same parameters with the same objective, or give another results file",
			f.path, strings.Join(recs[0], ","), strings.Join(f.header, ","))
	}
	// Parameters named in another order: new rows follow the file's.
	f.header = recs[0]
	var rows []Result
	other := 0
	for i, rec := range recs[1:] {
		row := make(map[string]string, len(rec))
		for j, c := range f.header {
			row[c] = rec[j]
		}
		if row["setup"] != setup {
			other++
			continue
		}
		r, err := f.decode(row)
		if err != nil {
			return nil, 0, fmt.Errorf("sweep: results file %s, line %d: %w", f.path, i+2, err)
		}
		rows = append(rows, r)
	}
	return rows, other, nil
}

// complete reports whether last, the file's last line (after the lines
// before), is a whole record rather than one a crash cut short: it parses
// as one CSV record; as the header, it has this sweep's columns; as a row,
// it has the header's number of fields and its finished time (the last
// field written) parses.
func (f *resultsFile) complete(before, last []byte) bool {
	recs, err := csv.NewReader(bytes.NewReader(last)).ReadAll()
	if err != nil || len(recs) != 1 {
		return false
	}
	rec := recs[0]
	if len(before) == 0 {
		return sameColumns(rec, f.header)
	}
	header, err := csv.NewReader(bytes.NewReader(before)).Read()
	if err != nil || len(rec) != len(header) {
		return false
	}
	i := slices.Index(header, "finished")
	if i < 0 {
		return false
	}
	_, err = time.Parse(time.RFC3339, rec[i])
	return err == nil
}

// sameColumns reports whether two headers have the same columns, in any
// order, the optional trial column aside.
func sameColumns(a, b []string) bool {
	set := func(h []string) []string {
		return slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(h), func(c string) bool { return c == "trial" })))
	}
	return slices.Equal(set(a), set(b))
}

// appendNewline ends the file at path with "\n" and syncs it.
func appendNewline(path string) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = file.Write([]byte{'\n'})
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

func (f *resultsFile) decode(row map[string]string) (Result, error) {
	var err error
	num := func(c string) float64 {
		if row[c] == "" {
			return math.NaN()
		}
		v, perr := strconv.ParseFloat(row[c], 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("%s %q is not a number", c, row[c])
		}
		return v
	}
	integer := func(c string) int {
		v := num(c)
		if math.IsNaN(v) {
			return 0
		}
		return int(v)
	}
	r := Result{Key: row["key"], Setup: row["setup"], Rung: integer("rung"), Epochs: integer("epochs"),
		Score: num(f.objective), LastScore: num(f.objective + "_last"), BestEpoch: integer("best_epoch"),
		ValLoss: num("val_loss"), TestScore: num(testColumn(f.objective)), TestLoss: num("test_loss"),
		Params: integer("params"), Seconds: num("seconds"), Status: row["status"], Trial: -1}
	if v, ok := row["trial"]; ok && v != "" {
		r.Trial = integer("trial")
	}
	if f.byTest {
		// Tested once, after the last epoch.
		r.LastScore, r.BestEpoch = r.Score, r.Epochs
	}
	for _, p := range f.params {
		r.Point = append(r.Point, Setting{p, row[p]})
	}
	if r.Point.Key() != r.Key && err == nil {
		err = fmt.Errorf("key %q does not match the row's values %s", r.Key, r.Point.Key())
	}
	r.Finished, _ = time.Parse(time.RFC3339, row["finished"])
	return r, err
}

// record returns r as a row of the file's columns.
func (f *resultsFile) record(r Result) []string {
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	row := map[string]string{
		"key": r.Key, "setup": r.Setup, "rung": strconv.Itoa(r.Rung), "epochs": strconv.Itoa(r.Epochs),
		"best_epoch": strconv.Itoa(r.BestEpoch), "val_loss": num(r.ValLoss), "test_loss": num(r.TestLoss),
		"params": strconv.Itoa(r.Params), "seconds": strconv.FormatFloat(r.Seconds, 'f', 1, 64),
		"status": r.Status, "finished": r.Finished.Format(time.RFC3339),
	}
	// After val_loss and test_loss: the objective may be val_loss.
	row[f.objective], row[f.objective+"_last"], row[testColumn(f.objective)] = num(r.Score), num(r.LastScore), num(r.TestScore)
	for _, p := range f.params {
		row[p], _ = r.Point.Get(p)
	}
	if r.Trial >= 0 {
		row["trial"] = strconv.Itoa(r.Trial)
	}
	rec := make([]string, len(f.header))
	for i, c := range f.header {
		rec[i] = row[c]
	}
	return rec
}

// append writes r as one row, with the header first when the file is new,
// and syncs the file.
func (f *resultsFile) append(r Result) error {
	rec := f.record(r)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if st, err := file.Stat(); err == nil && st.Size() == 0 {
		w.Write(f.header)
	}
	w.Write(rec)
	w.Flush()
	_, err = file.Write(b.Bytes()) // one write: a crash leaves whole rows and at most a torn last line
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sweep: writing %s: %w", f.path, err)
	}
	return nil
}

// shortHash names a configuration's files.
func shortHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
