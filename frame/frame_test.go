package frame

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
)

func embedded(t testing.TB, name string) *Frame {
	t.Helper()
	b, err := dataset.RawCSV(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ReadCSV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestDescribeIris(t *testing.T) {
	f := embedded(t, "iris")
	if f.Len() != 150 || f.Width() != 5 {
		t.Fatalf("iris is %dx%d, want 150x5", f.Len(), f.Width())
	}
	d := f.Describe()
	// pandas: load_iris(as_frame=True).frame.describe()
	for _, tc := range []struct {
		row, col string
		want     float64
	}{
		{"count", "sepal length (cm)", 150},
		{"mean", "sepal length (cm)", 5.843333},
		{"std", "sepal length (cm)", 0.828066},
		{"min", "sepal length (cm)", 4.3},
		{"25%", "sepal length (cm)", 5.1},
		{"50%", "sepal length (cm)", 5.8},
		{"75%", "sepal length (cm)", 6.4},
		{"max", "sepal length (cm)", 7.9},
		{"mean", "petal width (cm)", 1.199333},
		{"std", "petal width (cm)", 0.762238},
		{"25%", "petal width (cm)", 0.3},
		{"75%", "petal width (cm)", 1.8},
	} {
		got, ok := d.At(tc.row, tc.col)
		if !ok || !near(got, tc.want, 5e-7) {
			t.Errorf("describe %s[%s] = %v, want %v", tc.col, tc.row, got, tc.want)
		}
	}
	if _, ok := d.At("mean", "target"); ok {
		t.Error("describe includes the text column target")
	}
	out := d.String()
	for _, want := range []string{
		"       sepal length (cm)  sepal width (cm)  petal length (cm)  petal width (cm)\n",
		"count         150.000000        150.000000         150.000000        150.000000\n",
		"mean            5.843333          3.057333           3.758000          1.199333\n",
		"50%             5.800000          3.000000           4.350000          1.300000\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
}

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		q    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 0.25, 1.75}, // numpy.quantile([1,2,3,4], .25)
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4}, 1, 4},
		{[]float64{7}, 0.75, 7},
		{[]float64{0, 10}, 0.3, 3},
	} {
		if got := Quantile(tc.v, tc.q); !near(got, tc.want, 1e-12) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tc.v, tc.q, got, tc.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile of no values is not NaN")
	}
}

func TestReadCSVTypesAndMissing(t *testing.T) {
	in := "a, b ,c,d,\n1,2.5,x,,7\n2,NA,y,3,8\n-3,1e3,,4,9\n"
	f, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		kind    Kind
		missing int
	}{{"a", Int, 0}, {"b", Float, 1}, {"c", String, 1}, {"d", Float, 1}, {"Unnamed: 4", Int, 0}}
	for i, c := range f.Columns() {
		if c.Name != want[i].name || c.Kind != want[i].kind || c.Missing() != want[i].missing {
			t.Errorf("column %d = %q %v missing %d, want %q %v missing %d", i, c.Name, c.Kind, c.Missing(), want[i].name, want[i].kind, want[i].missing)
		}
	}
	b, _ := f.Column("b")
	if !math.IsNaN(b.Nums[1]) || b.Nums[2] != 1000 {
		t.Errorf("b = %v, want [2.5 NaN 1000]", b.Nums)
	}
	got := f.String()
	wantOut := "    a       b    c    d  Unnamed: 4\n" +
		"0   1     2.5    x  NaN           7\n" +
		"1   2     NaN    y  3.0           8\n" +
		"2  -3  1000.0  NaN  4.0           9\n"
	if got != wantOut {
		t.Errorf("String() =\n%s\nwant\n%s", got, wantOut)
	}
}

func TestReadCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		line           int
	}{
		{"ragged short", "a,b,c\n1,2,3\n4,5\n", "frame: line 3: wrong number of fields: 2, the header has 3", 3},
		{"ragged long", "a,b\n1,2\n3,4\n5,6,7\n", "frame: line 4: wrong number of fields: 3, the header has 2", 4},
		{"bad quote", "a,b\n1,\"2\n", "frame: line 2: extraneous or missing \" in quoted-field", 2},
		{"duplicate", "a,b,a\n1,2,3\n", "frame: line 1: duplicate column name \"a\" (columns 1 and 3)", 1},
	} {
		_, err := ReadCSV(strings.NewReader(tc.in))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tc.line || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q at line %d", tc.name, err, tc.want, tc.line)
		}
	}
	if _, err := ReadCSV(strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("empty input: err = %v, want one about the header", err)
	}
}

