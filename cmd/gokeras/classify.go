package main

// gokeras classify: fit multinomial logistic regression or a small Dense
// network to a table's class column and print scikit-learn's report.

import (
	"fmt"
	"io"
	"slices"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/analysis"
	"github.com/gokeras/gokeras/frame"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
	"gonum.org/v1/gonum/mat"
)

func init() {
	register(command{"classify", "fit logistic regression or an MLP to a table's class column; print the report", runClassify})
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", stdout)
	data := fs.String("data", "", "an embedded table (iris, wine, breast_cancer, …) or a CSV file with a header")
	target := fs.String("target", "", "the class column (text or whole numbers)")
	features := fs.String("features", "", "comma-separated feature columns (default: every other numeric column)")
	model := fs.String("model", "logistic", "logistic or mlp")
	c := fs.Float64("c", 1, "logistic: inverse L2 strength (scikit-learn's C)")
	testSplit := fs.Float64("test-split", 0.2, "fraction of rows held out for testing (0: fit and score on all rows)")
	seed := fs.Uint64("seed", 0, "seed for the train/test split and the network's weights")
	epochs := countVar(fs, "epochs", 100, "mlp: epochs")
	batch := countVar(fs, "batch-size", 32, "mlp: batch size")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *model != "logistic" && *model != "mlp" {
		return fmt.Errorf("unknown --model %q; choose logistic or mlp", *model)
	}
	f, names, err := prepareTable(*data, *target, *features, stderr)
	if err != nil {
		return err
	}
	_, classes, err := f.Labels(*target)
	if err != nil {
		return err
	}
	if len(classes) < 2 {
		return fmt.Errorf("target column %q has one class (%s); nothing to tell apart", *target, classes[0])
	}
	tc, err := f.Column(*target)
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	if tc.Numeric() && len(classes) > 50 {
		return fmt.Errorf("target column %q has %d distinct numbers; that is a regression target (gokeras regress)", *target, len(classes))
	}
	tr, te, err := f.Split(*testSplit, *seed)
	if err != nil {
		return fmt.Errorf("--test-split: %w", err)
	}
	// Standardise with the training rows' statistics only.
	scaler, err := frame.FitScaler(tr, names...)
	if err != nil {
		return err
	}
	if tr, err = scaler.Transform(tr); err != nil {
		return err
	}
	if te, err = scaler.Transform(te); err != nil {
		return err
	}
	scored := te
	part := "test"
	if te.Len() == 0 {
		scored, part = tr, "training (in-sample)"
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d features → %s (%d classes); train %d, test %d\n\n", *data, f.Len(), len(names), *target, len(classes), tr.Len(), te.Len())

	ytr, err := labelsIn(tr, *target, classes)
	if err != nil {
		return err
	}
	ysc, err := labelsIn(scored, *target, classes)
	if err != nil {
		return err
	}
	var proba func(*frame.Frame) (*mat.Dense, error)
	switch *model {
	case "logistic":
		x, err := tr.Matrix(names...)
		if err != nil {
			return err
		}
		l, err := analysis.FitLogistic(x, ytr, classes, analysis.LogisticOptions{C: *c})
		if err != nil {
			return err
		}
		proba = func(p *frame.Frame) (*mat.Dense, error) {
			x, err := p.Matrix(names...)
			if err != nil {
				return nil, err
			}
			return l.Proba(x)
		}
	case "mlp":
		m, err := fitClassifierMLP(tr, names, ytr, len(classes), *epochs, *batch, *seed)
		if err != nil {
			return err
		}
		proba = func(p *frame.Frame) (*mat.Dense, error) {
			x, err := p.Tensor(names...)
			if err != nil {
				return nil, err
			}
			out, err := m.Predict(x, 0)
			if err != nil {
				return nil, err
			}
			d := mat.NewDense(p.Len(), len(classes), nil)
			for i, v := range out.Data {
				d.Set(i/len(classes), i%len(classes), float64(v))
			}
			return d, nil
		}
	}
	ptr, err := proba(tr)
	if err != nil {
		return err
	}
	psc, err := proba(scored)
	if err != nil {
		return err
	}
	rep := analysis.NewReport(ysc, analysis.Argmax(psc), classes)
	fmt.Fprintf(stdout, "training accuracy: %.4f\n", analysis.Accuracy(ytr, analysis.Argmax(ptr)))
	if te.Len() > 0 {
		fmt.Fprintf(stdout, "test accuracy: %.4f\n", rep.Accuracy)
	}
	if len(classes) == 2 {
		pos := make([]bool, len(ysc))
		for i, v := range ysc {
			pos[i] = v == 1
		}
		auc, err := analysis.ROCAUC(pos, mat.Col(nil, 1, psc))
		if err != nil {
			return fmt.Errorf("ROC AUC of the %s rows: %w", part, err)
		}
		fmt.Fprintf(stdout, "%s ROC AUC (positive class %q): %.4f\n", part, classes[1], auc)
	}
	fmt.Fprintf(stdout, "\nclassification report (%s rows):\n%s\nconfusion matrix:\n%s", part, rep, rep.ConfusionString())
	return nil
}

// labelsIn encodes p's target column against the full table's classes, so
// a split missing a class keeps the same indices.
func labelsIn(p *frame.Frame, target string, classes []string) ([]int, error) {
	codes, own, err := p.Labels(target)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(codes))
	for i, c := range codes {
		k := slices.Index(classes, own[c])
		if k < 0 {
			return nil, fmt.Errorf("class %q of column %q is not one of the table's classes %q", own[c], target, classes)
		}
		out[i] = k
	}
	return out, nil
}

// fitClassifierMLP trains Dense(64, relu) → Dense(64, relu) →
// Dense(classes, softmax) with adam and sparse categorical cross-entropy on
// the (already standardised) training rows.
func fitClassifierMLP(tr *frame.Frame, names []string, y []int, classes, epochs, batch int, seed uint64) (*gokeras.Sequential, error) {
	x, err := tr.Tensor(names...)
	if err != nil {
		return nil, err
	}
	yt := tensor.New(len(y))
	for i, v := range y {
		yt.Data[i] = float32(v)
	}
	m := gokeras.NewSequential(
		&nn.Dense{Units: 64, Activation: activation.ReLU, InputShape: tensor.Shape{len(names)}},
		&nn.Dense{Units: 64, Activation: activation.ReLU},
		&nn.Dense{Units: classes, Activation: activation.Softmax},
	)
	m.Seed = seed
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		return nil, err
	}
	if _, err := m.Fit(x, yt, gokeras.FitOptions{Epochs: epochs, BatchSize: batch, Seed: seed, Verbose: train.Silent}); err != nil {
		return nil, err
	}
	return m, nil
}
