package gokeras

// This file owns the root API of models with several inputs or outputs:
// CompileOutputs (Keras's compile with a list or dict of losses,
// loss_weights and metrics) and FitMulti, EvaluateMulti and PredictMulti,
// which take Arrays (Keras's fit with a list or dict of arrays). The loop
// is train's (train/outputs.go).

import (
	"context"
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// Arrays are the inputs or the targets of a model with several inputs or
// outputs: a List in the model's order, or a Named map keyed by the
// Input layers' names (for inputs) or by the names of the layers that
// make the outputs (for targets), as Keras's fit takes a list or a dict.
type Arrays = train.Arrays

// List is Arrays in the model's order of inputs (or outputs).
type List = train.List

// Named is Arrays keyed by layer name.
type Named = train.Named

// Output is compile()'s settings for one output of a model with several,
// for CompileOutputs: Keras's loss, loss_weights, metrics and
// weighted_metrics at that output's place (Name empty) or key (Name set).
type Output struct {
	// Name is the name of the layer that makes the output (Keras's dict
	// key); empty when the outputs are given in order (Keras's list).
	Name string
	// Loss is the output's loss; nil leaves the output untrained and
	// without targets, as None does in Keras.
	Loss loss.Loss
	// LossWeight multiplies the output's loss in the total that training
	// minimises (Keras's loss_weights); 0 means 1. The logs'
	// "<output>_loss" is the unweighted loss.
	LossWeight      float64
	Metrics         []metric.Metric
	WeightedMetrics []metric.Metric
}

// CompileOutputs compiles a model with several outputs, one Output each,
// as compile(optimizer, loss=..., loss_weights=..., metrics=...) with
// lists (every Name empty, in the model's output order; see OutputNames)
// or dicts (every Name set; an output left out has no loss). The logs
// then hold "loss" (the weighted total), "<output>_loss" for each output
// with a loss and "<output>_<metric>" (keras/src/trainers/compile_utils.py).
//
//	m.CompileOutputs(&optim.Adam{},
//		gokeras.Output{Name: "digit", Loss: loss.SparseCategoricalCrossentropy{}, Metrics: []metric.Metric{&metric.Accuracy{}}},
//		gokeras.Output{Name: "parity", Loss: loss.BinaryCrossentropy{}, LossWeight: 0.5})
func (m *Model) CompileOutputs(o optim.Optimizer, outputs ...Output) error {
	if o == nil {
		return fmt.Errorf("gokeras: CompileOutputs needs an optimizer, e.g. &optim.Adam{}")
	}
	if err := m.net.AssignNames(); err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	names := m.OutputNames()
	named := len(outputs) > 0 && outputs[0].Name != ""
	byName := map[string]Output{}
	for i, out := range outputs {
		if (out.Name != "") != named {
			return fmt.Errorf("gokeras: CompileOutputs: output %d has %s name; name every output (Keras's dict) or none (a list in the model's order: %s)", i, map[bool]string{true: "no", false: "a"}[named], strings.Join(names, ", "))
		}
		if _, dup := byName[out.Name]; named && dup {
			return fmt.Errorf("gokeras: CompileOutputs: output %q is given twice", out.Name)
		}
		if named && !contains(names, out.Name) {
			return fmt.Errorf("gokeras: CompileOutputs: %q names none of the model's outputs (%s)", out.Name, strings.Join(names, ", "))
		}
		if out.LossWeight < 0 || out.LossWeight != out.LossWeight {
			return fmt.Errorf("gokeras: CompileOutputs: loss weight %v of output %d must be a non-negative number", out.LossWeight, i)
		}
		if out.Loss != nil {
			if err := loss.CheckTrainable(out.Loss); err != nil {
				return fmt.Errorf("gokeras: CompileOutputs: output %d: %w", i, err)
			}
		}
		byName[out.Name] = out
	}
	if !named && len(outputs) != len(names) {
		return fmt.Errorf("gokeras: CompileOutputs: %d outputs for a model with %d (%s); give one per output in order, or name them", len(outputs), len(names), strings.Join(names, ", "))
	}
	tm := train.Model{Net: &m.net, Optimizer: o}
	for j, name := range names {
		out := Output{}
		if named {
			out = byName[name]
		} else {
			out = outputs[j]
		}
		w := out.LossWeight
		if w == 0 {
			w = 1
		}
		for _, mt := range out.WeightedMetrics {
			if _, ok := mt.(metric.Weighted); !ok {
				return fmt.Errorf("gokeras: weighted metric %s (%T) of output %q does not take sample weights; implement metric.Weighted or list it in Metrics", mt.Name(), mt, name)
			}
		}
		tm.Outputs = append(tm.Outputs, train.Output{Name: name, Loss: out.Loss, Weight: w, Metrics: out.Metrics, WeightedMetrics: out.WeightedMetrics})
	}
	if err := tm.CheckOutputs(); err != nil {
		return fmt.Errorf("gokeras: CompileOutputs: %w", err)
	}
	m.model = tm
	m.compiled = true
	return nil
}

func contains(names []string, s string) bool {
	for _, n := range names {
		if n == s {
			return true
		}
	}
	return false
}

// InputNames are the names of the model's inputs, the keys of Named
// inputs: each Input's Name, or Keras's "input_layer", "input_layer_1",
// ... for an unnamed one.
func (m *Model) InputNames() []string { return train.InputNames(&m.net) }

// OutputNames are the names of the layers that make the model's outputs,
// in order: the keys of Named targets and of CompileOutputs, and the
// prefixes of the logs' per-output keys. Unnamed layers are named first.
func (m *Model) OutputNames() []string {
	m.net.AssignNames() // an error here is Build's to report
	return train.OutputNames(&m.net)
}

// FitMulti trains a model with several inputs or outputs, as model.fit
// with lists or dicts of arrays: x holds one array per input, y one
// target per output with a loss, each a List or a Named map. Every array
// has one row per sample; shuffling, batches and ValidationSplit take the
// same rows of each, and FitOptions.ValidationData takes Xs and Ys.
// Sample weights weigh every output's loss.
//
//	hist, err := m.FitMulti(gokeras.List{images, features},
//		gokeras.Named{"digit": labels, "parity": parity}, gokeras.FitOptions{Epochs: 10})
func (m *Model) FitMulti(x, y Arrays, o FitOptions) (*History, error) {
	return m.FitMultiContext(context.Background(), x, y, o)
}

// FitMultiContext is FitMulti that stops cleanly when ctx is cancelled.
func (m *Model) FitMultiContext(ctx context.Context, x, y Arrays, o FitOptions) (*History, error) {
	return m.fit(ctx, o, func(o FitOptions) (*History, error) { return train.FitMulti(ctx, &m.model, x, y, o) })
}

// EvaluateMulti returns the loss and metrics of a model with several
// inputs or outputs on x and y (as FitMulti takes them), in inference
// mode, as model.evaluate. o.TTA must be unset.
func (m *Model) EvaluateMulti(x, y Arrays, o EvaluateOptions) (Logs, error) {
	if err := m.ready(nil); err != nil {
		return nil, err
	}
	tm, release, err := m.evalModel()
	if err != nil {
		return nil, err
	}
	defer release()
	return train.EvaluateMulti(tm, x, y, o)
}

// PredictMulti returns a model's outputs for x (a List or Named inputs),
// one tensor per output in the order of OutputNames, as model.predict.
// batchSize 0 means 32.
func (m *Model) PredictMulti(x Arrays, batchSize int) ([]*tensor.Tensor, error) {
	if err := m.ensureBuilt(nil); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("gokeras: predict inputs are missing")
	}
	net, release, err := m.inferNet()
	if err != nil {
		return nil, err
	}
	defer release()
	return train.PredictMulti(net, x, batchSize)
}
