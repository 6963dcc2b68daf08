package metric

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// AUC is Keras's AUC metric (keras/src/metrics/confusion_metrics.py, AUC,
// with the bucketing of keras/src/metrics/metrics_utils.py,
// update_confusion_matrix_variables): the area under the ROC or
// precision-recall curve, approximated by a Riemann sum over a fixed set
// of thresholds whose true/false positive/negative counts accumulate over
// every batch since Reset.
//
// The thresholds are NumThresholds-2 evenly spaced values in (0, 1) plus
// the end points -ε and 1+ε (ε = 1e-7, Keras's backend.epsilon()), or the
// sorted Thresholds plus those end points. A prediction counts as positive
// at a threshold it is strictly above. As in Keras, evenly spaced
// thresholds (the default, or given ones that are evenly spaced) place a
// prediction p clipped to [0, 1] by ceil(p·(T-1)) in float32 rather than
// by comparing, which differs from comparing only at rounding edges.
//
// Without MultiLabel every value of a batch is one data point; with it the
// predictions are (batch, labels), each label gets its own curve, and the
// result is their mean (weighted by LabelWeights when given).
type AUC struct {
	// NumThresholds is the number of thresholds including the two end
	// points; 0 is Keras's 200. Ignored when Thresholds is set.
	NumThresholds int
	// Curve is "ROC" (Keras's default, also "") or "PR".
	Curve string
	// SummationMethod is "interpolation" (Keras's default, also ""),
	// "minoring" or "majoring". For PR, interpolation interpolates the true
	// and false positives rather than the precision (Davis & Goadrich 2006).
	SummationMethod string
	// Thresholds, when set, replaces the evenly spaced ones; values in [0, 1].
	Thresholds []float64
	// MultiLabel computes one AUC per label (the last axis) and averages.
	MultiLabel bool
	// NumLabels, when MultiLabel, is the number of labels the predictions
	// must have; 0 takes it from the first batch.
	NumLabels int
	// LabelWeights weigh the labels (the last axis): in the counts without
	// MultiLabel, in the average of the label AUCs with it.
	LabelWeights []float64
	// FromLogits applies a sigmoid to the predictions first.
	FromLogits bool
	// LogName is the name in logs and History; "" is "auc".
	LogName string

	th     []float32 // thresholds with the end points, ascending
	even   bool      // bucket by ceil(p·(T-1)) as Keras's optimized path
	labels int       // label slots in pos and neg: 1, or the labels with MultiLabel
	// pos[k·labels+l] is the weight of positive values of label l that are
	// above exactly the thresholds 0..k-1 (k = 0..T); neg likewise.
	pos, neg []float64
}

// aucDefaultThresholds is Keras's num_thresholds default.
const aucDefaultThresholds = 200

// epsilon is Keras's backend.epsilon().
const epsilon = 1e-7

// Name returns LogName, or "auc".
func (a *AUC) Name() string { return nameOr(a.LogName, "auc") }

// check reports a setting Keras refuses.
func (a *AUC) check() error {
	switch a.Curve {
	case "", "ROC", "PR", "roc", "pr":
	default:
		return fmt.Errorf("curve %q is not one of \"ROC\", \"PR\"", a.Curve)
	}
	switch a.SummationMethod {
	case "", "interpolation", "minoring", "majoring", "Interpolation", "Minoring", "Majoring":
	default:
		return fmt.Errorf("summation_method %q is not one of \"interpolation\", \"minoring\", \"majoring\"", a.SummationMethod)
	}
	if a.Thresholds == nil && a.NumThresholds != 0 && a.NumThresholds <= 1 {
		return fmt.Errorf("num_thresholds %d must be an integer > 1", a.NumThresholds)
	}
	for _, t := range a.Thresholds {
		if !(t >= 0 && t <= 1) {
			return fmt.Errorf("threshold %v is outside [0, 1]", t)
		}
	}
	if a.NumLabels < 0 || (a.NumLabels > 0 && !a.MultiLabel) {
		return fmt.Errorf("num_labels %d is only for multi_label true (and must be positive)", a.NumLabels)
	}
	for _, w := range a.LabelWeights {
		if !(w >= 0) {
			return fmt.Errorf("label_weights %v must be non-negative", a.LabelWeights)
		}
	}
	return nil
}

