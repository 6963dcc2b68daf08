package metric

// Fresh returns a new metric of m's kind and settings with nothing
// accumulated, for a second evaluation running at the same time as one
// using m (metrics keep running sums). ok is false for a metric type this
// package does not define.
func Fresh(m Metric) (c Metric, ok bool) {
	switch v := m.(type) {
	case *Accuracy:
		return &Accuracy{LogName: v.LogName}, true
	case *SparseCategoricalAccuracy:
		return &SparseCategoricalAccuracy{LogName: v.LogName}, true
	case *CategoricalAccuracy:
		return &CategoricalAccuracy{LogName: v.LogName}, true
	case *BinaryAccuracy:
		return &BinaryAccuracy{Threshold: v.Threshold, LogName: v.LogName}, true
	case *MAE:
		return &MAE{LogName: v.LogName}, true
	case *MSE:
		return &MSE{LogName: v.LogName}, true
	case *TopKCategoricalAccuracy:
		return &TopKCategoricalAccuracy{K: v.K, LogName: v.LogName}, true
	case *SparseTopKCategoricalAccuracy:
		return &SparseTopKCategoricalAccuracy{K: v.K, LogName: v.LogName}, true
	case *RootMeanSquaredError:
		return &RootMeanSquaredError{LogName: v.LogName}, true
	case *MeanAbsolutePercentageError:
		return &MeanAbsolutePercentageError{LogName: v.LogName}, true
	case fresher:
		return v.fresh(), true
	}
	return nil, false
}

// fresher is a metric with settings and state: fresh returns a copy of the
// settings with no state.
type fresher interface {
	Metric
	fresh() Metric
}
