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
	"AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
	"CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity",
	"F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence",
	"LogCoshError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU",
	"MeanSquaredError", "MeanSquaredLogarithmicError", "OneHotIoU", "OneHotMeanIoU", "Poisson",
	"Precision", "PrecisionAtRecall", "R2Score", "Recall", "RecallAtPrecision",
	"RootMeanSquaredError", "SensitivityAtSpecificity", "SparseCategoricalAccuracy",
	"SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity",
	"SquaredHinge", "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
}

// FromConfig returns the metric a Keras class name and config describe.
// Unknown keys are errors, as are values gokeras does not implement; the
// metric is logged under the config's name.
func FromConfig(class string, cfg map[string]any) (Metric, error) {
	if !slices.Contains(classes, class) {
		return nil, fmt.Errorf("metric: unknown metric class %q; gokeras has %s", class, strings.Join(classes, ", "))
	}
	r := config.New(cfg)
	name := r.Str("name", "")
	dtypes := []string{"float32", "float64"}
	switch class {
	case "MeanIoU", "IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU":
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
	case "Accuracy":
		// Keras's Accuracy class: exact equality (the name "accuracy" is
		// compile's choice by shape; see Parse).
		m = &ExactAccuracy{}
	case "KLDivergence":
		m = &KLDivergence{}
	case "Poisson":
		m = &Poisson{}
	case "Hinge":
		m = &Hinge{}
	case "SquaredHinge":
		m = &SquaredHinge{}
	case "CategoricalHinge":
		m = &CategoricalHinge{}
	case "LogCoshError":
		m = &LogCoshError{}
	case "MeanSquaredLogarithmicError":
		m = &MeanSquaredLogarithmicError{}
	case "CosineSimilarity":
		lastAxis(r)
		m = &CosineSimilarity{}
	case "BinaryCrossentropy":
		m = &BinaryCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: smoothing(r)}
	case "CategoricalCrossentropy":
		m = &CategoricalCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: smoothing(r)}
		lastAxis(r)
	case "SparseCategoricalCrossentropy":
		m = &SparseCategoricalCrossentropy{FromLogits: r.Bool("from_logits", false)}
		lastAxis(r)
	case "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives":
		th := oneThreshold(r)
		if r.Err == nil {
			if err := (confusionOptions{threshold: th}).check(); err != nil {
				r.Failf("%v", err)
			}
		}
		switch class {
		case "TruePositives":
			m = &TruePositives{Threshold: th}
		case "FalsePositives":
			m = &FalsePositives{Threshold: th}
		case "TrueNegatives":
			m = &TrueNegatives{Threshold: th}
		default:
			m = &FalseNegatives{Threshold: th}
		}
	case "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision":
		key := map[string]string{"SensitivityAtSpecificity": "specificity", "SpecificityAtSensitivity": "sensitivity",
			"PrecisionAtRecall": "recall", "RecallAtPrecision": "precision"}[class]
		if _, ok := r.Get(key); !ok {
			r.Failf("%s is required, e.g. \"%s\": 0.5", key, key)
		}
		v := r.Num(key, 0)
		n := r.Int("num_thresholds", sensSpecDefaultThresholds)
		if n <= 0 {
			r.Failf("num_thresholds %d must be an integer > 0", n)
		}
		if n == sensSpecDefaultThresholds {
			n = 0
		}
		id := optInt(r, "class_id")
		var c interface{ check() error }
		switch class {
		case "SensitivityAtSpecificity":
			c = &SensitivityAtSpecificity{Specificity: v, NumThresholds: n, ClassID: id}
		case "SpecificityAtSensitivity":
			c = &SpecificityAtSensitivity{Sensitivity: v, NumThresholds: n, ClassID: id}
		case "PrecisionAtRecall":
			c = &PrecisionAtRecall{Recall: v, NumThresholds: n, ClassID: id}
		default:
			c = &RecallAtPrecision{Precision: v, NumThresholds: n, ClassID: id}
		}
		if r.Err == nil {
			if err := c.check(); err != nil {
				r.Failf("%v", err)
			}
		}
		m = c.(Metric)
	case "IoU", "OneHotIoU", "OneHotMeanIoU":
		nc := r.Int("num_classes", 0)
		if nc <= 0 {
			r.Failf("num_classes is required and must be positive, e.g. \"num_classes\": 3")
		}
		var ids []int
		if class != "OneHotMeanIoU" {
			ids = classIDs(r)
			if ids == nil {
				r.Failf("target_class_ids is required, e.g. \"target_class_ids\": [0]")
			} else if r.Err == nil {
				if err := checkIDs(ids, nc); err != nil {
					r.Failf("%v", err)
				}
			}
		}
		ic := optInt(r, "ignore_class")
		lastAxis(r)
		switch class {
		case "IoU":
			m = &IoU{NumClasses: nc, TargetClassIDs: ids, IgnoreClass: ic,
				DenseTrue: !r.Bool("sparse_y_true", true), DensePred: !r.Bool("sparse_y_pred", true)}
		case "OneHotIoU":
			m = &OneHotIoU{NumClasses: nc, TargetClassIDs: ids, IgnoreClass: ic, SparsePred: r.Bool("sparse_y_pred", false)}
		default:
			m = &OneHotMeanIoU{NumClasses: nc, IgnoreClass: ic, SparsePred: r.Bool("sparse_y_pred", false)}
		}
	case "BinaryIoU":
		b := &BinaryIoU{}
		r.Get("target_class_ids")
		if _, ok := r.M["target_class_ids"]; ok {
			b.TargetClassIDs = classIDs(r)
			if b.TargetClassIDs == nil {
				r.Failf("target_class_ids is null; give [0], [1] or [0, 1]")
			} else if r.Err == nil {
				if err := checkIDs(b.TargetClassIDs, 2); err != nil {
					r.Failf("%v", err)
				}
			}
			if slices.Equal(b.TargetClassIDs, []int{0, 1}) {
				b.TargetClassIDs = nil
			}
		}
		if t := r.Num("threshold", BinaryThreshold); t != BinaryThreshold {
			b.Threshold = &t
		}
		m = b
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