func (a *AUC) pr() bool { return a.Curve == "PR" || a.Curve == "pr" }

func (a *AUC) summation() string {
	switch a.SummationMethod {
	case "", "interpolation", "Interpolation":
		return "interpolation"
	case "minoring", "Minoring":
		return "minoring"
	}
	return "majoring"
}

// build sets the thresholds and the counts for labels label slots.
func (a *AUC) build(labels int) {
	if err := a.check(); err != nil {
		panic(fmt.Sprintf("metric: %s: %v", a.Name(), err))
	}
	var inner []float64
	if a.Thresholds != nil {
		inner = append([]float64(nil), a.Thresholds...)
		sortFloat64s(inner)
		a.even = evenlySpaced(inner)
	} else {
		n := a.NumThresholds
		if n == 0 {
			n = aucDefaultThresholds
		}
		inner = make([]float64, n-2)
		for i := range inner {
			inner[i] = float64(i+1) * 1.0 / float64(n-1)
		}
		a.even = true
	}
	a.th = make([]float32, 0, len(inner)+2)
	a.th = append(a.th, float32(0-epsilon))
	for _, t := range inner {
		a.th = append(a.th, float32(t))
	}
	a.th = append(a.th, float32(1+epsilon))
	a.labels = labels
	a.pos = make([]float64, (len(a.th)+1)*labels)
	a.neg = make([]float64, (len(a.th)+1)*labels)
}

// evenlySpaced is Keras's is_evenly_distributed_thresholds applied to
// [0] + inner + [1]: np.allclose to arange(n)/(n-1) in float32, atol 1e-7.
func evenlySpaced(inner []float64) bool {
	n := len(inner) + 2
	for i := range n {
		t := 0.0
		switch {
		case i == n-1:
			t = 1
		case i > 0:
			t = inner[i-1]
		}
		e := float64(float32(i) / float32(n-1))
		if !(math.Abs(t-e) <= epsilon+1e-5*math.Abs(e)) {
			return false
		}
	}
	return true
}

func sortFloat64s(s []float64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Reset forgets every batch seen.
func (a *AUC) Reset() {
	clear(a.pos)
	clear(a.neg)
}

// Update adds one batch: targets (0 or not) with one per prediction.
func (a *AUC) Update(pred, target *tensor.Tensor) { a.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted),
// each spread over the sample's values.
func (a *AUC) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	checkSize(a.Name(), pred, target)
	last := pred.Shape[len(pred.Shape)-1]
	if len(pred.Shape) == 1 {
		last = 1
	}
	labels := 1
	if a.MultiLabel {
		if len(pred.Shape) != 2 {
			panic(fmt.Sprintf("metric: %s with multi_label needs predictions (batch, labels), got %v", a.Name(), pred.Shape))
		}
		labels = last
		if a.NumLabels > 0 && a.NumLabels != labels {
			panic(fmt.Sprintf("metric: %s has num_labels %d but got predictions %v", a.Name(), a.NumLabels, pred.Shape))
		}
	}
	if a.th == nil {
		a.build(labels)
	} else if labels != a.labels {
		panic(fmt.Sprintf("metric: %s counted %d labels so far, got predictions %v", a.Name(), a.labels, pred.Shape))
	}
	if a.LabelWeights != nil && len(a.LabelWeights) != last {
		panic(fmt.Sprintf("metric: %s has %d label_weights for predictions %v", a.Name(), len(a.LabelWeights), pred.Shape))
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", a.Name(), len(w), pred.Shape[0]))
	}
	per := len(pred.Data) / pred.Shape[0]
	T := len(a.th)
	for i, p := range pred.Data {
		wt := 1.0
		if w != nil {
			wt = float64(w[i/per])
		}
		j := i % last
		if a.LabelWeights != nil && !a.MultiLabel {
			wt *= a.LabelWeights[j]
		}
		if a.FromLogits {
			p = float32(1 / (1 + math.Exp(-float64(p))))
		}
		var k int
		if a.even {
			// ceil(p·(T-1)) - 1 is the last threshold index p is above,
			// raised to 0 for the -ε end point (metrics_utils.py,
			// _update_confusion_matrix_variables_optimized).
			if p != p {
				continue
			}
			p = min(max(p, 0), 1)
			k = max(int(math.Ceil(float64(p*float32(T-1)))), 1)
		} else {
			k = countBelow(a.th, p)
		}
		l := 0
		if a.MultiLabel {
			l = j
		}
		if target.Data[i] != 0 {
			a.pos[k*a.labels+l] += wt
		} else {
			a.neg[k*a.labels+l] += wt
		}
	}
}

