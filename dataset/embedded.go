package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// The small sets are scikit-learn 1.2.1's bundled copies (BSD-licensed, data
// from the UCI repository), taken from Debian's python3-sklearn package; the
// CSVs are gzipped to keep the binary small (~130 KB in all).
//
//go:embed data/*.csv.gz
var embedded embed.FS

var (
	digitsInfo = Info{
		Name:        "digits",
		Description: "8x8 images of handwritten digits (UCI optical recognition, scikit-learn's load_digits); pixels 0..16 scaled to [0,1]; split 80/20 with the seed",
		Task:        Classification, InputShape: []int{8, 8, 1},
		Classes:   []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		TrainSize: 1437, TestSize: 360, Embedded: true,
	}
	irisInfo = Info{
		Name:        "iris",
		Description: "Fisher's iris flowers: sepal length, sepal width, petal length, petal width (cm); split 80/20 with the seed",
		Task:        Classification, InputShape: []int{4},
		Classes:   []string{"setosa", "versicolor", "virginica"},
		TrainSize: 120, TestSize: 30, Embedded: true,
	}
	wineInfo = Info{
		Name:        "wine",
		Description: "UCI wine recognition: 13 chemical measurements of wines from three cultivars; split 80/20 with the seed",
		Task:        Classification, InputShape: []int{13},
		Classes:   []string{"class_0", "class_1", "class_2"},
		TrainSize: 142, TestSize: 36, Embedded: true,
	}
	breastCancerInfo = Info{
		Name:        "breast_cancer",
		Description: "Wisconsin diagnostic breast cancer: 30 features of cell nuclei; split 80/20 with the seed",
		Task:        Classification, InputShape: []int{30},
		Classes:   []string{"malignant", "benign"},
		TrainSize: 455, TestSize: 114, Embedded: true,
	}
	diabetesInfo = Info{
		Name:        "diabetes",
		Description: "Efron et al. diabetes: age, sex, bmi, bp, s1..s6 (raw, unscaled values) → disease progression after one year; split 80/20 with the seed",
		Task:        Regression, InputShape: []int{10},
		TrainSize: 353, TestSize: 89, Embedded: true,
	}
	bostonInfo = Info{
		Name:        "boston_housing",
		Description: "Boston house prices (Harrison & Rubinfeld 1978): 13 raw features → MEDV in $1000s; split as Keras's load_data(test_split=0.2, seed=113), row for row",
		Task:        Regression, InputShape: []int{13},
		TrainSize: 404, TestSize: 102, Embedded: true,
	}
)

// BostonFeatures names the 13 columns of boston_housing's X, in order.
var BostonFeatures = []string{"CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT"}

// table is a parsed embedded CSV: n rows of f features and one target each.
type table struct {
	n, f    int
	x       []float32 // n*f
	y       []float32 // n
	classes []string
}

var tables sync.Map // file name → *table

// readEmbedded returns the lines of an embedded gzipped file.
func readEmbedded(name string) ([]string, error) {
	b, err := embedded.ReadFile("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("dataset: embedded %s: %w", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("dataset: embedded %s: %w", name, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("dataset: embedded %s: %w", name, err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func parseFloats(fields []string, name string, line int) ([]float32, error) {
	out := make([]float32, len(fields))
	for i, s := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("dataset: embedded %s line %d field %d: %w", name, line, i+1, err)
		}
		out[i] = float32(v)
	}
	return out, nil
}

// sklearnTable parses scikit-learn's bundled format: a first line
// "n,f,name0,name1,…" (class names for classification), optionally a header
// line, then n rows of f features and a target.
func sklearnTable(name string, skipHeader bool) (*table, error) {
	if t, ok := tables.Load(name); ok {
		return t.(*table), nil
	}
	lines, err := readEmbedded(name)
	if err != nil {
		return nil, err
	}
	if len(lines) < 1 {
		return nil, fmt.Errorf("dataset: embedded %s is empty", name)
	}
	head := strings.Split(lines[0], ",")
	n, err1 := strconv.Atoi(head[0])
	f, err2 := strconv.Atoi(head[1])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("dataset: embedded %s: bad first line %q", name, lines[0])
	}
	t := &table{n: n, f: f}
	for _, c := range head[2:] {
		if c = strings.TrimSpace(c); c != "" {
			t.classes = append(t.classes, c)
		}
	}
	rows := lines[1:]
	if skipHeader {
		rows = rows[1:]
	}
	if len(rows) != n {
		return nil, fmt.Errorf("dataset: embedded %s has %d rows, its first line says %d", name, len(rows), n)
	}
	t.x = make([]float32, 0, n*f)
	t.y = make([]float32, 0, n)
	for i, r := range rows {
		v, err := parseFloats(strings.Split(r, ","), name, i+2)
		if err != nil {
			return nil, err
		}
		if len(v) != f+1 {
			return nil, fmt.Errorf("dataset: embedded %s line %d has %d fields, want %d", name, i+2, len(v), f+1)
		}
		t.x = append(t.x, v[:f]...)
		t.y = append(t.y, v[f])
	}
	tables.Store(name, t)
	return t, nil
}

