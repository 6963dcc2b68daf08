package loss

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// A loss object in a model file's compile_config is what Keras 3 writes for
// compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1)):
//
//	{"module": "keras.losses", "class_name": "CategoricalCrossentropy",
//	 "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
//	            "from_logits": false, "label_smoothing": 0.1, "axis": -1},
//	 "registered_name": null}
//
// with each class's get_config keys (keras/src/losses/losses.py). A loss
// given by name, or at its defaults, is written as the name alone.

// classes maps Keras's loss class names to the names Parse takes.
var classes = map[string]string{
	"SparseCategoricalCrossentropy": NameSparseCategoricalCrossentropy,
	"CategoricalCrossentropy":       NameCategoricalCrossentropy,
	"BinaryCrossentropy":            NameBinaryCrossentropy,
	"MeanSquaredError":              NameMSE,
	"MeanAbsoluteError":             NameMAE,
	"Huber":                         NameHuber,
	"LogCosh":                       NameLogCosh,
	"KLDivergence":                  NameKLDivergence,
	"Poisson":                       NamePoisson,
	"Hinge":                         NameHinge,
	"SquaredHinge":                  NameSquaredHinge,
	"CategoricalHinge":              NameCategoricalHinge,
	"CosineSimilarity":              NameCosineSimilarity,
	"MeanAbsolutePercentageError":   NameMAPE,
	"MeanSquaredLogarithmicError":   NameMSLE,
	"BinaryFocalCrossentropy":       NameBinaryFocalCrossentropy,
	"CategoricalFocalCrossentropy":  NameCategoricalFocalCrossentropy,
	"Dice":                          NameDice,
	"Tversky":                       NameTversky,
	"Circle":                        NameCircle,
	"IoU":                           NameIoU,
	"CTC":                           NameCTC,
}

