package metric

// Increasing reports whether m improves as its value goes up, Keras's
// metric _direction ("up" or "down", set in each class's __init__ in
// keras/src/metrics/*.py), which callbacks in "auto" mode follow
// (keras/src/callbacks/early_stopping.py, _set_monitor_op). ok is false
// for a metric this package does not define.
func Increasing(m Metric) (up, ok bool) {
	switch m.(type) {
	case *Accuracy, *BinaryAccuracy, *CategoricalAccuracy, *SparseCategoricalAccuracy,
		*TopKCategoricalAccuracy, *SparseTopKCategoricalAccuracy,
		*AUC, *Precision, *Recall, *FBetaScore, *F1Score, *R2Score, *MeanIoU:
		return true, true
	case *MAE, *MSE, *RootMeanSquaredError, *MeanAbsolutePercentageError:
		return false, true
	}
	return false, false
}
