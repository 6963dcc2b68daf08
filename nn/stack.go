package nn

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Stack is the network of a model: a graph of layer calls run in
// topological order (see graph.go). A Sequential model's Stack is a chain
// that Build makes from Layers; NewGraph makes a Functional one. It names
// layers as Keras does, infers every shape at Build, and runs the forward
// and backward passes.
type Stack struct {
	// Layers are the distinct layers, in the order of their first call.
	Layers []Layer

	input tensor.Shape // per-sample input shape
	built bool

	// A graph from NewGraph: its inputs, outputs and nodes (topological,
	// inputs excluded). A chain has graph false; Build makes its nodes.
	graph     bool
	gin, gout []*Node
	addErr    error

	nodes    []*Node
	ins      []*Node // the model's inputs and outputs (one each for a chain)
	outs     []*Node
	inNode   *Node // ins[0] and outs[0]
	outNode  *Node
	xs, ys   []*tensor.Tensor // Forward's inputs and ForwardAll's outputs
	dys      []*tensor.Tensor // Backward's one gradient
	first    []*Node          // first[i] is the first call of Layers[i]
	replicas []callReplica
	actLoss  float64
	grads    gradPool // the input-gradient buffers Backward lends its layers
	// privateGrads: lend no shared buffers (tests compare against it).
	privateGrads bool
	// inputGrad: Backward computes the input's gradient too (a model
	// nested in another, see Nested).
	inputGrad bool

	// Infer's output (and its shape) and its view of one chunk of the input.
	inferOut   *tensor.Tensor
	inferShape tensor.Shape
	chunk      tensor.Tensor
}

// callReplica is a second (third, ...) call of a shared layer: a layer
// made from the original's config whose weights are the original's
// tensors, with gradients of its own that Backward adds to the original's.
type callReplica struct {
	orig, rep Layer
	op, rp    []*Param
}

// Add appends layers. An InputLayer only declares the input shape and is
// not kept, as in a Keras Sequential model. A Functional model (NewGraph)
// takes no layers this way: Build then fails.
func (s *Stack) Add(layers ...Layer) {
	if s.graph {
		s.addErr = fmt.Errorf("nn: layers cannot be added to a Functional model; call them on its tensors (nn.Call) and make a new model")
		s.built = false
		return
	}
	for _, l := range layers {
		if in, ok := l.(*InputLayer); ok && len(s.Layers) == 0 {
			s.input = in.Shape.Clone()
			continue
		}
		s.Layers = append(s.Layers, l)
	}
	s.built = false
}

// DeclaredInputShape is the input shape given by an InputLayer or on the
// first layer (InputShape), or nil.
func (s *Stack) DeclaredInputShape() tensor.Shape {
	if s.graph {
		return s.gin[0].shape
	}
	if len(s.input) > 0 {
		return s.input
	}
	if len(s.Layers) > 0 {
		if d, ok := s.Layers[0].(InputShaper); ok {
			return d.DeclaredInputShape()
		}
	}
	return nil
}

var (
	nonWord    = regexp.MustCompile(`\W+`)
	capWord    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	lowerUpper = regexp.MustCompile(`([a-z])([A-Z])`)
)

// SnakeCase is keras/src/utils/naming.py's to_snake_case: MaxPooling2D ->
// max_pooling2d, Conv2D -> conv2d. Keras names unnamed layers with it,
// and the groups of model.weights.h5 after their layers' classes.
func SnakeCase(s string) string {
	s = nonWord.ReplaceAllString(s, "")
	s = capWord.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(lowerUpper.ReplaceAllString(s, "${1}_${2}"))
}

// AssignNames names unnamed layers as Keras does: the snake-cased class,
// then _1, _2, ... for later layers of the same class (conv2d, conv2d_1,
// dropout, dropout_1), skipping names already taken. It is an error for
// two layers to share a name. Build calls it; call it directly to learn
// the names before the input shape is known.
func (s *Stack) AssignNames() error {
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, l := range s.Layers {
		name := l.LayerName()
		if name == "" {
			base := SnakeCase(l.Class())
			for {
				name = base
				if n := counts[base]; n > 0 {
					name = fmt.Sprintf("%s_%d", base, n)
				}
				counts[base]++
				if !seen[name] {
					break
				}
			}
			l.SetLayerName(name)
		}
		if seen[name] {
			return fmt.Errorf("nn: two layers are named %q; layer names must be unique", name)
		}
		seen[name] = true
	}
	return nil
}

