package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// FBetaScore is Keras's FBetaScore (keras/src/metrics/f_score_metrics.py):
// (1+β²)·precision·recall/(β²·precision+recall) from per-class true
// positive, false positive and false negative weights accumulated over
// every batch since Reset, with Keras's ε = 1e-7 in each denominator.
// Predictions and targets are (batch, classes); a prediction counts as 1
// above Threshold, or with no Threshold where it equals its row's maximum
// and is not 0.
//
// Average "micro" pools the counts of all classes, "macro" averages the
// per-class scores, "weighted" weighs them by their support (the target
// weight of each class). Keras's default, no averaging (""), gives one
// score per class: Results returns them, and Result (the one number a
// gokeras log holds) their unweighted mean.
type FBetaScore struct {
	// Average is "", "micro", "macro" or "weighted".
	Average string
	// Beta weighs recall; 0 is Keras's 1.
	Beta float64
	// Threshold, when set, in (0, 1].
	Threshold *float64
	// LogName is the name in logs and History; "" is "fbeta_score".
	LogName string

	defaultName string // "f1_score" for F1Score
	// tp, fp, fn, support: one per class, or one in all for micro.
	tp, fp, fn, support []float64
}

// F1Score is Keras's F1Score: an FBetaScore with β = 1 and its own name
// (keras/src/metrics/f_score_metrics.py).
type F1Score struct {
	// Average, Threshold and LogName ("" is "f1_score") as in FBetaScore.
	Average   string
	Threshold *float64
	LogName   string
	f         FBetaScore
}

// Name returns LogName, or "fbeta_score" ("f1_score" for F1Score's).
func (m *FBetaScore) Name() string {
	return nameOr(m.LogName, nameOr(m.defaultName, "fbeta_score"))
}

func (m *FBetaScore) beta() float64 {
	if m.Beta == 0 {
		return 1
	}
	return m.Beta
}

func (m *FBetaScore) check() error {
	switch m.Average {
	case "", "micro", "macro", "weighted":
	default:
		return fmt.Errorf("average %q is not one of null, \"micro\", \"macro\", \"weighted\"", m.Average)
	}
	if m.Beta < 0 {
		return fmt.Errorf("beta %v must be > 0", m.Beta)
	}
	if m.Threshold != nil && !(*m.Threshold > 0 && *m.Threshold <= 1) {
		return fmt.Errorf("threshold %v must verify 0 < threshold <= 1", *m.Threshold)
	}
	return nil
}

// Reset forgets every batch seen.
func (m *FBetaScore) Reset() {
	clear(m.tp)
	clear(m.fp)
	clear(m.fn)
	clear(m.support)
}

// Update adds one batch: pred and target both (batch, classes).
func (m *FBetaScore) Update(pred, target *tensor.Tensor) { m.UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *FBetaScore) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	if err := m.check(); err != nil {
		panic(fmt.Sprintf("metric: %s: %v", m.Name(), err))
	}
	if len(pred.Shape) != 2 || len(target.Shape) != 2 || pred.Shape[1] != target.Shape[1] {
		panic(fmt.Sprintf("metric: %s needs predictions and targets (batch, classes), got %v and %v", m.Name(), pred.Shape, target.Shape))
	}
	checkSize(m.Name(), pred, target)
	if w != nil && len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", m.Name(), len(w), pred.Shape[0]))
	}
	rows, cols := pred.Shape[0], pred.Shape[1]
	slots := cols
	if m.Average == "micro" {
		slots = 1
	}
	if m.tp == nil {
		m.tp, m.fp = make([]float64, slots), make([]float64, slots)
		m.fn, m.support = make([]float64, slots), make([]float64, slots)
	} else if len(m.tp) != slots {
		panic(fmt.Sprintf("metric: %s counted %d classes so far, got predictions %v", m.Name(), len(m.tp), pred.Shape))
	}
	for r := range rows {
		row := pred.Data[r*cols : (r+1)*cols]
		var rowMax float32
		if m.Threshold == nil {
			rowMax = row[0]
			for _, v := range row[1:] {
				rowMax = max(rowMax, v)
			}
		}
		wt := 1.0
		if w != nil {
			wt = float64(w[r])
		}
		for j, v := range row {
			var yp float64
			if m.Threshold == nil {
				// y_pred >= max and |y_pred| > 1e-9: [0, 0, 0] stays 0.
				if v >= rowMax && (v > 1e-9 || v < -1e-9) {
					yp = 1
				}
			} else if v > float32(*m.Threshold) {
				yp = 1
			}
			yt := float64(target.Data[r*cols+j])
			s := j
			if slots == 1 {
				s = 0
			}
			m.tp[s] += yp * yt * wt
			m.fp[s] += yp * (1 - yt) * wt
			m.fn[s] += (1 - yp) * yt * wt
			m.support[s] += yt * wt
		}
	}
}

// score is the F-beta score of slot s.
func (m *FBetaScore) score(s int) float64 {
	p := m.tp[s] / (m.tp[s] + m.fp[s] + epsilon)
	r := m.tp[s] / (m.tp[s] + m.fn[s] + epsilon)
	b2 := m.beta() * m.beta()
	return p * r / (b2*p + r + epsilon) * (1 + b2)
}

// Results returns the per-class scores (one value for "micro"), nil
// before any batch. With Average set, Result is what Keras returns.
func (m *FBetaScore) Results() []float64 {
	if m.tp == nil {
		return nil
	}
	out := make([]float64, len(m.tp))
	for s := range out {
		out[s] = m.score(s)
	}
	return out
}

// Result returns the averaged score (see the type's doc for Average "").
func (m *FBetaScore) Result() float64 {
	if m.tp == nil {
		return 0
	}
	if m.Average == "weighted" {
		total := 0.0
		for _, v := range m.support {
			total += v
		}
		sum := 0.0
		for s := range m.tp {
			sum += m.score(s) * m.support[s] / (total + epsilon)
		}
		return sum
	}
	sum := 0.0
	for s := range m.tp {
		sum += m.score(s)
	}
	return sum / float64(len(m.tp))
}

func (m *FBetaScore) fresh() Metric {
	return &FBetaScore{Average: m.Average, Beta: m.Beta, Threshold: m.Threshold, LogName: m.LogName, defaultName: m.defaultName}
}

// inner is the FBetaScore that does the work, with m's settings.
func (m *F1Score) inner() *FBetaScore {
	m.f.Average, m.f.Beta, m.f.Threshold, m.f.LogName, m.f.defaultName = m.Average, 1, m.Threshold, m.LogName, "f1_score"
	return &m.f
}

// Name returns LogName, or "f1_score".
func (m *F1Score) Name() string { return nameOr(m.LogName, "f1_score") }

// Reset forgets every batch seen.
func (m *F1Score) Reset() { m.inner().Reset() }

// Update adds one batch: pred and target both (batch, classes).
func (m *F1Score) Update(pred, target *tensor.Tensor) { m.inner().UpdateWeighted(pred, target, nil) }

// UpdateWeighted adds one batch with per-sample weights (see Weighted).
func (m *F1Score) UpdateWeighted(pred, target *tensor.Tensor, w []float32) {
	m.inner().UpdateWeighted(pred, target, w)
}

// Result is FBetaScore's Result with β = 1.
func (m *F1Score) Result() float64 { return m.inner().Result() }

// Results is FBetaScore's Results with β = 1.
func (m *F1Score) Results() []float64 { return m.inner().Results() }

func (m *F1Score) fresh() Metric {
	return &F1Score{Average: m.Average, Threshold: m.Threshold, LogName: m.LogName}
}
