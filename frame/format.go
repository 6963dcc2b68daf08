package frame

import (
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String prints f as pandas prints a DataFrame: the index on the left,
// each column right-aligned under its name, floats with as many decimals
// as the column needs (at most six), missing values as NaN.
func (f *Frame) String() string {
	var b strings.Builder
	f.Print(&b, 0)
	return b.String()
}

// Print writes f as String does, wrapping the columns into blocks at most
// width characters wide (0: one block, however wide).
func (f *Frame) Print(w io.Writer, width int) error {
	labels := make([]string, f.Len())
	for i, x := range f.index {
		labels[i] = strconv.Itoa(x)
	}
	cells := make([][]string, len(f.cols))
	for j, c := range f.cols {
		if c.Kind == String {
			cells[j] = make([]string, len(c.Strs))
			for i, s := range c.Strs {
				cells[j][i] = s
				if s == "" {
					cells[j][i] = "NaN"
				}
			}
			continue
		}
		cells[j] = formatNums(c.Nums, c.Kind == Int)
	}
	_, err := io.WriteString(w, grid(labels, f.Names(), cells, width))
	return err
}

// String prints t as pandas prints describe() and corr().
func (t *Table) String() string {
	var b strings.Builder
	t.Print(&b, 0)
	return b.String()
}

// Print writes t as String does, wrapping the columns into blocks at most
// width characters wide (0: one block).
func (t *Table) Print(w io.Writer, width int) error {
	cells := make([][]string, len(t.Columns))
	col := make([]float64, len(t.Index))
	for j := range t.Columns {
		for i := range t.Index {
			col[i] = t.Values[i][j]
		}
		cells[j] = formatNums(col, false)
	}
	_, err := io.WriteString(w, grid(t.Index, t.Columns, cells, width))
	return err
}

// formatNums formats one column the way pandas does: whole numbers for an
// integer column; otherwise one shared number of decimals, the fewest that
// show every value (at least one, at most six), or exponent notation for
// very large or very small magnitudes.
func formatNums(v []float64, whole bool) []string {
	out := make([]string, len(v))
	decimals, maxAbs, minAbs := 1, 0.0, math.Inf(1)
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		a := math.Abs(x)
		maxAbs = max(maxAbs, a)
		if a != 0 {
			minAbs = min(minAbs, a)
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if dot := strings.IndexByte(s, '.'); dot >= 0 {
			decimals = max(decimals, min(len(s)-dot-1, 6))
		}
	}
	format := byte('f')
	if maxAbs >= 1e9 || (maxAbs < 1e-4 && minAbs < 1e-4) {
		format = 'e'
		decimals = 6
	}
	for i, x := range v {
		switch {
		case math.IsNaN(x):
			out[i] = "NaN"
		case math.IsInf(x, 1):
			out[i] = "inf"
		case math.IsInf(x, -1):
			out[i] = "-inf"
		case whole:
			out[i] = strconv.FormatFloat(x, 'f', 0, 64)
		default:
			out[i] = strconv.FormatFloat(x, format, decimals, 64)
		}
	}
	return out
}

// grid lays out labelled columns: labels left-aligned, a header line, each
// column right-aligned two spaces after the previous one.
func grid(labels, header []string, cells [][]string, width int) string {
	lw := 0
	for _, l := range labels {
		lw = max(lw, utf8.RuneCountInString(l))
	}
	cw := make([]int, len(header))
	for j, h := range header {
		cw[j] = utf8.RuneCountInString(h)
		for _, s := range cells[j] {
			cw[j] = max(cw[j], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	if len(header) == 0 {
		for _, l := range labels {
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	for start := 0; start < len(header); {
		end, used := start+1, lw+2+cw[start]
		for end < len(header) && (width <= 0 || used+2+cw[end] <= width) {
			used += 2 + cw[end]
			end++
		}
		if start > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat(" ", lw))
		for j := start; j < end; j++ {
			b.WriteString("  " + pad(header[j], cw[j]))
		}
		b.WriteByte('\n')
		for i, l := range labels {
			b.WriteString(l + strings.Repeat(" ", lw-utf8.RuneCountInString(l)))
			for j := start; j < end; j++ {
				b.WriteString("  " + pad(cells[j][i], cw[j]))
			}
			b.WriteByte('\n')
		}
		start = end
	}
	return b.String()
}

func pad(s string, w int) string {
	return strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s))) + s
}
