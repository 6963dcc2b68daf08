// Package train owns the training loop: fit, evaluate and predict over
// in-memory data, the History they return, the callbacks they call and the
// Keras-style progress output. It knows the network only as an nn.Stack
// with a loss, an optimiser and metrics; the user-facing Sequential model in
// the root package is a facade over it.
package train

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// Model is a built network with what compile() gives it.
type Model struct {
	Net       *nn.Stack
	Loss      loss.Loss
	Optimizer optim.Optimizer
	// Metrics never see sample weights; WeightedMetrics (Keras's
	// weighted_metrics) take them when Fit or Evaluate is given weights,
	// and must then implement metric.Weighted (every built-in one does).
	Metrics         []metric.Metric
	WeightedMetrics []metric.Metric

	// Outputs, for a model with several outputs, holds each output's
	// loss, loss weight and metrics, in the network's output order (see
	// outputs.go); Loss, Metrics and WeightedMetrics are then unused.
	Outputs []Output

	metricNames []string // the logs' keys of Metrics then WeightedMetrics

	// The general path's (outputs.go) state: the single output as an
	// Output, each output's gradient buffer, the gradients BackwardAll
	// gets (nil for an output without a loss), which are fused, and each
	// output's last and running unweighted loss.
	one         []Output
	ograds, dys []*tensor.Tensor
	linear      []bool
	oloss, osum []float64
	oseen       int

	values, grads []*tensor.Tensor // trainable weights, gathered by gather
	names         []string         // their "layer/variable" paths
	regs, cons    []*nn.Param      // those with a regularizer, a constraint
	grad          *tensor.Tensor   // dLoss/dOutput (or dLoss/dz when fused)

	// What fused found, kept because converting a loss to SoftmaxFused
	// allocates; Fit clears it, so it follows a changed Loss.
	fusedLoss          loss.SoftmaxFused
	isFused, fuseKnown bool
}

// fused returns the cross-entropy to fuse with a final softmax, if any.
func (m *Model) fused() (loss.SoftmaxFused, bool) {
	if !m.fuseKnown {
		m.fusedLoss, m.isFused = nil, false
		if a, ok := m.Net.LastActivated(); ok && a.ActivationFunc() == activation.Softmax {
			m.fusedLoss, m.isFused = loss.Fused(m.Loss)
		}
		m.fuseKnown = true
	}
	return m.fusedLoss, m.isFused
}

// gather lists the trainable weights (frozen layers' are not) and those
// of them with a regularizer or a constraint. Fit and Evaluate call it
// first, so a layer frozen or unfrozen between calls is seen.
func (m *Model) gather() {
	m.values, m.grads, m.names, m.regs, m.cons = m.values[:0], m.grads[:0], m.names[:0], m.regs[:0], m.cons[:0]
	for _, l := range m.Net.Layers {
		if !nn.IsTrainable(l) {
			continue
		}
		for _, p := range l.Params() {
			// A replica's weights (nn.Stack.Replica, for concurrent
			// evaluation) have no gradient but are the model's trainable
			// ones: their penalties count in its loss all the same.
			if p.Regularizer != nil {
				m.regs = append(m.regs, p)
			}
			if !p.Trainable() {
				continue
			}
			m.values = append(m.values, p.Value)
			m.grads = append(m.grads, p.Grad)
			m.names = append(m.names, l.LayerName()+"/"+p.Name)
			if p.Constraint != nil {
				m.cons = append(m.cons, p)
			}
		}
	}
}

func (m *Model) trainable() ([]*tensor.Tensor, []*tensor.Tensor) {
	if m.values == nil {
		m.gather()
	}
	return m.values, m.grads
}

// penalty is what Keras adds to the compiled loss (model.losses): the
// regularizer penalties of the trainable weights (keras/src/layers/layer.py,
// _get_regularization_losses reads trainable_weights only) and the activity
// penalties of the last forward pass.
func (m *Model) penalty() float64 {
	p := m.Net.ActivityPenalty()
	for _, w := range m.regs {
		p += w.Regularizer.Penalty(w.Value.Data, w.Value.Shape)
	}
	return p
}

