package nn

import (
	"fmt"
	"slices"

	"github.com/gokeras/gokeras/tensor"
)

// Settled is implemented by adapters that may already hold what they
// learn: bin boundaries or a vocabulary, given or learned before the
// model was made (as Keras users adapt a lookup before calling it). A
// model's Adapt leaves a settled layer as it is; the layer's own Adapt
// learns afresh.
type Settled interface {
	Settled() bool
}

func settled(l Layer) bool {
	s, ok := l.(Settled)
	return ok && s.Settled()
}

// Adapters lists the built model's layers that learn from data before
// training (Adapter), in the order they run.
func (s *Stack) Adapters() []Layer {
	var out []Layer
	for _, n := range s.nodes {
		if _, ok := n.layer.(Adapter); ok && n.run == n.layer && !settled(n.layer) {
			out = append(out, n.layer)
		}
	}
	return out
}

// Adapt lets every Adapter layer of the built model learn from its input,
// as calling layer.adapt on each in Keras: xs (one array per model input,
// in the model's order, all with the same rows) run through the model in
// inference mode, and each adapter adapts to what reaches it before it
// runs, so an adapter after another sees the adapted one's output. It
// stops after the last adapter. Settled layers keep what they hold. A preprocessing layer called more than
// once (shared between inputs) is an error: which input it should learn
// from is not clear, and Keras adapts a layer to the data the caller
// gives it, not through the model.
func (s *Stack) Adapt(xs []*tensor.Tensor) error {
	if !s.built {
		return fmt.Errorf("nn: build the model before adapting it")
	}
	if len(xs) != len(s.ins) {
		return fmt.Errorf("nn: Adapt got %d arrays for a model with %d inputs", len(xs), len(s.ins))
	}
	last := -1
	for i, n := range s.nodes {
		if _, ok := n.layer.(Adapter); ok && !settled(n.layer) {
			if n.run != n.layer {
				return fmt.Errorf("nn: layer %q learns from data (adapt) and is called more than once; give each input a layer of its own", n.layer.LayerName())
			}
			last = i
		}
	}
	for i, in := range s.ins {
		in.out = xs[i]
	}
	for i, n := range s.nodes[:last+1] {
		if a, ok := n.layer.(Adapter); ok && !settled(n.layer) {
			if err := a.Adapt(n.inputs[0].out); err != nil {
				return fmt.Errorf("adapting layer %q: %w", n.layer.LayerName(), err)
			}
		}
		if i == last {
			break
		}
		if n.merge != nil {
			for j, in := range n.inputs {
				n.xs[j] = in.out
			}
			n.out = n.merge.ForwardMerge(n.xs, false)
		} else {
			n.out = n.run.Forward(n.inputs[0].out, false)
		}
	}
	return nil
}

// ValueChecker is implemented by layers whose input values must lie in a
// set: CategoryEncoding's category numbers, an IntegerLookup without OOV
// indices. A forward pass cannot fail, so Fit, Evaluate and Predict check
// every value of a model input that such a layer reads directly before
// they start, and a bad value is an error naming its row, as Keras raises
// one, rather than a silent zero.
type ValueChecker interface {
	CheckValue(v float32) error
	// ValidValue is a value CheckValue accepts, for a warm-up run.
	ValidValue() float32
}

// ValueCheckers returns the layers that read model input i directly and
// check its values (ValueChecker).
func (s *Stack) ValueCheckers(i int) []Layer {
	if i >= len(s.ins) {
		return nil
	}
	var out []Layer
	for _, n := range s.nodes {
		if _, ok := n.run.(ValueChecker); !ok || slices.Contains(out, n.run) {
			continue
		}
		if slices.Contains(n.inputs, s.ins[i]) {
			out = append(out, n.run)
		}
	}
	return out
}

// CheckValues runs the value checks of layers (ValueCheckers' layers) over
// x, batch first, and returns the first refusal: the row, the layer and
// its error (nil when every value passes).
func CheckValues(layers []Layer, x *tensor.Tensor) (row int, l Layer, err error) {
	width := max(x.Shape[1:].Size(), 1)
	for _, l := range layers {
		c := l.(ValueChecker)
		for j, v := range x.Data {
			if err := c.CheckValue(v); err != nil {
				return j / width, l, err
			}
		}
	}
	return 0, nil, nil
}
