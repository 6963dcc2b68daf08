package gokeras_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// TestCompileLossNames checks that compile takes every loss name Keras 3's
// compile(loss=...) takes, and refuses reduction "none" with a message.
func TestCompileLossNames(t *testing.T) {
	for _, name := range []string{
		"log_cosh", "kl_divergence", "kld", "poisson", "hinge", "squared_hinge", "categorical_hinge",
		"cosine_similarity", "mape", "mean_absolute_percentage_error", "msle", "mean_squared_logarithmic_error",
		"binary_focal_crossentropy", "categorical_focal_crossentropy", "huber", "bce", "CategoricalCrossentropy",
	} {
		m := gokeras.NewSequential(&nn.Dense{Units: 3, InputShape: tensor.Shape{2}})
		if err := m.CompileNamed(name, "adam"); err != nil {
			t.Errorf("CompileNamed(%q): %v", name, err)
		}
	}
	m := gokeras.NewSequential(&nn.Dense{Units: 3, InputShape: tensor.Shape{2}})
	err := m.Compile(loss.MSE{Reduction: loss.NoReduction}, &optim.Adam{})
	if err == nil || !strings.Contains(err.Error(), "cannot be trained on") {
		t.Errorf(`Compile with reduction "none": %v, want an error saying it cannot be trained on`, err)
	}
}

// TestFitWithKerasLosses trains a one-layer model with each loss (and with
// a non-default reduction) on a problem it can fit, and checks that the
// training loss goes down.
func TestFitWithKerasLosses(t *testing.T) {
	const n = 96
	r := rand.New(rand.NewPCG(7, 8))
	x := tensor.New(n, 2)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	bin, reg, pos, onehot := tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 3)
	for i := range n {
		a, b := x.Data[2*i], x.Data[2*i+1]
		if a+b > 0 {
			bin.Data[i] = 1
		}
		reg.Data[i] = a - 2*b
		pos.Data[i] = float32(math.Exp(float64(0.5*a - 0.3*b)))
		c := 0
		if a > 0.5 {
			c = 1
		} else if b > 0.5 {
			c = 2
		}
		onehot.Data[i*3+c] = 1
	}
	tests := []struct {
		loss       loss.Loss
		units      int
		activation string
		y          *tensor.Tensor
	}{
		{loss.LogCosh{}, 1, "linear", reg},
		{loss.MAPE{}, 1, "linear", reg},
		{loss.Huber{Reduction: loss.Sum}, 1, "linear", reg},
		{loss.MSLE{}, 1, "softplus", pos},
		{loss.Poisson{}, 1, "exponential", pos},
		{loss.Hinge{}, 1, "linear", bin},
		{loss.SquaredHinge{Reduction: loss.MeanWithSampleWeight}, 1, "linear", bin},
		{loss.BinaryFocalCrossentropy{}, 1, "sigmoid", bin},
		{loss.BinaryFocalCrossentropy{FromLogits: true, ApplyClassBalancing: true}, 1, "linear", bin},
		{loss.BinaryCrossentropy{LabelSmoothing: 0.1}, 1, "sigmoid", bin},
		{loss.CategoricalHinge{}, 3, "linear", onehot},
		{loss.CategoricalFocalCrossentropy{}, 3, "softmax", onehot},
		{loss.CategoricalFocalCrossentropy{FromLogits: true}, 3, "linear", onehot},
		{loss.KLDivergence{}, 3, "softmax", onehot},
		{loss.CosineSimilarity{}, 3, "linear", onehot},
		{loss.CategoricalCrossentropy{Reduction: loss.Sum}, 3, "softmax", onehot},
	}
	for _, tc := range tests {
		act, err := activation.Parse(tc.activation)
		if err != nil {
			t.Fatal(err)
		}
		m := gokeras.NewSequential(&nn.Dense{Units: tc.units, Activation: act, InputShape: tensor.Shape{2}})
		m.Seed = 1
		if err := m.Compile(tc.loss, &optim.Adam{LR: 0.05}); err != nil {
			t.Fatalf("%s: %v", tc.loss.Name(), err)
		}
		h, err := m.Fit(x, tc.y, gokeras.FitOptions{Epochs: 8, BatchSize: 16, Verbose: train.Silent})
		if err != nil {
			t.Fatalf("%#v: %v", tc.loss, err)
		}
		l := h.History["loss"]
		if !(l[len(l)-1] < l[0]) {
			t.Errorf("%#v: loss went from %v to %v", tc.loss, l[0], l[len(l)-1])
		}
	}
}

// TestSaveLoadKerasLosses checks that a model file keeps each loss with
// its options and reduction.
func TestSaveLoadKerasLosses(t *testing.T) {
	for _, l := range []loss.Loss{
		loss.BinaryFocalCrossentropy{Gamma: loss.Float(3), ApplyClassBalancing: true, FromLogits: true},
		loss.CategoricalFocalCrossentropy{Alpha: loss.Float(0.5), LabelSmoothing: 0.1},
		loss.Hinge{Reduction: loss.Sum},
		loss.KLDivergence{},
		loss.Huber{Delta: 0.5, Reduction: loss.MeanWithSampleWeight},
	} {
		m := gokeras.NewSequential(&nn.Dense{Units: 3, InputShape: tensor.Shape{2}})
		if err := m.Compile(l, &optim.Adam{}); err != nil {
			t.Fatal(err)
		}
		if err := m.Build(2); err != nil {
			t.Fatal(err)
		}
		path := t.TempDir() + "/m.keras"
		if err := m.Save(path); err != nil {
			t.Fatalf("%#v: Save: %v", l, err)
		}
		back, err := gokeras.Load(path)
		if err != nil {
			t.Fatalf("%#v: Load: %v", l, err)
		}
		if !reflect.DeepEqual(back.Loss(), l) {
			t.Errorf("saved %#v, loaded %#v", l, back.Loss())
		}
	}
}