// FromConfig returns the loss a Keras class name and config describe.
// Keys that do not change the computation here (name, dtype, Keras's
// default axis) are accepted; options gokeras lacks are errors unless at
// their defaults. reduction takes every value Keras does, null being
// NoReduction. SparseCategoricalCrossentropy also takes label_smoothing,
// which Keras 3's does not (see its doc).
func FromConfig(class string, cfg map[string]any) (Loss, error) {
	name, ok := classes[class]
	if !ok {
		known := make([]string, 0, len(classes))
		for c := range classes {
			known = append(known, c)
		}
		slices.Sort(known)
		return nil, fmt.Errorf("loss: unknown loss class %q; gokeras has %s", class, strings.Join(known, ", "))
	}
	r := config.New(cfg)
	r.Get("name")
	r.Get("dtype")
	var red Reduction
	r.Get("reduction")
	if v, present := cfg["reduction"]; present {
		var err error
		if red, err = ParseReduction(v); err != nil {
			r.Failf("%v", err)
		}
		if red == SumOverBatchSize {
			red = ""
		}
	}
	// Keras's default, the last axis, is the only one.
	axis := func() {
		if a := r.Num("axis", -1); a != -1 {
			r.Failf("axis %v is not supported; gokeras uses the last axis (-1)", a)
		}
	}
	// optional reads an option whose nil means Keras's default def; the
	// default itself reads as nil too, so that equal losses compare equal.
	optional := func(key string, def float64) *float64 {
		if _, ok := r.Get(key); !ok {
			return nil
		}
		if v := r.Num(key, def); v != def {
			return Float(v)
		}
		return nil
	}
	var l Loss
	switch name {
	case NameSparseCategoricalCrossentropy:
		if _, ok := r.Get("ignore_class"); ok {
			r.Failf("ignore_class is not supported; remove it or set it to null")
		}
		axis()
		l = SparseCategoricalCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: r.Num("label_smoothing", 0), Reduction: red}
	case NameCategoricalCrossentropy:
		axis()
		l = CategoricalCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: r.Num("label_smoothing", 0), Reduction: red}
	case NameBinaryCrossentropy:
		axis()
		l = BinaryCrossentropy{FromLogits: r.Bool("from_logits", false), LabelSmoothing: r.Num("label_smoothing", 0), Reduction: red}
	case NameBinaryFocalCrossentropy:
		axis()
		l = BinaryFocalCrossentropy{
			ApplyClassBalancing: r.Bool("apply_class_balancing", false),
			Alpha:               optional("alpha", FocalAlpha),
			Gamma:               optional("gamma", FocalGamma),
			FromLogits:          r.Bool("from_logits", false),
			LabelSmoothing:      r.Num("label_smoothing", 0),
			Reduction:           red,
		}
	case NameCategoricalFocalCrossentropy:
		axis()
		if v, ok := r.Get("alpha"); ok {
			if _, isNum := config.Number(v); !isNum {
				r.Failf("alpha %v is not supported; gokeras takes one alpha for every class (a number, default %v)", v, FocalAlpha)
			}
		}
		l = CategoricalFocalCrossentropy{
			Alpha:          optional("alpha", FocalAlpha),
			Gamma:          optional("gamma", FocalGamma),
			FromLogits:     r.Bool("from_logits", false),
			LabelSmoothing: r.Num("label_smoothing", 0),
			Reduction:      red,
		}
	case NameMSE:
		l = MSE{Reduction: red}
	case NameMAE:
		l = MAE{Reduction: red}
	case NameHuber:
		l = Huber{Delta: r.Num("delta", 0), Reduction: red}
	case NameLogCosh:
		l = LogCosh{Reduction: red}
	case NameKLDivergence:
		l = KLDivergence{Reduction: red}
	case NamePoisson:
		l = Poisson{Reduction: red}
	case NameHinge:
		l = Hinge{Reduction: red}
	case NameSquaredHinge:
		l = SquaredHinge{Reduction: red}
	case NameCategoricalHinge:
		l = CategoricalHinge{Reduction: red}
	case NameCosineSimilarity:
		// Keras's get_config does not write axis, but its constructor takes it.
		axis()
		l = CosineSimilarity{Reduction: red}
	case NameMAPE:
		l = MAPE{Reduction: red}
	case NameMSLE:
		l = MSLE{Reduction: red}
	case NameDice:
		l = Dice{Reduction: red, Axis: segAxis(r)}
	case NameIoU:
		l = IoU{Reduction: red, Axis: segAxis(r)}
	case NameTversky:
		l = Tversky{Alpha: optional("alpha", TverskyAlphaBeta), Beta: optional("beta", TverskyAlphaBeta), Reduction: red, Axis: segAxis(r)}
	case NameCTC:
		l = CTC{Reduction: red}
	case NameCircle:
		l = Circle{Gamma: optional("gamma", CircleGamma), Margin: optional("margin", CircleMargin), KeepDiagonal: !r.Bool("remove_diagonal", true), Reduction: red}
	}
	if r.Err != nil {
		return nil, fmt.Errorf("loss: %s config: %w", class, r.Err)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return nil, fmt.Errorf("loss: %s config has unknown key %q; it takes %s", class, unknown[0], strings.Join(r.Read(), ", "))
	}
	if err := checkOptions(l); err != nil {
		return nil, err
	}
	return l, nil
}

// checkOptions checks l's options (not its reduction: a loss with
// reduction "none" is valid, it just cannot be trained on) by running its
// Check on shapes every loss takes.
func checkOptions(l Loss) error {
	if ls, ok := LabelSmoothing(l); ok {
		if err := checkSmoothing(l.Name(), ls); err != nil {
			return err
		}
	}
	switch v := l.(type) {
	case Huber:
		v.Reduction = ""
		return v.Check(tensor.Shape{1, 1}, tensor.Shape{1, 1})
	case BinaryCrossentropy:
		v.Reduction = ""
		return v.Check(tensor.Shape{1, 1}, tensor.Shape{1, 1})
	case BinaryFocalCrossentropy:
		v.Reduction = ""
		return v.Check(tensor.Shape{1, 1}, tensor.Shape{1, 1})
	case CategoricalFocalCrossentropy:
		v.Reduction = ""
		return v.Check(tensor.Shape{1, 2}, tensor.Shape{1, 2})
	case Tversky:
		v.Reduction, v.Axis = "", nil // the axis is checked against the predictions' rank
		return v.Check(tensor.Shape{1, 1}, tensor.Shape{1, 1})
	case Circle:
		v.Reduction = ""
		return v.Check(tensor.Shape{1, 1}, tensor.Shape{1})
	}
	return nil
}

