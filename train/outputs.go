// This file owns models with several inputs or outputs: the Arrays that
// Fit, Evaluate and Predict take for them (a list, or a map keyed by layer
// name), each output's loss, loss weight and metrics, and the names they
// log under. It follows Keras 3's keras/src/trainers/compile_utils.py
// (CompileLoss, CompileMetrics).

package train

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// Arrays are the inputs or the targets of a model with several inputs or
// outputs, as Keras's fit takes a list or a dict of arrays: a List in the
// order of the model's inputs (outputs), or a Named map keyed by the Input
// layers' (output layers') names. Targets must be float32 tensors.
type Arrays interface {
	// resolve orders the arrays as names (the model's inputs or outputs).
	resolve(what string, names []string) ([]Inputs, error)
}

// List is Arrays in the model's order: x[i] feeds input i (or is the
// target of output i; nil for an output without a loss).
type List []Inputs

// Named is Arrays keyed by layer name: an Input's name, or the name of
// the layer that makes an output (Keras's dict form).
type Named map[string]Inputs

func (l List) resolve(what string, names []string) ([]Inputs, error) {
	if len(l) != len(names) {
		return nil, fmt.Errorf("train: %d %s for a model with %d (%s); give one per %s, in order, or a Named map", len(l), what, len(names), strings.Join(names, ", "), strings.TrimSuffix(what, "s"))
	}
	return []Inputs(l), nil
}

