package metric

// Increasing reports whether m improves as its value goes up, Keras's
// metric _direction ("up" or "down", set in each class's __init__ in
// keras/src/metrics/*.py), which callbacks in "auto" mode follow
// (keras/src/callbacks/early_stopping.py, _set_monitor_op). The metrics
// of loss functions go down (reduction_metrics.py's MeanMetricWrapper
// sets "down" for a Keras loss), CosineSimilarity goes up. ok is false for
// a metric this package does not define, and for TruePositives,
// FalsePositives, TrueNegatives and FalseNegatives, which in Keras have no
// direction (callbacks then ask for a mode).
func Increasing(m Metric) (up, ok bool) {
	switch m.(type) {
	case *Accuracy, *BinaryAccuracy, *CategoricalAccuracy, *SparseCategoricalAccuracy,
		*TopKCategoricalAccuracy, *SparseTopKCategoricalAccuracy,
		*AUC, *Precision, *Recall, *FBetaScore, *F1Score, *R2Score, *MeanIoU,
		*ExactAccuracy, *CosineSimilarity, *IoU, *BinaryIoU, *OneHotIoU, *OneHotMeanIoU,
		*SensitivityAtSpecificity, *SpecificityAtSensitivity, *PrecisionAtRecall, *RecallAtPrecision:
		return true, true
	case *MAE, *MSE, *RootMeanSquaredError, *MeanAbsolutePercentageError,
		*KLDivergence, *Poisson, *BinaryCrossentropy, *CategoricalCrossentropy,
		*SparseCategoricalCrossentropy, *Hinge, *SquaredHinge, *CategoricalHinge,
		*LogCoshError, *MeanSquaredLogarithmicError:
		return false, true
	}
	return false, false
}