// nameVariables tells the optimizer the trainable variables' paths
// ("layer/variable", in trainable's order), for its learning-rate
// multipliers; the error names a multiplier that matches none.
func (m *Model) nameVariables() error {
	o, ok := m.Optimizer.(optim.Named)
	if !ok {
		return nil
	}
	if err := o.SetVariableNames(m.names); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// checkData returns an error that says what to do when x and y cannot be
// fed to the network and its loss.
func (m *Model) checkData(what string, x Inputs, y *tensor.Tensor) error {
	if Missing(x) {
		return fmt.Errorf("train: %s inputs are missing", what)
	}
	if err := checkOne(m.Net, what); err != nil {
		return err
	}
	if len(m.Outputs) != 0 {
		return fmt.Errorf("train: the model is compiled with one loss per output (Outputs); give %s data as Arrays (FitMulti, EvaluateMulti)", what)
	}
	want := append(tensor.Shape{-1}, m.Net.InputShape()...)
	if err := tensor.CheckShape("train: "+what+" inputs", shapeOf(x), want); err != nil {
		hint := ""
		if len(x.RowShape()) == len(want)-2 {
			hint = " (add a channel axis: reshape to (N, H, W, 1) for grayscale images)"
		}
		return fmt.Errorf("%w; the model's input shape is %v%s", err, m.Net.InputShape(), hint)
	}
	if x.Len() == 0 {
		return fmt.Errorf("train: %s data is empty", what)
	}
	if err := checkValues(m.Net, what, []Inputs{x}); err != nil {
		return err
	}
	if y == nil {
		return nil
	}
	if y.Len() != x.Len() {
		return fmt.Errorf("train: %s has %d inputs but %d targets; they must match", what, x.Len(), y.Len())
	}
	out := append(tensor.Shape{x.Len()}, m.Net.OutputShape()...)
	if err := m.Loss.Check(out, y.Shape); err != nil {
		return fmt.Errorf("train: %s targets: %w", what, err)
	}
	if _, sparse := m.Loss.(loss.SparseCategoricalCrossentropy); sparse {
		if err := loss.CheckTargets(y, out[len(out)-1]); err != nil {
			return fmt.Errorf("train: %s targets: %w", what, err)
		}
	}
	if tc, ok := m.Loss.(loss.TargetChecker); ok {
		if err := tc.CheckTargetValues(out, y); err != nil {
			return fmt.Errorf("train: %s targets: %w", what, err)
		}
	}
	return nil
}

// step runs one training step on a batch with per-sample weights w (nil
// for none) and returns its loss.
func (m *Model) step(x, y *tensor.Tensor, w []float32) float64 {
	f, ok := m.fused()
	return m.stepOn(x, y, y, w, m.Loss, f, ok)
}

// stepOn is step with the loss l (fused into the softmax as f when ok)
// scoring targets y, and the metrics seeing targets ym: a blended batch's
// one-hot rows and dominant labels (see mixing).
func (m *Model) stepOn(x, y, ym *tensor.Tensor, w []float32, l loss.Loss, f loss.SoftmaxFused, ok bool) float64 {
	out := m.Net.Forward(x, true)
	m.updateMetrics(out, ym, w)
	m.grad = tensor.Ensure(m.grad, out.Shape...)
	var v float64
	if ok {
		v = f.ComputeFromSoftmaxWeighted(out, y, w, m.grad)
		m.Net.BackwardLinear(m.grad)
	} else {
		v = lossWith(l, out, y, w, m.grad)
		m.Net.Backward(m.grad)
	}
	return m.update(v)
}

// update adds the penalties to the batch's loss l and, when the sum is
// finite, updates the weights from their gradients.
func (m *Model) update(l float64) float64 {
	l += m.penalty()
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l // the caller stops before the weights are touched
	}
	for _, w := range m.regs {
		if w.Grad != nil {
			w.Regularizer.AddGrad(w.Grad.Data, w.Value.Data, w.Value.Shape)
		}
	}
	m.Optimizer.Apply(m.values, m.grads)
	// Keras's optimizer projects constrained variables after each update
	// (keras/src/optimizers/base_optimizer.py, _apply_weight_constraints).
	for _, w := range m.cons {
		w.Constraint.Apply(w.Value.Data, w.Value.Shape)
	}
	return l
}

// checkValues lets the layers that read a model input directly check its
// values (nn.ValueChecker), a chunk of rows at a time, before a loop
// starts: an out-of-range category is then an error naming the row rather
// than a silent zero in a forward pass. xs are the model's inputs in order.
func checkValues(net *nn.Stack, what string, xs []Inputs) error {
	names := InputNames(net)
	for i, x := range xs {
		checkers := net.ValueCheckers(i)
		if len(checkers) == 0 || Missing(x) {
			continue
		}
		const chunk = 4096
		var buf *tensor.Tensor
		idx := make([]int, 0, chunk)
		for lo := 0; lo < x.Len(); lo += chunk {
			idx = idx[:0]
			for r := lo; r < min(lo+chunk, x.Len()); r++ {
				idx = append(idx, r)
			}
			buf = x.GatherRows(buf, idx)
			if r, l, err := nn.CheckValues(checkers, buf); err != nil {
				return fmt.Errorf("train: %s inputs of %q, row %d: layer %q: %w", what, names[i], lo+r, l.LayerName(), err)
			}
		}
	}
	return nil
}
