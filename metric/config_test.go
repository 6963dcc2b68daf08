package metric

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// settingsTable holds one metric of each class with non-default settings.
func settingsTable() []Metric {
	return []Metric{
		&AUC{Curve: "PR", SummationMethod: "minoring", NumThresholds: 37, FromLogits: true, LogName: "pr_auc"},
		&AUC{Thresholds: []float64{0.2, 0.6}, MultiLabel: true, NumLabels: 2, LabelWeights: []float64{1, 3}},
		&Precision{Threshold: new(0.0), ClassID: new(2)},
		&Recall{TopK: 3},
		&FBetaScore{Average: "macro", Beta: 2, Threshold: new(0.4)},
		&F1Score{Average: "weighted"},
		&F1Score{LogName: "my_f1"},
		&TopKCategoricalAccuracy{K: 3},
		&SparseTopKCategoricalAccuracy{K: 2, LogName: "top2"},
		&BinaryAccuracy{Threshold: new(0.0)},
		&CategoricalAccuracy{LogName: "cat"},
		&SparseCategoricalAccuracy{LogName: "sparse"},
		&MAE{LogName: "mean_absolute_error_2"},
		&MSE{LogName: "m"},
		&MeanAbsolutePercentageError{LogName: "pct"},
		&RootMeanSquaredError{LogName: "root"},
		&R2Score{ClassAggregation: "none", NumRegressors: 3},
		&R2Score{ClassAggregation: "variance_weighted_average"},
		&MeanIoU{NumClasses: 4, IgnoreClass: new(255), DensePred: true},
		&ExactAccuracy{},
		&KLDivergence{LogName: "kl"},
		&Poisson{LogName: "pois"},
		&Hinge{LogName: "h"},
		&SquaredHinge{LogName: "sq"},
		&CategoricalHinge{LogName: "ch"},
		&LogCoshError{},
		&MeanSquaredLogarithmicError{LogName: "m"},
		&CosineSimilarity{LogName: "cos"},
		&BinaryCrossentropy{FromLogits: true, LabelSmoothing: 0.1},
		&CategoricalCrossentropy{LabelSmoothing: 0.2, LogName: "cce"},
		&SparseCategoricalCrossentropy{FromLogits: true},
		&TruePositives{Threshold: new(0.3)},
		&FalsePositives{LogName: "fp"},
		&TrueNegatives{Threshold: new(0.0)},
		&FalseNegatives{LogName: "fn"},
		&SensitivityAtSpecificity{Specificity: 0.5},
		&SpecificityAtSensitivity{Sensitivity: 0.9, NumThresholds: 50, ClassID: new(1)},
		&PrecisionAtRecall{Recall: 0.8, NumThresholds: 1},
		&RecallAtPrecision{Precision: 0.7, LogName: "r_at_p"},
		&IoU{NumClasses: 3, TargetClassIDs: []int{0, 2}, IgnoreClass: new(1), DenseTrue: true},
		&BinaryIoU{LogName: "biou"},
		&BinaryIoU{TargetClassIDs: []int{1}, Threshold: new(0.3)},
		&OneHotIoU{NumClasses: 4, TargetClassIDs: []int{3}, SparsePred: true},
		&OneHotMeanIoU{NumClasses: 5, IgnoreClass: new(0)},
	}
}

// kerasKeys are the keys each Keras class's get_config writes
// (keras/src/metrics/*.py; the base Metric adds name and dtype).
var kerasKeys = map[string][]string{
	"AUC":                           {"name", "dtype", "num_thresholds", "curve", "summation_method", "multi_label", "num_labels", "label_weights", "from_logits"},
	"Precision":                     {"name", "dtype", "thresholds", "top_k", "class_id"},
	"Recall":                        {"name", "dtype", "thresholds", "top_k", "class_id"},
	"FBetaScore":                    {"name", "dtype", "average", "beta", "threshold"},
	"F1Score":                       {"name", "dtype", "average", "threshold"},
	"TopKCategoricalAccuracy":       {"name", "dtype", "k"},
	"SparseTopKCategoricalAccuracy": {"name", "dtype", "k"},
	"BinaryAccuracy":                {"name", "dtype", "threshold"},
	"CategoricalAccuracy":           {"name", "dtype"},
	"SparseCategoricalAccuracy":     {"name", "dtype"},
	"MeanAbsoluteError":             {"name", "dtype"},
	"MeanSquaredError":              {"name", "dtype"},
	"MeanAbsolutePercentageError":   {"name", "dtype"},
	"RootMeanSquaredError":          {"name", "dtype"},
	"R2Score":                       {"name", "dtype", "class_aggregation", "num_regressors"},
	"MeanIoU":                       {"name", "dtype", "num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"},
	"Accuracy":                      {"name", "dtype"},
	"KLDivergence":                  {"name", "dtype"},
	"Poisson":                       {"name", "dtype"},
	"Hinge":                         {"name", "dtype"},
	"SquaredHinge":                  {"name", "dtype"},
	"CategoricalHinge":              {"name", "dtype"},
	"LogCoshError":                  {"name", "dtype"},
	"MeanSquaredLogarithmicError":   {"name", "dtype"},
	"CosineSimilarity":              {"name", "dtype", "axis"},
	"BinaryCrossentropy":            {"name", "dtype", "from_logits", "label_smoothing"},
	"CategoricalCrossentropy":       {"name", "dtype", "from_logits", "label_smoothing", "axis"},
	"SparseCategoricalCrossentropy": {"name", "dtype", "from_logits", "axis"},
	"TruePositives":                 {"name", "dtype", "thresholds"},
	"FalsePositives":                {"name", "dtype", "thresholds"},
	"TrueNegatives":                 {"name", "dtype", "thresholds"},
	"FalseNegatives":                {"name", "dtype", "thresholds"},
	"SensitivityAtSpecificity":      {"name", "dtype", "class_id", "num_thresholds", "specificity"},
	"SpecificityAtSensitivity":      {"name", "dtype", "class_id", "num_thresholds", "sensitivity"},
	"PrecisionAtRecall":             {"name", "dtype", "class_id", "num_thresholds", "recall"},
	"RecallAtPrecision":             {"name", "dtype", "class_id", "num_thresholds", "precision"},
	"IoU":                           {"name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"},
	"BinaryIoU":                     {"name", "dtype", "target_class_ids", "threshold"},
	"OneHotIoU":                     {"name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_pred", "axis"},
	"OneHotMeanIoU":                 {"name", "dtype", "num_classes", "ignore_class", "sparse_y_pred", "axis"},
}

