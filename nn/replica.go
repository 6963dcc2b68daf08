package nn

import (
	"encoding/json"
	"fmt"
)

// Replica returns a Stack of new layers with s's configurations, built for
// s's input shape, whose weights are s's own tensors (shared, not copied):
// each layer keeps its per-call buffers and state in its struct, so one
// Stack runs one pass at a time, and replicas let several inference passes
// run at once on the same weights. Training a replica, or s while a
// replica runs, is a data race. It fails for a layer that cannot be made
// again from its Config (a custom layer not registered with this package).
func (s *Stack) Replica() (*Stack, error) {
	if !s.built {
		return nil, fmt.Errorf("nn: replica of a model that is not built")
	}
	made := make(map[Layer]Layer, len(s.Layers))
	r := &Stack{}
	for _, l := range s.Layers {
		nl, err := rebuild(l)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %s cannot be replicated: %w", l.LayerName(), err)
		}
		made[l] = nl
		r.Layers = append(r.Layers, nl)
	}
	if s.graph {
		// The same graph on the new layers.
		nodes := map[*Node]*Node{}
		for _, n := range s.ins {
			in := &InputLayer{Name: n.input.Name, Shape: n.shape.Clone()}
			nodes[n] = in.node()
			r.gin = append(r.gin, nodes[n])
		}
		for _, n := range s.nodes {
			m := &Node{layer: made[n.layer], shape: n.shape}
			for _, x := range n.inputs {
				m.inputs = append(m.inputs, nodes[x])
			}
			nodes[n] = m
			r.nodes = append(r.nodes, m)
		}
		for _, n := range s.outs {
			r.gout = append(r.gout, nodes[n])
		}
		r.graph = true
	}
	if err := r.BuildInputs(s.InputShapes(), 0); err != nil {
		return nil, err
	}
	rp, sp := r.Params(), s.Params()
	if len(rp) != len(sp) {
		return nil, fmt.Errorf("nn: replica has %d weights, the model %d", len(rp), len(sp))
	}
	for i, p := range rp {
		if !p.Value.Shape.Equal(sp[i].Value.Shape) {
			return nil, fmt.Errorf("nn: replica weight %s has shape %v, the model's %v", p.Name, p.Value.Shape, sp[i].Value.Shape)
		}
		p.Value, p.Grad = sp[i].Value, nil
	}
	for _, c := range r.replicas { // repeated calls run on the same weights
		for i, p := range c.rp {
			p.Value = c.op[i].Value
		}
	}
	return r, nil
}

// SharesWeights reports whether r runs on s's current weight tensors (a
// Replica of s that is still valid: Build or Load since then replace them).
func (r *Stack) SharesWeights(s *Stack) bool {
	if !r.built || !s.built || len(r.Layers) != len(s.Layers) {
		return false
	}
	rp, sp := r.Params(), s.Params()
	if len(rp) != len(sp) {
		return false
	}
	for i := range rp {
		if rp[i].Value != sp[i].Value {
			return false
		}
	}
	return true
}

// rebuild makes a new layer from l's config, through JSON as Load reads
// one, named as l.
func rebuild(l Layer) (Layer, error) {
	b, err := json.Marshal(LayerConfig(l))
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, err
	}
	nl, err := FromConfig(l.Class(), cfg)
	if err != nil {
		return nil, err
	}
	nl.SetLayerName(l.LayerName())
	return nl, nil
}
