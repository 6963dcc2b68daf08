// Package analysis owns the classical baselines a tabular data set is
// measured against before a network is trained on it: ordinary least
// squares and ridge regression, multinomial logistic regression, their
// metrics (R², RMSE, MAE, accuracy, precision/recall/F1, ROC AUC), the
// reports scikit-learn and statsmodels print, and K-fold index splits.
//
// Inputs are gonum matrices (rows are samples), as frame.Frame.Matrix
// returns them; nothing here trains a network.
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
// statsmodels does. names label the features (nil: x0, x1, …).
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
		l.Terms = append(l.Terms, Term{Name: name, Coef: beta.At(j, 0)})
	}
	// Var(β) = σ² (AᵀA)⁻¹ = σ² R⁻¹R⁻ᵀ, so Var(β_j) = σ² Σ_k (R⁻¹)_jk².
	var rss float64
	for i, yh := range l.Predict(x) {
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
		t.StdErr = math.Sqrt(sigma2 * s)
		t.T = t.Coef / t.StdErr
		t.P = 2 * tdist.Survival(math.Abs(t.T))
	}
	return l, nil
}

// checkRank reports a (numerically) zero pivot of R, naming its term.
func checkRank(r *mat.Dense, names []string) error {
	_, n := r.Dims()
	big := 0.0
	for i := range n {
		big = max(big, math.Abs(r.At(i, i)))
	}
	for i := range n {
		if math.Abs(r.At(i, i)) <= 1e-10*big {
			return fmt.Errorf("analysis: %w: %q adds nothing the earlier ones do not explain; drop it", ErrRankDeficient, names[i])
		}
	}
	return nil
}

// Ridge fits L2-penalised least squares with an unpenalised intercept, as
// scikit-learn's Ridge(alpha) does: it minimises ||y - b - Xw||² + alpha·||w||²,
// solving the centred problem [Xc; √alpha·I] w = [yc; 0] by QR. Its terms
// have no standard errors (NaN).
func Ridge(x mat.Matrix, y []float64, names []string, alpha float64) (*Linear, error) {
	n, p, err := checkXY(x, y, names)
	if err != nil {
		return nil, err
	}
	if !(alpha >= 0) {
		return nil, fmt.Errorf("analysis: ridge alpha %v must be >= 0", alpha)
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
	return l, nil
}

// Predict returns the model's value for each row of x.
func (l *Linear) Predict(x mat.Matrix) []float64 {
	n, p := x.Dims()
	if p != len(l.Terms)-1 {
		panic(fmt.Sprintf("analysis: Predict with %d features on a model of %d", p, len(l.Terms)-1))
	}
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
