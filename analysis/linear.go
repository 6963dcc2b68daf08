// Package analysis owns the classical baselines a tabular data set is
// measured against before a network is trained on it: ordinary least
// squares and ridge regression, multinomial logistic regression, their
// metrics (R², RMSE, MAE, accuracy, precision/recall/F1, ROC AUC), the
// reports scikit-learn and statsmodels print, and K-fold index splits.
//
// Inputs are gonum matrices (rows are samples), as frame.Frame.Matrix
// returns them; nothing here trains a network. A NaN or ±Inf input is
// rejected with a *NonFiniteError naming its column and row, as
// scikit-learn rejects it; no fit or score is computed from one.
package analysis

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Term is one row of a linear model's coefficient table.
type Term struct {
	Name   string
	Coef   float64
	StdErr float64 // OLS only; NaN for ridge
	T      float64 // Coef / StdErr
	P      float64 // two-sided p-value of T under Student's t
}

// Linear is a fitted linear model: y ≈ Terms[0].Coef + Σ Terms[j].Coef·x[j-1].
type Linear struct {
	Terms []Term // the intercept first, then one per feature
	Alpha float64
	DF    int // residual degrees of freedom (n - features - 1)
}

// ErrRankDeficient is wrapped by the error for features that are linearly
// dependent (a constant column, or one that is a sum of others).
var ErrRankDeficient = errors.New("features are linearly dependent")

func checkXY(x mat.Matrix, y []float64, names []string) (n, p int, err error) {
	n, p = x.Dims()
	if len(y) != n {
		return 0, 0, fmt.Errorf("analysis: %d rows of features but %d targets", n, len(y))
	}
	if names != nil && len(names) != p {
		return 0, 0, fmt.Errorf("analysis: %d feature names for %d features", len(names), p)
	}
	if err := checkMatrix(x, names); err != nil {
		return 0, 0, err
	}
	if err := checkVec("target", y); err != nil {
		return 0, 0, err
	}
	return n, p, nil
}

func termNames(names []string, p int) []string {
	out := []string{"intercept"}
	for j := range p {
		if names != nil {
			out = append(out, names[j])
		} else {
			out = append(out, fmt.Sprintf("x%d", j))
		}
	}
	return out
}

// OLS fits ordinary least squares with an intercept by a QR factorisation
// of [1 X] (no normal equations, so no squared condition number), and
// computes each coefficient's standard error, t statistic and p-value as
// statsmodels does. names label the features (nil: x0, x1, …). A NaN or
// ±Inf in x or y is a *NonFiniteError; values so large that the fit
// overflows float64 are an error too.
func OLS(x mat.Matrix, y []float64, names []string) (*Linear, error) {
	n, p, err := checkXY(x, y, names)
	if err != nil {
		return nil, err
	}
	if n <= p+1 {
		return nil, fmt.Errorf("analysis: OLS needs more rows (%d) than coefficients (%d)", n, p+1)
	}
	a := mat.NewDense(n, p+1, nil)
	for i := range n {
		a.Set(i, 0, 1)
		for j := range p {
			a.Set(i, j+1, x.At(i, j))
		}
	}
	d, err := equilibrate(a, termNames(names, p))
	if err != nil {
		return nil, fmt.Errorf("analysis: OLS: %w", err)
	}
	var qr mat.QR
	qr.Factorize(a)
	var r mat.Dense
	qr.RTo(&r)
	if err := checkRank(&r, termNames(names, p)); err != nil {
		return nil, err
	}
	var beta mat.Dense
	if err := qr.SolveTo(&beta, false, mat.NewVecDense(n, y)); err != nil {
		return nil, fmt.Errorf("analysis: OLS: %w", err)
	}
	l := &Linear{DF: n - p - 1}
	for j, name := range termNames(names, p) {
		l.Terms = append(l.Terms, Term{Name: name, Coef: beta.At(j, 0) / d[j]})
	}
	// Var(β) = σ² (AᵀA)⁻¹ = σ² R⁻¹R⁻ᵀ, so Var(β_j) = σ² Σ_k (R⁻¹)_jk²,
	// divided by d_j² for the equilibrated columns.
	var rss float64
	for i, yh := range l.predict(x) {
		rss += (y[i] - yh) * (y[i] - yh)
	}
	sigma2 := rss / float64(l.DF)
	rt := mat.NewTriDense(p+1, mat.Upper, nil)
	for i := range p + 1 {
		for j := i; j < p+1; j++ {
			rt.SetTri(i, j, r.At(i, j))
		}
	}
	var rinv mat.TriDense
	if err := rinv.InverseTri(rt); err != nil {
		return nil, fmt.Errorf("analysis: OLS: %w: %v", ErrRankDeficient, err)
	}
	tdist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(l.DF)}
	for j := range l.Terms {
		var s float64
		for k := j; k < p+1; k++ {
			s += rinv.At(j, k) * rinv.At(j, k)
		}
		t := &l.Terms[j]
		t.StdErr = math.Sqrt(sigma2*s) / d[j]
		t.T = t.Coef / t.StdErr
		t.P = 2 * tdist.Survival(math.Abs(t.T))
	}
	if err := l.checkOverflow(true); err != nil {
		return nil, fmt.Errorf("analysis: OLS: %w", err)
	}
	return l, nil
}