// Build names unnamed layers (conv2d, conv2d_1, ...), checks that each
// layer accepts its inputs, and creates the weights from seed. in is the
// per-sample input shape; nil uses the declared one.
func (s *Stack) Build(in tensor.Shape, seed uint64) error {
	if s.graph && len(s.gin) > 1 {
		if in != nil {
			return fmt.Errorf("nn: the model has %d inputs; build it with BuildInputs", len(s.gin))
		}
		return s.BuildInputs(nil, seed)
	}
	if in == nil {
		return s.BuildInputs(nil, seed)
	}
	return s.BuildInputs([]tensor.Shape{in}, seed)
}

// BuildInputs is Build for a model with several inputs: one shape per
// input (nil for the declared ones).
func (s *Stack) BuildInputs(in []tensor.Shape, seed uint64) error {
	if s.addErr != nil {
		return s.addErr
	}
	if len(s.Layers) == 0 {
		return fmt.Errorf("nn: the model has no layers; add some before building it")
	}
	if in == nil {
		in = s.InputShapes()
	}
	if want := max(1, len(s.gin)); len(in) != want {
		return fmt.Errorf("nn: %d input shapes for a model with %d inputs", len(in), want)
	}
	for i, sh := range in {
		if len(sh) == 0 {
			return fmt.Errorf("nn: the input shape is unknown; give it on the first layer (InputShape) or add an Input first")
		}
		if err := sh.Validate(); err != nil {
			return fmt.Errorf("nn: input shape: %w", err)
		}
		if s.graph && !sh.Equal(s.gin[i].shape) {
			return fmt.Errorf("nn: the model's Input has shape %v; it cannot be built for inputs of shape %v", withBatch(s.gin[i].shape), withBatch(sh))
		}
	}
	s.built = false
	s.input = in[0].Clone()
	if err := s.AssignNames(); err != nil {
		return err
	}
	if s.graph {
		s.ins, s.outs = s.gin, s.gout
	} else {
		s.chain()
		s.ins, s.outs = []*Node{s.inNode}, []*Node{s.outNode}
	}
	s.inNode, s.outNode = s.ins[0], s.outs[0]
	for i, n := range s.ins {
		n.shape = in[i].Clone()
	}
	s.xs = make([]*tensor.Tensor, len(s.ins))
	s.ys = make([]*tensor.Tensor, len(s.outs))
	s.dys = make([]*tensor.Tensor, len(s.outs))
	master := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.replicas = s.replicas[:0]
	s.first = s.first[:0]
	index := make(map[Layer]int, len(s.Layers))
	for i, l := range s.Layers {
		index[l] = i
		s.first = append(s.first, nil)
	}
	for _, n := range s.nodes {
		li := index[n.layer]
		lerr := func(err error) error {
			return &LayerError{Layer: n.layer.LayerName(), Class: n.layer.Class(), Err: err}
		}
		if s.first[li] == nil {
			s.first[li] = n
			n.run = n.layer
			rng := rand.New(rand.NewPCG(master.Uint64(), master.Uint64()))
			// A layer that already has its weights for this input (built
			// by another model that shares it, or before layers were
			// added) keeps them, as a built Keras layer does.
			if !hasWeightsFor(n.run, n.inputs) {
				if err := buildCall(n.run, n.inputs, rng); err != nil {
					return lerr(err)
				}
			}
		} else {
			r, err := s.replicate(n.layer, n.inputs)
			if err != nil {
				return lerr(err)
			}
			n.run = r
		}
		n.merge, _ = n.run.(Merger)
		out, err := outputShape(n.run, n.inputs)
		if err != nil {
			return lerr(err)
		}
		n.shape = out
		n.xs = n.xs[:0]
		for range n.inputs {
			n.xs = append(n.xs, nil)
		}
	}
	s.wire()
	s.built = true
	return nil
}

