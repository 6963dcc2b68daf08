package frame

import (
	"fmt"
	"math"
	"strings"

	"github.com/gokeras/gokeras/tensor"
	"gonum.org/v1/gonum/mat"
)

// A NonFiniteError is a ±Inf in a numeric column where only finite
// numbers can be used: Matrix, Floats, Tensor, FitScaler and CheckFinite
// return it (standardising +Inf gives NaN, and nothing fitted to it means
// anything). NaN is a missing value, reported (or dropped) as such.
type NonFiniteError struct {
	Column string
	Row    int     // the row's number in the frame as read (Index), from 0
	Line   int     // the row's line in the CSV it was read from (Lines); 0 if unknown
	Value  float64 // +Inf or -Inf
}

func (e *NonFiniteError) Error() string {
	at := fmt.Sprintf("in row %d", e.Row)
	if e.Line > 0 {
		at = fmt.Sprintf("on line %d (row %d)", e.Line, e.Row)
	}
	return fmt.Sprintf("frame: column %q is %v %s; only finite numbers can be used: fix or drop that row", e.Column, e.Value, at)
}

// CheckFinite returns a *NonFiniteError for the first ±Inf, in row order,
// in the named numeric columns (every numeric column if none are named).
// Missing values (NaN) and text columns are not its concern.
func (f *Frame) CheckFinite(names ...string) error {
	if len(names) == 0 {
		names = f.NumericNames()
	}
	var cols []*Column
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return err
		}
		if c.Numeric() {
			cols = append(cols, c)
		}
	}
	return f.checkFinite(cols)
}

func (f *Frame) checkFinite(cols []*Column) error {
	for i := range f.Len() {
		for _, c := range cols {
			if v := c.Nums[i]; math.IsInf(v, 0) {
				return &NonFiniteError{Column: c.Name, Row: f.index[i], Line: f.lineOf(i), Value: v}
			}
		}
	}
	return nil
}

// numeric returns the named columns (every numeric column if none are
// named), checking that each is numeric, has no missing value and no ±Inf.
func (f *Frame) numeric(names []string) ([]*Column, error) {
	if len(names) == 0 {
		names = f.NumericNames()
	}
	cols := make([]*Column, len(names))
	for j, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		if !c.Numeric() {
			return nil, fmt.Errorf("frame: column %q holds text, not numbers; drop it or encode it first", n)
		}
		if m := c.Missing(); m > 0 {
			return nil, fmt.Errorf("frame: column %q has %d missing values; drop those rows (DropNA) first", n, m)
		}
		cols[j] = c
	}
	if err := f.checkFinite(cols); err != nil {
		return nil, err
	}
	return cols, nil
}

// Floats returns a copy of the named numeric column's values; a missing
// value is an error.
func (f *Frame) Floats(name string) ([]float64, error) {
	cols, err := f.numeric([]string{name})
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), cols[0].Nums...), nil
}

// Matrix returns the named numeric columns (all numeric columns if none
// are named) as a rows × columns matrix.
func (f *Frame) Matrix(names ...string) (*mat.Dense, error) {
	cols, err := f.numeric(names)
	if err != nil {
		return nil, err
	}
	if f.Len() == 0 || len(cols) == 0 {
		return nil, fmt.Errorf("frame: matrix of %d rows and %d columns; want at least one of each", f.Len(), len(cols))
	}
	m := mat.NewDense(f.Len(), len(cols), nil)
	for j, c := range cols {
		for i, v := range c.Nums {
			m.Set(i, j, v)
		}
	}
	return m, nil
}

// Tensor returns the named numeric columns (all numeric columns if none
// are named) as a float32 tensor of shape (rows, columns), ready for
// training.
func (f *Frame) Tensor(names ...string) (*tensor.Tensor, error) {
	cols, err := f.numeric(names)
	if err != nil {
		return nil, err
	}
	t := tensor.New(f.Len(), len(cols))
	for j, c := range cols {
		for i, v := range c.Nums {
			t.Data[i*len(cols)+j] = float32(v)
		}
	}
	return t, nil
}

// A Scaler standardises columns with statistics learnt from one frame,
// as scikit-learn's StandardScaler: (x - mean) / std, with the population
// standard deviation (n in the denominator) and a constant column's std
// taken as 1. Fit it on the training rows and transform both parts, so
// the test rows leak nothing into training.
type Scaler struct {
	Names []string
	Mean  []float64
	Std   []float64
}

// FitScaler learns the mean and standard deviation of the named numeric
// columns (all numeric columns if none are named), ignoring missing values.
// A ±Inf is a *NonFiniteError: it would make its column's statistics, and
// so every standardised value of it, NaN.
func FitScaler(f *Frame, names ...string) (*Scaler, error) {
	if len(names) == 0 {
		names = f.NumericNames()
	}
	if err := f.CheckFinite(names...); err != nil {
		return nil, err
	}
	s := &Scaler{Names: append([]string(nil), names...)}
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		if !c.Numeric() {
			return nil, fmt.Errorf("frame: cannot standardise column %q: it holds text", n)
		}
		v := present(c)
		if len(v) == 0 {
			return nil, fmt.Errorf("frame: cannot standardise column %q: it has no values", n)
		}
		var mean, ss float64
		for _, x := range v {
			mean += x
		}
		mean /= float64(len(v))
		for _, x := range v {
			ss += (x - mean) * (x - mean)
		}
		std := math.Sqrt(ss / float64(len(v)))
		if math.IsInf(mean, 0) || math.IsInf(std, 0) {
			return nil, fmt.Errorf("frame: cannot standardise column %q: its values are too large for float64 arithmetic (mean %v, std %v); rescale them", n, mean, std)
		}
		if std == 0 || math.IsNaN(std) {
			std = 1
		}
		s.Mean, s.Std = append(s.Mean, mean), append(s.Std, std)
	}
	return s, nil
}

// Transform returns a copy of f with the scaler's columns standardised
// (as Float columns); other columns are copied unchanged.
func (s *Scaler) Transform(f *Frame) (*Frame, error) {
	out := f.Rows(span(0, f.Len()))
	for k, n := range s.Names {
		c, err := out.Column(n)
		if err != nil {
			return nil, err
		}
		if !c.Numeric() {
			return nil, fmt.Errorf("frame: cannot standardise column %q: it holds text", n)
		}
		c.Kind = Float
		for i, v := range c.Nums {
			c.Nums[i] = (v - s.Mean[k]) / s.Std[k]
		}
	}
	return out, nil
}

// Info describes f as pandas' info() does: each column's non-missing
// count, missing count and kind.
func (f *Frame) Info() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows, %d columns\n", f.Len(), f.Width())
	labels := make([]string, len(f.cols))
	cells := [][]string{make([]string, len(f.cols)), make([]string, len(f.cols)), make([]string, len(f.cols)), make([]string, len(f.cols))}
	for i, c := range f.cols {
		labels[i] = fmt.Sprint(i)
		m := c.Missing()
		cells[0][i], cells[1][i], cells[2][i], cells[3][i] = c.Name, fmt.Sprint(c.Len()-m), fmt.Sprint(m), c.Kind.String()
	}
	b.WriteString(grid(labels, []string{"column", "non-null", "missing", "kind"}, cells, 0))
	return b.String()
}