// ReductionOf returns l's reduction ("" for Keras's default) for the
// losses of this package, and "" for others.
func ReductionOf(l Loss) Reduction {
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		return v.Reduction
	case CategoricalCrossentropy:
		return v.Reduction
	case BinaryCrossentropy:
		return v.Reduction
	case BinaryFocalCrossentropy:
		return v.Reduction
	case CategoricalFocalCrossentropy:
		return v.Reduction
	case MSE:
		return v.Reduction
	case MAE:
		return v.Reduction
	case Huber:
		return v.Reduction
	case LogCosh:
		return v.Reduction
	case KLDivergence:
		return v.Reduction
	case Poisson:
		return v.Reduction
	case Hinge:
		return v.Reduction
	case SquaredHinge:
		return v.Reduction
	case CategoricalHinge:
		return v.Reduction
	case CosineSimilarity:
		return v.Reduction
	case MAPE:
		return v.Reduction
	case MSLE:
		return v.Reduction
	case Dice:
		return v.Reduction
	case Tversky:
		return v.Reduction
	case Circle:
		return v.Reduction
	case IoU:
		return v.Reduction
	case CTC:
		return v.Reduction
	}
	return ""
}

// CheckTrainable returns an error when l cannot be a training loss: a
// loss of this package with reduction "none" (one value per sample, not
// the one number an optimiser minimises) or one Keras does not know.
// Compile calls it; Check says the same at the first batch.
func CheckTrainable(l Loss) error {
	return ReductionOf(l).check(l.Name())
}