// TestConfigRoundTrip: Config writes Keras's keys, and FromConfig gives
// back a metric with the same settings and name.
func TestConfigRoundTrip(t *testing.T) {
	for _, m := range settingsTable() {
		class, cfg, ok := Config(m)
		if !ok {
			t.Errorf("%#v: Config not ok", m)
			continue
		}
		var keys []string
		for k := range cfg {
			keys = append(keys, k)
		}
		want := slices.Clone(kerasKeys[class])
		if a, ok := m.(*AUC); ok && a.Thresholds != nil {
			want = append(want, "thresholds") // only when built from thresholds
		}
		slices.Sort(keys)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("%s config keys %v, want Keras's %v", class, keys, want)
		}
		back, err := FromConfig(class, cfg)
		if err != nil {
			t.Errorf("%s %v: %v", class, cfg, err)
			continue
		}
		a, _ := Fresh(m)
		b, _ := Fresh(back)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s round trip: %#v, want %#v", class, b, a)
		}
		if back.Name() != m.Name() {
			t.Errorf("%s round trip name %q, want %q", class, back.Name(), m.Name())
		}
	}
}

// TestConfigDefaults: Keras's config of a metric at its defaults (as
// Keras writes it) reads as the Go zero value with Keras's name.
func TestConfigDefaults(t *testing.T) {
	cases := []struct {
		class string
		cfg   map[string]any
		want  Metric
	}{
		{"AUC", map[string]any{"name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC", "summation_method": "interpolation", "multi_label": false, "num_labels": nil, "label_weights": nil, "from_logits": false}, &AUC{}},
		{"Precision", map[string]any{"name": "precision", "dtype": "float32", "thresholds": nil, "top_k": nil, "class_id": nil}, &Precision{}},
		{"F1Score", map[string]any{"name": "f1_score", "dtype": "float32", "average": nil, "threshold": nil}, &F1Score{}},
		{"FBetaScore", map[string]any{"name": "fbeta_score", "dtype": "float32", "average": nil, "beta": 1.0, "threshold": nil}, &FBetaScore{}},
		{"SparseTopKCategoricalAccuracy", map[string]any{"name": "sparse_top_k_categorical_accuracy", "dtype": "float32", "k": 5}, &SparseTopKCategoricalAccuracy{}},
		{"R2Score", map[string]any{"name": "r2_score", "dtype": "float32", "class_aggregation": "uniform_average", "num_regressors": 0}, &R2Score{}},
		{"BinaryAccuracy", map[string]any{"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}, &BinaryAccuracy{}},
		{"MeanIoU", map[string]any{"name": "mean_io_u", "dtype": "int", "num_classes": 3, "ignore_class": nil, "sparse_y_true": true, "sparse_y_pred": true, "axis": -1}, &MeanIoU{NumClasses: 3}},
		{"Accuracy", map[string]any{"name": "accuracy", "dtype": "float32"}, &ExactAccuracy{}},
		{"LogCoshError", map[string]any{"name": "logcosh", "dtype": "float32"}, &LogCoshError{}},
		{"BinaryCrossentropy", map[string]any{"name": "binary_crossentropy", "dtype": "float32", "from_logits": false, "label_smoothing": 0.0}, &BinaryCrossentropy{}},
		{"CategoricalCrossentropy", map[string]any{"name": "categorical_crossentropy", "dtype": "float32", "from_logits": false, "label_smoothing": 0.0, "axis": -1}, &CategoricalCrossentropy{}},
		{"SparseCategoricalCrossentropy", map[string]any{"name": "sparse_categorical_crossentropy", "dtype": "float32", "from_logits": false, "axis": -1}, &SparseCategoricalCrossentropy{}},
		{"CosineSimilarity", map[string]any{"name": "cosine_similarity", "dtype": "float32", "axis": -1}, &CosineSimilarity{}},
		{"TruePositives", map[string]any{"name": "true_positives", "dtype": "float32", "thresholds": nil}, &TruePositives{}},
		{"SensitivityAtSpecificity", map[string]any{"name": "sensitivity_at_specificity", "dtype": "float32", "class_id": nil, "num_thresholds": 200, "specificity": 0.5}, &SensitivityAtSpecificity{Specificity: 0.5}},
		{"RecallAtPrecision", map[string]any{"name": "recall_at_precision", "dtype": "float32", "class_id": nil, "num_thresholds": 200, "precision": 0.8}, &RecallAtPrecision{Precision: 0.8}},
		{"IoU", map[string]any{"name": "io_u", "dtype": "float32", "num_classes": 2, "target_class_ids": []any{0}, "ignore_class": nil, "sparse_y_true": true, "sparse_y_pred": true, "axis": -1}, &IoU{NumClasses: 2, TargetClassIDs: []int{0}}},
		{"BinaryIoU", map[string]any{"name": "binary_io_u", "dtype": "float32", "target_class_ids": []any{0, 1}, "threshold": 0.5}, &BinaryIoU{}},
		{"OneHotIoU", map[string]any{"name": "one_hot_io_u", "dtype": "float32", "num_classes": 3, "target_class_ids": []any{1}, "ignore_class": nil, "sparse_y_pred": false, "axis": -1}, &OneHotIoU{NumClasses: 3, TargetClassIDs: []int{1}}},
		{"OneHotMeanIoU", map[string]any{"name": "one_hot_mean_io_u", "dtype": "float32", "num_classes": 3, "ignore_class": nil, "sparse_y_pred": false, "axis": -1}, &OneHotMeanIoU{NumClasses: 3}},
	}
	for _, c := range cases {
		m, err := FromConfig(c.class, c.cfg)
		if err != nil {
			t.Errorf("%s: %v", c.class, err)
			continue
		}
		if !reflect.DeepEqual(m, c.want) {
			t.Errorf("%s: %#v, want %#v", c.class, m, c.want)
		}
		// At its defaults and with its name, a metric is written by name,
		// except where Keras's metrics.get does not take the name
		// ("fbeta_score" is the class's default name, "f_beta_score" what
		// get takes) or the class needs an argument.
		// Keras's Accuracy class is not compile's "accuracy", and
		// LogCoshError's default name "logcosh" is not a name get takes.
		needsClass := map[string]bool{"MeanIoU": true, "FBetaScore": true, "Accuracy": true, "LogCoshError": true,
			"SensitivityAtSpecificity": true, "RecallAtPrecision": true, "IoU": true, "OneHotIoU": true, "OneHotMeanIoU": true}
		if _, _, ok := Config(m); ok != needsClass[c.class] {
			t.Errorf("%s at its defaults: Config ok is %v, want %v (written as its name when Keras's get takes the name)", c.class, ok, needsClass[c.class])
		}
	}
}

// TestConfigErrors: unknown keys and values gokeras (or Keras) does not
// take are errors naming them.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"AUC", map[string]any{"bogus": 1}, `unknown key "bogus"`},
		{"AUC", map[string]any{"curve": "XY"}, `curve "XY"`},
		{"AUC", map[string]any{"summation_method": "trapezoid"}, `summation_method "trapezoid"`},
		{"AUC", map[string]any{"num_thresholds": 1}, "num_thresholds 1"},
		{"AUC", map[string]any{"thresholds": []any{0.5, 1.5}}, "threshold 1.5"},
		{"AUC", map[string]any{"num_labels": 3}, "num_labels 3"},
		{"AUC", map[string]any{"dtype": "float16"}, "dtype float16"},
		{"Precision", map[string]any{"thresholds": []any{0.2, 0.4}}, "give one threshold"},
		{"Precision", map[string]any{"thresholds": 1.2}, "outside [0, 1]"},
		{"Recall", map[string]any{"top_k": 0}, "top_k 0"},
		{"Recall", map[string]any{"class_id": -1}, "class_id -1"},
		{"Recall", map[string]any{"thresholds": "high"}, "want a list of numbers"},
		{"FBetaScore", map[string]any{"beta": 0.0}, "beta 0"},
		{"FBetaScore", map[string]any{"average": "samples"}, `average "samples"`},
		{"F1Score", map[string]any{"threshold": 0.0}, "0 < threshold <= 1"},
		{"F1Score", map[string]any{"beta": 2.0}, `unknown key "beta"`},
		{"TopKCategoricalAccuracy", map[string]any{"k": 0}, "k 0"},
		{"SparseTopKCategoricalAccuracy", map[string]any{"from_sorted_ids": true}, "from_sorted_ids"},
		{"R2Score", map[string]any{"class_aggregation": "none"}, "class_aggregation none"},
		{"R2Score", map[string]any{"num_regressors": -1}, "num_regressors -1"},
		{"MeanIoU", map[string]any{"num_classes": 3, "axis": 1}, "axis 1"},
		{"MeanIoU", map[string]any{}, "num_classes is required"},
		{"MeanSquaredError", map[string]any{"name": "m", "from_logits": true}, `unknown key "from_logits"`},
		{"Sum", map[string]any{}, `unknown metric class "Sum"`},
		{"TruePositives", map[string]any{"thresholds": []any{0.2, 0.4}}, "give one threshold"},
		{"FalseNegatives", map[string]any{"thresholds": -0.1}, "outside [0, 1]"},
		{"FalsePositives", map[string]any{"top_k": 2}, `unknown key "top_k"`},
		{"BinaryCrossentropy", map[string]any{"label_smoothing": 1.5}, "label_smoothing 1.5"},
		{"CategoricalCrossentropy", map[string]any{"axis": 1}, "axis 1"},
		{"SparseCategoricalCrossentropy", map[string]any{"label_smoothing": 0.1}, `unknown key "label_smoothing"`},
		{"SparseCategoricalCrossentropy", map[string]any{"ignore_class": 0}, `unknown key "ignore_class"`},
		{"CosineSimilarity", map[string]any{"axis": 0}, "axis 0"},
		{"Hinge", map[string]any{"reduction": "sum"}, `unknown key "reduction"`},
		{"Accuracy", map[string]any{"threshold": 0.5}, `unknown key "threshold"`},
		{"SensitivityAtSpecificity", map[string]any{}, "specificity is required"},
		{"SpecificityAtSensitivity", map[string]any{"sensitivity": 1.5}, "sensitivity 1.5 must be in the range [0, 1]"},
		{"PrecisionAtRecall", map[string]any{"recall": 0.5, "num_thresholds": 0}, "num_thresholds 0"},
		{"RecallAtPrecision", map[string]any{"precision": 0.5, "class_id": -2}, "class_id -2"},
		{"RecallAtPrecision", map[string]any{"recall": 0.5}, "precision is required"},
		{"IoU", map[string]any{"num_classes": 2}, "target_class_ids is required"},
		{"IoU", map[string]any{"num_classes": 2, "target_class_ids": []any{2}}, "target class id 2 is out of range"},
		{"IoU", map[string]any{"num_classes": 2, "target_class_ids": []any{}}, "target_class_ids is empty"},
		{"IoU", map[string]any{"num_classes": 2, "target_class_ids": []any{0.5}}, "want class ids"},
		{"IoU", map[string]any{"target_class_ids": []any{0}}, "num_classes is required"},
		{"BinaryIoU", map[string]any{"target_class_ids": []any{0, 2}}, "target class id 2"},
		{"BinaryIoU", map[string]any{"num_classes": 2}, `unknown key "num_classes"`},
		{"OneHotIoU", map[string]any{"num_classes": 3, "target_class_ids": []any{0}, "sparse_y_true": false}, `unknown key "sparse_y_true"`},
		{"OneHotMeanIoU", map[string]any{"num_classes": 3, "axis": 2}, "axis 2"},
		{"OneHotMeanIoU", map[string]any{"num_classes": 3, "dtype": "float16"}, "dtype float16"},
	}
	for _, c := range cases {
		_, err := FromConfig(c.class, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: got %v, want an error with %q", c.class, c.cfg, err, c.want)
		}
	}
}