// hasWeightsFor reports whether l has every weight its Build would create
// for inputs (a layer with weights that reports their shapes).
func hasWeightsFor(l Layer, inputs []*Node) bool {
	ps, ok := l.(ParamShaper)
	if !ok || len(inputs) != 1 {
		return false
	}
	params := l.Params()
	if len(params) == 0 {
		return false
	}
	plan, err := ps.ParamShapes(inputs[0].shape)
	if err != nil || len(plan) != len(params) {
		return false
	}
	for i, p := range plan {
		if params[i].Value == nil || !params[i].Value.Shape.Equal(p.Shape) {
			return false
		}
	}
	return true
}

// chain makes the nodes of a Sequential model from Layers: an input node,
// then each layer called on the one before.
func (s *Stack) chain() {
	if s.inNode == nil || s.inNode.input == nil {
		s.inNode = &Node{input: &InputLayer{}}
	}
	prev := s.inNode
	s.nodes = s.nodes[:0]
	for _, l := range s.Layers {
		n := &Node{layer: l, inputs: []*Node{prev}}
		s.nodes = append(s.nodes, n)
		prev = n
	}
	s.outNode = prev
}

// buildCall builds layer l for the shapes of its inputs.
func buildCall(l Layer, inputs []*Node, rng *rand.Rand) error {
	if err := widening(l); err != nil {
		return err
	}
	if m, ok := l.(Merger); ok {
		return m.BuildMerge(nodeShapes(inputs))
	}
	if len(inputs) != 1 {
		return fmt.Errorf("it takes one input, not %d", len(inputs))
	}
	return l.Build(inputs[0].shape, rng)
}

func outputShape(l Layer, inputs []*Node) (tensor.Shape, error) {
	if err := widening(l); err != nil {
		return nil, err
	}
	if m, ok := l.(Merger); ok {
		return m.MergeOutputShape(nodeShapes(inputs))
	}
	return l.OutputShape(inputs[0].shape)
}

// widening refuses an activation that changes the shape (crelu) as a
// layer's own activation argument: the layer's output shape would be wrong
// (Keras's Dense reports units, then returns 2·units). Only the Activation
// layer takes it.
func widening(l Layer) error {
	if _, ok := l.(*Activation); ok {
		return nil
	}
	if a, ok := l.(Activated); ok && a.ActivationFunc().Widens() != 1 {
		f := a.ActivationFunc()
		return fmt.Errorf("activation %q changes the shape (it doubles the last axis), so it cannot be a layer's own activation; put it in an Activation layer after this one (Activation{Activation: activation.%s}, or {\"class_name\": \"Activation\", \"config\": {\"activation\": %q}})", f, "CReLU", f)
	}
	return nil
}

func nodeShapes(ns []*Node) []tensor.Shape {
	out := make([]tensor.Shape, len(ns))
	for i, n := range ns {
		out[i] = n.shape
	}
	return out
}

// replicate makes the layer that runs a repeated call of l: rebuilt from
// its config, built for this call's inputs, running on l's weights.
func (s *Stack) replicate(l Layer, inputs []*Node) (Layer, error) {
	r, err := rebuild(l)
	if err != nil {
		return nil, fmt.Errorf("it is called more than once, and a repeated call needs a copy made from its config: %w", err)
	}
	if err := buildCall(r, inputs, rand.New(rand.NewPCG(1, 2))); err != nil {
		return nil, err
	}
	op, rp := l.Params(), r.Params()
	if len(op) != len(rp) {
		return nil, fmt.Errorf("called again on inputs of shapes %v, it would have %d weights instead of %d; a shared layer needs inputs of one shape", nodeShapes(inputs), len(rp), len(op))
	}
	for i, p := range rp {
		if !p.Value.Shape.Equal(op[i].Value.Shape) {
			return nil, fmt.Errorf("called again on inputs of shapes %v, its %s would have shape %v instead of %v; a shared layer needs inputs of one shape", nodeShapes(inputs), p.Name, p.Value.Shape, op[i].Value.Shape)
		}
		p.Value = op[i].Value
		p.Regularizer, p.Constraint = nil, nil // counted and applied once, on the original
	}
	s.replicas = append(s.replicas, callReplica{orig: l, rep: r, op: op, rp: rp})
	return r, nil
}

