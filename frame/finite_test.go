package frame

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestNonFiniteNamesColumnAndLine: a ±Inf in a numeric column is an error
// from every conversion to numbers (and from FitScaler, which would turn it
// into NaN), naming the column, the CSV line and the row, also after the
// rows were shuffled and a quoted field spanned two lines.
func TestNonFiniteNamesColumnAndLine(t *testing.T) {
	const src = "a,note,b\n1,plain,2\n3,\"two\nlines\",4\n5,x,inf\n7,y,8\n"
	f, err := ReadCSV(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Lines(); len(got) != 4 || got[0] != 2 || got[1] != 3 || got[2] != 5 || got[3] != 6 {
		t.Errorf("Lines() = %v, want [2 3 5 6]", got)
	}
	tr, te, err := f.Split(0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	part := tr // the part holding row 2
	if !slices.Contains(tr.Index(), 2) {
		part = te
	}
	for _, tc := range []struct {
		name string
		call func(*Frame) error
	}{
		{"Matrix", func(f *Frame) error { _, err := f.Matrix("a", "b"); return err }},
		{"Matrix of all columns", func(f *Frame) error { _, err := f.Matrix(); return err }},
		{"Floats", func(f *Frame) error { _, err := f.Floats("b"); return err }},
		{"Tensor", func(f *Frame) error { _, err := f.Tensor("b"); return err }},
		{"FitScaler", func(f *Frame) error { _, err := FitScaler(f, "a", "b"); return err }},
		{"CheckFinite", func(f *Frame) error { return f.CheckFinite("a", "b") }},
	} {
		for _, g := range []*Frame{f, part} {
			err := tc.call(g)
			var nf *NonFiniteError
			if !errors.As(err, &nf) || nf.Column != "b" || nf.Line != 5 || nf.Row != 2 || !math.IsInf(nf.Value, 1) {
				t.Errorf("%s: err = %v (%+v), want a *NonFiniteError for column b, line 5, row 2", tc.name, err, nf)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, `"b"`) || !strings.Contains(msg, "line 5") || !strings.Contains(msg, "+Inf") {
				t.Errorf("%s: message %q does not name the column, the line and the value", tc.name, msg)
			}
		}
	}
	if err := f.CheckFinite("a"); err != nil {
		t.Errorf("CheckFinite of a finite column: %v", err)
	}
	// A frame not read from a CSV has no lines to name: the row alone.
	g, _ := New(&Column{Name: "v", Kind: Float, Nums: []float64{1, math.Inf(-1)}})
	if err := g.CheckFinite(); err == nil || strings.Contains(err.Error(), "line") || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("CheckFinite without lines: %v", err)
	}
}

// TestOverflowIsInf: a number too large for float64 is a number, +Inf or
// -Inf, as pandas reads it, not text that turns the column into a String.
func TestOverflowIsInf(t *testing.T) {
	f, err := ReadCSV(strings.NewReader("a,b\n1e400,1\n-1e400,2\n3,inf\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Column("a")
	if a.Kind != Float || !math.IsInf(a.Nums[0], 1) || !math.IsInf(a.Nums[1], -1) || a.Nums[2] != 3 {
		t.Errorf("column a = %v %v, want float [+Inf -Inf 3]", a.Kind, a.Nums)
	}
	d := f.Describe()
	if hi, _ := d.At("max", "a"); !math.IsInf(hi, 1) {
		t.Errorf("describe max of a = %v, want +Inf", hi)
	}
}

func TestFitScalerOverflow(t *testing.T) {
	f, _ := New(&Column{Name: "v", Kind: Float, Nums: []float64{1e308, -1e308, 1e308}})
	if _, err := FitScaler(f); err == nil || !strings.Contains(err.Error(), `"v"`) {
		t.Errorf("FitScaler on values whose variance overflows: %v, want an error naming v", err)
	}
}