// TestParseEveryName: every name Parse takes gives a metric logged under
// that name, which Config leaves to be written as the name.
func TestParseEveryName(t *testing.T) {
	for _, n := range names {
		m, err := Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name() != n {
			t.Errorf("Parse(%q).Name() = %q", n, m.Name())
		}
		if _, _, ok := Config(m); ok {
			t.Errorf("Parse(%q): Config is ok; a metric given by name is written as its name", n)
		}
	}
	for _, n := range []string{"rmse", "top_k", "mean_io_u", "MeanIoU", "f1", "fbeta_score", "iou",
		"io_u", "IoU", "one_hot_mean_io_u", "precision_at_recall", "SensitivityAtSpecificity", "logcosh", "kld", "cce"} {
		if _, err := Parse(n); err == nil {
			t.Errorf("Parse(%q) is ok; Keras 3's metrics.get does not take it", n)
		}
	}
}

// TestNewMetricsAllocateNothing: after the first batch, updates and
// results allocate nothing.
func TestNewMetricsAllocateNothing(t *testing.T) {
	probs, _ := tensor.FromSlice([]float32{0.1, 0.9, 0.5, 0.2, 0.7, 0.3, 0.8, 0.05, 0.15}, 3, 3)
	onehot, _ := tensor.FromSlice([]float32{0, 1, 0, 1, 0, 0, 0, 0, 1}, 3, 3)
	labels, _ := tensor.FromSlice([]float32{1, 0, 2}, 3)
	w := []float32{1, 0.5, 2}
	cases := []struct {
		m            Weighted
		pred, target *tensor.Tensor
	}{
		{&AUC{}, probs, onehot},
		{&AUC{Curve: "PR", MultiLabel: true, FromLogits: true}, probs, onehot},
		{&AUC{Thresholds: []float64{0.1, 0.7, 0.75}}, probs, onehot},
		{&Precision{TopK: 2}, probs, onehot},
		{&Recall{ClassID: new(1)}, probs, onehot},
		{&FBetaScore{Average: "weighted", Beta: 2}, probs, onehot},
		{&F1Score{Threshold: new(0.5)}, probs, onehot},
		{&TopKCategoricalAccuracy{K: 2}, probs, onehot},
		{&SparseTopKCategoricalAccuracy{K: 2}, probs, labels},
		{&RootMeanSquaredError{}, probs, onehot},
		{&MeanAbsolutePercentageError{}, probs, onehot},
		{&R2Score{}, probs, onehot},
		{&MeanIoU{NumClasses: 3, DensePred: true}, probs, labels},
		{&ExactAccuracy{}, probs, onehot},
		{&KLDivergence{}, probs, onehot},
		{&Poisson{}, probs, onehot},
		{&Hinge{}, probs, onehot},
		{&SquaredHinge{}, probs, onehot},
		{&CategoricalHinge{}, probs, onehot},
		{&LogCoshError{}, probs, onehot},
		{&MeanSquaredLogarithmicError{}, probs, onehot},
		{&CosineSimilarity{}, probs, onehot},
		{&BinaryCrossentropy{LabelSmoothing: 0.1}, probs, onehot},
		{&BinaryCrossentropy{FromLogits: true}, probs, onehot},
		{&CategoricalCrossentropy{LabelSmoothing: 0.1}, probs, onehot},
		{&CategoricalCrossentropy{FromLogits: true}, probs, onehot},
		{&SparseCategoricalCrossentropy{}, probs, labels},
		{&SparseCategoricalCrossentropy{FromLogits: true}, probs, labels},
		{&TruePositives{}, probs, onehot},
		{&FalseNegatives{Threshold: new(0.2)}, probs, onehot},
		{&SensitivityAtSpecificity{Specificity: 0.5}, probs, onehot},
		{&SpecificityAtSensitivity{Sensitivity: 0.5, NumThresholds: 1}, probs, onehot},
		{&PrecisionAtRecall{Recall: 0.5, ClassID: new(1)}, probs, onehot},
		{&RecallAtPrecision{Precision: 0.5}, probs, onehot},
		{&IoU{NumClasses: 3, TargetClassIDs: []int{1}, DensePred: true}, probs, labels},
		{&BinaryIoU{}, probs, onehot},
		{&OneHotIoU{NumClasses: 3, TargetClassIDs: []int{0, 2}}, probs, onehot},
		{&OneHotMeanIoU{NumClasses: 3}, probs, onehot},
	}
	for _, c := range cases {
		c.m.UpdateWeighted(c.pred, c.target, w)
		if a := testing.AllocsPerRun(10, func() {
			c.m.Update(c.pred, c.target)
			c.m.UpdateWeighted(c.pred, c.target, w)
			_ = c.m.Result()
		}); a != 0 {
			t.Errorf("%s: %v allocations per batch, want 0", c.m.Name(), a)
		}
		c.m.Reset()
		if a := testing.AllocsPerRun(10, func() { c.m.Reset() }); a != 0 {
			t.Errorf("%s: Reset allocates %v times", c.m.Name(), a)
		}
	}
}