// Config returns l's Keras class name and config, the inverse of
// FromConfig, for losses with options set; ok is false for a loss at its
// defaults (write its Name instead) or one defined outside this package.
// The keys are those of each class's get_config in Keras 3.
func Config(l Loss) (class string, cfg map[string]any, ok bool) {
	red := ReductionOf(l)
	base := func(name string) map[string]any {
		return map[string]any{"name": name, "reduction": red.keras()}
	}
	float := func(v *float64, def float64) float64 {
		if v == nil {
			return def
		}
		return *v
	}
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		if v == (SparseCategoricalCrossentropy{}) {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["ignore_class"] = v.FromLogits, nil
		if v.LabelSmoothing != 0 {
			cfg["label_smoothing"] = v.LabelSmoothing
		}
		return "SparseCategoricalCrossentropy", cfg, true
	case CategoricalCrossentropy:
		if v == (CategoricalCrossentropy{}) {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = v.FromLogits, v.LabelSmoothing, -1
		return "CategoricalCrossentropy", cfg, true
	case BinaryCrossentropy:
		if v == (BinaryCrossentropy{}) {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = v.FromLogits, v.LabelSmoothing, -1
		return "BinaryCrossentropy", cfg, true
	case BinaryFocalCrossentropy:
		alpha, gamma := v.alphaGamma()
		if !v.ApplyClassBalancing && alpha == FocalAlpha && gamma == FocalGamma && !v.FromLogits && v.LabelSmoothing == 0 && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = v.FromLogits, v.LabelSmoothing, -1
		cfg["apply_class_balancing"], cfg["alpha"], cfg["gamma"] = v.ApplyClassBalancing, float(v.Alpha, FocalAlpha), float(v.Gamma, FocalGamma)
		return "BinaryFocalCrossentropy", cfg, true
	case CategoricalFocalCrossentropy:
		alpha, gamma := v.alphaGamma()
		if alpha == FocalAlpha && gamma == FocalGamma && !v.FromLogits && v.LabelSmoothing == 0 && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["from_logits"], cfg["label_smoothing"], cfg["axis"] = v.FromLogits, v.LabelSmoothing, -1
		cfg["alpha"], cfg["gamma"] = alpha, gamma
		return "CategoricalFocalCrossentropy", cfg, true
	case Huber:
		if (v.Delta == 0 || v.Delta == HuberDelta) && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["delta"] = v.delta()
		return "Huber", cfg, true
	case Dice:
		if v.Axis == nil && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["axis"] = nil
		if v.Axis != nil {
			cfg["axis"] = slices.Clone(v.Axis)
		}
		return "Dice", cfg, true
	case IoU:
		if v.Axis == nil && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["axis"] = nil
		if v.Axis != nil {
			cfg["axis"] = slices.Clone(v.Axis)
		}
		return "IoU", cfg, true
	case Tversky:
		a, b := v.alphaBeta()
		if a == TverskyAlphaBeta && b == TverskyAlphaBeta && v.Reduction == "" && v.Axis == nil {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["alpha"], cfg["beta"] = a, b
		if v.Axis != nil {
			// Only when set: Keras versions before the argument refuse the key.
			cfg["axis"] = slices.Clone(v.Axis)
		}
		return "Tversky", cfg, true
	case Circle:
		g, m := v.gammaMargin()
		if g == CircleGamma && m == CircleMargin && !v.KeepDiagonal && v.Reduction == "" {
			return "", nil, false
		}
		cfg = base(v.Name())
		cfg["gamma"], cfg["margin"], cfg["remove_diagonal"] = g, m, !v.KeepDiagonal
		return "Circle", cfg, true
	}
	if red == "" {
		return "", nil, false
	}
	// The losses whose only option is the reduction.
	for class, name := range classes {
		if name == l.Name() {
			return class, base(name), true
		}
	}
	return "", nil, false
}

// LabelSmoothing returns l's label smoothing; ok is false for losses
// without that option.
func LabelSmoothing(l Loss) (ls float64, ok bool) {
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		return v.LabelSmoothing, true
	case *SparseCategoricalCrossentropy:
		return v.LabelSmoothing, true
	case CategoricalCrossentropy:
		return v.LabelSmoothing, true
	case *CategoricalCrossentropy:
		return v.LabelSmoothing, true
	case BinaryCrossentropy:
		return v.LabelSmoothing, true
	case BinaryFocalCrossentropy:
		return v.LabelSmoothing, true
	case CategoricalFocalCrossentropy:
		return v.LabelSmoothing, true
	}
	return 0, false
}

// WithLabelSmoothing returns a copy of l with label smoothing ls, or an
// error when l has no such option or ls is outside [0, 1].
func WithLabelSmoothing(l Loss, ls float64) (Loss, error) {
	var out Loss
	switch v := l.(type) {
	case SparseCategoricalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case *SparseCategoricalCrossentropy:
		c := *v
		c.LabelSmoothing = ls
		out = c
	case CategoricalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case *CategoricalCrossentropy:
		c := *v
		c.LabelSmoothing = ls
		out = c
	case BinaryCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case BinaryFocalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	case CategoricalFocalCrossentropy:
		v.LabelSmoothing = ls
		out = v
	default:
		name := "<nil>"
		if l != nil {
			name = l.Name()
		}
		return nil, fmt.Errorf("loss: %s has no label smoothing; it applies to %s, %s, %s, %s and %s", name, NameSparseCategoricalCrossentropy, NameCategoricalCrossentropy,
			NameBinaryCrossentropy, NameBinaryFocalCrossentropy, NameCategoricalFocalCrossentropy)
	}
	if err := checkSmoothing(out.Name(), ls); err != nil {
		return nil, err
	}
	return out, nil
}

// segAxis reads the axis of Dice and IoU: null, an integer, or a list of
// integers.
func segAxis(r *config.Reader) []int {
	v, ok := r.Get("axis")
	if !ok || v == nil {
		return nil
	}
	axes, isList := v.([]any)
	if n, isNum := config.Number(v); isNum {
		axes, isList = []any{n}, true
	}
	if ints, ok := v.([]int); ok { // a config built in Go
		axes, isList = nil, true
		for _, a := range ints {
			axes = append(axes, a)
		}
	}
	var out []int
	for _, a := range axes {
		n, isNum := config.Number(a)
		if !isNum || n != float64(int(n)) {
			isList = false
			break
		}
		out = append(out, int(n))
	}
	if !isList || len(out) == 0 {
		r.Failf("axis %v is not null or a list of integers", v)
	}
	return out
}