// wire works out, once the nodes are built, what Forward and Backward need:
// gradient fan-in, which nodes need gradients, activity regularizers and
// the ReLU-into-max-pool fusion.
func (s *Stack) wire() {
	for _, in := range s.ins {
		in.edges, in.want, in.act, in.linear = 0, s.inputGrad, nil, false
	}
	for _, n := range s.nodes {
		n.edges, n.linear, n.act = 0, false, nil
		if a, ok := n.run.(ActivityRegularized); ok {
			n.act = a.OutputRegularizer()
		}
	}
	for _, n := range s.nodes {
		for _, in := range n.inputs {
			in.edges++
		}
	}
	for _, out := range s.outs {
		out.edges++
	}
	for _, n := range s.nodes {
		inWant := false
		for _, in := range n.inputs {
			inWant = inWant || in.want
		}
		n.want = inWant || len(n.run.Params()) > 0
		// A layer whose inputs need no gradient need not compute it.
		if sk, ok := n.run.(InputGradSkipper); ok {
			sk.SkipInputGrad(!inWant)
		}
	}
	s.fuse()
	s.planFolds()
}

// planFolds finds the Conv2D calls whose output only a BatchNormalization
// reads (a ResNet's conv → BN): Infer folds the normalisation into the
// convolution's weights, and a ReLU Activation that alone reads the batch
// norm's output into the convolution's bias pass, one pass over the
// activations instead of three. Only a linear convolution (no activation
// between), without activity regularizers, and not a model output.
func (s *Stack) planFolds() {
	for _, n := range s.nodes {
		n.foldBN, n.foldReLU, n.folded = nil, false, false
	}
	only := func(n *Node) bool { return n.edges == 1 && n.act == nil && n.merge == nil }
	for _, n := range s.nodes {
		bn, ok := n.run.(*BatchNormalization)
		if !ok || n.act != nil || n.merge != nil || len(n.inputs) != 1 {
			continue
		}
		in := n.inputs[0]
		c, ok := in.run.(*Conv2D)
		if !ok || !only(in) || c.Activation != activation.Linear || bn.cols != c.Filters {
			continue
		}
		in.foldBN, n.folded = bn, true
		if !only(n) {
			continue
		}
		for _, m := range s.nodes {
			if a, ok := m.run.(*Activation); ok && m.merge == nil && len(m.inputs) == 1 && m.inputs[0] == n && a.Activation == activation.ReLU {
				in.foldReLU, m.folded = true, true
			}
		}
	}
}

// ActivityRegularized is implemented by layers that take an
// activity_regularizer: its penalty of the layer's output joins the loss.
type ActivityRegularized interface {
	OutputRegularizer() regularizer.Regularizer
}

// hasActivity reports whether any layer has an activity regularizer.
func (s *Stack) hasActivity() bool {
	for _, n := range s.nodes {
		if n.act != nil {
			return true
		}
	}
	return false
}

// fuseReLUs turns fuseReLU's fusions on (tests turn them off to compare).
var fuseReLUs = true

// fuse lets a MaxPooling2D apply the gradient of the ReLU just before it
// on its pooled gradient: the same bits as ReLU's backward pass (the
// winner of each window is the ReLU output its pooled value came from),
// without a pass over the larger, unpooled tensor. Only where the pool is
// the ReLU output's one consumer.
func (s *Stack) fuse() {
	for _, n := range s.nodes {
		p, ok := n.run.(*MaxPooling2D)
		if !ok {
			continue
		}
		p.reluGrad = false
		in := n.inputs[0]
		if in.run == nil || in.edges != 1 || in.act != nil || in.merge != nil {
			continue
		}
		if a, ok := in.run.(Activated); ok && a.ActivationFunc() == activation.ReLU {
			p.reluGrad = true
			in.linear = true
		}
	}
	s.fuseReLU()
}

