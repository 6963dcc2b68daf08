package nn

// Pipeline, as Keras 3's keras.layers.Pipeline
// (keras/src/layers/preprocessing/pipeline.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Pipeline applies its layers in turn, as Keras's Pipeline: a plain layer
// (not a model) for a preprocessing or augmentation chain, such as
// Pipeline([AutoContrast(), RandomZoom(0.2), RandomRotation(0.2)]). Its
// layers see the training flag and are reseeded with the model's. Its
// config is Keras's, {"name", "layers": [...]}, without "trainable" (Keras's
// Pipeline takes no such argument). It holds layers without weights, what
// Keras's Pipeline is for; a chain with weights is a nested Sequential.
type Pipeline struct {
	Nested
}

// NewPipeline returns a pipeline of layers named name.
func NewPipeline(name string, layers ...Layer) *Pipeline {
	s := &Stack{}
	s.Add(layers...)
	return &Pipeline{Nested{Name: name, Net: s}}
}

func init() {
	register("Pipeline", func(r *cfgReader) Layer {
		v, ok := r.Get("layers")
		list, isList := v.([]any)
		if !ok || !isList {
			r.Failf(`"layers" must be a list of serialised layers ({"class_name": ..., "config": {...}})`)
			return &Pipeline{Nested{Net: &Stack{}}}
		}
		var layers []Layer
		for i, e := range list {
			obj, _ := e.(map[string]any)
			class, _ := obj["class_name"].(string)
			cfg, _ := obj["config"].(map[string]any)
			if class == "" {
				r.Failf("layers[%d] is not a serialised layer with a class_name", i)
				break
			}
			if cfg == nil {
				cfg = map[string]any{}
			}
			l, err := FromConfig(class, cfg)
			if err != nil {
				r.Failf("layers[%d]: %v", i, err)
				break
			}
			layers = append(layers, l)
		}
		return NewPipeline("", layers...)
	})
}

// Class returns "Pipeline".
func (p *Pipeline) Class() string { return "Pipeline" }

// Config is Keras's get_config: the name and the serialised layers.
func (p *Pipeline) Config() map[string]any {
	layers := make([]any, len(p.Net.Layers))
	for i, l := range p.Net.Layers {
		layers[i] = map[string]any{"module": "keras.layers", "class_name": l.Class(), "config": LayerConfig(l), "registered_name": nil}
	}
	return map[string]any{"name": p.Name, "layers": layers}
}

// Build builds the layers for in; it refuses layers with weights.
func (p *Pipeline) Build(in tensor.Shape, rng *rand.Rand) error {
	if len(p.Net.Layers) == 0 {
		return fmt.Errorf("the pipeline has no layers")
	}
	if err := p.Nested.Build(in, rng); err != nil {
		return err
	}
	for _, l := range p.Net.Layers {
		if len(l.Params()) > 0 {
			return fmt.Errorf("layer %s (%s) has weights; a Pipeline holds preprocessing layers without weights, put weighted layers in a nested Sequential", l.LayerName(), l.Class())
		}
	}
	return nil
}

// OutputShape is the last layer's output for in.
func (p *Pipeline) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(p.Net.Layers) == 0 {
		return nil, fmt.Errorf("the pipeline has no layers")
	}
	return p.Nested.OutputShape(in)
}
