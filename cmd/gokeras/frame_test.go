package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFrameCommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"frame", "describe", "iris"}, []string{
			"       sepal length (cm)  sepal width (cm)  petal length (cm)  petal width (cm)",
			"mean            5.843333",
			"std             0.828066",
			"50%             5.800000",
		}},
		{[]string{"frame", "head", "boston_housing", "-n", "2", "--width", "0"}, []string{
			"      CRIM    ZN  INDUS  CHAS    NOX     RM   AGE     DIS  RAD  TAX  PTRATIO      B  LSTAT  MEDV\n",
			"1  0.02731   0.0   7.07     0  0.469  6.421  78.9  4.9671    2  242     17.8  396.9   9.14  21.6\n",
		}},
		{[]string{"frame", "tail", "--columns", "target", "iris", "-n", "1"}, []string{"        target\n149  virginica\n"}},
		{[]string{"frame", "corr", "boston_housing", "--columns", "RM,LSTAT,MEDV"}, []string{
			"              RM      LSTAT       MEDV\n",
			"MEDV    0.695360  -0.737663   1.000000\n",
		}},
		{[]string{"frame", "info", "diabetes"}, []string{"442 rows, 11 columns", "bmi       442        0  float"}},
	} {
		out, errOut, code := runCLI(t, tc.args...)
		if code != 0 {
			t.Errorf("%v exited %d: %s", tc.args, code, errOut)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}

func TestFrameCorrPlot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "corr.png")
	_, errOut, code := runCLI(t, "frame", "corr", "iris", "--plot", p)
	if code != 0 {
		t.Fatalf("exited %d: %s", code, errOut)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 4*44 || b.Dy() < 4*44 {
		t.Errorf("heat map is %v, too small for 4x4 cells", b)
	}
}

func TestTableErrors(t *testing.T) {
	ragged := writeFile(t, "ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n")
	text := writeFile(t, "text.csv", "x,label\n1,a\n2,b\n3,c\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frame", "head", ragged}, "ragged.csv: frame: line 4: wrong number of fields: 2, the header has 3"},
		{[]string{"frame", "head", "no_such_table"}, `no file "no_such_table", and no embedded table`},
		{[]string{"frame", "plot", "iris"}, `unknown action "plot"`},
		{[]string{"frame", "head", "iris", "--plot", "x.png"}, "use it with corr"},
		{[]string{"frame", "head"}, "want an action"},
		{[]string{"regress", "--data", "boston_housing", "--target", "PRICE"}, `--target: frame: no column "PRICE"; columns: "CRIM"`},
		{[]string{"regress", "--data", text, "--target", "label"}, `target column "label" holds text`},
		{[]string{"regress", "--data", ragged, "--target", "a"}, "line 4"},
		{[]string{"regress", "--data", "iris", "--target", "target", "--model", "svm"}, `unknown --model "svm"`},
		{[]string{"regress", "--data", "iris"}, "want --data NAME|FILE.csv and --target COLUMN"},
		{[]string{"classify", "--data", "iris", "--target", "species"}, `no column "species"`},
		{[]string{"classify", "--data", "iris", "--target", "target", "--features", "target"}, "includes the target"},
		{[]string{"classify", "--data", "iris", "--target", "target", "--bogus"}, "unknown flag -bogus; valid flags:"},
	} {
		_, errOut, code := runCLI(t, tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error containing %q", tc.args, code, errOut, tc.want)
		}
	}
}
