package main

// gokeras regress: fit a regression baseline (OLS, ridge) or the Boston MLP
// with K-fold validation on a table's numeric columns.

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
)

func init() {
	register(command{"regress", "fit OLS, ridge or the Boston MLP (K-fold) to a table's numeric target", runRegress})
}

// prepareTable loads the table, checks the target and picks the feature
// columns: the named ones, or every numeric column but the target. Rows
// with a missing value in any of them are dropped (with a note); a ±Inf in
// any of them is an error naming the column and the CSV line, before
// anything is standardised or fitted (scikit-learn rejects it too).
func prepareTable(data, target, features string, stderr io.Writer) (*frame.Frame, []string, error) {
	if data == "" || target == "" {
		return nil, nil, fmt.Errorf("want --data NAME|FILE.csv and --target COLUMN, e.g. --data boston_housing --target MEDV")
	}
	f, err := loadTable(data)
	if err != nil {
		return nil, nil, err
	}
	if _, err := f.Column(target); err != nil {
		return nil, nil, fmt.Errorf("--target: %w", err)
	}
	var names []string
	if features != "" {
		names = splitList(features)
		if slices.Contains(names, target) {
			return nil, nil, fmt.Errorf("--features includes the target %q", target)
		}
		for _, n := range names {
			c, err := f.Column(n)
			if err != nil {
				return nil, nil, fmt.Errorf("--features: %w", err)
			}
			if !c.Numeric() {
				return nil, nil, fmt.Errorf("--features: column %q holds text, not numbers", n)
			}
		}
	} else {
		var skipped []string
		for _, c := range f.Columns() {
			switch {
			case c.Name == target:
			case c.Numeric():
				names = append(names, c.Name)
			default:
				skipped = append(skipped, c.Name)
			}
		}
		if len(skipped) > 0 {
			fmt.Fprintf(stderr, "note: skipping text columns %q (not features)\n", skipped)
		}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s has no numeric feature columns besides the target %q", data, target)
	}
	n := f.Len()
	if f, err = f.DropNA(append(slices.Clone(names), target)...); err != nil {
		return nil, nil, err
	}
	if d := n - f.Len(); d > 0 {
		fmt.Fprintf(stderr, "note: dropped %d of %d rows with missing values\n", d, n)
	}
	if err := f.CheckFinite(append(slices.Clone(names), target)...); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", data, err)
	}
	if f.Len() < 2 {
		return nil, nil, fmt.Errorf("%s has %d complete rows; need at least 2", data, f.Len())
	}
	return f, names, nil
}

