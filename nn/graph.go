package nn

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// A model is a graph of layer calls, as in Keras's Functional API
// (keras/src/models/functional.py): each call of a layer on symbolic
// tensors is a Node, and a Stack runs its nodes in topological order. A
// Sequential model is the graph whose nodes form one chain, which Build
// makes from Stack.Layers; NewGraph makes any other from its inputs and
// outputs. docs/design-functional.md has the design.

// Symbolic is a symbolic tensor: what a layer can be called on. An Input
// (*InputLayer) and the result of Call or Merge (*Node) are Symbolic.
type Symbolic interface {
	node() *Node
}

// Node is one call of a layer in a graph: the symbolic tensor it outputs.
// Its shape is known from the call (without the batch axis).
type Node struct {
	layer  Layer        // nil for an input
	input  *InputLayer  // the Input this node is, or nil
	inputs []*Node      // what the layer was called on
	shape  tensor.Shape // per-sample output shape
	err    error        // a shape error found at the call
	seq    uint64       // when it was made: calls are ordered as written
	origin *Node        // the node a model's copy was made from (NewGraph)

	// Build state.
	run    Layer  // the layer that runs this call (a call replica for a repeated call)
	merge  Merger // run as a Merger, when it is one
	act    regularizer.Regularizer
	linear bool // its activation's gradient is applied by its only consumer
	// linearOut: an output whose gradient this Backward is the gradient
	// before its activation (the fused softmax + cross-entropy).
	linearOut bool
	// foldBN, on a Conv2D call, is the BatchNormalization call that alone
	// reads its output; Infer runs the two as one convolution whose
	// weights have the normalisation folded in, and with foldReLU the
	// ReLU Activation that alone reads the batch norm's output too. The
	// calls folded into a convolution are marked folded and skipped.
	foldBN   *BatchNormalization
	foldReLU bool
	folded   bool
	// reluFused, on a BatchNormalization or two-input Add call, applies
	// the ReLU Activation call that alone reads its output in the same
	// pass; that call, passReLU, passes its input on (Stack.fuse).
	reluFused, passReLU bool
	// gradThrough, on a residual Add (inputs of its output's shape), hands
	// its output's gradient to its inputs as it is, instead of a copy each
	// (Stack.fuse: when at most one input would keep it).
	gradThrough bool
	want        bool // it or a node before it has weights: its output's gradient is needed
	edges       int  // gradient contributions it receives: consumer inputs, plus one as an output
	xs          []*tensor.Tensor
	out         *tensor.Tensor // the output of the last Forward
	grad        *tensor.Tensor // its output's gradient in the current Backward
	// buf is the shared buffer its gradient lives in while it waits for
	// its Backward (see gradbuf.go), or nil.
	buf *pooled
	// own is its layer's private input-gradient buffer (own[j] for a merge's
	// input j), lent to the layer instead of a shared one when the input
	// needs no gradient but the layer computes one anyway.
	own     *tensor.Tensor
	owns    []*tensor.Tensor
	lent    []*pooled // a merge's shared input-gradient buffers during its Backward
	got     int
	visited bool // for traversals
}

func (n *Node) node() *Node { return n }

// Shape is the node's per-sample output shape.
func (n *Node) Shape() tensor.Shape { return n.shape }

// Layer is the layer called (nil for an input).
func (n *Node) Layer() Layer { return n.layer }

// Inputs are the nodes the layer was called on.
func (n *Node) Inputs() []*Node { return n.inputs }

// Err is the error found when the layer was called (nil if none).
func (n *Node) Err() error { return n.err }

// Input is the InputLayer this node is, or nil for a layer call.
func (n *Node) Input() *InputLayer { return n.input }

// Nodes lists the layer calls of a Functional model (or of a built
// Sequential one) in the order they run: each after its inputs, the
// model's inputs excluded.
func (s *Stack) Nodes() []*Node { return s.nodes }

// GraphInputs and GraphOutputs are a Functional model's inputs and
// outputs (nil for a Sequential model).
func (s *Stack) GraphInputs() []*Node  { return s.gin }
func (s *Stack) GraphOutputs() []*Node { return s.gout }

func (i *InputLayer) node() *Node {
	if i.sym == nil {
		i.sym = &Node{input: i, shape: i.Shape.Clone()}
		if len(i.Shape) == 0 {
			i.sym.err = fmt.Errorf("nn: an Input needs a shape, e.g. gokeras.Input(28, 28, 1)")
		} else if err := i.Shape.Validate(); err != nil {
			i.sym.err = fmt.Errorf("nn: Input shape: %w", err)
		}
	}
	return i.sym
}

// Call calls layer l on x, as l(x) does in Keras: it checks at once that
// l accepts x's shape and returns the symbolic output. An error is kept
// on the result (and on everything built from it) and returned by
// NewGraph, naming the layer and the shapes.
func Call(l Layer, x Symbolic) *Node {
	in := x.node()
	n := &Node{layer: l, inputs: []*Node{in}, seq: calls.Add(1)}
	if in.err != nil {
		n.err = in.err
		return n
	}
	if _, isMerge := l.(Merger); isMerge {
		n.err = fmt.Errorf("nn: %s takes several inputs; call it with nn.Merge", describe(l))
		return n
	}
	out, err := l.OutputShape(in.shape)
	if err != nil {
		n.err = fmt.Errorf("nn: calling %s on a tensor of shape %v: %w", describe(l), withBatch(in.shape), err)
		return n
	}
	n.shape = out
	return n
}

