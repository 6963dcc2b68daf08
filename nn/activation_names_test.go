package nn_test

import (
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestConfigActivationNames: a Dense config names any of Keras 3's
// built-in activations as Keras writes it (a bare name, or Keras 3's
// {"class_name": "function", "config": name}), aliases included, and
// writes back the function's own name as keras.activations.serialize does
// (keras/src/activations/__init__.py).
func TestConfigActivationNames(t *testing.T) {
	for name, want := range map[string]string{
		"relu6": "relu6", "selu": "selu", "silu": "silu", "swish": "silu",
		"softplus": "softplus", "softsign": "softsign", "hard_sigmoid": "hard_sigmoid",
		"hard_silu": "hard_silu", "hard_swish": "hard_silu", "mish": "mish",
		"exponential": "exponential", "log_softmax": "log_softmax", "gelu": "gelu",
	} {
		for _, v := range []any{name, map[string]any{"module": "keras.activations", "class_name": "function", "config": name, "registered_name": "function"}} {
			l, err := nn.FromConfig("Dense", map[string]any{"units": 2.0, "activation": v})
			if err != nil {
				t.Errorf("activation %v: %v", v, err)
				continue
			}
			if got := l.Config()["activation"]; got != want {
				t.Errorf("activation %v: config writes %v, want %q", v, got, want)
			}
		}
	}
	l, err := nn.FromConfig("Activation", map[string]any{"activation": "swish"})
	if err != nil || l.(*nn.Activation).Activation != activation.SiLU {
		t.Errorf("Activation(swish) = %v, %v", l, err)
	}
	if _, err := nn.FromConfig("Dense", map[string]any{"units": 2.0, "activation": "crelu"}); err == nil {
		t.Error("crelu loaded; gokeras does not implement it")
	}
}

// TestDenseBuiltinActivationGradients: Dense's backward pass through each
// of the activations added for issue 19 (those that keep z and those that
// work from the output alone), against finite differences.
func TestDenseBuiltinActivationGradients(t *testing.T) {
	for _, f := range []activation.Func{
		activation.ReLU6, activation.SELU, activation.SiLU, activation.Softplus,
		activation.Softsign, activation.HardSigmoid, activation.HardSiLU, activation.Mish,
		activation.Exponential, activation.LogSoftmax, activation.GELUApproximate,
	} {
		t.Run(f.String(), func(t *testing.T) {
			nntest.CheckGradients(t, &nn.Dense{Units: 4, Activation: f}, tensor.Shape{3}, nntest.GradOptions{Batch: 3})
		})
	}
}
