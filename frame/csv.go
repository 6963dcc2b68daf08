package frame

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// NA lists the fields ReadCSV reads as missing: pandas' default na_values.
var NA = []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
	"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}

// ErrFieldCount is wrapped by the error for a row whose number of fields
// differs from the header's.
var ErrFieldCount = errors.New("wrong number of fields")

// A ParseError is a CSV problem at a line of the input (1-based).
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("frame: line %d: %v", e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// ReadCSV reads a comma-separated table whose first line is the header.
// Each column's kind is inferred from its fields: Int if every field is a
// whole number, else Float if every field is a number, else String. Fields
// listed in NA (surrounding spaces ignored) are missing: NaN in a numeric
// column, "" in a String column, and a column with a missing value is
// never Int. Column.Missing counts them. A number too large for float64
// ("1e400") is ±Inf, as in pandas. A row with more or fewer fields than
// the header is a *ParseError naming its line; Frame.Lines keeps each
// row's line for later errors.
func ReadCSV(r io.Reader) (*Frame, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("frame: empty CSV: want a header line of column names")
	}
	if err != nil {
		return nil, fmt.Errorf("frame: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
		if names[i] == "" {
			names[i] = "Unnamed: " + strconv.Itoa(i) // pandas' name for a blank header
		}
	}
	for i, n := range names {
		if j := slices.Index(names[:i], n); j >= 0 {
			line, _ := cr.FieldPos(i)
			return nil, &ParseError{Line: line, Err: fmt.Errorf("duplicate column name %q (columns %d and %d)", n, j+1, i+1)}
		}
	}
	fields := make([][]string, len(names))
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{Line: pe.Line, Err: pe.Err}
			}
			return nil, fmt.Errorf("frame: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("%w: %d, the header has %d", ErrFieldCount, len(rec), len(names))}
		}
		lines = append(lines, line)
		for i, s := range rec {
			fields[i] = append(fields[i], strings.TrimSpace(s))
		}
	}
	cols := make([]*Column, len(names))
	for i, n := range names {
		cols[i] = inferColumn(n, fields[i])
	}
	f, err := New(cols...)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		f.index = nil
	} else {
		f.lines = lines
	}
	return f, nil
}

// ReadCSVFile reads the CSV file at path with ReadCSV; errors name the file.
func ReadCSVFile(path string) (*Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := ReadCSV(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func isNA(s string) bool { return slices.Contains(NA, s) }

// inferColumn types one column's fields; see ReadCSV.
func inferColumn(name string, fields []string) *Column {
	isInt, isNum, missing := true, true, false
	for _, s := range fields {
		if isNA(s) {
			missing = true
			continue
		}
		if isInt {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				isInt = false
			}
		}
		if !isInt && !isFloat(s) {
			isNum = false
			break
		}
	}
	if !isNum {
		c := &Column{Name: name, Kind: String, Strs: make([]string, len(fields))}
		for i, s := range fields {
			if !isNA(s) {
				c.Strs[i] = s
			}
		}
		return c
	}
	c := &Column{Name: name, Kind: Float, Nums: make([]float64, len(fields))}
	if isInt && !missing && len(fields) > 0 {
		c.Kind = Int
	}
	for i, s := range fields {
		if isNA(s) {
			c.Nums[i] = math.NaN()
			continue
		}
		c.Nums[i], _ = strconv.ParseFloat(s, 64)
	}
	return c
}

// isFloat reports whether s is a number. One too large for float64
// ("1e400") is ±Inf, as pandas reads it: ParseFloat returns ±Inf with
// ErrRange, which is kept. ("inf" and "Infinity" parse without error.)
func isFloat(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}
