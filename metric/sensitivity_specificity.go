package metric

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// sensSpec is what SensitivityAtSpecificity, SpecificityAtSensitivity,
// PrecisionAtRecall and RecallAtPrecision share, Keras's
// SensitivitySpecificityBase (keras/src/metrics/confusion_metrics.py):
// true/false positive/negative weights at NumThresholds thresholds
// accumulated over every value of every batch since Reset, from which
// Result takes the best value of one rate among the thresholds where
// another reaches a given value.
//
// The thresholds are 0, (i+1)/(T-1) for i < T-2, and 1; they are evenly
// spaced, so, as with AUC, a prediction p clipped to [0, 1] is positive at
// thresholds 0..ceil(p·(T-1))-1 (at least at the first), Keras's
// _update_confusion_matrix_variables_optimized in metrics_utils.py. With
// T = 1 the one threshold is 0.5 and a prediction above it is positive.
// ClassID, when set, keeps only that column of (batch, ..., classes)
// predictions. Targets are true when not 0.
type sensSpec struct {
	// pos[k] (neg[k]) is the weight of positive (negative) values that are
	// positive at exactly the thresholds 0..k-1.
	pos, neg []float64
}

// sensSpecDefaultThresholds is Keras's num_thresholds default.
const sensSpecDefaultThresholds = 200

func checkSensSpec(valueName string, value float64, numThresholds int, classID *int) error {
	if !(value >= 0 && value <= 1) {
		return fmt.Errorf("%s %v must be in the range [0, 1]", valueName, value)
	}
	if numThresholds < 0 {
		return fmt.Errorf("num_thresholds %d must be an integer > 0", numThresholds)
	}
	if classID != nil && *classID < 0 {
		return fmt.Errorf("class_id %d must be non-negative", *classID)
	}
	return nil
}

func thresholdsOr(n int) int {
	if n == 0 {
		return sensSpecDefaultThresholds
	}
	return n
}

func (s *sensSpec) reset() {
	clear(s.pos)
	clear(s.neg)
}

func (s *sensSpec) update(name string, numThresholds int, classID *int, pred, target *tensor.Tensor, w []float32) {
	checkSize(name, pred, target)
	T := thresholdsOr(numThresholds)
	if s.pos == nil {
		s.pos, s.neg = make([]float64, T+1), make([]float64, T+1)
	}
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	cols := pred.Shape[len(pred.Shape)-1]
	if len(pred.Shape) == 1 {
		cols = 1
		if classID != nil {
			panic(fmt.Sprintf("metric: %s with class_id needs predictions (batch, classes), got %v", name, pred.Shape))
		}
	}
	if classID != nil && *classID >= cols {
		panic(fmt.Sprintf("metric: %s has class_id %d but the predictions %v have %d classes", name, *classID, pred.Shape, cols))
	}
	per := len(pred.Data) / pred.Shape[0]
	for i, p := range pred.Data {
		if classID != nil && i%cols != *classID {
			continue
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[i/per])
		}
		var k int
		if T == 1 {
			if p > 0.5 {
				k = 1
			}
		} else {
			if p != p {
				continue
			}
			p = min(max(p, 0), 1)
			k = max(int(math.Ceil(float64(p*float32(T-1)))), 1)
		}
		if target.Data[i] != 0 {
			s.pos[k] += wt
		} else {
			s.neg[k] += wt
		}
	}
}

// best returns the largest dependent(tp, fp, tn, fn) among the thresholds
// where constrained(tp, fp, tn, fn) >= value, 0 when there is none
// (_find_max_under_constraint).
func (s *sensSpec) best(value float64, constrained, dependent func(tp, fp, tn, fn float64) float64) float64 {
	if s.pos == nil {
		return 0
	}
	T := len(s.pos) - 1
	totPos, totNeg := 0.0, 0.0
	for k := range s.pos {
		totPos += s.pos[k]
		totNeg += s.neg[k]
	}
	// Walk the thresholds from the top: a value is positive at threshold i
	// when its k > i.
	out := 0.0
	var tp, fp float64
	for i := T - 1; i >= 0; i-- {
		tp += s.pos[i+1]
		fp += s.neg[i+1]
		fn, tn := totPos-tp, totNeg-fp
		if constrained(tp, fp, tn, fn) >= value {
			out = max(out, dependent(tp, fp, tn, fn))
		}
	}
	return out
}

// The rates, with Keras's divide_no_nan.
func sensitivity(tp, fp, tn, fn float64) float64 { return divNoNaN(tp, tp+fn) }
func specificity(tp, fp, tn, fn float64) float64 { return divNoNaN(tn, tn+fp) }
func precisionOf(tp, fp, tn, fn float64) float64 { return divNoNaN(tp, tp+fp) }