// fuseReLU lets a BatchNormalization call, or an Add of two inputs of its
// output's shape (a residual sum), whose output only a ReLU Activation
// reads apply that ReLU in its own pass, block by block while in cache;
// the Activation passes its input on (Node.reluFused, passReLU). The same
// bits as two passes: the batch norm's and the Add's backward passes never
// read their outputs, and ReLU's reads its output, which is what it passes
// on. ResNets have one such pair per convolution and per residual sum.
// Partial runs (ForwardTo) do not fuse: a feature map of the batch norm or
// the Add is its own output. It also marks the residual Adds whose
// backward pass can hand on its gradient uncopied (Node.gradThrough).
func (s *Stack) fuseReLU() {
	for _, n := range s.nodes {
		n.reluFused, n.passReLU, n.gradThrough = false, false, false
	}
	if !fuseReLUs {
		return
	}
	for _, n := range s.nodes {
		// A residual Add's gradient goes to its inputs as it is, when at
		// most one of them keeps it (contribute keeps the tensor of a node
		// with one consumer; two could not both own it, as a node's
		// activity regularizer adds to its gradient in place).
		if add, ok := n.run.(*Add); ok && n.merge != nil && add.e.same {
			keep := 0
			for _, in := range n.inputs {
				if in.want && in.edges == 1 {
					keep++
				}
			}
			n.gradThrough = keep <= 1
		}
	}
	for _, m := range s.nodes {
		a, ok := m.run.(*Activation)
		if !ok || m.merge != nil || len(m.inputs) != 1 || m.act != nil || a.Activation != activation.ReLU {
			continue
		}
		in := m.inputs[0]
		if in.run == nil || in.edges != 1 || in.act != nil {
			continue
		}
		switch l := in.run.(type) {
		case *BatchNormalization:
			in.reluFused = in.merge == nil && len(in.inputs) == 1
		case *Add:
			in.reluFused = in.merge != nil && l.e.same && len(in.inputs) == 2
		}
		m.passReLU = in.reluFused
	}
}

// Unbuild marks the network as not built (Build must run again).
func (s *Stack) Unbuild() { s.built = false }

// InputShapes are the per-sample shapes of the model's inputs: declared
// (a Functional model's Inputs, a Sequential model's InputShape), or as
// built.
func (s *Stack) InputShapes() []tensor.Shape {
	if s.graph {
		out := make([]tensor.Shape, len(s.gin))
		for i, n := range s.gin {
			out[i] = n.shape
		}
		return out
	}
	if s.built {
		return []tensor.Shape{s.input}
	}
	if d := s.DeclaredInputShape(); d != nil {
		return []tensor.Shape{d}
	}
	return []tensor.Shape{nil}
}

// OutputShapes are the per-sample shapes of the model's outputs.
func (s *Stack) OutputShapes() []tensor.Shape {
	if s.graph {
		out := make([]tensor.Shape, len(s.gout))
		for i, n := range s.gout {
			out[i] = n.shape
		}
		return out
	}
	return []tensor.Shape{s.OutputShape()}
}

// Built reports whether Build has succeeded since the last Add.
func (s *Stack) Built() bool { return s.built }

// InputShape is the per-sample input shape (after Build).
func (s *Stack) InputShape() tensor.Shape { return s.input }

// OutputShape is the per-sample output shape of the model (after Build,
// or from the calls for a Functional model).
func (s *Stack) OutputShape() tensor.Shape {
	switch {
	case s.built:
		return s.outNode.shape
	case s.graph:
		return s.gout[0].shape
	}
	return nil
}

// LayerOutputShape is the per-sample output shape of layer i (of its
// first call).
func (s *Stack) LayerOutputShape(i int) tensor.Shape { return s.first[i].shape }

// Forward runs the layers on a batch. The result is owned by the last
// layer. The activity regularizers' penalties of the batch are kept for
// ActivityPenalty, as Keras records them on every call.
func (s *Stack) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	s.xs[0] = x
	s.run(s.xs, training, nil)
	return s.outNode.out
}

// ForwardAll is Forward for a model with several inputs and outputs: one
// tensor per input, in the order of the model's inputs; it returns one per
// output (a slice the Stack owns and reuses).
func (s *Stack) ForwardAll(xs []*tensor.Tensor, training bool) []*tensor.Tensor {
	s.run(xs, training, nil)
	for i, n := range s.outs {
		s.ys[i] = n.out
	}
	return s.ys
}

// run runs the nodes in order on xs, stopping after stop (nil: all).
func (s *Stack) run(xs []*tensor.Tensor, training bool, stop *Node) {
	s.runFolded(xs, training, false, stop)
}

// inferForward is Forward in inference mode with the conv → BN pairs
// folded (planFolds): what Infer runs. Its outputs equal Forward(x,
// false)'s up to rounding, not bit for bit; Forward itself never folds,
// so that a Backward after it sees every layer's own forward pass.
func (s *Stack) inferForward(x *tensor.Tensor) *tensor.Tensor {
	s.xs[0] = x
	s.runFolded(s.xs, false, true, nil)
	return s.outNode.out
}

