package metric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// refBatch is one batch as testdata/reference.py reads it.
type refBatch struct {
	Pred        []float32 `json:"pred"`
	PredShape   []int     `json:"pred_shape"`
	Target      []float32 `json:"target"`
	TargetShape []int     `json:"target_shape"`
	Weights     []float32 `json:"weights,omitempty"`
}

// refCase is one metric, built with FromConfig(Kind, Cfg), and its batches.
type refCase struct {
	Name    string         `json:"-"`
	Kind    string         `json:"kind"`
	Cfg     map[string]any `json:"cfg"`
	Batches []refBatch     `json:"batches"`
	Sklearn bool           `json:"sklearn,omitempty"` // also ask scikit-learn
	// SklearnTol is how far the metric may be from scikit-learn's value.
	SklearnTol float64 `json:"-"`
	// Tol is the relative tolerance against the reference; 0 is 1e-9.
	// The metrics of losses take the loss package's float32 values.
	Tol float64 `json:"-"`
}

type refResult struct {
	Result  float64   `json:"result"`
	Results []float64 `json:"results"`
	Sklearn *float64  `json:"sklearn"`
	// NoSklearn says scikit-learn could not be imported.
	NoSklearn bool `json:"no_sklearn"`
}

// numpyReference runs testdata/reference.py on the cases; it skips when
// /usr/bin/python3 or NumPy (or scikit-learn, when a case asks for it) is
// absent.
func numpyReference(t *testing.T, cases []refCase) []refResult {
	t.Helper()
	var out []refResult
	pyref.Run(t, "testdata/reference.py", cases, &out, "numpy")
	if len(out) != len(cases) {
		t.Fatalf("reference gave %d results for %d cases", len(out), len(cases))
	}
	for i, c := range cases {
		if c.Sklearn && out[i].NoSklearn {
			t.Skip("scikit-learn is not installed for /usr/bin/python3 (apt-get install python3-sklearn)")
		}
	}
	return out
}

// gen makes test batches from a fixed seed.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 7))} }

func (g *gen) shape(n int, shape []int) int {
	for _, d := range shape {
		n *= d
	}
	return n
}

// probs are uniform in [0, 1], with some exact 0, 1, 0.5 and values on
// Keras's 200-threshold grid, where bucketing and comparing can differ.
func (g *gen) probs(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		switch g.r.IntN(12) {
		case 0:
			out[i] = 0
		case 1:
			out[i] = 1
		case 2:
			out[i] = 0.5
		case 3:
			out[i] = float32(g.r.IntN(200)) / 199
		default:
			out[i] = g.r.Float32()
		}
	}
	return out
}

func (g *gen) normal(n int, scale float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.r.NormFloat64() * scale)
	}
	return out
}

func (g *gen) ints(n, below int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.r.IntN(below))
	}
	return out
}

func (g *gen) weights(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.r.IntN(4)) * 0.5 // some 0
	}
	return out
}

func (g *gen) oneHot(rows, classes int) []float32 {
	out := make([]float32, rows*classes)
	for r := range rows {
		out[r*classes+g.r.IntN(classes)] = 1
	}
	return out
}

// batches makes batches of the given sizes; one returns a batch of n rows.
func batches(sizes []int, weighted bool, g *gen, one func(n int) refBatch) []refBatch {
	out := make([]refBatch, len(sizes))
	for i, n := range sizes {
		b := one(n)
		if weighted {
			b.Weights = g.weights(n)
		}
		out[i] = b
	}
	return out
}

func prepend(n int, shape []int) []int { return append([]int{n}, shape...) }

// binaryBatches: probabilities (or logits) and 0/1 targets of shape
// (n, shape...).
func binaryBatches(g *gen, sizes []int, shape []int, logits, weighted bool) []refBatch {
	return batches(sizes, weighted, g, func(n int) refBatch {
		k := g.shape(n, shape)
		p := g.probs(k)
		if logits {
			p = g.normal(k, 3)
		}
		return refBatch{p, prepend(n, shape), g.ints(k, 2), prepend(n, shape), nil}
	})
}