func TestHeadTailSelectDropFilter(t *testing.T) {
	f := embedded(t, "boston_housing")
	if f.Len() != 506 || f.Width() != 14 {
		t.Fatalf("boston is %dx%d, want 506x14", f.Len(), f.Width())
	}
	h := f.Head(5)
	if h.Len() != 5 || h.Index()[0] != 0 {
		t.Errorf("Head(5) has %d rows from %d", h.Len(), h.Index()[0])
	}
	tl := f.Tail(3)
	if got := tl.Index(); len(got) != 3 || got[0] != 503 || got[2] != 505 {
		t.Errorf("Tail(3).Index() = %v, want [503 504 505]", got)
	}
	if f.Head(1000).Len() != 506 || f.Tail(-1).Len() != 0 {
		t.Error("Head/Tail do not clamp")
	}
	s, err := f.Select("RM", "MEDV")
	if err != nil || strings.Join(s.Names(), ",") != "RM,MEDV" {
		t.Fatalf("Select = %v, %v", s.Names(), err)
	}
	d, err := f.Drop("MEDV", "B")
	if err != nil || d.Width() != 12 || d.Names()[11] != "LSTAT" {
		t.Fatalf("Drop = %v, %v", d.Names(), err)
	}
	if _, err := f.Select("nope"); !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Select(nope) err = %v", err)
	}
	rich := f.Filter(func(r Row) bool { return r.Float("MEDV") == 50 })
	if rich.Len() != 16 { // (boston.MEDV == 50).sum()
		t.Errorf("MEDV == 50 rows = %d, want 16", rich.Len())
	}
	// Columns are copies: changing one does not reach the original.
	c, _ := s.Column("RM")
	c.Nums[0] = -1
	if orig, _ := f.Column("RM"); orig.Nums[0] != 6.575 {
		t.Error("Select shares column memory with its receiver")
	}
	want := "      CRIM    ZN  INDUS  CHAS    NOX     RM   AGE   DIS  RAD  TAX  PTRATIO      B  LSTAT  MEDV\n" +
		"0  0.00632  18.0   2.31     0  0.538  6.575  65.2  4.09    1  296     15.3  396.9   4.98  24.0\n"
	if got := f.Head(1).String(); got != want {
		t.Errorf("Head(1) =\n%s\nwant\n%s", got, want)
	}
}

func TestCorrBoston(t *testing.T) {
	c := embedded(t, "boston_housing").Corr()
	// pandas: boston.corr()
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"RM", "MEDV", 0.695360},
		{"LSTAT", "MEDV", -0.737663},
		{"RAD", "TAX", 0.910228},
		{"CRIM", "CRIM", 1},
	} {
		got, ok := c.At(tc.a, tc.b)
		if !ok || !near(got, tc.want, 5e-7) {
			t.Errorf("corr(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if back, _ := c.At(tc.b, tc.a); back != got {
			t.Errorf("corr is not symmetric at %s, %s", tc.a, tc.b)
		}
	}
}

