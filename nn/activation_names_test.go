package nn_test

import (
	"strings"
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
}

// crelu (Keras's activations.crelu) doubles the last axis: the Activation
// layer takes it, with the output shape that follows, its gradient checked
// by finite differences; as a Dense layer's own activation it is refused
// when the model is built, saying to use an Activation layer.
func TestCReLULayer(t *testing.T) {
	l, err := nn.FromConfig("Activation", map[string]any{"activation": "crelu"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := l.OutputShape(tensor.Shape{4, 3}); err != nil || !got.Equal(tensor.Shape{4, 6}) {
		t.Errorf("Activation(crelu) output shape %v, %v; want (4, 6)", got, err)
	}
	if got := l.Config()["activation"]; got != "crelu" {
		t.Errorf("config writes activation %v", got)
	}
	nntest.CheckGradients(t, &nn.Activation{Activation: activation.CReLU}, tensor.Shape{2, 3}, nntest.GradOptions{Batch: 2})

	in := &nn.InputLayer{Shape: tensor.Shape{3}}
	d, err := nn.FromConfig("Dense", map[string]any{"units": 2.0, "activation": "crelu"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{nn.Call(d, in)})
	if err == nil {
		err = g.Build(nil, 1)
	}
	if err == nil || !strings.Contains(err.Error(), "Activation layer") {
		t.Errorf("Dense(activation=crelu) in a model: err = %v, want one that says to use an Activation layer", err)
	}
	s := &nn.Stack{}
	s.Add(&nn.Dense{Units: 2, Activation: activation.CReLU, InputShape: tensor.Shape{3}})
	if err := s.Build(nil, 1); err == nil || !strings.Contains(err.Error(), "Activation layer") {
		t.Errorf("Sequential Dense(activation=crelu): err = %v", err)
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
