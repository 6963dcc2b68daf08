package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// A NonFiniteError reports a NaN or ±Inf among the values a fit, a
// prediction or a score was given. Every exported function here that takes
// float64 data checks it first and returns this error, as scikit-learn's
// check_array does ("Input contains NaN", "Input contains infinity or a
// value too large for dtype('float64')"): no result computed from such a
// value means anything, and a NaN has no order to rank by.
type NonFiniteError struct {
	Input  string  // what holds the value: "features", "target", "prediction", "score"
	Column string  // the feature's name for a matrix (x0, x1, … when unnamed); "" for a vector
	Row    int     // the row, counting from 0
	Value  float64 // NaN, +Inf or -Inf
}

func (e *NonFiniteError) Error() string {
	where := e.Input
	if e.Column != "" {
		where = fmt.Sprintf("feature %q", e.Column)
	}
	return fmt.Sprintf("analysis: %s is %v in row %d (counting from 0): NaN and ±Inf cannot be fitted or scored; drop or fix that row", where, e.Value, e.Row)
}

func nonFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// checkMatrix returns a *NonFiniteError for the first non-finite value of
// x in row-major order; names label the columns (nil: x0, x1, …).
func checkMatrix(x mat.Matrix, names []string) error {
	n, p := x.Dims()
	for i := range n {
		for j := range p {
			if v := x.At(i, j); nonFinite(v) {
				name := fmt.Sprintf("x%d", j)
				if j < len(names) {
					name = names[j]
				}
				return &NonFiniteError{Input: "features", Column: name, Row: i, Value: v}
			}
		}
	}
	return nil
}

// checkVec returns a *NonFiniteError for the first non-finite value of v.
func checkVec(input string, v []float64) error {
	for i, x := range v {
		if nonFinite(x) {
			return &NonFiniteError{Input: input, Row: i, Value: x}
		}
	}
	return nil
}

// checkLen returns an error if a and b differ in length.
func checkLen(a, b int) error {
	if a != b {
		return fmt.Errorf("analysis: %d values against %d", a, b)
	}
	return nil
}
