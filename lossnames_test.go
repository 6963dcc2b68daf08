package gokeras_test

import (
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
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
