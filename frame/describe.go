package frame

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Table is a labelled grid of numbers: what Describe and Corr return.
type Table struct {
	Index   []string    // row labels
	Columns []string    // column labels
	Values  [][]float64 // Values[i][j] is row i, column j
}

// At returns the value at the labelled row and column, and whether both
// labels exist.
func (t *Table) At(row, col string) (float64, bool) {
	i, j := slices.Index(t.Index, row), slices.Index(t.Columns, col)
	if i < 0 || j < 0 {
		return math.NaN(), false
	}
	return t.Values[i][j], true
}

// Quantile returns the q-quantile (0 <= q <= 1) of the sorted values by
// linear interpolation between the two nearest ranks, as pandas and
// numpy do by default: position q*(n-1). NaN for no values.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*(pos-float64(lo))
}

// present returns c's non-missing values.
func present(c *Column) []float64 {
	out := make([]float64, 0, len(c.Nums))
	for _, v := range c.Nums {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// Describe summarises the numeric columns as pandas' describe() does: the
// count of non-missing values, mean, standard deviation (n-1 in the
// denominator), min, the 25%, 50% and 75% quantiles (see Quantile) and max.
func (f *Frame) Describe() *Table {
	t := &Table{Index: []string{"count", "mean", "std", "min", "25%", "50%", "75%", "max"}}
	t.Values = make([][]float64, len(t.Index))
	for _, c := range f.cols {
		if !c.Numeric() {
			continue
		}
		t.Columns = append(t.Columns, c.Name)
		v := present(c)
		slices.Sort(v)
		mean, std := math.NaN(), math.NaN()
		if len(v) > 0 {
			mean = stat.Mean(v, nil)
		}
		if len(v) > 1 {
			std = stat.StdDev(v, nil)
		}
		lo, hi := math.NaN(), math.NaN()
		if len(v) > 0 {
			lo, hi = v[0], v[len(v)-1]
		}
		col := []float64{float64(len(v)), mean, std, lo, Quantile(v, 0.25), Quantile(v, 0.5), Quantile(v, 0.75), hi}
		for i, x := range col {
			t.Values[i] = append(t.Values[i], x)
		}
	}
	return t
}

// Corr returns the Pearson correlation of every pair of numeric columns,
// each pair over the rows where both are present (pandas' pairwise
// deletion). A pair with fewer than two such rows, or a constant column,
// gives NaN.
func (f *Frame) Corr() *Table {
	var cols []*Column
	for _, c := range f.cols {
		if c.Numeric() {
			cols = append(cols, c)
		}
	}
	t := &Table{}
	for _, c := range cols {
		t.Columns = append(t.Columns, c.Name)
	}
	t.Index = slices.Clone(t.Columns)
	t.Values = make([][]float64, len(cols))
	for i := range cols {
		t.Values[i] = make([]float64, len(cols))
	}
	x, y := make([]float64, 0, f.Len()), make([]float64, 0, f.Len())
	for i, a := range cols {
		for j := i; j < len(cols); j++ {
			b := cols[j]
			x, y = x[:0], y[:0]
			for k := range a.Nums {
				if !math.IsNaN(a.Nums[k]) && !math.IsNaN(b.Nums[k]) {
					x, y = append(x, a.Nums[k]), append(y, b.Nums[k])
				}
			}
			r := math.NaN()
			if len(x) > 1 {
				r = stat.Correlation(x, y, nil)
				if i == j && !math.IsNaN(r) {
					r = 1 // exactly, as pandas prints the diagonal
				}
			}
			t.Values[i][j], t.Values[j][i] = r, r
		}
	}
	return t
}
