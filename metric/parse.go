package metric

import (
	"fmt"
	"strings"
)

// names lists every name Parse accepts: those of Keras 3's metrics.get
// (keras/src/metrics/__init__.py: each class's name and its snake_case
// form, plus the aliases bce, mae, mse, mape, msle and their capitals) for the
// classes gokeras has and that need no argument, and compile's "accuracy"
// and "acc" in any case (keras/src/trainers/compile_utils.py, get_metric).
var names = []string{
	"accuracy", "acc",
	"sparse_categorical_accuracy", "SparseCategoricalAccuracy",
	"categorical_accuracy", "CategoricalAccuracy",
	"binary_accuracy", "BinaryAccuracy",
	"top_k_categorical_accuracy", "TopKCategoricalAccuracy",
	"sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy",
	"mae", "MAE", "mean_absolute_error", "MeanAbsoluteError",
	"mse", "MSE", "mean_squared_error", "MeanSquaredError",
	"mape", "MAPE", "mean_absolute_percentage_error", "MeanAbsolutePercentageError",
	"root_mean_squared_error", "RootMeanSquaredError",
	"r2_score", "R2Score",
	"auc", "AUC",
	"precision", "Precision",
	"recall", "Recall",
	"f1_score", "F1Score",
	"f_beta_score", "FBetaScore",
	"kl_divergence", "KLDivergence",
	"poisson", "Poisson",
	"bce", "BCE", "binary_crossentropy", "BinaryCrossentropy",
	"categorical_crossentropy", "CategoricalCrossentropy",
	"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy",
	"hinge", "Hinge",
	"squared_hinge", "SquaredHinge",
	"categorical_hinge", "CategoricalHinge",
	"cosine_similarity", "CosineSimilarity",
	"log_cosh_error", "LogCoshError",
	"msle", "MSLE", "mean_squared_logarithmic_error", "MeanSquaredLogarithmicError",
	"true_positives", "TruePositives",
	"false_positives", "FalsePositives",
	"true_negatives", "TrueNegatives",
	"false_negatives", "FalseNegatives",
	"binary_io_u", "BinaryIoU",
}

// Parse returns a fresh metric for a name Keras's compile accepts. As in
// Keras, the metric is logged under the name it was given ("acc" logs as
// "acc", "AUC" as "AUC"). MeanIoU needs num_classes, so, as in Keras, it
// has no name: give it as a config (FromConfig); so do IoU, OneHotIoU,
// OneHotMeanIoU and the sensitivity/specificity family, whose Keras
// classes need an argument. Keras's Accuracy class (exact equality) is
// FromConfig("Accuracy", ...): the name "accuracy" in any case is
// compile's choice by shape.
func Parse(name string) (Metric, error) {
	var m Metric
	switch name {
	case "sparse_categorical_accuracy", "SparseCategoricalAccuracy":
		m = &SparseCategoricalAccuracy{}
	case "categorical_accuracy", "CategoricalAccuracy":
		m = &CategoricalAccuracy{}
	case "binary_accuracy", "BinaryAccuracy":
		m = &BinaryAccuracy{}
	case "top_k_categorical_accuracy", "TopKCategoricalAccuracy":
		m = &TopKCategoricalAccuracy{}
	case "sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy":
		m = &SparseTopKCategoricalAccuracy{}
	case "mae", "MAE", "mean_absolute_error", "MeanAbsoluteError":
		m = &MAE{}
	case "mse", "MSE", "mean_squared_error", "MeanSquaredError":
		m = &MSE{}
	case "mape", "MAPE", "mean_absolute_percentage_error", "MeanAbsolutePercentageError":
		m = &MeanAbsolutePercentageError{}
	case "root_mean_squared_error", "RootMeanSquaredError":
		m = &RootMeanSquaredError{}
	case "r2_score", "R2Score":
		m = &R2Score{}
	case "auc", "AUC":
		m = &AUC{}
	case "precision", "Precision":
		m = &Precision{}
	case "recall", "Recall":
		m = &Recall{}
	case "f1_score", "F1Score":
		m = &F1Score{}
	case "f_beta_score", "FBetaScore":
		m = &FBetaScore{}
	case "kl_divergence", "KLDivergence":
		m = &KLDivergence{}
	case "poisson", "Poisson":
		m = &Poisson{}
	case "bce", "BCE", "binary_crossentropy", "BinaryCrossentropy":
		m = &BinaryCrossentropy{}
	case "categorical_crossentropy", "CategoricalCrossentropy":
		m = &CategoricalCrossentropy{}
	case "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy":
		m = &SparseCategoricalCrossentropy{}
	case "hinge", "Hinge":
		m = &Hinge{}
	case "squared_hinge", "SquaredHinge":
		m = &SquaredHinge{}
	case "categorical_hinge", "CategoricalHinge":
		m = &CategoricalHinge{}
	case "cosine_similarity", "CosineSimilarity":
		m = &CosineSimilarity{}
	case "log_cosh_error", "LogCoshError":
		m = &LogCoshError{}
	case "msle", "MSLE", "mean_squared_logarithmic_error", "MeanSquaredLogarithmicError":
		m = &MeanSquaredLogarithmicError{}
	case "true_positives", "TruePositives":
		m = &TruePositives{}
	case "false_positives", "FalsePositives":
		m = &FalsePositives{}
	case "true_negatives", "TrueNegatives":
		m = &TrueNegatives{}
	case "false_negatives", "FalseNegatives":
		m = &FalseNegatives{}
	case "binary_io_u", "BinaryIoU":
		m = &BinaryIoU{}
	default:
		if l := strings.ToLower(name); l == "accuracy" || l == "acc" {
			m = &Accuracy{}
		}
	}
	if m == nil {
		return nil, fmt.Errorf("metric: unknown metric %q; use one of %s (or a {\"class_name\": ..., \"config\": {...}} object, e.g. for MeanIoU)", name, strings.Join(names, ", "))
	}
	if m.Name() != name {
		setLogName(m, name)
	}
	return m, nil
}

