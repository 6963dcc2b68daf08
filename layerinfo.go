package gokeras

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gokeras/gokeras/nn"
)

// A model's layers as to_json() names and configures them: what a tool
// that varies a model (gokeras sweep) or compares two (gokeras train
// --load) reads. Layers are named as Keras auto-names them, in order per
// class: the first Dropout is "dropout", the second "dropout_1".

// LayerInfo is one layer of a model as a setting names it.
type LayerInfo struct {
	Name  string // "conv2d", "dropout_1", ...
	Class string // "Conv2D"
	// Config holds the fields that can be set, as JSON decodes them
	// (numbers are float64), without the bookkeeping keys name, trainable,
	// dtype and batch_shape.
	Config map[string]any
}

// Fields returns the layer's settable config keys, sorted.
func (li LayerInfo) Fields() []string {
	fs := make([]string, 0, len(li.Config))
	for k := range li.Config {
		fs = append(fs, k)
	}
	slices.Sort(fs)
	return fs
}

// hiddenFields are config keys that are not the layer's settings.
var hiddenFields = map[string]bool{"name": true, "trainable": true, "dtype": true, "batch_shape": true}

// LayerInfos names the model's layers as Build would (Keras's automatic
// names; names already set are kept) and returns their settable configs.
func (m *Sequential) LayerInfos() ([]LayerInfo, error) {
	if err := m.net.AssignNames(); err != nil {
		return nil, fmt.Errorf("gokeras: %w", err)
	}
	out := make([]LayerInfo, len(m.net.Layers))
	for i, l := range m.net.Layers {
		b, err := json.Marshal(nn.LayerConfig(l))
		if err != nil {
			return nil, fmt.Errorf("gokeras: layer %s config: %w", l.LayerName(), err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("gokeras: layer %s config: %w", l.LayerName(), err)
		}
		for k := range hiddenFields {
			delete(cfg, k)
		}
		out[i] = LayerInfo{Name: l.LayerName(), Class: l.Class(), Config: cfg}
	}
	return out, nil
}