func classBatches(g *gen, sizes []int, classes int, sparse, weighted bool) []refBatch {
	return batches(sizes, weighted, g, func(n int) refBatch {
		p := g.probs(n * classes)
		if sparse {
			return refBatch{p, []int{n, classes}, g.ints(n, classes), []int{n}, nil}
		}
		return refBatch{p, []int{n, classes}, g.oneHot(n, classes), []int{n, classes}, nil}
	})
}

func regressionBatches(g *gen, sizes []int, outputs int, weighted bool) []refBatch {
	return batches(sizes, weighted, g, func(n int) refBatch {
		t := g.normal(n*outputs, 2)
		p := make([]float32, len(t))
		for i := range p {
			p[i] = t[i] + float32(g.r.NormFloat64()*0.7)
		}
		return refBatch{p, []int{n, outputs}, t, []int{n, outputs}, nil}
	})
}

func referenceCases() []refCase {
	g := newGen(1)
	sizes := []int{7, 16, 1, 9}
	var cs []refCase
	add := func(name, kind string, cfg map[string]any, b []refBatch) {
		cs = append(cs, refCase{Name: name, Kind: kind, Cfg: cfg, Batches: b})
	}
	// AUC.
	for _, curve := range []string{"ROC", "PR"} {
		for _, method := range []string{"interpolation", "minoring", "majoring"} {
			cfg := map[string]any{"curve": curve, "summation_method": method}
			add("AUC "+curve+" "+method, "AUC", cfg, binaryBatches(g, sizes, []int{1}, false, false))
			add("AUC "+curve+" "+method+" weighted (N,3)", "AUC", cfg, binaryBatches(g, sizes, []int{3}, false, true))
		}
	}
	add("AUC num_thresholds 3", "AUC", map[string]any{"num_thresholds": 3}, binaryBatches(g, sizes, []int{1}, false, false))
	add("AUC num_thresholds 17 PR", "AUC", map[string]any{"num_thresholds": 17, "curve": "PR"}, binaryBatches(g, sizes, []int{2}, false, true))
	add("AUC uneven thresholds", "AUC", map[string]any{"thresholds": []any{0.7, 0.1, 0.5, 0.3}}, binaryBatches(g, sizes, []int{1}, false, false))
	add("AUC even thresholds", "AUC", map[string]any{"thresholds": []any{0.25, 0.5, 0.75}}, binaryBatches(g, sizes, []int{1}, false, false))
	add("AUC from_logits", "AUC", map[string]any{"from_logits": true}, binaryBatches(g, sizes, []int{1}, true, true))
	add("AUC multi_label", "AUC", map[string]any{"multi_label": true}, binaryBatches(g, sizes, []int{4}, false, true))
	add("AUC multi_label PR label_weights", "AUC", map[string]any{"multi_label": true, "curve": "PR", "label_weights": []any{1.0, 0.0, 2.5}, "num_labels": 3}, binaryBatches(g, sizes, []int{3}, false, false))
	add("AUC label_weights flattened", "AUC", map[string]any{"label_weights": []any{0.5, 2.0}}, binaryBatches(g, sizes, []int{2}, false, true))
	// Precision and Recall.
	for _, kind := range []string{"Precision", "Recall"} {
		add(kind, kind, map[string]any{}, binaryBatches(g, sizes, []int{1}, false, false))
		add(kind+" weighted threshold 0.3", kind, map[string]any{"thresholds": 0.3}, binaryBatches(g, sizes, []int{3}, false, true))
		add(kind+" threshold 0 on logits", kind, map[string]any{"thresholds": []any{0.0}}, binaryBatches(g, sizes, []int{2}, true, false))
		add(kind+" top_k 2", kind, map[string]any{"top_k": 2}, classBatches(g, sizes, 5, false, true))
		add(kind+" class_id 1", kind, map[string]any{"class_id": 1}, classBatches(g, sizes, 4, false, true))
		add(kind+" top_k 1 class_id 2 threshold 0.4", kind, map[string]any{"top_k": 1, "class_id": 2, "thresholds": 0.4}, classBatches(g, sizes, 3, false, false))
	}
	// F scores.
	for _, avg := range []any{nil, "micro", "macro", "weighted"} {
		add("F1Score argmax", "F1Score", map[string]any{"average": avg}, classBatches(g, sizes, 4, false, true))
		add("F1Score threshold 0.5", "F1Score", map[string]any{"average": avg, "threshold": 0.5}, binaryBatches(g, sizes, []int{3}, false, false))
		add("FBetaScore beta 2", "FBetaScore", map[string]any{"average": avg, "beta": 2.0, "threshold": 0.4}, binaryBatches(g, sizes, []int{3}, false, true))
	}
	// Accuracies.
	for _, k := range []int{1, 2, 5} {
		add("TopKCategoricalAccuracy", "TopKCategoricalAccuracy", map[string]any{"k": k}, classBatches(g, sizes, 6, false, k == 2))
		add("SparseTopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", map[string]any{"k": k}, classBatches(g, sizes, 6, true, k == 1))
	}
	ties := []refBatch{{[]float32{0.5, 0.5, 0.5, 0.1, 0.2, 0.3, 0.3, 0.3}, []int{2, 4}, []float32{2, 3}, []int{2}, nil}}
	add("SparseTopK ties at the boundary", "SparseTopKCategoricalAccuracy", map[string]any{"k": 1}, ties)
	add("BinaryAccuracy", "BinaryAccuracy", map[string]any{}, binaryBatches(g, sizes, []int{2}, false, true))
	add("BinaryAccuracy threshold 0", "BinaryAccuracy", map[string]any{"threshold": 0.0}, binaryBatches(g, sizes, []int{1}, true, false))
	add("CategoricalAccuracy", "CategoricalAccuracy", map[string]any{}, classBatches(g, sizes, 3, false, true))
	// Regression.
	add("RootMeanSquaredError", "RootMeanSquaredError", map[string]any{}, regressionBatches(g, sizes, 3, false))
	add("RootMeanSquaredError weighted", "RootMeanSquaredError", map[string]any{}, regressionBatches(g, sizes, 2, true))
	add("MeanAbsolutePercentageError", "MeanAbsolutePercentageError", map[string]any{}, regressionBatches(g, sizes, 2, true))
	mapeZero := []refBatch{{[]float32{1, 1, 0, 0}, []int{2, 2}, []float32{0, 1, 0, 0}, []int{2, 2}, nil}}
	add("MeanAbsolutePercentageError zero target", "MeanAbsolutePercentageError", map[string]any{}, mapeZero)
	for _, agg := range []any{"uniform_average", "variance_weighted_average", nil} {
		add("R2Score", "R2Score", map[string]any{"class_aggregation": agg}, regressionBatches(g, sizes, 3, agg == nil))
	}
	add("R2Score adjusted", "R2Score", map[string]any{"num_regressors": 4}, regressionBatches(g, sizes, 2, true))
	add("R2Score adjusted, too many regressors", "R2Score", map[string]any{"num_regressors": 200}, regressionBatches(g, sizes, 1, false))
	// MeanIoU.
	seg := func(n int) refBatch {
		return refBatch{g.ints(n*4, 3), []int{n, 2, 2}, g.ints(n*4, 3), []int{n, 2, 2}, nil}
	}
	add("MeanIoU", "MeanIoU", map[string]any{"num_classes": 3}, batches(sizes, true, g, seg))
	add("MeanIoU num_classes 5 (two never seen)", "MeanIoU", map[string]any{"num_classes": 5}, batches(sizes, false, g, seg))
	add("MeanIoU ignore_class", "MeanIoU", map[string]any{"num_classes": 3, "ignore_class": 0}, batches(sizes, true, g, seg))
	add("MeanIoU dense", "MeanIoU", map[string]any{"num_classes": 4, "sparse_y_true": false, "sparse_y_pred": false}, classBatches(g, sizes, 4, false, true))
	add("MeanIoU dense predictions", "MeanIoU", map[string]any{"num_classes": 4, "sparse_y_pred": false}, classBatches(g, sizes, 4, true, false))
	cs = append(cs, moreReferenceCases(g, sizes)...)
	return cs
}

