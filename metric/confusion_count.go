package metric

import "github.com/gokeras/gokeras/tensor"

// conditionCount is what TruePositives, FalsePositives, TrueNegatives and
// FalseNegatives share, Keras's _ConfusionMatrixConditionCount
// (keras/src/metrics/confusion_metrics.py): the weighted count of one
// cell of the confusion matrix at one threshold, over every value of
// every batch since Reset. A value is predicted positive when it is above
// the threshold (0.5 by default) and truly positive when its target is
// not 0. Keras's list of several thresholds, which gives one count per
// threshold, is not supported: a gokeras metric reports one number.
type conditionCount struct {
	c confusion
}

func (k *conditionCount) update(name string, threshold *float64, pred, target *tensor.Tensor, w []float32) {
	k.c.update(name, confusionOptions{threshold: threshold}, pred, target, w)
}