func TestCorrPairwiseMissing(t *testing.T) {
	f, err := ReadCSV(strings.NewReader("x,y\n1,2\n2,4\nNA,1\n3,6\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Corr().At("x", "y"); !near(r, 1, 1e-12) {
		t.Errorf("corr over present pairs = %v, want 1", r)
	}
	dn, _ := f.DropNA()
	if dn.Len() != 3 {
		t.Errorf("DropNA left %d rows, want 3", dn.Len())
	}
}

func TestSplitScaleTensor(t *testing.T) {
	f := embedded(t, "iris")
	tr, te, err := f.Split(0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 120 || te.Len() != 30 {
		t.Fatalf("split %d/%d, want 120/30", tr.Len(), te.Len())
	}
	seen := map[int]bool{}
	for _, i := range append(tr.Index(), te.Index()...) {
		seen[i] = true
	}
	if len(seen) != 150 {
		t.Errorf("split covers %d distinct rows, want 150", len(seen))
	}
	tr2, _, _ := f.Split(0.2, 7)
	tr3, _, _ := f.Split(0.2, 8)
	if !equalInts(tr.Index(), tr2.Index()) || equalInts(tr.Index(), tr3.Index()) {
		t.Error("Split is not a function of its seed")
	}
	if _, _, err := f.Split(1, 0); err == nil {
		t.Error("Split(1) did not fail")
	}

	s, err := FitScaler(tr, "sepal length (cm)", "petal width (cm)")
	if err != nil {
		t.Fatal(err)
	}
	ztr, _ := s.Transform(tr)
	zte, _ := s.Transform(te)
	d := ztr.Describe()
	for _, n := range s.Names {
		mean, _ := d.At("mean", n)
		std, _ := d.At("std", n)
		// Training columns become mean 0 and population std 1; sample std is sqrt(n/(n-1)).
		if !near(mean, 0, 1e-12) || !near(std, math.Sqrt(120.0/119), 1e-12) {
			t.Errorf("standardised %s: mean %v std %v", n, mean, std)
		}
	}
	x, err := zte.Tensor("sepal length (cm)", "petal width (cm)")
	if err != nil {
		t.Fatal(err)
	}
	if x.Shape[0] != 30 || x.Shape[1] != 2 {
		t.Fatalf("tensor shape %v, want [30 2]", x.Shape)
	}
	raw, _ := te.Column("sepal length (cm)")
	if want := (raw.Nums[4] - s.Mean[0]) / s.Std[0]; !near(float64(x.Data[8]), want, 1e-6) {
		t.Errorf("test row 4 standardised = %v, want %v (training statistics)", x.Data[8], want)
	}
	if _, err := f.Tensor("target"); err == nil || !strings.Contains(err.Error(), `"target"`) {
		t.Errorf("Tensor of a text column: err = %v", err)
	}
	codes, classes, err := f.Labels("target")
	if err != nil || strings.Join(classes, ",") != "setosa,versicolor,virginica" || codes[0] != 0 || codes[149] != 2 {
		t.Errorf("Labels = %v, %v, %v", codes[:1], classes, err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPrintWraps(t *testing.T) {
	f := embedded(t, "breast_cancer")
	var b strings.Builder
	if err := f.Head(2).Print(&b, 80); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > 80 {
			t.Errorf("line longer than 80: %q", line)
		}
	}
	if !strings.Contains(b.String(), "malignant") {
		t.Error("wrapped output lost the last column")
	}
}

// FuzzReadCSV feeds arbitrary bytes to ReadCSV and everything that looks
// at the frame it returns: no panic, and a frame's columns, index and lines
// agree in length, lines increase, and a numeric matrix is refused exactly
// when a value is missing or infinite.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"", "\n", "a\n", "a,b\n1,2\n", "\ufeffa,a\n1,2\n", "a,b\n1\n", "a,,c\n1,2,3\n",
		"a,b,c\n1,\"x\ny\",2\n3,z,inf\n", "x,y\n1e400,-1e400\nNaN,NA\n 3 , 4 \n",
		"k,v\n\"q\"\"uote\",1\n\"open,2\n", "n\n9223372036854775808\n-0\n0x1p-3\n",
		"a;b\n1;2\n", "a,b\r\n1,2\r\n", "h\n" + strings.Repeat("1\n", 50),
		"\"a\nb\",c\n1,2", "x\nNA\n1e400\n", "\ufeffa,,a\n", "a,b\n1,\"2\n", "a\n9223372036854775808\n-0x1p3\n", "a,b,c\nnan,inf,-\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadCSV(bytes.NewReader(data))
		if err != nil {
			if fr != nil {
				t.Errorf("ReadCSV returned a frame with the error %v", err)
			}
			return
		}
		n := fr.Len()
		lines := fr.Lines()
		if fr.Width() > 0 && len(lines) != n || fr.Width() == 0 && n != 0 {
			t.Fatalf("%d rows, %d columns, %d lines", n, fr.Width(), len(lines))
		}
		for i, l := range lines {
			if l < 2 || i > 0 && l <= lines[i-1] {
				t.Fatalf("lines %v do not increase from 2", lines)
			}
		}
		hasBad := false
		for _, c := range fr.Columns() {
			if c.Len() != n {
				t.Fatalf("column %q has %d values, the frame %d rows", c.Name, c.Len(), n)
			}
			if c.Numeric() {
				for _, v := range c.Nums {
					hasBad = hasBad || math.IsNaN(v) || math.IsInf(v, 0)
				}
			}
			fr.Labels(c.Name)
		}
		_ = fr.String()
		_ = fr.Info()
		_ = fr.Describe().String()
		// Corr's output grows as the square of the width; a few KB of
		// commas would make the fuzzer spend its time printing.
		if fr.Width() <= 64 {
			_ = fr.Corr().String()
		}
		_ = fr.Tail(3).String()
		tr, te, err := fr.Split(0.5, 1)
		if err != nil || tr.Len()+te.Len() != n {
			t.Fatalf("split of %d rows: %d + %d, %v", n, tr.Len(), te.Len(), err)
		}
		FitScaler(fr)
		m, err := fr.Matrix()
		numeric := len(fr.NumericNames())
		switch {
		case n == 0 || numeric == 0:
			if err == nil {
				t.Fatalf("a matrix of %d rows and %d numeric columns", n, numeric)
			}
		case hasBad != (err != nil):
			t.Fatalf("non-finite values %v, Matrix error %v", hasBad, err)
		case err == nil:
			if r, c := m.Dims(); r != n || c != numeric {
				t.Fatalf("matrix %dx%d of %d rows and %d numeric columns", r, c, n, numeric)
			}
		}
	})
}