// setLogName sets the LogName of a metric of this package.
func setLogName(m Metric, name string) {
	switch v := m.(type) {
	case *Accuracy:
		v.LogName = name
	case *SparseCategoricalAccuracy:
		v.LogName = name
	case *CategoricalAccuracy:
		v.LogName = name
	case *BinaryAccuracy:
		v.LogName = name
	case *TopKCategoricalAccuracy:
		v.LogName = name
	case *SparseTopKCategoricalAccuracy:
		v.LogName = name
	case *MAE:
		v.LogName = name
	case *MSE:
		v.LogName = name
	case *MeanAbsolutePercentageError:
		v.LogName = name
	case *RootMeanSquaredError:
		v.LogName = name
	case *R2Score:
		v.LogName = name
	case *AUC:
		v.LogName = name
	case *Precision:
		v.LogName = name
	case *Recall:
		v.LogName = name
	case *F1Score:
		v.LogName = name
	case *FBetaScore:
		v.LogName = name
	case *MeanIoU:
		v.LogName = name
	case *ExactAccuracy:
		v.LogName = name
	case *KLDivergence:
		v.LogName = name
	case *Poisson:
		v.LogName = name
	case *BinaryCrossentropy:
		v.LogName = name
	case *CategoricalCrossentropy:
		v.LogName = name
	case *SparseCategoricalCrossentropy:
		v.LogName = name
	case *Hinge:
		v.LogName = name
	case *SquaredHinge:
		v.LogName = name
	case *CategoricalHinge:
		v.LogName = name
	case *CosineSimilarity:
		v.LogName = name
	case *LogCoshError:
		v.LogName = name
	case *MeanSquaredLogarithmicError:
		v.LogName = name
	case *TruePositives:
		v.LogName = name
	case *FalsePositives:
		v.LogName = name
	case *TrueNegatives:
		v.LogName = name
	case *FalseNegatives:
		v.LogName = name
	case *SensitivityAtSpecificity:
		v.LogName = name
	case *SpecificityAtSensitivity:
		v.LogName = name
	case *PrecisionAtRecall:
		v.LogName = name
	case *RecallAtPrecision:
		v.LogName = name
	case *IoU:
		v.LogName = name
	case *BinaryIoU:
		v.LogName = name
	case *OneHotIoU:
		v.LogName = name
	case *OneHotMeanIoU:
		v.LogName = name
	}
}
