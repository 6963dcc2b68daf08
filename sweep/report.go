package sweep

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gokeras/gokeras/plot"
)

// Final returns each configuration's last result (its highest rung),
// best first: by rung, then by score, diverged trials last.
func (r *Report) Final() []Result {
	last := map[string]int{}
	var order []string
	for i, res := range r.Results {
		j, ok := last[res.Key]
		if !ok {
			order = append(order, res.Key)
		}
		if !ok || res.Rung >= r.Results[j].Rung {
			last[res.Key] = i
		}
	}
	out := make([]Result, len(order))
	for i, k := range order {
		out[i] = r.Results[last[k]]
	}
	slices.SortStableFunc(out, func(a, b Result) int {
		if a.Rung != b.Rung {
			return b.Rung - a.Rung
		}
		return compareScores(a.Score, b.Score, r.Maximize)
	})
	return out
}

// Best returns the best configuration's result; ok is false when no trial
// finished.
func (r *Report) Best() (Result, bool) {
	f := r.Final()
	if len(f) == 0 {
		return Result{}, false
	}
	return f[0], true
}

// WriteTable prints the final results (Final) as a table: a rank, the
// parameters, the objective at the best and last epochs, the best epoch,
// the validation loss there, the test scores when measured, the epochs
// trained, the weight count and the training time. Ranked by the test
// set (RankedByTest), the objective is the test metric after the last
// epoch and there are no validation columns.
func (r *Report) WriteTable(w io.Writer) error {
	final := r.Final()
	if len(final) == 0 {
		_, err := fmt.Fprintln(w, "no finished trials")
		return err
	}
	val := !r.RankedByTest
	tested := !val || slices.ContainsFunc(final, func(res Result) bool { return !math.IsNaN(res.TestScore) || !math.IsNaN(res.TestLoss) })
	head := []string{"#"}
	head = append(head, r.Params...)
	if val {
		head = append(head, r.Objective, "last", "best_epoch")
		if r.Objective != "val_loss" {
			head = append(head, "val_loss")
		}
	}
	if tested {
		head = append(head, testColumn(r.Objective))
		if testColumn(r.Objective) != "test_loss" {
			head = append(head, "test_loss")
		}
	}
	if r.Halving {
		head = append(head, "rung")
	}
	epochs := !slices.Contains(r.Params, "epochs") // else a parameter column
	if epochs {
		head = append(head, "epochs")
	}
	head = append(head, "params", "time")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	f4 := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	for i, res := range final {
		row := []string{strconv.Itoa(i + 1)}
		for _, p := range r.Params {
			v, _ := res.Point.Get(p)
			row = append(row, v)
		}
		score := f4(res.Score)
		if res.Status != StatusOK {
			score = res.Status
		}
		if val {
			row = append(row, score, f4(res.LastScore), strconv.Itoa(res.BestEpoch))
			if r.Objective != "val_loss" {
				row = append(row, f4(res.ValLoss))
			}
		}
		if tested {
			test := f4(res.TestScore)
			if !val && res.Status != StatusOK {
				test = res.Status
			}
			row = append(row, test)
			if testColumn(r.Objective) != "test_loss" {
				row = append(row, f4(res.TestLoss))
			}
		}
		if r.Halving {
			row = append(row, strconv.Itoa(res.Rung+1))
		}
		if epochs {
			row = append(row, strconv.Itoa(res.Epochs))
		}
		row = append(row, strconv.Itoa(res.Params), formatSeconds(res.Seconds))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func formatSeconds(s float64) string {
	if math.IsNaN(s) {
		return "-"
	}
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// PlotScores returns, for each swept parameter with more than one value,
// the objective of every trial against the parameter (plot.ParamScores).
// With successive halving the first rung is drawn: it is the one where
// every configuration trained the same number of epochs.
func (r *Report) PlotScores() (map[string][]byte, error) {
	var rows []Result
	for _, res := range r.Results {
		if !r.Halving || res.Rung == 0 {
			rows = append(rows, res)
		}
	}
	out := map[string][]byte{}
	if len(rows) == 0 {
		return out, nil
	}
	score := r.Objective
	if r.Halving {
		score += fmt.Sprintf(" after %d epochs", rows[0].Epochs)
	}
	for _, p := range r.Params {
		vals := make([]string, len(rows))
		scores := make([]float64, len(rows))
		for i, res := range rows {
			vals[i], _ = res.Point.Get(p)
			scores[i] = res.Score
		}
		if distinct := slices.Compact(slices.Sorted(slices.Values(vals))); len(distinct) < 2 {
			continue
		}
		img, err := plot.ParamScores(p, score, vals, scores)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		png, err := plot.EncodePNG(img)
		if err != nil {
			return nil, err
		}
		out[p] = png
	}
	return out, nil
}

// WritePlots writes PlotScores's figures to dir (created if needed), one
// PNG per parameter named after it, and returns the files written.
func (r *Report) WritePlots(dir string) ([]string, error) {
	figs, err := r.PlotScores()
	if err != nil {
		return nil, err
	}
	if len(figs) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var files []string
	for _, p := range r.Params {
		png, ok := figs[p]
		if !ok {
			continue
		}
		path := filepath.Join(dir, fileName(p)+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		files = append(files, path)
	}
	return files, nil
}

// fileName keeps letters, digits, '.', '-' and '_' of a parameter name.
func fileName(p string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, p)
}
