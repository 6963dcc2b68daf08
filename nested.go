package gokeras

import (
	"encoding/json"
	"fmt"

	"github.com/gokeras/gokeras/nn"
)

// A model can be a layer of another, as in Keras's
// Sequential([augment, ...]): AsLayer wraps it, and model files nest its
// config as Keras does ({"class_name": "Sequential", "config": {"name",
// "layers": [...]}} in the outer model's layers).

// AsLayer returns the model as a layer of another model. The layer is the
// model's own network, not a copy: training the outer model trains it.
// The model must not be used on its own while the outer one runs.
func (m *Model) AsLayer() nn.Layer { return nn.NewNested(m.Name, &m.net) }

func init() {
	nn.NestedConfig = nestedConfig
	nn.Register("Sequential", func(r *nn.ConfigReader) nn.Layer {
		l, err := nestedFromConfig(r)
		if err != nil {
			r.Failf("%v", err)
			return nil
		}
		return l
	})
}

// nestedConfig is a nested model's config, as the outer model's file holds
// it: the same layers list as a top-level model file.
func nestedConfig(n *nn.Nested) map[string]any {
	m := &Model{Name: n.Name, net: *n.Net}
	data, err := m.ToJSON()
	if err != nil {
		return map[string]any{"name": n.Name, "error": err.Error()} // refused when read back
	}
	var mj struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(data, &mj); err != nil {
		return map[string]any{"name": n.Name, "error": err.Error()}
	}
	mj.Config["name"] = n.Name
	return mj.Config
}

// nestedFromConfig reads a nested Sequential model's config (its keys are
// those of a model file's "config"; FromConfig reads name and trainable).
func nestedFromConfig(r *nn.ConfigReader) (nn.Layer, error) {
	cfg := map[string]any{}
	for _, k := range modelConfigKeys {
		if v, ok := r.Get(k); ok {
			cfg[k] = v
		}
	}
	delete(cfg, "trainable") // FromConfig applies it to the nested layer
	data, err := json.Marshal(map[string]any{"class_name": "Sequential", "config": cfg})
	if err != nil {
		return nil, err
	}
	spec, err := parseModelJSON(data, false)
	if err != nil {
		return nil, fmt.Errorf("the nested model: %w", err)
	}
	name, _ := cfg["name"].(string)
	return nn.NewNested(name, &spec.Model.net), nil
}