// checkOverflow reports a coefficient (or, for OLS, a standard error)
// that came out NaN or ±Inf from finite data: values too large for
// float64's range once squared and summed.
func (l *Linear) checkOverflow(stdErrs bool) error {
	for _, t := range l.Terms {
		if nonFinite(t.Coef) || stdErrs && nonFinite(t.StdErr) {
			return fmt.Errorf("%q's coefficient is %v (std err %v): the values are too large for float64 arithmetic; rescale the features and the target (standardise them)", t.Name, t.Coef, t.StdErr)
		}
	}
	return nil
}

// equilibrate scales each column of a to unit norm and returns the norms
// (1 for a zero column, which checkRank then reports); the solution of the
// scaled problem divided by them is the original one. Least squares on
// columns of very different scales (one huge value in one feature) is
// then as accurate as on standardised ones, and checkRank's pivots are
// each measured against their own column: measured against the largest
// pivot, one value of 1e38 made the intercept look dependent.
func equilibrate(a *mat.Dense, names []string) ([]float64, error) {
	_, p := a.Dims()
	d := make([]float64, p)
	for j := range p {
		d[j] = mat.Norm(a.ColView(j), 2) // scaled, as LAPACK's dnrm2: no overflow before the true norm overflows
		switch {
		case math.IsInf(d[j], 0):
			return nil, fmt.Errorf("%q's values are too large for float64 arithmetic (their norm overflows); rescale them (standardise)", names[j])
		case d[j] == 0:
			d[j] = 1
		}
		for i := range a.RawMatrix().Rows {
			a.Set(i, j, a.At(i, j)/d[j])
		}
	}
	return d, nil
}

// checkRank reports a (numerically) zero pivot of R, the QR factor of
// columns of unit norm (equilibrate), naming its term.
func checkRank(r *mat.Dense, names []string) error {
	_, n := r.Dims()
	for i := range n {
		if math.Abs(r.At(i, i)) <= 1e-10 {
			return fmt.Errorf("analysis: %w: %q adds nothing the earlier ones do not explain; drop it", ErrRankDeficient, names[i])
		}
	}
	return nil
}