// TestKerasExamples: the examples in the Keras docstrings, worked by hand
// there (keras/src/metrics/confusion_metrics.py, f_score_metrics.py,
// accuracy_metrics.py, regression_metrics.py, iou_metrics.py).
func TestKerasExamples(t *testing.T) {
	ten := func(v []float32, shape ...int) *tensor.Tensor {
		x, err := tensor.FromSlice(v, shape...)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		name         string
		m            Weighted
		target, pred *tensor.Tensor
		w            []float32
		want         float64
	}{
		// thresholds [-1e-7, 0.5, 1+1e-7]: tp [2 1 0], fp [2 0 0]: 0.75.
		{"AUC num_thresholds 3", &AUC{NumThresholds: 3}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 0.5, 0.3, 0.9}, 4), nil, 0.75},
		{"AUC weighted", &AUC{NumThresholds: 3}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 0.5, 0.3, 0.9}, 4), []float32{1, 0, 0, 1}, 1},
		{"Precision", &Precision{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{1, 0, 1, 1}, 4), nil, 2.0 / 3},
		{"Precision weighted", &Precision{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{1, 0, 1, 1}, 4), []float32{0, 0, 1, 0}, 1},
		{"Precision top_k 2", &Precision{TopK: 2}, ten([]float32{0, 0, 1, 1}, 1, 4), ten([]float32{1, 1, 1, 1}, 1, 4), nil, 0},
		{"Precision top_k 4", &Precision{TopK: 4}, ten([]float32{0, 0, 1, 1}, 1, 4), ten([]float32{1, 1, 1, 1}, 1, 4), nil, 0.5},
		{"Recall", &Recall{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{1, 0, 1, 1}, 4), nil, 2.0 / 3},
		{"TopK k=1", &TopKCategoricalAccuracy{K: 1}, ten([]float32{0, 0, 1, 0, 1, 0}, 2, 3), ten([]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}, 2, 3), nil, 0.5},
		{"TopK k=1 weighted", &TopKCategoricalAccuracy{K: 1}, ten([]float32{0, 0, 1, 0, 1, 0}, 2, 3), ten([]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}, 2, 3), []float32{0.7, 0.3}, 0.3},
		{"SparseTopK k=1 weighted", &SparseTopKCategoricalAccuracy{K: 1}, ten([]float32{2, 1}, 2), ten([]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}, 2, 3), []float32{0.7, 0.3}, 0.3},
		{"RMSE", &RootMeanSquaredError{}, ten([]float32{0, 1, 0, 0}, 2, 2), ten([]float32{1, 1, 0, 0}, 2, 2), nil, 0.5},
		{"RMSE weighted", &RootMeanSquaredError{}, ten([]float32{0, 1, 0, 0}, 2, 2), ten([]float32{1, 1, 0, 0}, 2, 2), []float32{1, 0}, 0.70710678},
		{"MAPE", &MeanAbsolutePercentageError{}, ten([]float32{0, 1, 0, 0}, 2, 2), ten([]float32{1, 1, 0, 0}, 2, 2), nil, 2.5e8},
		{"R2", &R2Score{}, ten([]float32{1, 4, 3}, 3, 1), ten([]float32{2, 4, 4}, 3, 1), nil, 0.57142857},
		{"MeanIoU", &MeanIoU{NumClasses: 2}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 1, 0, 1}, 4), nil, 1.0 / 3},
		{"MeanIoU weighted", &MeanIoU{NumClasses: 2}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 1, 0, 1}, 4), []float32{0.3, 0.3, 0.3, 0.1}, 0.23809524},
		{"F1 threshold 0.5", &F1Score{Threshold: new(0.5)}, ten([]float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 3), ten([]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0}, 3, 3), nil, (0.5 + 0.8 + 2.0/3) / 3},
	}
	for _, c := range cases {
		c.m.UpdateWeighted(c.pred, c.target, c.w)
		if got := c.m.Result(); !close(got, c.want, 1e-6) {
			t.Errorf("%s: got %.9g, want %.9g", c.name, got, c.want)
		}
	}
	// The docstrings of probabilistic_metrics.py, hinge_metrics.py,
	// regression_metrics.py, accuracy_metrics.py (Keras's float32 values),
	// confusion_metrics.py and iou_metrics.py.
	t01 := func() *tensor.Tensor { return ten([]float32{0, 1, 0, 0}, 2, 2) }
	p64 := func() *tensor.Tensor { return ten([]float32{0.6, 0.4, 0.4, 0.6}, 2, 2) }
	p11 := func() *tensor.Tensor { return ten([]float32{1, 1, 0, 0}, 2, 2) }
	cceT := ten([]float32{0, 1, 0, 0, 0, 1}, 2, 3)
	cceP := ten([]float32{0.05, 0.95, 0, 0.1, 0.8, 0.1}, 2, 3)
	ssT := ten([]float32{0, 0, 0, 1, 1}, 5)
	ssP := ten([]float32{0, 0.3, 0.8, 0.3, 0.8}, 5)
	ohT := ten([]float32{0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0}, 4, 3)
	ohP := ten([]float32{0.2, 0.3, 0.5, 0.1, 0.2, 0.7, 0.5, 0.3, 0.1, 0.1, 0.4, 0.5}, 4, 3)
	more := []struct {
		name         string
		m            Weighted
		target, pred *tensor.Tensor
		w            []float32
		want, tol    float64
	}{
		{"KLDivergence", &KLDivergence{}, t01(), p64(), nil, 0.45814306, 1e-6},
		{"KLDivergence weighted", &KLDivergence{}, t01(), p64(), []float32{1, 0}, 0.9162892, 1e-6},
		{"Poisson", &Poisson{}, t01(), p11(), nil, 0.49999997, 1e-6},
		{"Poisson weighted", &Poisson{}, t01(), p11(), []float32{1, 0}, 0.99999994, 1e-6},
		{"BinaryCrossentropy", &BinaryCrossentropy{}, t01(), p64(), nil, 0.81492424, 1e-6},
		{"BinaryCrossentropy weighted", &BinaryCrossentropy{}, t01(), p64(), []float32{1, 0}, 0.9162905, 1e-6},
		{"CategoricalCrossentropy", &CategoricalCrossentropy{}, cceT, cceP, nil, 1.1769392, 1e-6},
		{"CategoricalCrossentropy weighted", &CategoricalCrossentropy{}, cceT, cceP, []float32{0.3, 0.7}, 1.6271976, 1e-6},
		{"SparseCategoricalCrossentropy", &SparseCategoricalCrossentropy{}, ten([]float32{1, 2}, 2), cceP, nil, 1.1769392, 1e-6},
		{"SparseCategoricalCrossentropy weighted", &SparseCategoricalCrossentropy{}, ten([]float32{1, 2}, 2), cceP, []float32{0.3, 0.7}, 1.6271976, 1e-6},
		{"Hinge", &Hinge{}, t01(), p64(), nil, 1.3, 1e-6},
		{"Hinge weighted", &Hinge{}, t01(), p64(), []float32{1, 0}, 1.1, 1e-6},
		{"SquaredHinge", &SquaredHinge{}, t01(), p64(), nil, 1.86, 1e-6},
		{"SquaredHinge weighted", &SquaredHinge{}, t01(), p64(), []float32{1, 0}, 1.46, 1e-6},
		{"CategoricalHinge", &CategoricalHinge{}, t01(), p64(), nil, 1.4000001, 1e-6},
		{"CategoricalHinge weighted", &CategoricalHinge{}, t01(), p64(), []float32{1, 0}, 1.2, 1e-6},
		{"CosineSimilarity", &CosineSimilarity{}, ten([]float32{0, 1, 1, 1}, 2, 2), ten([]float32{1, 0, 1, 1}, 2, 2), nil, 0.49999997, 1e-6},
		{"CosineSimilarity weighted", &CosineSimilarity{}, ten([]float32{0, 1, 1, 1}, 2, 2), ten([]float32{1, 0, 1, 1}, 2, 2), []float32{0.3, 0.7}, 0.6999999, 1e-6},
		{"LogCoshError", &LogCoshError{}, t01(), p11(), nil, 0.10844523, 1e-6},
		{"LogCoshError weighted", &LogCoshError{}, t01(), p11(), []float32{1, 0}, 0.21689045, 1e-6},
		{"MeanSquaredLogarithmicError", &MeanSquaredLogarithmicError{}, t01(), p11(), nil, 0.12011322, 1e-6},
		{"MeanSquaredLogarithmicError weighted", &MeanSquaredLogarithmicError{}, t01(), p11(), []float32{1, 0}, 0.24022643, 1e-6},
		{"Accuracy", &ExactAccuracy{}, ten([]float32{1, 2, 3, 4}, 4, 1), ten([]float32{0, 2, 3, 4}, 4, 1), nil, 0.75, 0},
		{"Accuracy weighted", &ExactAccuracy{}, ten([]float32{1, 2, 3, 4}, 4, 1), ten([]float32{0, 2, 3, 4}, 4, 1), []float32{1, 1, 0, 0}, 0.5, 0},
		{"FalsePositives", &FalsePositives{}, ten([]float32{0, 1, 0, 0}, 4), ten([]float32{0, 0, 1, 1}, 4), nil, 2, 0},
		{"FalsePositives weighted", &FalsePositives{}, ten([]float32{0, 1, 0, 0}, 4), ten([]float32{0, 0, 1, 1}, 4), []float32{0, 0, 1, 0}, 1, 0},
		{"FalseNegatives", &FalseNegatives{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{0, 1, 0, 0}, 4), nil, 2, 0},
		{"FalseNegatives weighted", &FalseNegatives{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{0, 1, 0, 0}, 4), []float32{0, 0, 1, 0}, 1, 0},
		{"TrueNegatives", &TrueNegatives{}, ten([]float32{0, 1, 0, 0}, 4), ten([]float32{1, 1, 0, 0}, 4), nil, 2, 0},
		{"TrueNegatives weighted", &TrueNegatives{}, ten([]float32{0, 1, 0, 0}, 4), ten([]float32{1, 1, 0, 0}, 4), []float32{0, 0, 1, 0}, 1, 0},
		{"TruePositives", &TruePositives{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{1, 0, 1, 1}, 4), nil, 2, 0},
		{"TruePositives weighted", &TruePositives{}, ten([]float32{0, 1, 1, 1}, 4), ten([]float32{1, 0, 1, 1}, 4), []float32{0, 0, 1, 0}, 1, 0},
		{"SensitivityAtSpecificity", &SensitivityAtSpecificity{Specificity: 0.5}, ssT, ssP, nil, 0.5, 1e-9},
		{"SensitivityAtSpecificity weighted", &SensitivityAtSpecificity{Specificity: 0.5}, ssT, ssP, []float32{1, 1, 2, 2, 1}, 1.0 / 3, 1e-9},
		{"SpecificityAtSensitivity", &SpecificityAtSensitivity{Sensitivity: 0.5}, ssT, ssP, nil, 2.0 / 3, 1e-9},
		{"SpecificityAtSensitivity weighted", &SpecificityAtSensitivity{Sensitivity: 0.5}, ssT, ssP, []float32{1, 1, 2, 2, 2}, 0.5, 1e-9},
		{"PrecisionAtRecall", &PrecisionAtRecall{Recall: 0.5}, ssT, ssP, nil, 0.5, 1e-9},
		{"PrecisionAtRecall weighted", &PrecisionAtRecall{Recall: 0.5}, ssT, ssP, []float32{2, 2, 2, 1, 1}, 1.0 / 3, 1e-9},
		{"RecallAtPrecision", &RecallAtPrecision{Precision: 0.8}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 0.5, 0.3, 0.9}, 4), nil, 0.5, 1e-9},
		{"RecallAtPrecision weighted", &RecallAtPrecision{Precision: 0.8}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 0.5, 0.3, 0.9}, 4), []float32{1, 0, 0, 1}, 1, 1e-9},
		{"IoU", &IoU{NumClasses: 2, TargetClassIDs: []int{0}}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 1, 0, 1}, 4), nil, 1.0 / 3, 1e-6},
		{"IoU weighted", &IoU{NumClasses: 2, TargetClassIDs: []int{0}}, ten([]float32{0, 0, 1, 1}, 4), ten([]float32{0, 1, 0, 1}, 4), []float32{0.3, 0.3, 0.3, 0.1}, 1.0 / 3, 1e-6},
		{"BinaryIoU", &BinaryIoU{Threshold: new(0.3)}, ten([]float32{0, 1, 0, 1}, 4), ten([]float32{0.1, 0.2, 0.4, 0.7}, 4), nil, 1.0 / 3, 1e-6},
		{"BinaryIoU weighted", &BinaryIoU{Threshold: new(0.3)}, ten([]float32{0, 1, 0, 1}, 4), ten([]float32{0.1, 0.2, 0.4, 0.7}, 4), []float32{0.2, 0.3, 0.4, 0.1}, 0.17361112, 1e-6},
		// cm = [[0, 0, 0.6], [0.3, 0, 0], [0, 0, 0.1]]: IoU 0, 0, 0.1/0.7.
		{"OneHotIoU", &OneHotIoU{NumClasses: 3, TargetClassIDs: []int{0, 2}}, ohT, ohP, []float32{0.1, 0.2, 0.3, 0.4}, 0.1 / 0.7 / 2, 1e-6},
		{"OneHotMeanIoU", &OneHotMeanIoU{NumClasses: 3}, ohT, ohP, []float32{0.1, 0.2, 0.3, 0.4}, 0.1 / 0.7 / 3, 1e-6},
	}
	for _, c := range more {
		c.m.UpdateWeighted(c.pred, c.target, c.w)
		if got := c.m.Result(); !close(got, c.want, c.tol) {
			t.Errorf("%s: got %.9g, want %.9g", c.name, got, c.want)
		}
	}
	// FBetaScore(beta=2, threshold=0.5): [0.3846154, 0.90909094, 0.8333334].
	f := &FBetaScore{Beta: 2, Threshold: new(0.5)}
	f.Update(ten([]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0}, 3, 3), ten([]float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 3))
	for j, want := range []float64{0.3846154, 0.90909094, 0.8333334} {
		if got := f.Results()[j]; !close(got, want, 1e-6) {
			t.Errorf("FBetaScore beta 2 class %d: got %.9g, want %.9g", j, got, want)
		}
	}
}

