package gokeras

import (
	"fmt"

	"github.com/gokeras/gokeras/nn"
)

// LayerCall is one call of a layer in a model's graph: what an
// architecture picture (plot.Graph, `gokeras summary --plot`) draws as a
// box.
type LayerCall struct {
	Name, Class string
	OutputShape []int // with the batch axis, as -1
	Inputs      []int // the calls whose outputs it takes, by index (all earlier)
}

// LayerCalls lists the model's graph as keras.utils.plot_model draws it:
// its inputs (class "InputLayer", named as Keras 3 names them when they
// have no name), then every layer call after the calls it takes; a layer
// called twice appears twice. A Sequential model is its input followed by
// its layers in order. The model is built first; one without an input
// shape is an error.
func (m *Model) LayerCalls() ([]LayerCall, error) {
	if len(m.net.DeclaredInputShape()) == 0 && !m.net.Built() {
		return nil, fmt.Errorf("gokeras: the model's input shape is unknown; give it (an Input first, or Build) before drawing the model")
	}
	if err := m.ensureBuilt(nil); err != nil {
		return nil, err
	}
	withBatch := func(s []int) []int { return append([]int{-1}, s...) }
	if !m.net.Functional() {
		calls := []LayerCall{{Name: "input_layer", Class: "InputLayer", OutputShape: withBatch(m.net.InputShape())}}
		for i, l := range m.net.Layers {
			calls = append(calls, LayerCall{Name: l.LayerName(), Class: l.Class(), OutputShape: withBatch(m.net.LayerOutputShape(i)), Inputs: []int{i}})
		}
		return calls, nil
	}
	g := kerasGraphOrder(&m.net)
	index := map[*nn.Node]int{}
	var calls []LayerCall
	add := func(n *nn.Node) {
		op := g.opOf[n]
		c := LayerCall{Name: op.name, Class: "InputLayer", OutputShape: withBatch(n.Shape())}
		if op.layer != nil {
			c.Class = op.layer.Class()
		}
		for _, in := range n.Inputs() {
			c.Inputs = append(c.Inputs, index[in])
		}
		index[n] = len(calls)
		calls = append(calls, c)
	}
	for _, n := range m.net.GraphInputs() {
		add(n)
	}
	for _, n := range m.net.Nodes() {
		add(n)
	}
	return calls, nil
}
