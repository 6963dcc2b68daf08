package analysis

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// within fails the test if f has not returned after a few seconds: ROCAUC
// used to loop forever on a NaN score.
func within(t *testing.T, name string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return within 5 s", name)
	}
}

// TestNonFiniteInputRejected puts a NaN, +Inf or -Inf at row 2 of every
// exported function's float input and wants a *NonFiniteError that names
// the column and the row, in bounded time, for each.
func TestNonFiniteInputRejected(t *testing.T) {
	const n, bad = 8, 2
	xs := func() *mat.Dense {
		x := mat.NewDense(n, 2, nil)
		for i := range n {
			x.Set(i, 0, float64(i))
			x.Set(i, 1, float64((i*5)%7))
		}
		return x
	}
	y := func() []float64 { return []float64{1, 3, 2, 5, 4, 7, 6, 9} }
	labels := []int{0, 1, 0, 1, 0, 1, 0, 1}
	classes := []string{"a", "b"}
	good := xs()
	lin, err := OLS(good, y(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	logit, err := FitLogistic(good, labels, classes, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		withBadX := func() *mat.Dense { x := xs(); x.Set(bad, 1, v); return x }
		withBadY := func() []float64 { s := y(); s[bad] = v; return s }
		for _, tc := range []struct {
			name   string
			column string // the name the error gives the column ("" for a vector)
			call   func() error
		}{
			{"OLS x", "b", func() error { _, err := OLS(withBadX(), y(), []string{"a", "b"}); return err }},
			{"OLS y", "", func() error { _, err := OLS(good, withBadY(), nil); return err }},
			{"Ridge x", "b", func() error { _, err := Ridge(withBadX(), y(), []string{"a", "b"}, 1); return err }},
			{"Ridge y", "", func() error { _, err := Ridge(good, withBadY(), nil, 1); return err }},
			{"Linear.Predict", "b", func() error { _, err := lin.Predict(withBadX()); return err }},
			{"FitLogistic", "x1", func() error { _, err := FitLogistic(withBadX(), labels, classes, LogisticOptions{}); return err }},
			{"Logistic.Proba", "x1", func() error { _, err := logit.Proba(withBadX()); return err }},
			{"Logistic.Predict", "x1", func() error { _, err := logit.Predict(withBadX()); return err }},
			{"R2 y", "", func() error { _, err := R2(withBadY(), y()); return err }},
			{"R2 pred", "", func() error { _, err := R2(y(), withBadY()); return err }},
			{"RMSE", "", func() error { _, err := RMSE(y(), withBadY()); return err }},
			{"MAE", "", func() error { _, err := MAE(withBadY(), y()); return err }},
			{"ROCAUC", "", func() error {
				_, err := ROCAUC([]bool{true, false, true, false, true, false, true, false}, withBadY())
				return err
			}},
		} {
			var err error
			within(t, tc.name, func() { err = tc.call() })
			var nf *NonFiniteError
			if !errors.As(err, &nf) {
				t.Errorf("%s with %v at row %d: err = %v, want a *NonFiniteError", tc.name, v, bad, err)
				continue
			}
			if nf.Row != bad || nf.Column != tc.column || !(nf.Value == v || math.IsNaN(v) && math.IsNaN(nf.Value)) {
				t.Errorf("%s with %v: %+v, want row %d, column %q", tc.name, v, *nf, bad, tc.column)
			}
			if msg := err.Error(); !strings.Contains(msg, "row 2") || tc.column != "" && !strings.Contains(msg, `"`+tc.column+`"`) {
				t.Errorf("%s: message %q does not name the row and column", tc.name, msg)
			}
		}
	}
}

// TestROCAUCOneClass: a score is undefined with one class present, NaN as
// before (scikit-learn raises), not an error.
func TestROCAUCOneClass(t *testing.T) {
	got, err := ROCAUC([]bool{true, true}, []float64{1, 2})
	if err != nil || !math.IsNaN(got) {
		t.Errorf("ROCAUC with one class = %v, %v; want NaN, nil", got, err)
	}
}

// TestHugeFeatureNotCollinear: one value of 1e38 in a feature used to be
// reported as "intercept adds nothing" because the rank test compared every
// pivot with the largest one; pivots are now measured against their own
// column.
func TestHugeFeatureNotCollinear(t *testing.T) {
	x := mat.NewDense(6, 2, []float64{1, 2, 2, 1, 3, 5, 4, 3, 5, 1e38, 6, 4})
	y := []float64{1, 3, 2, 5, 4, 7}
	// Without the outlier's row, b is fitted as usual; with it, b's
	// coefficient is tiny and a's close to the fit of the other rows.
	for _, fit := range []func() (*Linear, error){
		func() (*Linear, error) { return OLS(x, y, []string{"a", "b"}) },
		func() (*Linear, error) { return Ridge(x, y, []string{"a", "b"}, 0) },
	} {
		l, err := fit()
		if err != nil {
			t.Errorf("fit with a 1e38 value: %v", err)
			continue
		}
		pred, err := l.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		// Row 4 (b = 1e38) is fitted exactly: b's coefficient absorbs it.
		if !near(pred[4], y[4], 1e-6) {
			t.Errorf("prediction for the outlier row = %v, want %v (terms %+v)", pred[4], y[4], l.Terms)
		}
	}
	// A truly dependent column is still caught whatever its scale.
	x = mat.NewDense(5, 2, []float64{1e30, 2e30, 2e30, 4e30, 3e30, 6e30, 4e30, 8e30, 5e30, 10e30})
	if _, err := OLS(x, []float64{1, 2, 3, 4, 6}, []string{"a", "twice a"}); !errors.Is(err, ErrRankDeficient) || !strings.Contains(err.Error(), `"twice a"`) {
		t.Errorf("collinear columns of 1e30: %v", err)
	}
}

// TestOverflowRejected: finite inputs whose products overflow float64 give
// an error saying so, not Inf or NaN coefficients and probabilities.
func TestOverflowRejected(t *testing.T) {
	x := mat.NewDense(6, 1, []float64{1, 2, 3, 4, 5, 1e300})
	y := []float64{1, 2, 3, 4, 5, 1e300}
	l, err := OLS(x, y, nil)
	if err == nil {
		for _, tm := range l.Terms {
			if math.IsNaN(tm.Coef) || math.IsInf(tm.Coef, 0) || math.IsNaN(tm.StdErr) {
				t.Errorf("OLS on values near overflow gave term %+v without an error", tm)
			}
		}
	}
	m := &Logistic{Classes: []string{"a", "b"}, W: [][]float64{{1e300}, {-1e300}}, B: []float64{0, 0}}
	if p, err := m.Proba(mat.NewDense(1, 1, []float64{1e300})); err == nil {
		t.Errorf("Proba whose scores overflow: %v, want an error", p)
	}
}

func TestArgmaxNaN(t *testing.T) {
	// numpy's argmax: the first NaN is the maximum.
	m := mat.NewDense(2, 3, []float64{1, math.NaN(), 3, 5, 4, math.NaN()})
	if got := Argmax(m); got[0] != 1 || got[1] != 2 {
		t.Errorf("Argmax with NaN = %v, want [1 2]", got)
	}
}

func TestR2ConstantTarget(t *testing.T) {
	// scikit-learn's r2_score (force_finite): 1 for a perfect fit of a
	// constant target, 0 otherwise, not NaN or -Inf.
	for _, tc := range []struct {
		pred []float64
		want float64
	}{{[]float64{2, 2, 2}, 1}, {[]float64{2, 3, 2}, 0}} {
		if got, err := R2([]float64{2, 2, 2}, tc.pred); err != nil || got != tc.want {
			t.Errorf("R2(constant, %v) = %v, %v; want %v", tc.pred, got, err, tc.want)
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	x := mat.NewDense(4, 1, []float64{1, 2, 3, 4})
	for _, alpha := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := Ridge(x, []float64{1, 2, 3, 5}, nil, alpha); err == nil || !strings.Contains(err.Error(), "alpha") {
			t.Errorf("Ridge alpha %v: %v, want an error about alpha", alpha, err)
		}
	}
	for _, o := range []LogisticOptions{{C: -1}, {C: math.NaN()}, {MaxIter: -1}} {
		if _, err := FitLogistic(x, []int{0, 0, 1, 1}, []string{"a", "b"}, o); err == nil {
			t.Errorf("FitLogistic %+v: no error", o)
		}
	}
}
