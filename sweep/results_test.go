package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// TestResultsFileNoFinalNewline: a results file whose last row is complete
// but lacks its "\n" (as some editors save a file) keeps that row, and the
// next row written starts on a line of its own; a row cut short inside a
// field is still removed and its trial run again.
func TestResultsFileNoFinalNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	run := func(grid string) *Report {
		t.Helper()
		s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
			Grid: mustGrid(t, grid), Results: path,
			Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
				return Result{Score: fakeScore(tr), BestEpoch: 1}, nil
			}}
		rep, err := s.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run("dense.units=1,2")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.TrimSuffix(data, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := run("dense.units=1,2"); rep.Ran != 0 || rep.Reused != 2 {
		t.Errorf("last row without its newline: ran %d, reused %d; want 0, 2", rep.Ran, rep.Reused)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Errorf("file after reading it:\n%q\nwant the newline restored:\n%q", got, data)
	}
	// A grid extended by one point appends a row on its own line.
	if rep := run("dense.units=1,2,3"); rep.Ran != 1 || rep.Reused != 2 {
		t.Errorf("extended grid: ran %d, reused %d; want 1, 2", rep.Ran, rep.Reused)
	}
	if recs := readCSV(t, path); len(recs) != 4 {
		t.Errorf("%d records after the extension, want a header and 3 rows: %q", len(recs), recs)
	}
	// Torn inside the last field (the finished time), and so many fields
	// short: both are removed and their trial run again.
	for _, cut := range []int{3, 25} {
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(path, data[:len(data)-cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if rep := run("dense.units=1,2,3"); rep.Ran != 1 || rep.Reused != 2 {
			t.Errorf("row torn %d bytes before its end: ran %d, reused %d; want 1, 2", cut, rep.Ran, rep.Reused)
		}
		if recs := readCSV(t, path); len(recs) != 4 {
			t.Errorf("torn %d: %d records after the repair, want 4", cut, len(recs))
		}
	}
}

// TestResultsFileBlankLines: a results file of blank lines only is an
// error that says what to do (it used to index its missing header).
func TestResultsFileBlankLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte("\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Sweep{Model: preset("digits-cnn"), X: tensor.New(20, 8, 8, 1), Y: tensor.New(20),
		Grid: mustGrid(t, "dense.units=1"), Results: path,
		Runner: func(_ context.Context, _ *Sweep, tr Trial) (Result, error) {
			return Result{Score: fakeScore(tr), BestEpoch: 1}, nil
		}}
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Run on a file of blank lines panicked: %v", p)
			}
		}()
		_, err = s.Run(context.Background())
	}()
	if err == nil || !strings.Contains(err.Error(), "no header row") {
		t.Errorf("Run on a file of blank lines: %v, want an error about the missing header", err)
	}
}

// FuzzResultsFile feeds arbitrary bytes to the results file's parser (the
// torn-row test and the row decoder): it must return rows or an error,
// never panic, and account for every row it parses.
func FuzzResultsFile(f *testing.F) {
	s := &Sweep{Grid: []Param{{Name: "dense.units"}}, Objective: "val_accuracy"}
	s.params = []string{"dense.units"}
	header := strings.Join(s.header(), ",")
	row := "dense.units=8,test,0,1,8,0.5,0.5,1,0.7,0.4,0.8,123,1.5,ok,2026-12-06T17:16:03Z"
	for _, seed := range []string{
		"", "\n", "\n\n", header, header + "\n", header + "\n" + row, header + "\n" + row + "\n",
		header + "\n" + row[:len(row)-4], header + "\n" + row + "\n" + row[:20],
		header + "\n\"unterminated,quote\n", header + "\n" + strings.Replace(row, "test", "other", 1) + "\n",
		header + "\ndense.units=1,test,x,1e400,NaN,,,,,,,,,,\n", "a,b\n1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rf := &resultsFile{path: "fuzz.csv", header: s.header(), objective: s.Objective, params: s.params}
		if len(data) > 0 && data[len(data)-1] != '\n' {
			cut := bytes.LastIndexByte(data, '\n') + 1
			if !rf.complete(data[:cut], data[cut:]) {
				data = data[:cut]
			}
		}
		rows, other, err := rf.parse(data, "test")
		if err != nil {
			return
		}
		if len(data) > 0 {
			recs, _ := csv.NewReader(bytes.NewReader(data)).ReadAll()
			if len(rows)+other != len(recs)-1 {
				t.Errorf("%d rows and %d of another setup from %d records", len(rows), other, len(recs))
			}
		}
		for _, r := range rows {
			if r.Setup != "test" {
				t.Errorf("row of setup %q returned for %q", r.Setup, "test")
			}
		}
	})
}