func (s *Stack) runFolded(xs []*tensor.Tensor, training, fold bool, stop *Node) {
	for _, r := range s.replicas {
		if t, ok := r.rep.(Freezable); ok {
			t.SetTrainable(IsTrainable(r.orig))
		}
	}
	s.actLoss = 0
	for i, in := range s.ins {
		in.out = xs[i]
	}
	for _, n := range s.nodes {
		var y *tensor.Tensor
		switch {
		case fold && n.folded:
			y = n.inputs[0].out // the convolution before it did its work
		case fold && n.foldBN != nil:
			y = n.run.(*Conv2D).forwardFolded(n.inputs[0].out, n.foldBN, n.foldReLU)
		case n.passReLU && stop == nil:
			y = n.run.(*Activation).passOn(n.inputs[0].out)
		case n.reluFused && stop == nil && n.merge != nil:
			for i, in := range n.inputs {
				n.xs[i] = in.out
			}
			y = n.run.(*Add).e.forwardReLU(opAdd, n.xs, true)
		case n.reluFused && stop == nil:
			y = n.run.(*BatchNormalization).forward(n.inputs[0].out, training, true)
		case n.merge != nil:
			for i, in := range n.inputs {
				n.xs[i] = in.out
			}
			y = n.merge.ForwardMerge(n.xs, training)
		default:
			y = n.run.Forward(n.inputs[0].out, training)
		}
		n.out = y
		if n.act != nil {
			s.actLoss += n.act.Penalty(y.Data, y.Shape)
		}
		if n == stop {
			return
		}
	}
}

// ActivityPenalty is the sum of the activity regularizers' penalties of
// the last Forward: part of what Keras adds to the loss besides the
// compiled loss (model.losses). Keras 3 does not divide them by the batch
// size (keras/src/layers/layer.py, Layer.__call__).
func (s *Stack) ActivityPenalty() float64 { return s.actLoss }

// inferBudget is about how many bytes of one layer's output Infer lets a
// chunk produce: a few MB stay in the last-level cache, so the next layer
// reads them from there. On the 2-core Zen 5 VM, in interleaved gk bench
// runs, evaluate() of cifar10-cnn at batch 256 ran at about 5,300
// samples/s whole, 6,000-6,300 in chunks of 64 (16 MB of first-layer
// output) and 6,700 in chunks of 128 (32 MB); fashion-cnn, whose widest
// output is 80 KB a sample, lost 12% when cut into chunks of 128, so it
// runs whole under this budget (BENCHMARKS.md).
var inferBudget = 32 << 20

// inferGraphBudget is about how many bytes of outputs, all calls together,
// Infer lets a chunk of a Functional model produce. Every call keeps its
// output buffer, so a deep graph holds them all at once: resnet20's 2.7 MB
// a sample make chunks of 47 under it. It is a bound on memory, not a
// cache size: small chunks leave the narrow late layers too few tiles to
// split between cores. resnet20's Predict at batch 128 (program in
// BENCHMARKS.md, Emerald Rapids Xeon, interleaved) ran 851-906 samples/s
// with 32 MB (chunks of 16), 1,102-1,221 with 128 MB, 1,155-1,360 with 512.
var inferGraphBudget = 128 << 20

// inferChunk is how many examples Infer runs at a time: for a Functional
// model the budget is inferGraphBudget for the sum of its outputs, for a
// Sequential one (tuned as above) inferBudget for the widest.
func (s *Stack) inferChunk() int {
	widest, sum := 1, 0
	for _, n := range s.nodes {
		widest = max(widest, n.shape.Size())
		sum += n.shape.Size()
	}
	if s.graph {
		return max(16, inferGraphBudget/(4*max(sum, 1)))
	}
	return max(16, inferBudget/(4*widest))
}