// TestIncreasing: every metric Parse or FromConfig makes has Keras's
// direction: the errors go down, the rest up.
func TestIncreasing(t *testing.T) {
	// Keras's _direction: "down" for the errors and the metrics of loss
	// functions, none for the confusion counts, "up" for the rest.
	down := []string{"mae", "mse", "mape", "root_mean_squared_error", "kl_divergence", "poisson",
		"bce", "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
		"squared_hinge", "categorical_hinge", "log_cosh_error", "msle"}
	none := []string{"true_positives", "false_positives", "true_negatives", "false_negatives"}
	for _, n := range names {
		m, _ := Parse(n)
		up, ok := Increasing(m)
		if slices.ContainsFunc(none, func(d string) bool {
			p, _ := Parse(d)
			return reflect.TypeOf(p) == reflect.TypeOf(m)
		}) {
			if ok {
				t.Errorf("%s: Increasing ok; Keras gives it no direction", n)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: Increasing does not know %T", n, m)
			continue
		}
		f, _ := Fresh(m)
		wantUp := true
		for _, d := range down {
			if p, _ := Parse(d); reflect.TypeOf(p) == reflect.TypeOf(f) {
				wantUp = false
			}
		}
		if up != wantUp {
			t.Errorf("%s: Increasing %v, want %v", n, up, wantUp)
		}
	}
	for _, m := range []Metric{&MeanIoU{NumClasses: 2}, &IoU{}, &OneHotIoU{}, &OneHotMeanIoU{}, &ExactAccuracy{},
		&SensitivityAtSpecificity{}, &SpecificityAtSensitivity{}, &PrecisionAtRecall{}, &RecallAtPrecision{}, &CosineSimilarity{}} {
		if up, ok := Increasing(m); !ok || !up {
			t.Errorf("%T: Increasing %v %v, want up", m, up, ok)
		}
	}
}

// TestAccuracyClass: the string "accuracy" (in any case) is compile's
// choice by shape; the class Accuracy in a config is Keras's exact
// equality, and is written back as a class.
func TestAccuracyClass(t *testing.T) {
	for _, n := range []string{"accuracy", "Accuracy", "ACC"} {
		if m, _ := Parse(n); reflect.TypeOf(m) != reflect.TypeOf(&Accuracy{}) {
			t.Errorf("Parse(%q) = %T, want *Accuracy", n, m)
		}
	}
	m, err := FromConfig("Accuracy", map[string]any{"name": "accuracy", "dtype": "float32"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*ExactAccuracy); !ok {
		t.Fatalf("FromConfig(Accuracy) = %T, want *ExactAccuracy", m)
	}
	// 0.1 vs 0 and 0.9 vs 1 differ, 1 vs 1 and 0 vs 0 are equal: 2 of 4.
	p, _ := tensor.FromSlice([]float32{0.1, 0.9, 1, 0}, 2, 2)
	y, _ := tensor.FromSlice([]float32{0, 1, 1, 0}, 2, 2)
	m.Update(p, y)
	if got := m.Result(); got != 0.5 {
		t.Errorf("exact accuracy %v, want 0.5", got)
	}
	if class, _, ok := Config(m); !ok || class != "Accuracy" {
		t.Errorf("Config of ExactAccuracy: %q %v, want class Accuracy", class, ok)
	}
}
