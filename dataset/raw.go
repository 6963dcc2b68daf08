package dataset

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// rawTables maps the embedded tabular sets to their column names (features,
// then the target). scikit-learn's feature_names, in its order.
var rawTables = map[string][]string{
	"boston_housing": append(slices.Clone(BostonFeatures), "MEDV"),
	"iris":           {"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "target"},
	"wine": {"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
		"flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
		"od280/od315_of_diluted_wines", "proline", "target"},
	"breast_cancer": breastCancerColumns(),
	"diabetes":      {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"},
}

func breastCancerColumns() []string {
	var cols []string
	for _, group := range []string{"mean %s", "%s error", "worst %s"} {
		for _, f := range []string{"radius", "texture", "perimeter", "area", "smoothness",
			"compactness", "concavity", "concave points", "symmetry", "fractal dimension"} {
			cols = append(cols, fmt.Sprintf(group, f))
		}
	}
	return append(cols, "target")
}

// RawCSV returns an embedded tabular set (boston_housing, iris, wine,
// breast_cancer, diabetes) as one plain CSV: a header of scikit-learn's
// feature names and "target" (MEDV for boston_housing), then every row, in
// the file's order and unsplit. Classification targets are class names
// ("setosa"), not indices; values are written as the files hold them.
func RawCSV(name string) ([]byte, error) {
	cols, ok := rawTables[name]
	if !ok {
		names := make([]string, 0, len(rawTables))
		for n := range rawTables {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("dataset: no embedded table %q; tables: %s", name, strings.Join(names, ", "))
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(cols); err != nil {
		return nil, err
	}
	var err error
	switch name {
	case "diabetes":
		err = rawDiabetes(w)
	case "boston_housing":
		err = rawSklearn(w, "boston_house_prices.csv.gz", len(cols), true, false)
	default:
		err = rawSklearn(w, name2file(name), len(cols), false, true)
	}
	if err != nil {
		return nil, err
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func name2file(name string) string {
	if name == "wine" {
		return "wine_data.csv.gz"
	}
	return name + ".csv.gz"
}

// rawSklearn copies scikit-learn's "n,f,class names…" format: the first
// line is dropped (and the header after it if skipHeader), and with
// classNames the last field's index becomes the class name.
func rawSklearn(w *csv.Writer, file string, ncols int, skipHeader, classNames bool) error {
	lines, err := readEmbedded(file)
	if err != nil {
		return err
	}
	if len(lines) < 1 {
		return fmt.Errorf("dataset: embedded %s is empty", file)
	}
	var classes []string
	for _, c := range strings.Split(lines[0], ",")[2:] {
		if c = strings.TrimSpace(c); c != "" {
			classes = append(classes, c)
		}
	}
	rows := lines[1:]
	if skipHeader && len(rows) > 0 {
		rows = rows[1:]
	}
	for i, r := range rows {
		f := strings.Split(r, ",")
		if len(f) != ncols {
			return fmt.Errorf("dataset: embedded %s line %d has %d fields, want %d", file, i+2, len(f), ncols)
		}
		if classNames {
			k, err := strconv.Atoi(strings.TrimSpace(f[ncols-1]))
			if err != nil || k < 0 || k >= len(classes) {
				return fmt.Errorf("dataset: embedded %s line %d: bad class %q", file, i+2, f[ncols-1])
			}
			f[ncols-1] = classes[k]
		}
		if err := w.Write(f); err != nil {
			return err
		}
	}
	return nil
}

func rawDiabetes(w *csv.Writer) error {
	xl, err := readEmbedded("diabetes_data_raw.csv.gz")
	if err != nil {
		return err
	}
	yl, err := readEmbedded("diabetes_target.csv.gz")
	if err != nil {
		return err
	}
	if len(xl) != len(yl) {
		return fmt.Errorf("dataset: embedded diabetes has %d rows of data but %d targets", len(xl), len(yl))
	}
	for i := range xl {
		f := strings.Fields(xl[i])
		y, err := strconv.ParseFloat(strings.TrimSpace(yl[i]), 64)
		if err != nil {
			return fmt.Errorf("dataset: embedded diabetes_target line %d: %w", i+1, err)
		}
		if err := w.Write(append(f, strconv.FormatFloat(y, 'g', -1, 64))); err != nil {
			return err
		}
	}
	return nil
}