// lastAxis reads axis, which must be -1 (the last axis) when given.
func lastAxis(r *config.Reader) {
	if ax := r.Int("axis", -1); ax != -1 {
		r.Failf("axis %d is not supported; gokeras uses the last axis (-1)", ax)
	}
}

// smoothing reads label_smoothing, in [0, 1].
func smoothing(r *config.Reader) float64 {
	ls := r.Num("label_smoothing", 0)
	if !(ls >= 0 && ls <= 1) {
		r.Failf("label_smoothing %v must be in [0, 1]", ls)
	}
	return ls
}

// classIDs reads target_class_ids, a list of whole numbers (or one), nil
// when absent or null.
func classIDs(r *config.Reader) []int {
	fs := numList(r, "target_class_ids")
	if fs == nil {
		return nil
	}
	ids := make([]int, len(fs))
	for i, f := range fs {
		if f != float64(int(f)) {
			r.Failf("target_class_ids holds %v; want class ids (integers)", f)
			return nil
		}
		ids[i] = int(f)
	}
	return ids
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
	if ns, ok := v.([]int); ok { // as Config writes target_class_ids
		out := make([]float64, len(ns))
		for i, n := range ns {
			out[i] = float64(n)
		}
		return out
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
	case *ExactAccuracy:
		class = "Accuracy"
	case *KLDivergence:
		class = "KLDivergence"
	case *Poisson:
		class = "Poisson"
	case *Hinge:
		class = "Hinge"
	case *SquaredHinge:
		class = "SquaredHinge"
	case *CategoricalHinge:
		class = "CategoricalHinge"
	case *LogCoshError:
		class = "LogCoshError"
	case *MeanSquaredLogarithmicError:
		class = "MeanSquaredLogarithmicError"
	case *CosineSimilarity:
		class, cfg["axis"] = "CosineSimilarity", -1
	case *BinaryCrossentropy:
		class, cfg["from_logits"], cfg["label_smoothing"] = "BinaryCrossentropy", v.FromLogits, v.LabelSmoothing
	case *CategoricalCrossentropy:
		class, cfg["from_logits"], cfg["label_smoothing"] = "CategoricalCrossentropy", v.FromLogits, v.LabelSmoothing
		cfg["axis"] = -1
	case *SparseCategoricalCrossentropy:
		class, cfg["from_logits"], cfg["axis"] = "SparseCategoricalCrossentropy", v.FromLogits, -1
	case *TruePositives:
		class, cfg["thresholds"] = "TruePositives", floatOrNil(v.Threshold)
	case *FalsePositives:
		class, cfg["thresholds"] = "FalsePositives", floatOrNil(v.Threshold)
	case *TrueNegatives:
		class, cfg["thresholds"] = "TrueNegatives", floatOrNil(v.Threshold)
	case *FalseNegatives:
		class, cfg["thresholds"] = "FalseNegatives", floatOrNil(v.Threshold)
	case *SensitivityAtSpecificity:
		class, cfg["specificity"] = "SensitivityAtSpecificity", v.Specificity
		sensSpecConfig(cfg, v.NumThresholds, v.ClassID)
	case *SpecificityAtSensitivity:
		class, cfg["sensitivity"] = "SpecificityAtSensitivity", v.Sensitivity
		sensSpecConfig(cfg, v.NumThresholds, v.ClassID)
	case *PrecisionAtRecall:
		class, cfg["recall"] = "PrecisionAtRecall", v.Recall
		sensSpecConfig(cfg, v.NumThresholds, v.ClassID)
	case *RecallAtPrecision:
		class, cfg["precision"] = "RecallAtPrecision", v.Precision
		sensSpecConfig(cfg, v.NumThresholds, v.ClassID)
	case *IoU:
		class = "IoU"
		cfg["num_classes"], cfg["target_class_ids"], cfg["ignore_class"] = v.NumClasses, slices.Clone(v.TargetClassIDs), intOrNil(v.IgnoreClass)
		cfg["sparse_y_true"], cfg["sparse_y_pred"], cfg["axis"] = !v.DenseTrue, !v.DensePred, -1
	case *BinaryIoU:
		ids := v.TargetClassIDs
		if ids == nil {
			ids = []int{0, 1}
		}
		class, cfg["target_class_ids"], cfg["threshold"] = "BinaryIoU", slices.Clone(ids), v.threshold()
	case *OneHotIoU:
		class = "OneHotIoU"
		cfg["num_classes"], cfg["target_class_ids"], cfg["ignore_class"] = v.NumClasses, slices.Clone(v.TargetClassIDs), intOrNil(v.IgnoreClass)
		cfg["sparse_y_pred"], cfg["axis"] = v.SparsePred, -1
	case *OneHotMeanIoU:
		class = "OneHotMeanIoU"
		cfg["num_classes"], cfg["ignore_class"] = v.NumClasses, intOrNil(v.IgnoreClass)
		cfg["sparse_y_pred"], cfg["axis"] = v.SparsePred, -1
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

func intOrNil(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

func sensSpecConfig(cfg map[string]any, n int, classID *int) {
	cfg["num_thresholds"], cfg["class_id"] = thresholdsOr(n), intOrNil(classID)
}