// softmaxBatches: rows of positive scores summing to 1 over classes, and
// one-hot (or, sparse, label) targets.
func softmaxBatches(g *gen, sizes []int, classes int, sparse, weighted bool) []refBatch {
	return batches(sizes, weighted, g, func(n int) refBatch {
		p := g.probs(n * classes)
		for r := range n {
			row := p[r*classes : (r+1)*classes]
			s := float32(0)
			for j := range row {
				row[j] += 0.01
				s += row[j]
			}
			for j := range row {
				row[j] /= s
			}
		}
		if sparse {
			return refBatch{p, []int{n, classes}, g.ints(n, classes), []int{n}, nil}
		}
		return refBatch{p, []int{n, classes}, g.oneHot(n, classes), []int{n, classes}, nil}
	})
}

// moreReferenceCases are the metrics of loss functions, the confusion
// counts, the sensitivity/specificity family, the IoU family and Keras's
// Accuracy class.
func moreReferenceCases(g *gen, sizes []int) []refCase {
	var cs []refCase
	add := func(name, kind string, cfg map[string]any, b []refBatch) {
		cs = append(cs, refCase{Name: name, Kind: kind, Cfg: cfg, Batches: b})
	}
	addLoss := func(name, kind string, cfg map[string]any, b []refBatch) {
		cs = append(cs, refCase{Name: name, Kind: kind, Cfg: cfg, Batches: b, Tol: 2e-6})
	}
	// Targets that are distributions (KL), counts (Poisson), 0/1 (BCE,
	// hinges), one-hot or labels (cross-entropies, categorical hinge).
	addLoss("KLDivergence", "KLDivergence", map[string]any{}, softmaxBatches(g, sizes, 4, false, false))
	addLoss("KLDivergence weighted, raw scores", "KLDivergence", map[string]any{}, batches(sizes, true, g, func(n int) refBatch {
		return refBatch{g.probs(n * 3), []int{n, 3}, g.probs(n * 3), []int{n, 3}, nil}
	}))
	addLoss("Poisson", "Poisson", map[string]any{}, batches(sizes, true, g, func(n int) refBatch {
		return refBatch{g.probs(n * 2), []int{n, 2}, g.ints(n*2, 4), []int{n, 2}, nil}
	}))
	addLoss("BinaryCrossentropy", "BinaryCrossentropy", map[string]any{}, binaryBatches(g, sizes, []int{1}, false, false))
	addLoss("BinaryCrossentropy weighted (N,3)", "BinaryCrossentropy", map[string]any{}, binaryBatches(g, sizes, []int{3}, false, true))
	addLoss("BinaryCrossentropy from_logits", "BinaryCrossentropy", map[string]any{"from_logits": true}, binaryBatches(g, sizes, []int{2}, true, true))
	addLoss("BinaryCrossentropy label_smoothing", "BinaryCrossentropy", map[string]any{"label_smoothing": 0.2}, binaryBatches(g, sizes, []int{1}, false, false))
	addLoss("CategoricalCrossentropy", "CategoricalCrossentropy", map[string]any{}, softmaxBatches(g, sizes, 4, false, true))
	addLoss("CategoricalCrossentropy unnormalized", "CategoricalCrossentropy", map[string]any{"axis": -1}, batches(sizes, false, g, func(n int) refBatch {
		p := g.probs(n * 3)
		for i := range p {
			p[i] += 0.05
		}
		return refBatch{p, []int{n, 3}, g.oneHot(n, 3), []int{n, 3}, nil}
	}))
	addLoss("CategoricalCrossentropy from_logits label_smoothing", "CategoricalCrossentropy", map[string]any{"from_logits": true, "label_smoothing": 0.1}, batches(sizes, true, g, func(n int) refBatch {
		return refBatch{g.normal(n*5, 2), []int{n, 5}, g.oneHot(n, 5), []int{n, 5}, nil}
	}))
	addLoss("SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy", map[string]any{}, softmaxBatches(g, sizes, 4, true, true))
	addLoss("SparseCategoricalCrossentropy from_logits", "SparseCategoricalCrossentropy", map[string]any{"from_logits": true}, batches(sizes, false, g, func(n int) refBatch {
		return refBatch{g.normal(n*3, 2), []int{n, 3}, g.ints(n, 3), []int{n, 1}, nil}
	}))
	addLoss("Hinge 0/1 targets", "Hinge", map[string]any{}, binaryBatches(g, sizes, []int{2}, true, true))
	addLoss("SquaredHinge 0/1 targets", "SquaredHinge", map[string]any{}, binaryBatches(g, sizes, []int{1}, true, false))
	pm1 := func(n int) refBatch {
		t := g.ints(n*3, 2)
		for i := range t {
			t[i] = 2*t[i] - 1
		}
		return refBatch{g.normal(n*3, 1.5), []int{n, 3}, t, []int{n, 3}, nil}
	}
	addLoss("Hinge -1/1 targets", "Hinge", map[string]any{}, batches(sizes, false, g, pm1))
	addLoss("SquaredHinge -1/1 targets", "SquaredHinge", map[string]any{}, batches(sizes, true, g, pm1))
	addLoss("CategoricalHinge", "CategoricalHinge", map[string]any{}, batches(sizes, true, g, func(n int) refBatch {
		return refBatch{g.normal(n*4, 1), []int{n, 4}, g.oneHot(n, 4), []int{n, 4}, nil}
	}))
	addLoss("CosineSimilarity", "CosineSimilarity", map[string]any{}, regressionBatches(g, sizes, 3, false))
	addLoss("CosineSimilarity weighted, zero rows", "CosineSimilarity", map[string]any{"axis": -1}, batches(sizes, true, g, func(n int) refBatch {
		p, t := g.normal(n*2, 1), g.normal(n*2, 1)
		p[0], p[1] = 0, 0
		return refBatch{p, []int{n, 2}, t, []int{n, 2}, nil}
	}))
	addLoss("LogCoshError", "LogCoshError", map[string]any{}, regressionBatches(g, sizes, 2, true))
	addLoss("MeanSquaredLogarithmicError", "MeanSquaredLogarithmicError", map[string]any{}, regressionBatches(g, sizes, 3, true))
	// Confusion counts.
	for _, kind := range []string{"TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"} {
		add(kind, kind, map[string]any{}, binaryBatches(g, sizes, []int{1}, false, false))
		add(kind+" weighted threshold 0.3", kind, map[string]any{"thresholds": 0.3}, binaryBatches(g, sizes, []int{3}, false, true))
		add(kind+" threshold 0 on logits", kind, map[string]any{"thresholds": []any{0.0}}, binaryBatches(g, sizes, []int{2}, true, false))
	}
	// The sensitivity/specificity family.
	for _, c := range []struct{ kind, key string }{
		{"SensitivityAtSpecificity", "specificity"}, {"SpecificityAtSensitivity", "sensitivity"},
		{"PrecisionAtRecall", "recall"}, {"RecallAtPrecision", "precision"},
	} {
		add(c.kind+" 0.5", c.kind, map[string]any{c.key: 0.5}, binaryBatches(g, sizes, []int{1}, false, false))
		add(c.kind+" 0.8 weighted (N,3)", c.kind, map[string]any{c.key: 0.8}, binaryBatches(g, sizes, []int{3}, false, true))
		add(c.kind+" 1.0", c.kind, map[string]any{c.key: 1.0}, binaryBatches(g, sizes, []int{1}, false, true))
		add(c.kind+" 0 num_thresholds 7", c.kind, map[string]any{c.key: 0.0, "num_thresholds": 7}, binaryBatches(g, sizes, []int{1}, false, false))
		add(c.kind+" num_thresholds 1", c.kind, map[string]any{c.key: 0.4, "num_thresholds": 1}, binaryBatches(g, sizes, []int{2}, false, true))
		add(c.kind+" num_thresholds 2", c.kind, map[string]any{c.key: 0.6, "num_thresholds": 2}, binaryBatches(g, sizes, []int{1}, false, false))
		add(c.kind+" class_id 1", c.kind, map[string]any{c.key: 0.7, "class_id": 1}, classBatches(g, sizes, 3, false, true))
	}
	// The IoU family.
	seg := func(n int) refBatch {
		return refBatch{g.ints(n*4, 3), []int{n, 2, 2}, g.ints(n*4, 3), []int{n, 2, 2}, nil}
	}
	add("IoU one class", "IoU", map[string]any{"num_classes": 3, "target_class_ids": []any{1}}, batches(sizes, true, g, seg))
	add("IoU two classes, ignore_class", "IoU", map[string]any{"num_classes": 3, "target_class_ids": []any{0, 2}, "ignore_class": 1}, batches(sizes, false, g, seg))
	add("IoU a class never seen", "IoU", map[string]any{"num_classes": 5, "target_class_ids": []any{1, 4}}, batches(sizes, false, g, seg))
	add("IoU dense", "IoU", map[string]any{"num_classes": 4, "target_class_ids": []any{3, 0}, "sparse_y_true": false, "sparse_y_pred": false}, classBatches(g, sizes, 4, false, true))
	add("BinaryIoU", "BinaryIoU", map[string]any{}, binaryBatches(g, sizes, []int{1}, false, false))
	add("BinaryIoU threshold 0.3 class 1 weighted", "BinaryIoU", map[string]any{"threshold": 0.3, "target_class_ids": []any{1}}, binaryBatches(g, sizes, []int{3}, false, true))
	add("BinaryIoU class 0", "BinaryIoU", map[string]any{"target_class_ids": []any{0}}, binaryBatches(g, sizes, []int{2}, false, false))
	add("OneHotIoU", "OneHotIoU", map[string]any{"num_classes": 4, "target_class_ids": []any{0, 2}}, classBatches(g, sizes, 4, false, true))
	add("OneHotIoU sparse_y_pred", "OneHotIoU", map[string]any{"num_classes": 3, "target_class_ids": []any{1}, "sparse_y_pred": true}, batches(sizes, false, g, func(n int) refBatch {
		return refBatch{g.ints(n, 3), []int{n}, g.oneHot(n, 3), []int{n, 3}, nil}
	}))
	add("OneHotMeanIoU", "OneHotMeanIoU", map[string]any{"num_classes": 4}, classBatches(g, sizes, 4, false, true))
	add("OneHotMeanIoU ignore_class", "OneHotMeanIoU", map[string]any{"num_classes": 3, "ignore_class": 2}, classBatches(g, sizes, 3, false, false))
	// Keras's Accuracy class.
	add("Accuracy (exact equality)", "Accuracy", map[string]any{}, batches(sizes, false, g, func(n int) refBatch {
		return refBatch{g.ints(n*3, 3), []int{n, 3}, g.ints(n*3, 3), []int{n, 3}, nil}
	}))
	add("Accuracy weighted", "Accuracy", map[string]any{}, batches(sizes, true, g, func(n int) refBatch {
		return refBatch{g.ints(n, 2), []int{n, 1}, g.ints(n, 2), []int{n}, nil}
	}))
	return cs
}