// countBelow is the number of ascending thresholds th that p is strictly
// above.
func countBelow(th []float32, p float32) int {
	lo, hi := 0, len(th)
	for lo < hi {
		m := (lo + hi) / 2
		if p > th[m] {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Result returns the area, 0 before any batch.
func (a *AUC) Result() float64 {
	if a.th == nil {
		return 0
	}
	if !a.MultiLabel {
		return a.labelAUC(0)
	}
	sum, wsum := 0.0, 0.0
	for l := range a.labels {
		v := a.labelAUC(l)
		if a.LabelWeights == nil {
			sum += v
			wsum++
		} else {
			sum += v * a.LabelWeights[l]
			wsum += a.LabelWeights[l]
		}
	}
	return divNoNaN(sum, wsum)
}

func divNoNaN(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// labelAUC is the area for label slot l, Keras's result() (or
// interpolate_pr_auc) over the cumulative counts.
func (a *AUC) labelAUC(l int) float64 {
	T := len(a.th)
	L := a.labels
	totPos, totNeg := 0.0, 0.0
	for k := 0; k <= T; k++ {
		totPos += a.pos[k*L+l]
		totNeg += a.neg[k*L+l]
	}
	pr, method := a.pr(), a.summation()
	// Walk the thresholds from the top: tp(i) is the positive weight above
	// threshold i, the sum of pos[k] for k > i.
	var tp, fp float64
	var prevTP, prevFP float64 // at threshold i+1
	area := 0.0
	for i := T - 1; i >= 0; i-- {
		tp += a.pos[(i+1)*L+l]
		fp += a.neg[(i+1)*L+l]
		if i < T-1 {
			area += a.term(pr, method, tp, fp, prevTP, prevFP, totPos, totNeg)
		}
		prevTP, prevFP = tp, fp
	}
	return area
}

// term is one rectangle (or interpolated piece) between threshold A (tp,
// fp) and the next threshold B (tpB, fpB).
func (a *AUC) term(pr bool, method string, tp, fp, tpB, fpB, totPos, totNeg float64) float64 {
	fn, fnB := totPos-tp, totPos-tpB
	if pr && method == "interpolation" {
		// interpolate_pr_auc.
		dtp := tp - tpB
		p, pB := tp+fp, tpB+fpB
		dp := p - pB
		slope := divNoNaN(dtp, max(dp, 0))
		intercept := tpB - slope*pB
		ratio := 1.0
		if p > 0 && pB > 0 {
			ratio = divNoNaN(p, max(pB, 0))
		}
		return divNoNaN(slope*(dtp+intercept*math.Log(ratio)), max(tpB+fnB, 0))
	}
	var x, xB, y, yB float64
	recall, recallB := divNoNaN(tp, tp+fn), divNoNaN(tpB, tpB+fnB)
	if pr {
		x, xB = recall, recallB
		y, yB = divNoNaN(tp, tp+fp), divNoNaN(tpB, tpB+fpB)
	} else {
		tn, tnB := totNeg-fp, totNeg-fpB
		x, xB = divNoNaN(fp, fp+tn), divNoNaN(fpB, fpB+tnB)
		y, yB = recall, recallB
	}
	var h float64
	switch method {
	case "interpolation":
		h = (y + yB) / 2
	case "minoring":
		h = min(y, yB)
	default:
		h = max(y, yB)
	}
	return (x - xB) * h
}

func (a *AUC) fresh() Metric {
	c := *a
	c.th, c.pos, c.neg, c.labels, c.even = nil, nil, nil, 0, false
	return &c
}
