// Package frame owns a small DataFrame for tabular data: reading CSV with
// per-column type inference, looking at the data (Head, Tail, Describe,
// Corr, printed as pandas prints them), picking rows and columns, a seeded
// train/test split, standardisation with training statistics, and the
// conversion to tensors and gonum matrices that training and analysis need.
//
// A Frame is a list of equally long columns. Numeric columns (Int and Float)
// hold float64 values with NaN for a missing value, as pandas does; String
// columns hold text with "" for a missing value. Operations return new
// frames and never modify their receiver.
package frame

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Kind is a column's inferred type.
type Kind int

const (
	Float  Kind = iota // float64 values, NaN when missing
	Int                // whole numbers, held as float64; never missing (a gap makes the column Float, as in pandas)
	String             // text, "" when missing
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Float:
		return "float"
	case String:
		return "string"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// A Column is one named column. Exactly one of Nums (Int, Float) and Strs
// (String) is used.
type Column struct {
	Name string
	Kind Kind
	Nums []float64
	Strs []string
}

// Len is the number of values in c.
func (c *Column) Len() int {
	if c.Kind == String {
		return len(c.Strs)
	}
	return len(c.Nums)
}

// Numeric reports whether c holds numbers.
func (c *Column) Numeric() bool { return c.Kind != String }

// Missing counts c's missing values (NaN, or "" in a String column).
func (c *Column) Missing() int {
	n := 0
	if c.Kind == String {
		for _, s := range c.Strs {
			if s == "" {
				n++
			}
		}
		return n
	}
	for _, v := range c.Nums {
		if math.IsNaN(v) {
			n++
		}
	}
	return n
}

// missingAt reports whether row i of c is missing.
func (c *Column) missingAt(i int) bool {
	if c.Kind == String {
		return c.Strs[i] == ""
	}
	return math.IsNaN(c.Nums[i])
}

// pick returns a copy of c holding the rows idx.
func (c *Column) pick(idx []int) *Column {
	out := &Column{Name: c.Name, Kind: c.Kind}
	if c.Kind == String {
		out.Strs = make([]string, len(idx))
		for j, i := range idx {
			out.Strs[j] = c.Strs[i]
		}
		return out
	}
	out.Nums = make([]float64, len(idx))
	for j, i := range idx {
		out.Nums[j] = c.Nums[i]
	}
	return out
}

// Frame is a table of named, equally long columns. The zero value is an
// empty frame.
type Frame struct {
	cols  []*Column
	index []int // each row's number in the frame it was read as (pandas' index)
	lines []int // lines[index[i]] is row i's line in the CSV it was read from; shared, never modified; nil if not read from one
}

// New returns a frame of the columns, which must have distinct names and
// equal lengths. The columns are used, not copied.
func New(cols ...*Column) (*Frame, error) {
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			return nil, fmt.Errorf("frame: duplicate column name %q", c.Name)
		}
		seen[c.Name] = true
		if c.Kind == String && c.Nums != nil || c.Kind != String && c.Strs != nil {
			return nil, fmt.Errorf("frame: column %q of kind %v has values of the other kind", c.Name, c.Kind)
		}
		if c.Len() != cols[0].Len() {
			return nil, fmt.Errorf("frame: column %q has %d rows, column %q has %d", c.Name, c.Len(), cols[0].Name, cols[0].Len())
		}
	}
	f := &Frame{cols: cols}
	if len(cols) > 0 {
		f.index = make([]int, cols[0].Len())
		for i := range f.index {
			f.index[i] = i
		}
	}
	return f, nil
}

// Len is the number of rows.
func (f *Frame) Len() int { return len(f.index) }

// Width is the number of columns.
func (f *Frame) Width() int { return len(f.cols) }

// Index returns each row's number in the frame it was read as: Tail and
// Split keep them, as pandas keeps its index.
func (f *Frame) Index() []int { return slices.Clone(f.index) }

// Lines returns each row's line (from 1) in the CSV file it was read from,
// where its record starts, so that an error can point at it; nil for a
// frame that was not read by ReadCSV.
func (f *Frame) Lines() []int {
	if f.lines == nil {
		return nil
	}
	out := make([]int, len(f.index))
	for i, r := range f.index {
		out[i] = f.lines[r]
	}
	return out
}

// lineOf is row i's line in its CSV, 0 if unknown.
func (f *Frame) lineOf(i int) int {
	if f.lines == nil {
		return 0
	}
	return f.lines[f.index[i]]
}

// Names returns the column names in order.
func (f *Frame) Names() []string {
	names := make([]string, len(f.cols))
	for i, c := range f.cols {
		names[i] = c.Name
	}
	return names
}

// Columns returns the columns in order; they share memory with f.
func (f *Frame) Columns() []*Column { return slices.Clone(f.cols) }