func runRegress(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("regress", stdout)
	data := fs.String("data", "", "an embedded table (boston_housing, diabetes, …) or a CSV file with a header")
	target := fs.String("target", "", "the numeric column to predict")
	features := fs.String("features", "", "comma-separated feature columns (default: every other numeric column)")
	model := fs.String("model", "ols", "ols, ridge or mlp")
	alpha := fs.Float64("alpha", 1, "ridge: L2 strength (scikit-learn's alpha)")
	testSplit := fs.Float64("test-split", 0.2, "fraction of rows held out for testing (0: fit and score on all rows)")
	seed := fs.Uint64("seed", 0, "seed for the train/test split and the network's weights")
	folds := fs.Int("folds", 4, "mlp: K for K-fold validation on the training rows (0: skip)")
	epochs := countVar(fs, "epochs", 100, "mlp: epochs per fold and for the final model")
	batch := countVar(fs, "batch-size", 16, "mlp: batch size")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *model != "ols" && *model != "ridge" && *model != "mlp" {
		return fmt.Errorf("unknown --model %q; choose ols, ridge or mlp", *model)
	}
	f, names, err := prepareTable(*data, *target, *features, stderr)
	if err != nil {
		return err
	}
	c, err := f.Column(*target)
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	if !c.Numeric() {
		return fmt.Errorf("target column %q holds text; regression needs numbers (gokeras classify predicts classes)", *target)
	}
	tr, te, err := f.Split(*testSplit, *seed)
	if err != nil {
		return fmt.Errorf("--test-split: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d features → %s; train %d, test %d\n\n", *data, f.Len(), len(names), *target, tr.Len(), te.Len())
	if *model == "mlp" {
		return regressMLP(tr, te, names, *target, *folds, *epochs, *batch, *seed, stdout)
	}

	xtr, err := tr.Matrix(names...)
	if err != nil {
		return err
	}
	ytr, err := tr.Floats(*target)
	if err != nil {
		return err
	}
	var l *analysis.Linear
	if *model == "ols" {
		l, err = analysis.OLS(xtr, ytr, names)
	} else {
		l, err = analysis.Ridge(xtr, ytr, names, *alpha)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, l)
	fmt.Fprintf(stdout, "\n%-6s  %8s  %8s  %8s\n", "", "R2", "RMSE", "MAE")
	score := func(part string, p *frame.Frame) error {
		x, err := p.Matrix(names...)
		if err != nil {
			return err
		}
		y, err := p.Floats(*target)
		if err != nil {
			return err
		}
		pred, err := l.Predict(x)
		if err != nil {
			return err
		}
		var m [3]float64
		for i, metric := range []func(y, pred []float64) (float64, error){analysis.R2, analysis.RMSE, analysis.MAE} {
			if m[i], err = metric(y, pred); err != nil {
				return fmt.Errorf("scoring the %s rows: %w", part, err)
			}
		}
		fmt.Fprintf(stdout, "%-6s  %8.4f  %8.4f  %8.4f\n", part, m[0], m[1], m[2])
		return nil
	}
	if err := score("train", tr); err != nil {
		return err
	}
	if te.Len() > 0 {
		return score("test", te)
	}
	return nil
}

// regressionMLP is the boston-mlp preset (Chollet 3.6) for any number of
// features: Normalization → Dense(64, relu) → Dense(64, relu) → Dense(1),
// mse loss, rmsprop, mae.
func regressionMLP(features int, seed uint64) (*gokeras.Sequential, error) {
	var m *gokeras.Sequential
	if features == 13 {
		p, err := gokeras.LookupPreset("boston-mlp")
		if err != nil {
			return nil, err
		}
		if m, err = p.Model(); err != nil {
			return nil, err
		}
	} else {
		m = gokeras.NewSequential(
			&nn.Normalization{InputShape: tensor.Shape{features}},
			&nn.Dense{Units: 64, Activation: activation.ReLU},
			&nn.Dense{Units: 64, Activation: activation.ReLU},
			&nn.Dense{Units: 1},
		)
		if err := m.CompileNamed("mse", "rmsprop", "mae"); err != nil {
			return nil, err
		}
	}
	m.Seed = seed
	if err := m.Build(features); err != nil {
		return nil, err
	}
	return m, nil
}

// fitMLP trains a fresh regression MLP on (x, y), its Normalization layer
// adapted to x, and returns it.
func fitMLP(x, y *tensor.Tensor, epochs, batch int, seed uint64) (*gokeras.Sequential, error) {
	m, err := regressionMLP(x.Shape[1], seed)
	if err != nil {
		return nil, err
	}
	if err := m.Adapt(x); err != nil {
		return nil, err
	}
	_, err = m.Fit(x, y, gokeras.FitOptions{Epochs: epochs, BatchSize: batch, Seed: seed, Verbose: train.Silent})
	return m, err
}

// regressMLP runs Chollet's K-fold validation on the training rows, then
// trains on all of them and scores the test rows.
func regressMLP(tr, te *frame.Frame, names []string, target string, k, epochs, batch int, seed uint64, stdout io.Writer) error {
	x, err := tr.Tensor(names...)
	if err != nil {
		return err
	}
	y, err := tr.Tensor(target)
	if err != nil {
		return err
	}
	if k > 0 {
		folds, err := analysis.KFold(tr.Len(), k)
		if err != nil {
			return fmt.Errorf("--folds: %w", err)
		}
		var sum float64
		for i, fold := range folds {
			xv, yv := pickRows(x, fold.Val), pickRows(y, fold.Val)
			m, err := fitMLP(pickRows(x, fold.Train), pickRows(y, fold.Train), epochs, batch, seed+uint64(i)+1)
			if err != nil {
				return fmt.Errorf("fold %d: %w", i+1, err)
			}
			logs, err := m.Evaluate(xv, yv, 0)
			if err != nil {
				return fmt.Errorf("fold %d: %w", i+1, err)
			}
			sum += logs["mae"]
			fmt.Fprintf(stdout, "fold %d/%d: train %d, validate %d rows, %d epochs: val_mae %.4f\n", i+1, k, len(fold.Train), len(fold.Val), epochs, logs["mae"])
		}
		fmt.Fprintf(stdout, "mean validation MAE over %d folds: %.4f\n", k, sum/float64(k))
	}
	if te.Len() == 0 {
		return nil
	}
	m, err := fitMLP(x, y, epochs, batch, seed)
	if err != nil {
		return err
	}
	xt, err := te.Tensor(names...)
	if err != nil {
		return err
	}
	yt, err := te.Tensor(target)
	if err != nil {
		return err
	}
	logs, err := m.Evaluate(xt, yt, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "final model on all %d training rows, %d epochs: test_mae %.4f - test_loss (mse) %.4f\n", tr.Len(), epochs, logs["mae"], logs["loss"])
	return nil
}

// pickRows returns the rows idx of a (N, …) tensor.
func pickRows(t *tensor.Tensor, idx []int) *tensor.Tensor {
	shape := slices.Clone(t.Shape)
	shape[0] = len(idx)
	out := tensor.New(shape...)
	w := len(t.Data) / t.Shape[0]
	for j, i := range idx {
		copy(out.Data[j*w:(j+1)*w], t.Data[i*w:(i+1)*w])
	}
	return out
}
