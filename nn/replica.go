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
	r := &Stack{}
	for _, l := range s.Layers {
		// Through JSON, as Load does, so the config reads as from a file.
		b, err := json.Marshal(LayerConfig(l))
		if err != nil {
			return nil, fmt.Errorf("nn: layer %s cannot be replicated: %w", l.LayerName(), err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("nn: layer %s cannot be replicated: %w", l.LayerName(), err)
		}
		nl, err := FromConfig(l.Class(), cfg)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %s cannot be replicated: %w", l.LayerName(), err)
		}
		nl.SetLayerName(l.LayerName())
		r.Layers = append(r.Layers, nl)
	}
	if err := r.Build(s.input, 0); err != nil {
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