func (n Named) resolve(what string, names []string) ([]Inputs, error) {
	out := make([]Inputs, len(names))
	for i, name := range names {
		out[i] = n[name]
	}
	for _, k := range sortedKeys(n) {
		if !slices.Contains(names, k) {
			return nil, fmt.Errorf("train: %s has key %q, which names none of the model's (%s)", what, k, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// Output is what compile() gives one output of a model with several
// (Model.Outputs): Keras's loss, loss_weights, metrics and
// weighted_metrics at that output's place or key.
type Output struct {
	// Name is the name of the layer that makes the output; the logs' keys
	// start with it ("dense_1_loss", "dense_1_accuracy").
	Name string
	// Loss is the output's loss; nil leaves the output out of the loss
	// (it gets no target and no gradient), as None does in Keras.
	Loss loss.Loss
	// Weight multiplies the output's loss in the total that training
	// minimises (Keras's loss_weights); the logged "<name>_loss" is the
	// unweighted value.
	Weight          float64
	Metrics         []metric.Metric
	WeightedMetrics []metric.Metric

	fused loss.SoftmaxFused // the loss fused with a final softmax, or nil
}

// multi reports whether batches of nx input arrays take the general path
// (several inputs or outputs) rather than step's single one.
func (m *Model) multi(nx int) bool { return nx != 1 || len(m.Outputs) != 0 }

// outputs are the model's outputs as the general path sees them: Outputs,
// or for a single output its Loss and metrics, unnamed.
func (m *Model) outputs() []Output {
	if len(m.Outputs) != 0 {
		return m.Outputs
	}
	if len(m.one) == 0 {
		m.one = make([]Output, 1)
	}
	f := m.one[0].fused
	m.one[0] = Output{Loss: m.Loss, Weight: 1, Metrics: m.Metrics, WeightedMetrics: m.WeightedMetrics, fused: f}
	return m.one
}

// InputNames are the names of a network's inputs, in order: each Input
// layer's, or Keras's automatic "input_layer", "input_layer_1", ... for one
// without a name.
func InputNames(net *nn.Stack) []string {
	gin := net.GraphInputs()
	if len(gin) == 0 {
		return []string{"input_layer"}
	}
	names := make([]string, len(gin))
	auto := 0
	for i, n := range gin {
		if names[i] = n.Input().Name; names[i] != "" {
			continue
		}
		for {
			name := "input_layer"
			if auto > 0 {
				name = fmt.Sprintf("input_layer_%d", auto)
			}
			auto++
			if !slices.ContainsFunc(gin, func(o *nn.Node) bool { return o.Input().Name == name }) {
				names[i] = name
				break
			}
		}
	}
	return names
}

// OutputNames are the names of a built network's outputs, in order: the
// names of the layers that make them.
func OutputNames(net *nn.Stack) []string {
	gout := net.GraphOutputs()
	if len(gout) == 0 {
		if len(net.Layers) == 0 {
			return nil
		}
		return []string{net.Layers[len(net.Layers)-1].LayerName()}
	}
	names := make([]string, len(gout))
	for i, n := range gout {
		if l := n.Layer(); l != nil {
			names[i] = l.LayerName()
		} else {
			names[i] = n.Input().Name // an Input passed straight out
		}
	}
	return names
}

// resolveData turns Arrays into the input and target arrays of m's
// network, in its order; y may be nil (Predict).
func (m *Model) resolveData(what string, x, y Arrays) ([]Inputs, []*tensor.Tensor, error) {
	if x == nil {
		return nil, nil, fmt.Errorf("train: %s inputs are missing", what)
	}
	xs, err := x.resolve(what+" inputs", InputNames(m.Net))
	if err != nil {
		return nil, nil, err
	}
	if y == nil {
		return xs, nil, nil
	}
	outs := m.outputs()
	names := OutputNames(m.Net)
	yin, err := y.resolve(what+" targets", names)
	if err != nil {
		return nil, nil, err
	}
	ys := make([]*tensor.Tensor, len(yin))
	for j, t := range yin {
		if Missing(t) {
			if j < len(outs) && outs[j].Loss != nil {
				return nil, nil, fmt.Errorf("train: %s targets of output %q are missing; its loss needs them (or compile it without a loss)", what, names[j])
			}
			continue
		}
		tt, ok := t.(*tensor.Tensor)
		if !ok {
			return nil, nil, fmt.Errorf("train: %s targets of output %q are a %T; targets must be a float32 *tensor.Tensor", what, names[j], t)
		}
		if j < len(outs) && outs[j].Loss == nil {
			return nil, nil, fmt.Errorf("train: %s targets are given for output %q, which has no loss; compile a loss for it or leave its targets out", what, names[j])
		}
		ys[j] = tt
	}
	return xs, ys, nil
}

// ResolveInputs orders x (a List or Named inputs) as net's inputs and
// checks their shapes and lengths, as FitMulti does; what names the use
// in errors ("adapt").
func ResolveInputs(net *nn.Stack, what string, x Arrays) ([]Inputs, error) {
	m := &Model{Net: net}
	xs, _, err := m.resolveData(what, x, nil)
	if err != nil {
		return nil, err
	}
	if err := m.checkArrays(what, xs, nil); err != nil {
		return nil, err
	}
	return xs, nil
}

// checkArrays is checkData for several arrays: each input's shape against
// the model's, one length for all, each target against its output's loss.
func (m *Model) checkArrays(what string, xs []Inputs, ys []*tensor.Tensor) error {
	inNames, shapes := InputNames(m.Net), m.Net.InputShapes()
	n := -1
	for i, x := range xs {
		if Missing(x) {
			return fmt.Errorf("train: %s inputs of %q are missing", what, inNames[i])
		}
		want := append(tensor.Shape{-1}, shapes[i]...)
		if err := tensor.CheckShape(fmt.Sprintf("train: %s inputs of %q", what, inNames[i]), shapeOf(x), want); err != nil {
			return err
		}
		if n >= 0 && x.Len() != n {
			return fmt.Errorf("train: %s inputs of %q have %d samples but %q has %d; every array needs one row per sample", what, inNames[i], x.Len(), inNames[0], n)
		}
		n = x.Len()
	}
	if n == 0 {
		return fmt.Errorf("train: %s data is empty", what)
	}
	if err := checkValues(m.Net, what, xs); err != nil {
		return err
	}
	outNames, outShapes := OutputNames(m.Net), m.Net.OutputShapes()
	for j, y := range ys {
		if y == nil {
			continue
		}
		if y.Len() != n {
			return fmt.Errorf("train: %s has %d inputs but %d targets for output %q; they must match", what, n, y.Len(), outNames[j])
		}
		l := m.outputs()[j].Loss
		out := append(tensor.Shape{n}, outShapes[j]...)
		if err := l.Check(out, y.Shape); err != nil {
			return fmt.Errorf("train: %s targets of output %q: %w", what, outNames[j], err)
		}
		if _, sparse := l.(loss.SparseCategoricalCrossentropy); sparse {
			if err := loss.CheckTargets(y, out[len(out)-1]); err != nil {
				return fmt.Errorf("train: %s targets of output %q: %w", what, outNames[j], err)
			}
		}
		if tc, ok := l.(loss.TargetChecker); ok {
			if err := tc.CheckTargetValues(out, y); err != nil {
				return fmt.Errorf("train: %s targets of output %q: %w", what, outNames[j], err)
			}
		}
	}
	return nil
}

// CheckOutputs returns an error when Outputs does not fit the network: one
// per output, named as the output layers are, at least one with a loss.
func (m *Model) CheckOutputs() error {
	if len(m.Outputs) == 0 {
		return nil
	}
	names := OutputNames(m.Net)
	if len(m.Outputs) != len(names) {
		return fmt.Errorf("train: %d outputs compiled for a model with %d (%s)", len(m.Outputs), len(names), strings.Join(names, ", "))
	}
	hasLoss := false
	for j, o := range m.Outputs {
		if o.Name != names[j] {
			return fmt.Errorf("train: output %d is compiled as %q but its layer is named %q", j, o.Name, names[j])
		}
		hasLoss = hasLoss || o.Loss != nil
	}
	if !hasLoss {
		return fmt.Errorf("train: no output has a loss; give at least one a loss")
	}
	return nil
}

// prepareOutputs finds which outputs fuse their loss with a final
// softmax; Fit and Evaluate call it first.
func (m *Model) prepareOutputs() {
	outs := m.outputs()
	if len(m.ograds) != len(outs) {
		m.ograds, m.linear, m.oloss, m.osum = make([]*tensor.Tensor, len(outs)), make([]bool, len(outs)), make([]float64, len(outs)), make([]float64, len(outs))
		m.dys = make([]*tensor.Tensor, len(outs))
	}
	for j := range outs {
		o := &outs[j]
		o.fused = nil
		if a, ok := m.Net.LastActivatedAt(j); ok && o.Loss != nil && a.ActivationFunc() == activation.Softmax {
			if f, ok := loss.Fused(o.Loss); ok {
				o.fused = f
			}
		}
		m.linear[j] = o.fused != nil
	}
}

// lossAll computes each output's loss of a batch (into grads when non-nil,
// scaled by the output's weight), updates the metrics and the running
// per-output losses, and returns the weighted total.
func (m *Model) lossAll(outs, ys []*tensor.Tensor, w []float32, grads []*tensor.Tensor) float64 {
	var total float64
	n := outs[0].Shape[0]
	all := m.outputs()
	for j := range all {
		o := &all[j]
		out, y := outs[j], ys[j]
		if o.Loss == nil {
			if grads != nil {
				m.dys[j] = nil
			}
			continue
		}
		for _, mt := range o.Metrics {
			mt.Update(out, y)
		}
		for _, mt := range o.WeightedMetrics {
			if w == nil {
				mt.Update(out, y)
			} else {
				mt.(metric.Weighted).UpdateWeighted(out, y, w)
			}
		}
		var g *tensor.Tensor
		if grads != nil {
			grads[j] = tensor.Ensure(grads[j], out.Shape...)
			g = grads[j]
			m.dys[j] = g
		}
		var l float64
		switch {
		case g != nil && o.fused != nil:
			l = o.fused.ComputeFromSoftmaxWeighted(out, y, w, g)
		case w == nil:
			l = o.Loss.Compute(out, y, g)
		default:
			l = o.Loss.(loss.Weighted).ComputeWeighted(out, y, w, g)
		}
		if g != nil && o.Weight != 1 {
			kernel.Scale(g.Data, float32(o.Weight))
		}
		m.oloss[j] = l
		m.osum[j] += l * float64(n)
		total += o.Weight * l
	}
	m.oseen += n
	return total
}

// stepAll is step for a model with several inputs or outputs.
func (m *Model) stepAll(xs, ys []*tensor.Tensor, w []float32) float64 {
	outs := m.Net.ForwardAll(xs, true)
	l := m.lossAll(outs, ys, w, m.ograds)
	m.Net.BackwardAll(m.dys, m.linear)
	return m.update(l)
}

// checkWeightedAll is checkWeighted for every output with a loss.
func (m *Model) checkWeightedAll() error {
	for _, o := range m.outputs() {
		if o.Loss == nil {
			continue
		}
		if _, ok := o.Loss.(loss.Weighted); !ok {
			return fmt.Errorf("train: loss %s (%T) of output %q does not take sample weights; implement loss.Weighted or train without sample_weight", o.Loss.Name(), o.Loss, o.Name)
		}
	}
	return nil
}

// metricKeys names every metric of outs as Keras's CompileMetrics.result
// does: "<output>_<metric>" with several outputs, a repeated name gets
// "_1", "_2", ..., and a weighted metric whose name is taken becomes
// "<output>_weighted_<metric>".
func metricKeys(outs []Output) []string {
	var keys []string
	used := map[string]int{}
	prefix := func(o Output, name string) string {
		if len(outs) > 1 {
			return o.Name + "_" + name
		}
		return name
	}
	unique := func(name string) string {
		n, ok := used[name]
		used[name] = n + 1
		if !ok {
			return name
		}
		return fmt.Sprintf("%s_%d", name, n)
	}
	for _, o := range outs {
		for _, mt := range o.Metrics {
			keys = append(keys, unique(prefix(o, mt.Name())))
		}
	}
	for _, o := range outs {
		for _, mt := range o.WeightedMetrics {
			name := prefix(o, mt.Name())
			if _, ok := used[name]; ok {
				name = unique(prefix(o, "weighted_"+mt.Name()))
			} else {
				used[name] = 1
			}
			keys = append(keys, name)
		}
	}
	return keys
}

// fillLogsAll is fillLogs for several outputs: the weighted total "loss",
// "<output>_loss" for each output with a loss when more than one has one
// (Keras adds those only then), and the metrics.
func (m *Model) fillLogsAll(logs Logs, prefix string, l float64) {
	logs[prefix+"loss"] = l
	outs := m.outputs()
	losses := 0
	for _, o := range outs {
		if o.Loss != nil {
			losses++
		}
	}
	if losses > 1 && m.oseen > 0 {
		for j, o := range outs {
			if o.Loss != nil {
				logs[prefix+o.Name+"_loss"] = m.osum[j] / float64(m.oseen)
			}
		}
	}
	k := 0
	for _, o := range outs {
		for _, mt := range o.Metrics {
			logs[prefix+m.metricNames[k]] = mt.Result()
			k++
		}
	}
	for _, o := range outs {
		for _, mt := range o.WeightedMetrics {
			logs[prefix+m.metricNames[k]] = mt.Result()
			k++
		}
	}
}

// resetAll resets every output's metrics and running loss.
func (m *Model) resetAll() {
	for _, o := range m.outputs() {
		for _, mt := range o.Metrics {
			mt.Reset()
		}
		for _, mt := range o.WeightedMetrics {
			mt.Reset()
		}
	}
	clear(m.osum)
	m.oseen = 0
}

// PredictMulti is Predict for a model with several inputs or outputs: x
// as FitMulti takes it; one tensor per output is returned, in the
// network's output order.
func PredictMulti(net *nn.Stack, xa Arrays, batchSize int) ([]*tensor.Tensor, error) {
	m := &Model{Net: net}
	x, _, err := m.resolveData("predict", xa, nil)
	if err != nil {
		return nil, err
	}
	if err := m.checkArrays("predict", x, nil); err != nil {
		return nil, err
	}
	if batchSize <= 0 {
		batchSize = 32
	}
	n := x[0].Len()
	var outs []*tensor.Tensor
	for _, sh := range net.OutputShapes() {
		outs = append(outs, tensor.New(append(tensor.Shape{n}, sh...)...))
	}
	b := &batcher{}
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		xb, _, _ := b.span(rows{x: x}, lo, hi)
		for j, y := range net.ForwardAll(xb, false) {
			row := len(y.Data) / (hi - lo)
			copy(outs[j].Data[lo*row:hi*row], y.Data)
		}
	}
	return outs, nil
}

// checkOne returns an error when net has several inputs or outputs, for
// the calls that take one array each.
func checkOne(net *nn.Stack, what string) error {
	if in, out := len(net.InputShapes()), len(net.OutputShapes()); in != 1 || out != 1 {
		return fmt.Errorf("train: the model has %d inputs (%s) and %d outputs (%s); give %s data as Arrays, a List or a Named map (FitMulti, EvaluateMulti, PredictMulti)",
			in, strings.Join(InputNames(net), ", "), out, strings.Join(OutputNames(net), ", "), what)
	}
	return nil
}

// sortedKeys are n's keys in order, for repeatable messages.
func sortedKeys(n Named) []string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