// Column returns the named column (sharing memory with f), or an error
// that lists the columns.
func (f *Frame) Column(name string) (*Column, error) {
	for _, c := range f.cols {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, &ColumnError{Name: name, Have: f.Names()}
}

// ErrNoColumn is wrapped by errors about a column that does not exist.
var ErrNoColumn = errors.New("no such column")

// ColumnError names a column that is not in a frame.
type ColumnError struct {
	Name string
	Have []string
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("frame: no column %q; columns: %s", e.Name, quoteList(e.Have))
}

func (e *ColumnError) Unwrap() error { return ErrNoColumn }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// NumericNames returns the names of the Int and Float columns, in order.
func (f *Frame) NumericNames() []string {
	var names []string
	for _, c := range f.cols {
		if c.Numeric() {
			names = append(names, c.Name)
		}
	}
	return names
}

// Rows returns a copy of f holding the rows idx (positions in f), in that
// order. It panics if an index is out of range.
func (f *Frame) Rows(idx []int) *Frame {
	out := &Frame{cols: make([]*Column, len(f.cols)), index: make([]int, len(idx)), lines: f.lines}
	for j, i := range idx {
		out.index[j] = f.index[i]
	}
	for k, c := range f.cols {
		out.cols[k] = c.pick(idx)
	}
	return out
}

func span(lo, hi int) []int {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}

// Head returns the first n rows (all of them if there are fewer).
func (f *Frame) Head(n int) *Frame { return f.Rows(span(0, max(0, min(n, f.Len())))) }

// Tail returns the last n rows (all of them if there are fewer).
func (f *Frame) Tail(n int) *Frame { return f.Rows(span(max(0, f.Len()-max(n, 0)), f.Len())) }

// Select returns the named columns, in the order named.
func (f *Frame) Select(names ...string) (*Frame, error) {
	out := &Frame{index: slices.Clone(f.index), lines: f.lines}
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out.cols, c) {
			return nil, fmt.Errorf("frame: column %q selected twice", n)
		}
		out.cols = append(out.cols, c)
	}
	return out.Rows(span(0, out.Len())), nil
}

// Drop returns f without the named columns.
func (f *Frame) Drop(names ...string) (*Frame, error) {
	for _, n := range names {
		if _, err := f.Column(n); err != nil {
			return nil, err
		}
	}
	var keep []string
	for _, c := range f.cols {
		if !slices.Contains(names, c.Name) {
			keep = append(keep, c.Name)
		}
	}
	return f.Select(keep...)
}

// A Row is one row of a frame, as Filter's predicate sees it.
type Row struct {
	f *Frame
	i int
}

// Index is the row's number in the frame it was read as.
func (r Row) Index() int { return r.f.index[r.i] }

// Float returns the row's value in the named numeric column; NaN if it is
// missing, or the column is not numeric or does not exist.
func (r Row) Float(name string) float64 {
	c, err := r.f.Column(name)
	if err != nil || !c.Numeric() {
		return math.NaN()
	}
	return c.Nums[r.i]
}

// String returns the row's value in the named column as text ("" if it is
// missing or the column does not exist).
func (r Row) String(name string) string {
	c, err := r.f.Column(name)
	if err != nil || c.missingAt(r.i) {
		return ""
	}
	if c.Kind == String {
		return c.Strs[r.i]
	}
	return strconv.FormatFloat(c.Nums[r.i], 'g', -1, 64)
}

// Filter returns the rows for which keep returns true.
func (f *Frame) Filter(keep func(Row) bool) *Frame {
	var idx []int
	for i := range f.Len() {
		if keep(Row{f, i}) {
			idx = append(idx, i)
		}
	}
	return f.Rows(idx)
}

// DropNA returns the rows that have no missing value in the named columns
// (in any column if none are named).
func (f *Frame) DropNA(names ...string) (*Frame, error) {
	cols := f.cols
	if len(names) > 0 {
		cols = nil
		for _, n := range names {
			c, err := f.Column(n)
			if err != nil {
				return nil, err
			}
			cols = append(cols, c)
		}
	}
	return f.Filter(func(r Row) bool {
		for _, c := range cols {
			if c.missingAt(r.i) {
				return false
			}
		}
		return true
	}), nil
}

// Split shuffles the rows with seed and returns the first part as train and
// the last ceil(testFrac*n) rows as test (scikit-learn's train_test_split
// sizes). The same seed gives the same split.
func (f *Frame) Split(testFrac float64, seed uint64) (train, test *Frame, err error) {
	if !(testFrac >= 0 && testFrac < 1) {
		return nil, nil, fmt.Errorf("frame: test fraction %v must be in [0, 1), e.g. 0.2", testFrac)
	}
	n := f.Len()
	nTest := int(math.Ceil(testFrac * float64(n)))
	perm := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)).Perm(n)
	return f.Rows(perm[:n-nTest]), f.Rows(perm[n-nTest:]), nil
}

// Labels encodes the named column as class indices: the classes are its
// distinct values, sorted (numerically for a numeric column), as
// scikit-learn's LabelEncoder orders them. A missing value is an error.
func (f *Frame) Labels(name string) (codes []int, classes []string, err error) {
	c, err := f.Column(name)
	if err != nil {
		return nil, nil, err
	}
	if n := c.Missing(); n > 0 {
		return nil, nil, fmt.Errorf("frame: column %q has %d missing values; drop those rows first", name, n)
	}
	codes = make([]int, c.Len())
	if c.Kind == String {
		classes = slices.Clone(c.Strs)
		slices.Sort(classes)
		classes = slices.Compact(classes)
		for i, s := range c.Strs {
			codes[i], _ = slices.BinarySearch(classes, s)
		}
		return codes, classes, nil
	}
	vals := slices.Clone(c.Nums)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	for i, v := range c.Nums {
		codes[i], _ = slices.BinarySearch(vals, v)
	}
	classes = make([]string, len(vals))
	for i, v := range vals {
		classes[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return codes, classes, nil
}