// Infer is Forward in inference mode for a batch of any size. It runs the
// layers on chunks of the batch (see inferChunk) and gathers the results
// in a tensor the Stack owns (valid until the next call), with batch
// norms folded into the convolutions before them (planFolds). Each row is
// the same however the batch is cut, since no layer mixes examples in
// inference; against Forward(x, false) it differs by rounding where a
// batch norm was folded.
func (s *Stack) Infer(x *tensor.Tensor) *tensor.Tensor {
	n := x.Len()
	size := s.inferChunk()
	chunks := (n + size - 1) / size
	// An activity penalty is of the whole batch (Orthogonal's is not a sum
	// over examples), so a model with one runs it whole.
	if chunks <= 1 || s.hasActivity() {
		return s.inferForward(x)
	}
	out := s.OutputShape()
	s.inferShape = append(append(s.inferShape[:0], n), out...)
	s.inferOut = tensor.Ensure(s.inferOut, s.inferShape...)
	row := out.Size()
	for c := 0; c < chunks; c++ {
		// Even chunks: 256 in chunks of at most 64 is 4×64, 200 is 4×50.
		lo, hi := c*n/chunks, (c+1)*n/chunks
		y := s.inferForward(x.SliceInto(&s.chunk, lo, hi))
		copy(s.inferOut.Data[lo*row:hi*row], y.Data)
	}
	return s.inferOut
}

// ForwardTo runs the model in inference mode up to the first call of
// layer i and returns that call's output (for feature maps).
func (s *Stack) ForwardTo(x *tensor.Tensor, i int) *tensor.Tensor {
	s.xs[0] = x
	s.run(s.xs, false, s.first[i])
	return s.first[i].out
}

// Backward propagates dLoss/dOutput through every node that needs it,
// filling the weight gradients.
func (s *Stack) Backward(dy *tensor.Tensor) {
	s.dys[0] = dy
	s.backward(s.dys, nil)
}

// BackwardLinear propagates dLoss/dz, the gradient before the last layer's
// activation (the fused softmax + cross-entropy path). It panics if the last
// layer has no activation; check with LastActivated.
func (s *Stack) BackwardLinear(dz *tensor.Tensor) {
	s.dys[0] = dz
	s.backward(s.dys, linearFirst)
}

var linearFirst = []bool{true}

// BackwardAll is Backward for a model with several outputs: one gradient
// per output (nil for an output that no loss reads); linear[j] says that
// dys[j] is the gradient before output j's activation (LastActivatedAt).
func (s *Stack) BackwardAll(dys []*tensor.Tensor, linear []bool) { s.backward(dys, linear) }

func (s *Stack) backward(dys []*tensor.Tensor, linear []bool) {
	s.grads.reset()
	for _, n := range s.nodes {
		n.grad, n.got, n.buf = nil, 0, nil
		n.linearOut = false
	}
	for _, in := range s.ins {
		in.grad, in.got, in.buf = nil, 0, nil
	}
	for j, out := range s.outs {
		if dys[j] != nil {
			s.contribute(out, dys[j])
			out.linearOut = j < len(linear) && linear[j]
		}
	}
	for i := len(s.nodes) - 1; i >= 0; i-- {
		n := s.nodes[i]
		g := n.grad
		if g == nil || !n.want {
			s.grads.release(n.buf)
			continue
		}
		if n.act != nil {
			n.act.AddGrad(g.Data, n.out.Data, n.out.Shape)
		}
		batch := g.Shape[0]
		if n.gradThrough {
			// d(x0 + x1 + ...)/dxj is the identity: each input gets g
			// itself (contribute copies it where it is added up).
			for _, in := range n.inputs {
				if in.want {
					s.contribute(in, g)
				}
			}
		} else if n.merge != nil {
			s.lendMerge(n, batch)
			for j, dx := range n.merge.BackwardMerge(g) {
				if in := n.inputs[j]; dx != nil && in.want {
					s.contribute(in, dx)
				}
			}
			s.settleMerge(n)
		} else {
			var lent *pooled
			field := s.lend(n, batch, &lent)
			var dx *tensor.Tensor
			if n.linear || n.linearOut {
				dx = n.run.(Activated).BackwardLinear(g)
			} else {
				dx = n.run.Backward(g)
			}
			if in := n.inputs[0]; dx != nil && in.want {
				s.contribute(in, dx)
			}
			if lent != nil {
				s.grads.release(lent)
			} else if field != nil {
				n.own = *field
			}
		}
		// n's gradient is consumed (unless the layer passed it on as its
		// input's: then that node holds a reference too).
		s.grads.release(n.buf)
		n.buf = nil
	}
	// A shared layer's gradient is the sum over its calls.
	for _, r := range s.replicas {
		for i, p := range r.op {
			if p.Grad != nil && r.rp[i].Grad != nil {
				kernel.Add(p.Grad.Data, r.rp[i].Grad.Data)
			}
		}
	}
}

