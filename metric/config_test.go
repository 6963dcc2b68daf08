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
		if _, _, ok := Config(m); ok && c.class != "MeanIoU" && c.class != "FBetaScore" {
			t.Errorf("%s at its defaults: Config is ok; want it written as its name", c.class)
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
	for _, n := range []string{"rmse", "top_k", "mean_io_u", "MeanIoU", "f1", "fbeta_score", "iou"} {
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