func (b refBatch) tensors(t *testing.T) (*tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	return batch{b.Pred, b.Target, b.PredShape, b.TargetShape}.tensors(t)
}

// joined is every batch as one.
func joined(bs []refBatch) refBatch {
	var out refBatch
	out.PredShape = append([]int{0}, bs[0].PredShape[1:]...)
	out.TargetShape = append([]int{0}, bs[0].TargetShape[1:]...)
	for _, b := range bs {
		out.Pred = append(out.Pred, b.Pred...)
		out.Target = append(out.Target, b.Target...)
		out.Weights = append(out.Weights, b.Weights...)
		out.PredShape[0] += b.PredShape[0]
		out.TargetShape[0] += b.TargetShape[0]
	}
	return out
}

func feed(t *testing.T, m Metric, bs []refBatch) {
	t.Helper()
	for _, b := range bs {
		p, y := b.tensors(t)
		if b.Weights != nil {
			m.(Weighted).UpdateWeighted(p, y, b.Weights)
		} else {
			m.Update(p, y)
		}
	}
}

func close(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

// TestReference checks every metric against testdata/reference.py, a
// NumPy transcription of Keras's formulas: over several batches, over the
// same data as one batch, after Reset, and from a Fresh copy.
func TestReference(t *testing.T) {
	cases := referenceCases()
	want := numpyReference(t, cases)
	for i, c := range cases {
		m, err := FromConfig(c.Kind, c.Cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		tol := 1e-9
		if c.Tol != 0 {
			tol = c.Tol
		}
		feed(t, m, c.Batches)
		if got := m.Result(); !close(got, want[i].Result, tol) {
			t.Errorf("%s %v: got %.12g, want %.12g", c.Name, c.Cfg, got, want[i].Result)
		}
		if want[i].Results != nil {
			got := m.(interface{ Results() []float64 }).Results()
			for j := range want[i].Results {
				if j >= len(got) || !close(got[j], want[i].Results[j], tol) {
					t.Errorf("%s %v: Results %v, want %v", c.Name, c.Cfg, got, want[i].Results)
					break
				}
			}
		}
		f, ok := Fresh(m)
		if !ok {
			t.Fatalf("%s: Fresh does not know %T", c.Name, m)
		}
		if f.Result() != 0 && !math.IsNaN(f.Result()) {
			t.Errorf("%s: Fresh copy starts at %v", c.Name, f.Result())
		}
		feed(t, f, []refBatch{joined(c.Batches)})
		if got := f.Result(); !close(got, want[i].Result, tol) {
			t.Errorf("%s %v: one batch of everything gives %.12g, want %.12g", c.Name, c.Cfg, got, want[i].Result)
		}
		m.Reset()
		feed(t, m, c.Batches[:1])
		once := m.Result()
		m.Reset()
		feed(t, m, c.Batches[:1])
		if again := m.Result(); again != once && !(math.IsNaN(once) && math.IsNaN(again)) {
			t.Errorf("%s: after Reset the first batch gives %v, the first time %v", c.Name, again, once)
		}
	}
}

// TestReferenceSklearn compares with scikit-learn's exact values: Keras's
// 200-threshold ROC AUC approaches roc_auc_score, and F-scores with a
// threshold and R² are scikit-learn's up to Keras's ε.
func TestReferenceSklearn(t *testing.T) {
	g := newGen(2)
	big := []int{3000, 2000}
	smooth := func(n int) refBatch {
		// Scores with no ties, targets correlated with them.
		p := make([]float32, n)
		y := make([]float32, n)
		for i := range p {
			p[i] = g.r.Float32()
			if g.r.Float32() < p[i]*0.8+0.1 {
				y[i] = 1
			}
		}
		return refBatch{p, []int{n, 1}, y, []int{n, 1}, nil}
	}
	cases := []refCase{
		{Name: "ROC AUC", Kind: "AUC", Cfg: map[string]any{}, Batches: batches(big, false, g, smooth), Sklearn: true, SklearnTol: 2e-3},
		{Name: "ROC AUC weighted", Kind: "AUC", Cfg: map[string]any{}, Batches: batches(big, true, g, smooth), Sklearn: true, SklearnTol: 2e-3},
		{Name: "ROC AUC 2000 thresholds", Kind: "AUC", Cfg: map[string]any{"num_thresholds": 2000}, Batches: batches(big, false, g, smooth), Sklearn: true, SklearnTol: 2e-4},
	}
	for _, avg := range []string{"micro", "macro", "weighted"} {
		cases = append(cases, refCase{Name: "F1 " + avg, Kind: "F1Score", Cfg: map[string]any{"average": avg, "threshold": 0.5}, Batches: binaryBatches(g, []int{40, 25}, []int{3}, false, true), Sklearn: true, SklearnTol: 1e-5})
		cases = append(cases, refCase{Name: "F2 " + avg, Kind: "FBetaScore", Cfg: map[string]any{"average": avg, "threshold": 0.3, "beta": 2.0}, Batches: binaryBatches(g, []int{40, 25}, []int{3}, false, false), Sklearn: true, SklearnTol: 1e-5})
	}
	for _, agg := range []any{"uniform_average", "variance_weighted_average", nil} {
		cases = append(cases, refCase{Name: "R2", Kind: "R2Score", Cfg: map[string]any{"class_aggregation": agg}, Batches: regressionBatches(g, []int{30, 20}, 3, true), Sklearn: true, SklearnTol: 1e-9})
	}
	want := numpyReference(t, cases)
	for i, c := range cases {
		m, err := FromConfig(c.Kind, c.Cfg)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, m, c.Batches)
		if want[i].Sklearn == nil {
			t.Fatalf("%s: no scikit-learn value", c.Name)
		}
		if got := m.Result(); math.Abs(got-*want[i].Sklearn) > c.SklearnTol {
			t.Errorf("%s: got %.8g, scikit-learn %.8g (tolerance %g)", c.Name, got, *want[i].Sklearn, c.SklearnTol)
		}
	}
}