// lend gives n's layer the buffer for its input gradient, when the layer
// takes one (gradBuffered): a shared one when the input needs the gradient
// (*lent is set), else the layer's own. It returns the layer's field (nil
// when the layer keeps its buffers itself).
func (s *Stack) lend(n *Node, batch int, lent **pooled) **tensor.Tensor {
	gb, ok := n.run.(gradBuffered)
	if !ok {
		return nil
	}
	field := gb.gradBuffer()
	if in := n.inputs[0]; in.want && !s.privateGrads {
		*lent = s.grads.take(batch * in.shape.Size())
		*field = (*lent).t
	} else {
		// Never a shared buffer another node may be using: the field may
		// still hold one lent when the input did need its gradient.
		*field = n.own
	}
	return field
}

// lendMerge is lend for a merge layer, one buffer per input.
func (s *Stack) lendMerge(n *Node, batch int) {
	mb, ok := n.merge.(mergeGradBuffered)
	if !ok {
		return
	}
	fields := mb.gradBuffers()
	if n.owns == nil {
		n.owns = make([]*tensor.Tensor, len(fields))
		n.lent = make([]*pooled, len(fields))
	}
	for j, in := range n.inputs {
		n.lent[j] = nil
		if in.want && !s.privateGrads {
			n.lent[j] = s.grads.take(batch * in.shape.Size())
			fields[j] = n.lent[j].t
		} else {
			fields[j] = n.owns[j]
		}
	}
}

// settleMerge takes back what lendMerge lent once the merge's input
// gradients were handed on.
func (s *Stack) settleMerge(n *Node) {
	mb, ok := n.merge.(mergeGradBuffered)
	if !ok {
		return
	}
	fields := mb.gradBuffers()
	for j, b := range n.lent {
		if b != nil {
			s.grads.release(b)
			n.lent[j] = nil
		} else {
			n.owns[j] = fields[j]
		}
	}
}

// contribute hands node n one gradient of its output: the tensor itself
// when it is the only one n gets (holding the shared buffer it lives in, if
// it is one), else added up in a shared buffer.
func (s *Stack) contribute(n *Node, g *tensor.Tensor) {
	if n.edges == 1 {
		n.grad = g
		if b := s.grads.owner(g); b != nil {
			b.refs++
			n.buf = b
		}
		return
	}
	if n.got == 0 {
		n.buf = s.grads.take(len(g.Data))
		n.grad = tensor.Ensure(n.buf.t, g.Shape...)
		kernel.CopyParallel(n.grad.Data, g.Data)
	} else {
		kernel.AddParallel(n.grad.Data, g.Data)
	}
	n.got++
}

// LastActivated returns the last layer as Activated, if it is one and
// has no activity regularizer (whose gradient is of the activation's output).
func (s *Stack) LastActivated() (Activated, bool) {
	if !s.built {
		return nil, false
	}
	return s.LastActivatedAt(0)
}

// LastActivatedAt is LastActivated for output j.
func (s *Stack) LastActivatedAt(j int) (Activated, bool) {
	n := s.outs[j]
	if !s.built || n.act != nil || n.merge != nil || n.edges != 1 {
		return nil, false
	}
	a, ok := n.run.(Activated)
	return a, ok
}

// Params lists every weight, layer by layer.
func (s *Stack) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// TrainableParams lists the weights an optimizer updates, layer by layer:
// those with a gradient, in layers that are not frozen.
func (s *Stack) TrainableParams() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		if !IsTrainable(l) {
			continue
		}
		for _, p := range l.Params() {
			if p.Trainable() {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// CountParams returns the total, trainable and non-trainable weight counts,
// the three lines at the bottom of a Keras summary. A frozen layer's
// weights are non-trainable.
func (s *Stack) CountParams() (total, trainable, nonTrainable int) {
	for _, l := range s.Layers {
		on := IsTrainable(l)
		for _, p := range l.Params() {
			n := p.Value.Shape.Size()
			total += n
			if on && p.Trainable() {
				trainable += n
			} else {
				nonTrainable += n
			}
		}
	}
	return
}