// Merge calls a layer with several inputs (Add, Concatenate, ...) on xs,
// as keras.layers.Add()([x, y]) does.
func Merge(m Merger, xs ...Symbolic) *Node {
	l, _ := m.(Layer)
	n := &Node{layer: l, seq: calls.Add(1)}
	var shapes []tensor.Shape
	for _, x := range xs {
		in := x.node()
		n.inputs = append(n.inputs, in)
		if in.err != nil && n.err == nil {
			n.err = in.err
		}
		shapes = append(shapes, in.shape)
	}
	if n.err != nil {
		return n
	}
	if l == nil {
		n.err = fmt.Errorf("nn: %s (%s) cannot be a node of a model: it does not implement nn.Layer", m.LayerName(), m.Class())
		return n
	}
	out, err := m.MergeOutputShape(shapes)
	if err != nil {
		parts := make([]string, len(shapes))
		for i, s := range shapes {
			parts[i] = withBatch(s).String()
		}
		n.err = fmt.Errorf("nn: calling %s on tensors of shapes %s: %w", describe(l), strings.Join(parts, ", "), err)
		return n
	}
	n.shape = out
	return n
}

// calls numbers the calls in the order they are made. A node can only be
// made from nodes that exist, so this order runs every node after its
// inputs; and it is the order in which Keras, which names a layer when it
// is made, would usually have named the layers.
var calls atomic.Uint64

func describe(l Layer) string {
	if name := l.LayerName(); name != "" {
		return fmt.Sprintf("%s (%s)", name, l.Class())
	}
	return l.Class()
}

func withBatch(s tensor.Shape) tensor.Shape { return append(tensor.Shape{-1}, s...) }

// NewGraph makes the network of a Functional model: the nodes between
// inputs and outputs. Every node an output depends on must come from the
// given inputs; the errors of the calls are returned here.
func NewGraph(inputs, outputs []Symbolic) (*Stack, error) {
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, fmt.Errorf("nn: a model needs at least one input and one output")
	}
	s := &Stack{graph: true}
	for _, x := range inputs {
		n := x.node()
		if n.input == nil {
			return nil, fmt.Errorf("nn: a model's inputs must be Inputs (gokeras.Input(...)), not the output of %s", describe(n.layer))
		}
		if n.err != nil {
			return nil, n.err
		}
		s.gin = append(s.gin, n)
	}
	for _, x := range outputs {
		n := x.node()
		if containsNode(s.gout, n) {
			return nil, fmt.Errorf("nn: a tensor is given twice as an output")
		}
		s.gout = append(s.gout, n)
	}
	for i, n := range s.gin {
		if containsNode(s.gin[:i], n) {
			return nil, fmt.Errorf("nn: an Input is given twice as an input")
		}
	}
	order, err := topoOrder(s.gout)
	if err != nil {
		return nil, err
	}
	// Run, and name, the calls in the order they were written.
	slices.SortStableFunc(order, func(a, b *Node) int { return cmp.Compare(a.seq, b.seq) })
	for _, n := range order {
		if n.input != nil {
			if !containsNode(s.gin, n) {
				return nil, fmt.Errorf("nn: an output depends on an Input of shape %v that is not among the model's inputs", withBatch(n.shape))
			}
			continue
		}
		s.nodes = append(s.nodes, n)
	}
	for _, out := range s.gout {
		if out.input != nil {
			return nil, fmt.Errorf("nn: a model's output is one of its inputs; call a layer on it first")
		}
	}
	// The model runs on copies of the nodes: a node keeps the state of a
	// run (outputs, gradients, fan-out), and the same symbolic tensors may
	// belong to several models (an encoder and the autoencoder around it).
	own := make(map[*Node]*Node, len(order))
	for _, n := range order {
		c := &Node{layer: n.layer, input: n.input, shape: n.shape, seq: n.seq, origin: n}
		for _, in := range n.inputs {
			c.inputs = append(c.inputs, own[in])
		}
		own[n] = c
	}
	for i, n := range s.gin {
		if own[n] == nil { // an Input no output depends on
			own[n] = &Node{input: n.input, shape: n.shape, origin: n}
		}
		s.gin[i] = own[n]
	}
	for i, n := range s.gout {
		s.gout[i] = own[n]
	}
	for i, n := range s.nodes {
		s.nodes[i] = own[n]
	}
	seen := map[Layer]bool{}
	for _, n := range s.nodes {
		if !seen[n.layer] {
			seen[n.layer] = true
			s.Layers = append(s.Layers, n.layer)
		}
	}
	return s, nil
}

// Uses reports whether the model runs the call n (one of the symbolic
// tensors it was made from; the model runs copies of them).
func (s *Stack) Uses(n *Node) bool {
	for _, m := range s.nodes {
		if m == n || m.origin == n {
			return true
		}
	}
	return false
}

// Functional reports whether s is a Functional model's graph (NewGraph)
// rather than a Sequential chain.
func (s *Stack) Functional() bool { return s.graph }

func containsNode(ns []*Node, n *Node) bool {
	for _, m := range ns {
		if m == n {
			return true
		}
	}
	return false
}

// topoOrder lists every node the outputs depend on, each after its
// inputs (depth-first post-order; a graph built by calls has no cycle).
// The first error of a call is returned.
func topoOrder(outputs []*Node) ([]*Node, error) {
	var order []*Node
	var firstErr error
	var visit func(n *Node)
	visit = func(n *Node) {
		if n.visited {
			return
		}
		n.visited = true
		for _, in := range n.inputs {
			visit(in)
		}
		if n.err != nil && firstErr == nil {
			firstErr = n.err
		}
		order = append(order, n)
	}
	for _, o := range outputs {
		visit(o)
	}
	for _, n := range order {
		n.visited = false
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return order, nil
}
