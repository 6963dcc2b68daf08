// Package metric owns the running metrics Keras users pass to compile as
// metrics=["accuracy", "auc"]: each accumulates over the batches of an
// epoch, from Reset to Reset, and Result reports the value over every
// sample seen. Passed as weighted_metrics, they take per-sample weights
// (UpdateWeighted), as Keras's do.
//
// One file per Keras class, each following its Keras 3 source: the means
// of keras/src/metrics/accuracy_metrics.py and regression_metrics.py
// (weighted as reduction_metrics.py's Mean), the metrics of loss functions
// of probabilistic_metrics.py, hinge_metrics.py and regression_metrics.py
// (Means over the loss package's per-sample values, loss_mean.go), AUC,
// Precision, Recall, the counts TruePositives, FalsePositives,
// TrueNegatives, FalseNegatives and the sensitivity/specificity family of
// confusion_metrics.py with metrics_utils.py's thresholds, FBetaScore and
// F1Score of f_score_metrics.py, R2Score of regression_metrics.py and
// IoU, BinaryIoU, MeanIoU, OneHotIoU and OneHotMeanIoU of iou_metrics.py
// (iou_matrix.go). Accuracy is compile's "accuracy", whose choice by shape
// follows keras/src/trainers/compile_utils.py, get_metric; Keras's
// Accuracy class (exact equality) is ExactAccuracy. Parse takes the names
// Keras's compile takes (parse.go), FromConfig and Config read and write
// Keras's metric configs (config.go).
package metric

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// BinaryThreshold is Keras's default threshold for binary accuracy: a
// prediction above it counts as 1.
const BinaryThreshold = 0.5

// Metric accumulates a value over batches.
type Metric interface {
	Name() string // the name in logs: "accuracy", "auc", or the LogName given
	Reset()
	Update(pred, target *tensor.Tensor) // accumulate one batch
	Result() float64                    // the value over all batches since Reset
}

// Weighted is a metric that takes per-sample weights, for Keras's
// weighted_metrics. Every metric in this package is one; those that are
// not means (AUC, Precision, Recall, the confusion counts, the
// sensitivity/specificity family, the F-scores, R2Score, the IoUs) weigh
// the counts they keep, as Keras does.
type Weighted interface {
	Metric
	// UpdateWeighted accumulates one batch with w[i] the weight of sample
	// i (one per sample, pred.Shape[0] of them); nil w is Update. As in
	// Keras, a sample's value is the mean over its values (its rows, or its
	// outputs), and Result becomes sum(w·value)/sum(w), 0 while the weights
	// seen sum to 0 (keras/src/metrics/reduction_metrics.py, Mean and
	// reduce_to_samplewise_values).
	UpdateWeighted(pred, target *tensor.Tensor, w []float32)
}

// mean is a running sum and count (a sum of weights when weighted);
// Result of an empty mean is 0, as Keras's divide_no_nan gives.
type mean struct {
	sum, count float64
}

func (m *mean) add(sum float64, n int) { m.sum += sum; m.count += float64(n) }
func (m *mean) reset()                 { *m = mean{} }
func (m *mean) result() float64 {
	if m.count == 0 {
		return 0
	}
	return m.sum / m.count
}

// addWeighted adds one batch, given sampleSum(lo, hi), the sum of the
// per-value results (correct predictions, errors) of values [lo, hi): each
// sample's mean value times its weight, and the weights.
func (m *mean) addWeighted(name string, pred *tensor.Tensor, values int, w []float32, sampleSum func(lo, hi int) float64) {
	if len(w) != pred.Shape[0] {
		panic(fmt.Sprintf("metric: %s got %d sample weights for a batch of %d", name, len(w), pred.Shape[0]))
	}
	per := values / len(w)
	for i, wi := range w {
		m.sum += float64(wi) * sampleSum(i*per, (i+1)*per) / float64(per)
		m.count += float64(wi)
	}
}

// checkBatch panics when pred and target do not have the same batch size.
func checkBatch(name string, pred, target *tensor.Tensor) {
	if len(pred.Shape) == 0 || len(target.Shape) == 0 || pred.Shape[0] != target.Shape[0] {
		panic(fmt.Sprintf("metric: %s got predictions %v and targets %v; they need the same batch axis", name, pred.Shape, target.Shape))
	}
}

// rowsCols splits pred into rows of its last axis.
func rowsCols(pred *tensor.Tensor) (rows, cols int) {
	cols = pred.Shape[len(pred.Shape)-1]
	return len(pred.Data) / cols, cols
}

// checkSize panics when pred and target hold different numbers of values.
func checkSize(name string, pred, target *tensor.Tensor) {
	checkBatch(name, pred, target)
	if len(pred.Data) != len(target.Data) {
		panic(fmt.Sprintf("metric: %s needs one target per prediction, got predictions %v and targets %v", name, pred.Shape, target.Shape))
	}
}

// nameOr is name, or def when name is "".
func nameOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}
