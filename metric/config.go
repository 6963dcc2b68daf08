package metric

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
)

// A metric object in a model file's compile_config is what Keras 3 writes
// for compile(metrics=[keras.metrics.AUC(curve="PR")]):
//
//	{"module": "keras.metrics", "class_name": "AUC",
//	 "config": {"name": "auc", "dtype": "float32", "num_thresholds": 200,
//	            "curve": "PR", "summation_method": "interpolation", ...},
//	 "registered_name": null}
//
// with each class's get_config keys (keras/src/metrics/*.py). A metric
// given by name is written as the name alone.

// classes lists the Keras metric classes FromConfig reads.
var classes = []string{
	"AUC", "BinaryAccuracy", "CategoricalAccuracy", "F1Score", "FBetaScore",
	"MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanSquaredError",
	"Precision", "R2Score", "Recall", "RootMeanSquaredError",
	"SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
}

// FromConfig returns the metric a Keras class name and config describe.
// Unknown keys are errors, as are values gokeras does not implement; the
// metric is logged under the config's name.
func FromConfig(class string, cfg map[string]any) (Metric, error) {
	if !slices.Contains(classes, class) {
		hint := ""
		if class == "Accuracy" {
			hint = " (Keras's Accuracy class counts exact equality of predictions and targets; for compile's choice by shape write \"accuracy\")"
		}
		return nil, fmt.Errorf("metric: unknown metric class %q%s; gokeras has %s", class, hint, strings.Join(classes, ", "))
	}
	r := config.New(cfg)
	name := r.Str("name", "")
	dtypes := []string{"float32", "float64"}
	if class == "MeanIoU" {
		dtypes = append(dtypes, "int", "int32", "int64")
	}
	if d, ok := r.Get("dtype"); ok && !slices.Contains(dtypes, fmt.Sprint(d)) {
		r.Failf("dtype %v is not supported; use one of %s (gokeras accumulates in float64)", d, strings.Join(dtypes, ", "))
	}
	var m Metric
	switch class {
	case "AUC":
		a := &AUC{
			NumThresholds:   r.Int("num_thresholds", aucDefaultThresholds),
			Curve:           r.Str("curve", "ROC"),
			SummationMethod: r.Str("summation_method", "interpolation"),
			Thresholds:      numList(r, "thresholds"),
			MultiLabel:      r.Bool("multi_label", false),
			NumLabels:       r.Int("num_labels", 0),
			LabelWeights:    numList(r, "label_weights"),
			FromLogits:      r.Bool("from_logits", false),
		}
		if a.NumThresholds == aucDefaultThresholds {
			a.NumThresholds = 0
		}
		if a.Curve == "ROC" {
			a.Curve = ""
		}
		if a.SummationMethod == "interpolation" {
			a.SummationMethod = ""
		}
		if a.Thresholds != nil {
			a.NumThresholds = 0 // Keras ignores it then
		}
		if r.Err == nil {
			if err := a.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		m = a
	case "Precision", "Recall":
		o := confusionOptions{threshold: oneThreshold(r), topK: r.Int("top_k", 0), classID: optInt(r, "class_id")}
		if _, ok := r.Get("top_k"); ok && o.topK <= 0 {
			r.Failf("top_k %d must be positive", o.topK)
		}
		if r.Err == nil {
			if err := o.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		if class == "Precision" {
			m = &Precision{Threshold: o.threshold, TopK: o.topK, ClassID: o.classID}
		} else {
			m = &Recall{Threshold: o.threshold, TopK: o.topK, ClassID: o.classID}
		}
	case "FBetaScore", "F1Score":
		f := &FBetaScore{Average: r.Str("average", ""), Threshold: optNum(r, "threshold")}
		if class == "FBetaScore" {
			f.Beta = r.Num("beta", 1)
			if !(f.Beta > 0) {
				r.Failf("beta %v must be > 0", f.Beta)
			}
			if f.Beta == 1 {
				f.Beta = 0
			}
		}
		if r.Err == nil {
			if err := f.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		if class == "F1Score" {
			m = &F1Score{Average: f.Average, Threshold: f.Threshold}
		} else {
			m = f
		}
	case "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy":
		k := r.Int("k", topKDefault)
		if k <= 0 {
			r.Failf("k %d must be positive", k)
		}
		if k == topKDefault {
			k = 0
		}
		if class == "TopKCategoricalAccuracy" {
			m = &TopKCategoricalAccuracy{K: k}
		} else {
			if r.Bool("from_sorted_ids", false) {
				r.Failf("from_sorted_ids true is not supported; give the scores of every class")
			}
			m = &SparseTopKCategoricalAccuracy{K: k}
		}
	case "BinaryAccuracy":
		b := &BinaryAccuracy{}
		if t := r.Num("threshold", BinaryThreshold); t != BinaryThreshold {
			b.Threshold = &t
		}
		m = b
	case "CategoricalAccuracy":
		m = &CategoricalAccuracy{}
	case "SparseCategoricalAccuracy":
		m = &SparseCategoricalAccuracy{}
	case "MeanAbsoluteError":
		m = &MAE{}
	case "MeanSquaredError":
		m = &MSE{}
	case "MeanAbsolutePercentageError":
		m = &MeanAbsolutePercentageError{}
	case "RootMeanSquaredError":
		m = &RootMeanSquaredError{}
	case "R2Score":
		a := &R2Score{NumRegressors: r.Int("num_regressors", 0)}
		// Absent is Keras's default; null is its None (one score per output).
		if v, present := r.M["class_aggregation"]; present {
			r.Get("class_aggregation")
			switch v {
			case nil:
				a.ClassAggregation = "none"
			case "uniform_average":
			case "variance_weighted_average":
				a.ClassAggregation = "variance_weighted_average"
			default:
				r.Failf("class_aggregation %v is not one of null, \"uniform_average\", \"variance_weighted_average\"", v)
			}
		}
		if r.Err == nil {
			if err := a.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		m = a
	case "MeanIoU":
		a := &MeanIoU{
			NumClasses:  r.Int("num_classes", 0),
			IgnoreClass: optInt(r, "ignore_class"),
			DenseTrue:   !r.Bool("sparse_y_true", true),
			DensePred:   !r.Bool("sparse_y_pred", true),
		}
		if a.NumClasses <= 0 {
			r.Failf("num_classes is required and must be positive, e.g. \"num_classes\": 3")
		}
		if ax := r.Int("axis", -1); ax != -1 {
			r.Failf("axis %d is not supported; gokeras uses the last axis (-1)", ax)
		}
		m = a
	}
	if r.Err != nil {
		return nil, fmt.Errorf("metric: %s config: %w", class, r.Err)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return nil, fmt.Errorf("metric: %s config has unknown key %q; it takes %s", class, unknown[0], strings.Join(r.Read(), ", "))
	}
	if name != "" && name != m.Name() {
		setLogName(m, name)
	}
	return m, nil
}

// numList reads a list of numbers (or one number), nil when absent.
func numList(r *config.Reader, key string) []float64 {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	if f, ok := config.Number(v); ok {
		return []float64{f}
	}
	if fs, ok := v.([]float64); ok {
		return slices.Clone(fs)
	}
	list, ok := v.([]any)
	if !ok {
		r.Failf("%q is %v; want a list of numbers", key, v)
		return nil
	}
	out := make([]float64, len(list))
	for i, e := range list {
		f, ok := config.Number(e)
		if !ok {
			r.Failf("%q holds %v; want numbers", key, e)
			return nil
		}
		out[i] = f
	}
	return out
}

// oneThreshold reads Precision's and Recall's thresholds: null, a number,
// or a list of one number.
func oneThreshold(r *config.Reader) *float64 {
	list := numList(r, "thresholds")
	switch len(list) {
	case 0:
		if list != nil {
			r.Failf("thresholds is an empty list; give one threshold or null")
		}
		return nil
	case 1:
		return &list[0]
	}
	r.Failf("thresholds %v has %d values; gokeras metrics report one number, so give one threshold (one metric per threshold)", list, len(list))
	return nil
}

func optNum(r *config.Reader, key string) *float64 {
	if _, ok := r.Get(key); !ok {
		return nil
	}
	f := r.Num(key, 0)
	return &f
}

func optInt(r *config.Reader, key string) *int {
	if _, ok := r.Get(key); !ok {
		return nil
	}
	n := r.Int(key, 0)
	return &n
}

// Config returns m's Keras class name and get_config, the inverse of
// FromConfig. ok is false when m is what Parse(m.Name()) gives (write the
// name instead, as Keras keeps a metric given by name), and for metrics
// defined outside this package.
func Config(m Metric) (class string, cfg map[string]any, ok bool) {
	if p, err := Parse(m.Name()); err == nil {
		a, _ := Fresh(p)
		b, okb := Fresh(m)
		if okb && reflect.DeepEqual(a, b) {
			return "", nil, false
		}
	}
	cfg = map[string]any{"name": m.Name(), "dtype": "float32"}
	switch v := m.(type) {
	case *AUC:
		class = "AUC"
		n := v.NumThresholds
		if n == 0 {
			n = aucDefaultThresholds
		}
		curve := "ROC"
		if v.pr() {
			curve = "PR"
		}
		var lw any
		if v.LabelWeights != nil {
			lw = v.LabelWeights
		}
		var nl any
		if v.NumLabels > 0 {
			nl = v.NumLabels
		}
		cfg["num_thresholds"], cfg["curve"], cfg["summation_method"] = n, curve, v.summation()
		cfg["multi_label"], cfg["num_labels"], cfg["label_weights"], cfg["from_logits"] = v.MultiLabel, nl, lw, v.FromLogits
		if v.Thresholds != nil {
			t := slices.Clone(v.Thresholds)
			slices.Sort(t)
			cfg["thresholds"] = t
			cfg["num_thresholds"] = len(t) + 2
		}
	case *Precision:
		class = "Precision"
		confusionConfig(cfg, v.options())
	case *Recall:
		class = "Recall"
		confusionConfig(cfg, v.options())
	case *FBetaScore:
		class = "FBetaScore"
		cfg["average"], cfg["beta"], cfg["threshold"] = nilIfEmpty(v.Average), v.beta(), floatOrNil(v.Threshold)
	case *F1Score:
		class = "F1Score"
		cfg["average"], cfg["threshold"] = nilIfEmpty(v.Average), floatOrNil(v.Threshold)
	case *TopKCategoricalAccuracy:
		class, cfg["k"] = "TopKCategoricalAccuracy", kOr(v.K)
	case *SparseTopKCategoricalAccuracy:
		class, cfg["k"] = "SparseTopKCategoricalAccuracy", kOr(v.K)
	case *BinaryAccuracy:
		th := BinaryThreshold
		if v.Threshold != nil {
			th = *v.Threshold
		}
		class, cfg["threshold"] = "BinaryAccuracy", th
	case *CategoricalAccuracy:
		class = "CategoricalAccuracy"
	case *SparseCategoricalAccuracy:
		class = "SparseCategoricalAccuracy"
	case *MAE:
		class = "MeanAbsoluteError"
	case *MSE:
		class = "MeanSquaredError"
	case *MeanAbsolutePercentageError:
		class = "MeanAbsolutePercentageError"
	case *RootMeanSquaredError:
		class = "RootMeanSquaredError"
	case *R2Score:
		class = "R2Score"
		var agg any = "uniform_average"
		switch v.ClassAggregation {
		case "none":
			agg = nil
		case "variance_weighted_average":
			agg = v.ClassAggregation
		}
		cfg["class_aggregation"], cfg["num_regressors"] = agg, v.NumRegressors
	case *MeanIoU:
		class = "MeanIoU"
		var ic any
		if v.IgnoreClass != nil {
			ic = *v.IgnoreClass
		}
		cfg["dtype"] = "int"
		cfg["num_classes"], cfg["ignore_class"] = v.NumClasses, ic
		cfg["sparse_y_true"], cfg["sparse_y_pred"], cfg["axis"] = !v.DenseTrue, !v.DensePred, -1
	default:
		// Accuracy picks its kind from the data: written by name.
		return "", nil, false
	}
	return class, cfg, true
}

func confusionConfig(cfg map[string]any, o confusionOptions) {
	cfg["thresholds"], cfg["top_k"], cfg["class_id"] = floatOrNil(o.threshold), nil, nil
	if o.topK > 0 {
		cfg["top_k"] = o.topK
	}
	if o.classID != nil {
		cfg["class_id"] = *o.classID
	}
}

func floatOrNil(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
