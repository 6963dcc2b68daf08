package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// checkRegression checks a regression metric's inputs: equal lengths, at
// least one value, all finite.
func checkRegression(y, pred []float64) error {
	if err := checkLen(len(y), len(pred)); err != nil {
		return err
	}
	if len(y) == 0 {
		return fmt.Errorf("analysis: no values to score")
	}
	if err := checkVec("target", y); err != nil {
		return err
	}
	return checkVec("prediction", pred)
}

// R2 is the coefficient of determination, 1 - SS_res/SS_tot, as
// scikit-learn's r2_score: a constant y gives 1 if pred equals it and 0
// otherwise (its force_finite default), not NaN or -Inf. A NaN or ±Inf in
// y or pred is a *NonFiniteError; so are lengths that differ.
func R2(y, pred []float64) (float64, error) {
	if err := checkRegression(y, pred); err != nil {
		return 0, err
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	var res, tot float64
	for i, v := range y {
		res += (v - pred[i]) * (v - pred[i])
		tot += (v - mean) * (v - mean)
	}
	if tot == 0 {
		if res == 0 {
			return 1, nil
		}
		return 0, nil
	}
	return 1 - res/tot, nil
}

// RMSE is the root mean squared error; its errors are R2's.
func RMSE(y, pred []float64) (float64, error) {
	if err := checkRegression(y, pred); err != nil {
		return 0, err
	}
	var s float64
	for i, v := range y {
		s += (v - pred[i]) * (v - pred[i])
	}
	return math.Sqrt(s / float64(len(y))), nil
}

// MAE is the mean absolute error; its errors are R2's.
func MAE(y, pred []float64) (float64, error) {
	if err := checkRegression(y, pred); err != nil {
		return 0, err
	}
	var s float64
	for i, v := range y {
		s += math.Abs(v - pred[i])
	}
	return s / float64(len(y)), nil
}

func sameLen[A, B any](a []A, b []B) {
	if len(a) != len(b) {
		panic(fmt.Sprintf("analysis: %d values against %d", len(a), len(b)))
	}
}

// Accuracy is the fraction of predictions equal to the truth.
func Accuracy(y, pred []int) float64 {
	sameLen(y, pred)
	n := 0
	for i, v := range y {
		if v == pred[i] {
			n++
		}
	}
	return float64(n) / float64(len(y))
}

// ConfusionMatrix counts m[true][predicted] over k classes, as
// scikit-learn's confusion_matrix. Labels outside [0, k) panic.
func ConfusionMatrix(y, pred []int, k int) [][]int {
	sameLen(y, pred)
	m := make([][]int, k)
	for i := range m {
		m[i] = make([]int, k)
	}
	for i, v := range y {
		m[v][pred[i]]++
	}
	return m
}

// Report is a classifier's per-class scores, scikit-learn's
// classification_report as numbers. A score whose denominator is zero is
// 0, as scikit-learn's zero_division default gives (with a warning).
type Report struct {
	Classes   []string
	Precision []float64
	Recall    []float64
	F1        []float64
	Support   []int
	Accuracy  float64
	Confusion [][]int // [true][predicted]
}

// NewReport scores predictions of the classes (labels are indices into
// classes).
func NewReport(y, pred []int, classes []string) *Report {
	k := len(classes)
	r := &Report{Classes: classes, Confusion: ConfusionMatrix(y, pred, k), Accuracy: Accuracy(y, pred)}
	for c := range k {
		tp, actual, predicted := r.Confusion[c][c], 0, 0
		for j := range k {
			actual += r.Confusion[c][j]
			predicted += r.Confusion[j][c]
		}
		p, rec, f1 := ratio(tp, predicted), ratio(tp, actual), 0.0
		if p+rec > 0 {
			f1 = 2 * p * rec / (p + rec)
		}
		r.Precision, r.Recall, r.F1 = append(r.Precision, p), append(r.Recall, rec), append(r.F1, f1)
		r.Support = append(r.Support, actual)
	}
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// averages returns the macro and support-weighted means of v.
func (r *Report) averages(v []float64) (macro, weighted float64) {
	total := 0
	for c, x := range v {
		macro += x
		weighted += x * float64(r.Support[c])
		total += r.Support[c]
	}
	return macro / float64(len(v)), weighted / float64(max(total, 1))
}

// String prints the report exactly as scikit-learn's
// classification_report(digits=2) lays it out.
func (r *Report) String() string {
	const digits = 2
	width := max(len("weighted avg"), digits)
	for _, c := range r.Classes {
		width = max(width, len(c))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support")
	row := func(name string, p, rec, f1 float64, support int) {
		fmt.Fprintf(&b, "%*s  %9.*f %9.*f %9.*f %9d\n", width, name, digits, p, digits, rec, digits, f1, support)
	}
	total := 0
	for c, name := range r.Classes {
		row(name, r.Precision[c], r.Recall[c], r.F1[c], r.Support[c])
		total += r.Support[c]
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "%*s  %9s %9s %9.*f %9d\n", width, "accuracy", "", "", digits, r.Accuracy, total)
	mp, wp := r.averages(r.Precision)
	mr, wr := r.averages(r.Recall)
	mf, wf := r.averages(r.F1)
	row("macro avg", mp, mr, mf, total)
	row("weighted avg", wp, wr, wf, total)
	return b.String()
}

// ConfusionString prints the confusion matrix with class names: rows are
// the true classes, columns the predicted ones.
func (r *Report) ConfusionString() string {
	w := len("true \\ pred")
	cw := 0
	for c, name := range r.Classes {
		w = max(w, len(name))
		cw = max(cw, len(name))
		for _, n := range r.Confusion[c] {
			cw = max(cw, len(fmt.Sprint(n)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", w, "true \\ pred")
	for _, name := range r.Classes {
		fmt.Fprintf(&b, "  %*s", cw, name)
	}
	b.WriteByte('\n')
	for c, name := range r.Classes {
		fmt.Fprintf(&b, "%-*s", w, name)
		for _, n := range r.Confusion[c] {
			fmt.Fprintf(&b, "  %*d", cw, n)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ROCAUC is the area under the ROC curve of scores for a binary problem
// (positive[i] marks the positive class): the probability that a random
// positive scores above a random negative, ties counting half (the
// Mann-Whitney statistic, equal to scikit-learn's roc_auc_score). NaN if
// either class is absent. A NaN or ±Inf score is a *NonFiniteError, as in
// scikit-learn (a NaN has no rank); so are lengths that differ.
func ROCAUC(positive []bool, score []float64) (float64, error) {
	if err := checkLen(len(positive), len(score)); err != nil {
		return 0, err
	}
	if err := checkVec("score", score); err != nil {
		return 0, err
	}
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return 0
	})
	// Sum the positives' ranks, giving tied scores their average rank.
	var rankSum float64
	nPos := 0
	for i := 0; i < len(idx); {
		j := i + 1 // always advances, whatever the scores compare as
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for _, k := range idx[i:j] {
			if positive[k] {
				rankSum += avg
				nPos++
			}
		}
		i = j
	}
	nNeg := len(score) - nPos
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), nil
	}
	return (rankSum - float64(nPos)*float64(nPos+1)/2) / (float64(nPos) * float64(nNeg)), nil
}

// Fold is one K-fold split: row indices to train on and to validate on.
type Fold struct {
	Train, Val []int
}

// KFold splits rows 0..n-1 into k folds as Chollet's Deep Learning with
// Python does (section 3.6.4): no shuffling, fold i validates on rows
// [i·n/k, (i+1)·n/k) and trains on all the others (the n%k leftover rows
// always train).
func KFold(n, k int) ([]Fold, error) {
	if k < 2 || n/k < 1 {
		return nil, fmt.Errorf("analysis: %d folds of %d rows; want k >= 2 and at least one row per fold", k, n)
	}
	size := n / k
	folds := make([]Fold, k)
	for i := range folds {
		for r := range n {
			if r >= i*size && r < (i+1)*size {
				folds[i].Val = append(folds[i].Val, r)
			} else {
				folds[i].Train = append(folds[i].Train, r)
			}
		}
	}
	return folds, nil
}
