package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// LogisticOptions configure FitLogistic; the zero value is scikit-learn's
// LogisticRegression() default.
type LogisticOptions struct {
	// C is the inverse L2 strength, as scikit-learn's: the penalty is
	// ||W||²/(2C) against the summed log-loss. 0 means 1.
	C float64
	// MaxIter bounds the L-BFGS iterations; 0 means 1000.
	MaxIter int
}

// Logistic is a fitted multinomial logistic regression: class scores
// W·x + B, turned into probabilities by softmax.
type Logistic struct {
	Classes []string
	W       [][]float64 // W[class][feature]
	B       []float64   // intercept per class (not penalised)
	Iter    int         // L-BFGS iterations used
}

// FitLogistic fits multinomial logistic regression with an L2 penalty on
// the weights by L-BFGS (scikit-learn's lbfgs solver and objective). Labels
// are indices into classes; features on very different scales converge
// faster standardised (frame.Scaler). A NaN or ±Inf in x is a
// *NonFiniteError naming the feature as x0, x1, ….
func FitLogistic(x mat.Matrix, y []int, classes []string, o LogisticOptions) (*Logistic, error) {
	n, p := x.Dims()
	k := len(classes)
	if len(y) != n {
		return nil, fmt.Errorf("analysis: %d rows of features but %d labels", n, len(y))
	}
	if k < 2 {
		return nil, fmt.Errorf("analysis: logistic regression needs at least two classes, got %d", k)
	}
	if err := checkMatrix(x, nil); err != nil {
		return nil, err
	}
	for i, c := range y {
		if c < 0 || c >= k {
			return nil, fmt.Errorf("analysis: label %d of row %d is not a class index in [0, %d)", c, i, k)
		}
	}
	if o.C == 0 {
		o.C = 1
	}
	if !(o.C > 0) {
		return nil, fmt.Errorf("analysis: C %v must be > 0", o.C)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 1000
	}
	if o.MaxIter < 0 {
		return nil, fmt.Errorf("analysis: MaxIter %d must be >= 0 (0 means 1000)", o.MaxIter)
	}
	xs := mat.DenseCopyOf(x)
	stride := p + 1 // weights then intercept, per class
	lambda := 1 / o.C
	scores := make([]float64, k)
	objective := func(theta, grad []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		var loss float64
		for i := range n {
			row := xs.RawRowView(i)
			top := math.Inf(-1)
			for c := range k {
				w := theta[c*stride : (c+1)*stride]
				s := w[p]
				for j, v := range row {
					s += w[j] * v
				}
				scores[c] = s
				top = max(top, s)
			}
			var z float64
			for c := range k {
				z += math.Exp(scores[c] - top)
			}
			logZ := top + math.Log(z)
			loss += logZ - scores[y[i]]
			if grad == nil {
				continue
			}
			for c := range k {
				d := math.Exp(scores[c] - logZ)
				if c == y[i] {
					d--
				}
				g := grad[c*stride : (c+1)*stride]
				for j, v := range row {
					g[j] += d * v
				}
				g[p] += d
			}
		}
		for c := range k {
			w := theta[c*stride : c*stride+p]
			for j, v := range w {
				loss += lambda / 2 * v * v
				if grad != nil {
					grad[c*stride+j] += lambda * v
				}
			}
		}
		return loss
	}
	problem := optimize.Problem{
		Func: func(theta []float64) float64 { return objective(theta, nil) },
		Grad: func(grad, theta []float64) { objective(theta, grad) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: o.MaxIter}
	res, err := optimize.Minimize(problem, make([]float64, k*stride), settings, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("analysis: logistic regression: %w", err)
	}
	// An iteration limit or a stalled line search still leaves the best
	// point found; the caller sees the iteration count.
	l := &Logistic{Classes: classes, Iter: res.Stats.MajorIterations}
	for c := range k {
		w := res.X[c*stride : (c+1)*stride]
		l.W = append(l.W, append([]float64(nil), w[:p]...))
		l.B = append(l.B, w[p])
	}
	// Finite features can still overflow the scores.
	for _, v := range res.X {
		if nonFinite(v) {
			return nil, fmt.Errorf("analysis: logistic regression: a weight came out %v: the features are too large for float64 arithmetic; standardise them", v)
		}
	}
	return l, nil
}

// Proba returns each row's class probabilities, rows × classes. A NaN or
// ±Inf in x is a *NonFiniteError; a row whose class scores overflow
// float64 is an error too.
func (l *Logistic) Proba(x mat.Matrix) (*mat.Dense, error) {
	n, p := x.Dims()
	if len(l.W) == 0 || len(l.W) != len(l.Classes) || len(l.B) != len(l.Classes) {
		return nil, fmt.Errorf("analysis: Proba on a model of %d classes with %d weight rows and %d intercepts", len(l.Classes), len(l.W), len(l.B))
	}
	if p != len(l.W[0]) {
		return nil, fmt.Errorf("analysis: Proba with %d features on a model of %d", p, len(l.W[0]))
	}
	if err := checkMatrix(x, nil); err != nil {
		return nil, err
	}
	k := len(l.Classes)
	out := mat.NewDense(n, k, nil)
	for i := range n {
		row := out.RawRowView(i)
		top := math.Inf(-1)
		for c := range k {
			s := l.B[c]
			for j := range p {
				s += l.W[c][j] * x.At(i, j)
			}
			row[c] = s
			top = max(top, s)
		}
		if nonFinite(top) {
			return nil, fmt.Errorf("analysis: row %d: a class score is %v: the features are too large for float64 arithmetic; standardise them", i, top)
		}
		var z float64
		for c := range k {
			row[c] = math.Exp(row[c] - top)
			z += row[c]
		}
		for c := range k {
			row[c] /= z
		}
	}
	return out, nil
}

// Predict returns each row's most probable class index; its errors are
// Proba's.
func (l *Logistic) Predict(x mat.Matrix) ([]int, error) {
	p, err := l.Proba(x)
	if err != nil {
		return nil, err
	}
	return Argmax(p), nil
}

// Argmax returns each row's index of its largest value (the first on
// ties). As numpy's argmax, a NaN counts as the largest value: a row's
// first NaN is its answer.
func Argmax(m mat.Matrix) []int {
	n, k := m.Dims()
	out := make([]int, n)
	for i := range n {
		for c := 1; c < k; c++ {
			v, best := m.At(i, c), m.At(i, out[i])
			if math.IsNaN(best) {
				break
			}
			if v > best || math.IsNaN(v) {
				out[i] = c
			}
		}
	}
	return out
}
