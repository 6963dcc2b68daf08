package analysis

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/frame"
	"gonum.org/v1/gonum/mat"
)

func embedded(t testing.TB, name string) *frame.Frame {
	t.Helper()
	b, err := dataset.RawCSV(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := frame.ReadCSV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// must(f())(t) returns f's value, failing the test on its error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func bostonXY(t *testing.T) (*mat.Dense, []float64) {
	f := embedded(t, "boston_housing")
	x, err := f.Matrix(dataset.BostonFeatures...)
	if err != nil {
		t.Fatal(err)
	}
	y, err := f.Floats("MEDV")
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

func TestOLSBoston(t *testing.T) {
	x, y := bostonXY(t)
	l, err := OLS(x, y, dataset.BostonFeatures)
	if err != nil {
		t.Fatal(err)
	}
	pred := must(l.Predict(x))(t)
	// statsmodels OLS(MEDV ~ all 13) on the 506 rows: R² 0.741 (0.7406).
	if r2 := must(R2(y, pred))(t); !near(r2, 0.7406, 5e-5) {
		t.Errorf("R² = %.6f, want 0.7406", r2)
	}
	if rmse := must(RMSE(y, pred))(t); !near(rmse, 4.679, 1e-3) {
		t.Errorf("RMSE = %.4f, want 4.679", rmse)
	}
	if l.DF != 492 {
		t.Errorf("residual df = %d, want 492", l.DF)
	}
	// statsmodels' summary: coef, std err, t.
	for _, tc := range []struct {
		i             int
		coef, se, tst float64
	}{
		{0, 36.4595, 5.103, 7.144},
		{1, -0.1080, 0.033, -3.287},
		{5, -17.7666, 3.820, -4.651},
		{6, 3.8099, 0.418, 9.116},
		{13, -0.5248, 0.051, -10.347},
	} {
		tm := l.Terms[tc.i]
		if !near(tm.Coef, tc.coef, 5e-5) || !near(tm.StdErr, tc.se, 5e-4) || !near(tm.T, tc.tst, 5e-3) {
			t.Errorf("term %s = %.4f (se %.3f, t %.3f), want %.4f (se %.3f, t %.3f)", tm.Name, tm.Coef, tm.StdErr, tm.T, tc.coef, tc.se, tc.tst)
		}
	}
	if p := l.Terms[4].P; !near(p, 0.002, 5e-4) { // CHAS: P>|t| 0.002
		t.Errorf("CHAS p = %.4f, want 0.002", p)
	}
	if !strings.Contains(l.String(), "P>|t|") || !strings.Contains(l.String(), "LSTAT") {
		t.Errorf("coefficient table:\n%s", l)
	}
}

func TestRidge(t *testing.T) {
	x, y := bostonXY(t)
	ols, _ := OLS(x, y, nil)
	r0, err := Ridge(x, y, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for j := range ols.Terms {
		if !near(r0.Terms[j].Coef, ols.Terms[j].Coef, 1e-8*math.Max(1, math.Abs(ols.Terms[j].Coef))) {
			t.Errorf("ridge(0) term %d = %v, OLS %v", j, r0.Terms[j].Coef, ols.Terms[j].Coef)
		}
	}
	// Against the normal equations (XcᵀXc + αI) w = Xcᵀ yc.
	const alpha = 10
	r, err := Ridge(x, y, nil, alpha)
	if err != nil {
		t.Fatal(err)
	}
	n, p := x.Dims()
	xc := mat.DenseCopyOf(x)
	yc := mat.NewVecDense(n, nil)
	var ym float64
	for _, v := range y {
		ym += v / float64(n)
	}
	for j := range p {
		col := mat.Col(nil, j, x)
		var m float64
		for _, v := range col {
			m += v / float64(n)
		}
		for i := range n {
			xc.Set(i, j, col[i]-m)
		}
	}
	for i := range n {
		yc.SetVec(i, y[i]-ym)
	}
	var a mat.Dense
	a.Mul(xc.T(), xc)
	for j := range p {
		a.Set(j, j, a.At(j, j)+alpha)
	}
	var rhs, w mat.VecDense
	rhs.MulVec(xc.T(), yc)
	if err := w.SolveVec(&a, &rhs); err != nil {
		t.Fatal(err)
	}
	for j := range p {
		if !near(r.Terms[j+1].Coef, w.AtVec(j), 1e-7*math.Max(1, math.Abs(w.AtVec(j)))) {
			t.Errorf("ridge coef %d = %v, normal equations %v", j, r.Terms[j+1].Coef, w.AtVec(j))
		}
	}
	if r2 := must(R2(y, must(r.Predict(x))(t)))(t); r2 >= must(R2(y, must(ols.Predict(x))(t)))(t) || r2 < 0.7 {
		t.Errorf("ridge R² = %v; want a little below OLS's", r2)
	}
}

func TestOLSCollinear(t *testing.T) {
	x := mat.NewDense(5, 2, []float64{1, 2, 2, 4, 3, 6, 4, 8, 5, 10})
	_, err := OLS(x, []float64{1, 2, 3, 4, 6}, []string{"a", "twice a"})
	if err == nil || !strings.Contains(err.Error(), `"twice a"`) {
		t.Errorf("collinear OLS: err = %v, want one naming \"twice a\"", err)
	}
}

func TestLogisticIris(t *testing.T) {
	f := embedded(t, "iris")
	features := []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}
	// scikit-learn: LogisticRegression(max_iter=1000).fit(X, y).score(X, y) = 0.9733.
	x, _ := f.Matrix(features...)
	y, classes, _ := f.Labels("target")
	all, err := FitLogistic(x, y, classes, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if acc := Accuracy(y, must(all.Predict(x))(t)); !near(acc, 146.0/150, 1e-9) {
		t.Errorf("training accuracy on all of iris = %.4f, want 0.9733 (146/150)", acc)
	}

	tr, te, _ := f.Split(0.2, 42)
	s, _ := frame.FitScaler(tr, features...)
	ztr, _ := s.Transform(tr)
	zte, _ := s.Transform(te)
	xtr, _ := ztr.Matrix(features...)
	xte, _ := zte.Matrix(features...)
	ytr, _, _ := ztr.Labels("target")
	yte, _, _ := zte.Labels("target")
	m, err := FitLogistic(xtr, ytr, classes, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep := NewReport(yte, must(m.Predict(xte))(t), classes)
	if rep.Accuracy < 0.93 {
		t.Errorf("test accuracy %.4f on a seeded 80/20 split, want >= 0.93\n%s", rep.Accuracy, rep)
	}
	t.Logf("iris logistic, seed 42: test accuracy %.4f\n%s\n%s", rep.Accuracy, rep, rep.ConfusionString())
	// Probabilities are rows of a distribution.
	pr := must(m.Proba(xte))(t)
	for i := range 3 {
		if s := mat.Sum(pr.RowView(i)); !near(s, 1, 1e-12) {
			t.Errorf("row %d probabilities sum to %v", i, s)
		}
	}
}

func TestReportFormat(t *testing.T) {
	// scikit-learn's docstring example for classification_report.
	y := []int{0, 1, 2, 2, 2}
	pred := []int{0, 0, 2, 2, 1}
	got := NewReport(y, pred, []string{"class 0", "class 1", "class 2"}).String()
	want := `              precision    recall  f1-score   support

     class 0       0.50      1.00      0.67         1
     class 1       0.00      0.00      0.00         1
     class 2       1.00      0.67      0.80         3

    accuracy                           0.60         5
   macro avg       0.50      0.56      0.49         5
weighted avg       0.70      0.60      0.61         5
`
	if got != want {
		t.Errorf("report =\n%s\nwant\n%s", got, want)
	}
}

func TestROCAUC(t *testing.T) {
	for _, tc := range []struct {
		pos   []bool
		score []float64
		want  float64
	}{
		// scikit-learn's roc_auc_score docstring example.
		{[]bool{false, false, true, true}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		{[]bool{false, true}, []float64{0.5, 0.5}, 0.5},
		{[]bool{true, true, false}, []float64{3, 2, 1}, 1},
		{[]bool{true, false, true, false}, []float64{1, 1, 0, 0}, 0.5},
	} {
		if got := must(ROCAUC(tc.pos, tc.score))(t); !near(got, tc.want, 1e-12) {
			t.Errorf("ROCAUC(%v, %v) = %v, want %v", tc.pos, tc.score, got, tc.want)
		}
	}
	if !math.IsNaN(must(ROCAUC([]bool{true}, []float64{1}))(t)) {
		t.Error("ROCAUC with one class is not NaN")
	}
}

func TestKFold(t *testing.T) {
	folds, err := KFold(404, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range folds {
		if len(f.Val) != 101 || len(f.Train) != 303 || f.Val[0] != 101*i {
			t.Errorf("fold %d: %d val from %d, %d train", i, len(f.Val), f.Val[0], len(f.Train))
		}
	}
	folds, _ = KFold(10, 3) // num_val 3: row 9 always trains
	if len(folds[2].Val) != 3 || len(folds[2].Train) != 7 || folds[2].Train[6] != 9 {
		t.Errorf("KFold(10, 3) fold 2 = %+v", folds[2])
	}
	if _, err := KFold(3, 4); err == nil {
		t.Error("KFold(3, 4) did not fail")
	}
}