// Ridge fits L2-penalised least squares with an unpenalised intercept, as
// scikit-learn's Ridge(alpha) does: it minimises ||y - b - Xw||² + alpha·||w||²,
// solving the centred problem [Xc; √alpha·I] w = [yc; 0] by QR. Its terms
// have no standard errors (NaN). A NaN or ±Inf in x or y is a
// *NonFiniteError.
func Ridge(x mat.Matrix, y []float64, names []string, alpha float64) (*Linear, error) {
	n, p, err := checkXY(x, y, names)
	if err != nil {
		return nil, err
	}
	if !(alpha >= 0) || math.IsInf(alpha, 1) {
		return nil, fmt.Errorf("analysis: ridge alpha %v must be a finite number >= 0", alpha)
	}
	if n == 0 {
		return nil, errors.New("analysis: ridge needs at least one row")
	}
	xm := make([]float64, p)
	for j := range p {
		for i := range n {
			xm[j] += x.At(i, j)
		}
		xm[j] /= float64(n)
	}
	var ym float64
	for _, v := range y {
		ym += v
	}
	ym /= float64(n)
	a := mat.NewDense(n+p, p, nil)
	b := mat.NewVecDense(n+p, nil)
	for i := range n {
		for j := range p {
			a.Set(i, j, x.At(i, j)-xm[j])
		}
		b.SetVec(i, y[i]-ym)
	}
	for j := range p {
		a.Set(n+j, j, math.Sqrt(alpha))
	}
	d, err := equilibrate(a, termNames(names, p)[1:])
	if err != nil {
		return nil, fmt.Errorf("analysis: ridge: %w", err)
	}
	var qr mat.QR
	qr.Factorize(a)
	var r mat.Dense
	qr.RTo(&r)
	if err := checkRank(&r, termNames(names, p)[1:]); err != nil {
		return nil, err
	}
	var w mat.Dense
	if err := qr.SolveTo(&w, false, b); err != nil {
		return nil, fmt.Errorf("analysis: ridge: %w", err)
	}
	l := &Linear{Alpha: alpha, DF: n - p - 1}
	for j := range p {
		w.Set(j, 0, w.At(j, 0)/d[j])
	}
	b0 := ym
	for j := range p {
		b0 -= xm[j] * w.At(j, 0)
	}
	nan := math.NaN()
	for j, name := range termNames(names, p) {
		c := b0
		if j > 0 {
			c = w.At(j-1, 0)
		}
		l.Terms = append(l.Terms, Term{Name: name, Coef: c, StdErr: nan, T: nan, P: nan})
	}
	if err := l.checkOverflow(false); err != nil {
		return nil, fmt.Errorf("analysis: ridge: %w", err)
	}
	return l, nil
}

// Predict returns the model's value for each row of x. A row with a NaN
// or ±Inf is a *NonFiniteError naming the feature by its term's name.
func (l *Linear) Predict(x mat.Matrix) ([]float64, error) {
	_, p := x.Dims()
	if p != len(l.Terms)-1 {
		return nil, fmt.Errorf("analysis: Predict with %d features on a model of %d", p, len(l.Terms)-1)
	}
	names := make([]string, p)
	for j := range names {
		names[j] = l.Terms[j+1].Name
	}
	if err := checkMatrix(x, names); err != nil {
		return nil, err
	}
	return l.predict(x), nil
}

// predict is Predict on rows known to be finite and of the right width.
func (l *Linear) predict(x mat.Matrix) []float64 {
	n, p := x.Dims()
	out := make([]float64, n)
	for i := range n {
		v := l.Terms[0].Coef
		for j := range p {
			v += l.Terms[j+1].Coef * x.At(i, j)
		}
		out[i] = v
	}
	return out
}

// String prints the coefficient table as statsmodels' summary does (for
// ridge, the coefficients alone).
func (l *Linear) String() string {
	w := len("intercept")
	for _, t := range l.Terms {
		w = max(w, len(t.Name))
	}
	var b strings.Builder
	ols := len(l.Terms) > 0 && !math.IsNaN(l.Terms[0].StdErr)
	if ols {
		fmt.Fprintf(&b, "%-*s  %12s  %10s  %8s  %7s\n", w, "", "coef", "std err", "t", "P>|t|")
	} else {
		fmt.Fprintf(&b, "%-*s  %12s\n", w, "", "coef")
	}
	for _, t := range l.Terms {
		if ols {
			fmt.Fprintf(&b, "%-*s  %12.4f  %10.4f  %8.3f  %7.3f\n", w, t.Name, t.Coef, t.StdErr, t.T, t.P)
		} else {
			fmt.Fprintf(&b, "%-*s  %12.4f\n", w, t.Name, t.Coef)
		}
	}
	return b.String()
}