func digitsTable() (*table, error) {
	const name = "digits.csv.gz"
	if t, ok := tables.Load(name); ok {
		return t.(*table), nil
	}
	lines, err := readEmbedded(name)
	if err != nil {
		return nil, err
	}
	t := &table{n: len(lines), f: 64, classes: digitsInfo.Classes}
	for i, l := range lines {
		v, err := parseFloats(strings.Split(l, ","), name, i+1)
		if err != nil {
			return nil, err
		}
		if len(v) != 65 {
			return nil, fmt.Errorf("dataset: embedded %s line %d has %d fields, want 65", name, i+1, len(v))
		}
		for _, p := range v[:64] {
			t.x = append(t.x, p/16)
		}
		t.y = append(t.y, v[64])
	}
	tables.Store(name, t)
	return t, nil
}

func diabetesTable() (*table, error) {
	const name = "diabetes"
	if t, ok := tables.Load(name); ok {
		return t.(*table), nil
	}
	xl, err := readEmbedded("diabetes_data_raw.csv.gz")
	if err != nil {
		return nil, err
	}
	yl, err := readEmbedded("diabetes_target.csv.gz")
	if err != nil {
		return nil, err
	}
	if len(xl) != len(yl) {
		return nil, fmt.Errorf("dataset: embedded diabetes has %d rows of data but %d targets", len(xl), len(yl))
	}
	t := &table{n: len(xl), f: 10}
	for i := range xl {
		v, err := parseFloats(strings.Fields(xl[i]), "diabetes_data_raw.csv.gz", i+1)
		if err != nil {
			return nil, err
		}
		if len(v) != 10 {
			return nil, fmt.Errorf("dataset: embedded diabetes line %d has %d fields, want 10", i+1, len(v))
		}
		y, err := parseFloats([]string{yl[i]}, "diabetes_target.csv.gz", i+1)
		if err != nil {
			return nil, err
		}
		t.x = append(t.x, v...)
		t.y = append(t.y, y[0])
	}
	tables.Store(name, t)
	return t, nil
}

// splitTable splits t 80/20 with seed; ydim 0 gives class indices (N,),
// 1 gives regression targets (N,1).
func splitTable(t *table, seed uint64, ydim int) (train, test *Set) {
	tr, te := splitIndices(t.n, 0.2, seed)
	return rowsSet(t.x, t.f, t.y, ydim, tr, t.classes), rowsSet(t.x, t.f, t.y, ydim, te, t.classes)
}

func loadSklearn(file string, opts Options) (*Set, *Set, error) {
	t, err := sklearnTable(file, false)
	if err != nil {
		return nil, nil, err
	}
	tr, te := splitTable(t, opts.Seed, 0)
	return tr, te, nil
}

func loadIris(opts Options) (*Set, *Set, error) { return loadSklearn("iris.csv.gz", opts) }
func loadWine(opts Options) (*Set, *Set, error) { return loadSklearn("wine_data.csv.gz", opts) }
func loadBreastCancer(opts Options) (*Set, *Set, error) {
	return loadSklearn("breast_cancer.csv.gz", opts)
}

func loadDigits(opts Options) (*Set, *Set, error) {
	t, err := digitsTable()
	if err != nil {
		return nil, nil, err
	}
	tr, te := splitTable(t, opts.Seed, 0)
	for _, s := range []*Set{tr, te} {
		s.X.Shape = append(s.X.Shape[:1], 8, 8, 1)
		if opts.PixelRange == Pixels255 {
			// v/16·255 is exact in float32 for v in 0..16.
			for i, v := range s.X.Data {
				s.X.Data[i] = v * 255
			}
		}
	}
	return tr, te, nil
}

func loadDiabetes(opts Options) (*Set, *Set, error) {
	t, err := diabetesTable()
	if err != nil {
		return nil, nil, err
	}
	tr, te := splitTable(t, opts.Seed, 1)
	return tr, te, nil
}

// loadBoston splits as Keras's boston_housing.load_data(test_split=0.2,
// seed=113): np.random.RandomState(113).shuffle(arange(506)), the first 404
// rows train. opts.Seed does not apply: the split is Keras's, row for row.
func loadBoston(Options) (*Set, *Set, error) {
	tr, te, err := bostonSplit(0.2, 113)
	if err != nil {
		return nil, nil, err
	}
	return tr, te, nil
}

// bostonSplit is Keras's boston_housing split for any test fraction and seed.
func bostonSplit(testSplit float64, seed uint64) (*Set, *Set, error) {
	if !(testSplit >= 0 && testSplit < 1) {
		return nil, nil, fmt.Errorf("dataset: boston_housing test split %v must be in [0, 1)", testSplit)
	}
	t, err := sklearnTable("boston_house_prices.csv.gz", true)
	if err != nil {
		return nil, nil, err
	}
	tr, te := splitIndices(t.n, testSplit, seed)
	return rowsSet(t.x, t.f, t.y, 1, tr, nil), rowsSet(t.x, t.f, t.y, 1, te, nil), nil
}
