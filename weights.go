package gokeras

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// The weights API follows Keras's model.get_weights / set_weights /
// get_layer / save_weights / load_weights (keras/src/models/model.py and
// keras/src/layers/layer.py): weights come layer by layer, each layer's
// trainable variables first, then its non-trainable ones (Keras's
// Layer.weights), which is the order of nn.Layer.Params.

// GetLayer returns the layer named name ("conv2d_1"), naming unnamed
// layers first as Build would. The error lists the names there are.
func (m *Sequential) GetLayer(name string) (nn.Layer, error) {
	if err := m.net.AssignNames(); err != nil {
		return nil, fmt.Errorf("gokeras: %w", err)
	}
	for _, l := range m.net.Layers {
		if l.LayerName() == name {
			return l, nil
		}
	}
	names := make([]string, len(m.net.Layers))
	for i, l := range m.net.Layers {
		names[i] = l.LayerName()
	}
	return nil, fmt.Errorf("gokeras: the model has no layer named %q; its layers are %s", name, strings.Join(names, ", "))
}

// SetTrainable freezes (false) or unfreezes (true) every layer, as Keras's
// model.trainable = False. Freeze or unfreeze one layer with
// nn.SetTrainable(layer, on) on a layer from GetLayer. As in Keras, a
// change takes effect for training once the model is compiled again.
func (m *Sequential) SetTrainable(on bool) error {
	for _, l := range m.net.Layers {
		if err := nn.SetTrainable(l, on); err != nil {
			return fmt.Errorf("gokeras: %w", err)
		}
	}
	return nil
}

// GetWeights returns copies of every weight of the built model in Keras's
// order: layer by layer, trainable then non-trainable.
func (m *Sequential) GetWeights() ([]*tensor.Tensor, error) {
	if !m.net.Built() {
		return nil, fmt.Errorf("gokeras: get weights: the model is not built yet; fit it or call Build first")
	}
	var out []*tensor.Tensor
	for _, p := range m.net.Params() {
		out = append(out, p.Value.Clone())
	}
	return out, nil
}

// SetWeights sets every weight of the built model from ws, in GetWeights's
// order. Shapes must match; on an error nothing is changed.
func (m *Sequential) SetWeights(ws []*tensor.Tensor) error {
	if !m.net.Built() {
		return fmt.Errorf("gokeras: set weights: the model is not built yet; call Build first")
	}
	var ps []*nn.Param
	var names []string
	for _, l := range m.net.Layers {
		for _, p := range l.Params() {
			ps = append(ps, p)
			names = append(names, l.LayerName()+"/"+p.Name)
		}
	}
	if len(ws) != len(ps) {
		return fmt.Errorf("gokeras: set weights: got %d arrays, the model has %d weights (%s)", len(ws), len(ps), strings.Join(names, ", "))
	}
	for i, w := range ws {
		if w == nil || !w.Shape.Equal(ps[i].Value.Shape) || len(w.Data) != len(ps[i].Value.Data) {
			got := "nil"
			if w != nil {
				got = fmt.Sprint(w.Shape)
			}
			return fmt.Errorf("gokeras: set weights: array %d is for %s, which has shape %v; got %s", i, names[i], ps[i].Value.Shape, got)
		}
	}
	for i, w := range ws {
		copy(ps[i].Value.Data, w.Data)
	}
	return nil
}

const weightsFormatName = "gokeras-weights-v1"

// SaveWeights writes the weights alone (no architecture, no optimizer
// state) to path, as Keras's save_weights does: a safetensors file whose
// tensors are named "<layer>/<variable>". It writes atomically, as Save.
func (m *Sequential) SaveWeights(path string) error {
	if !m.net.Built() {
		return fmt.Errorf("gokeras: save weights: the model is not built yet; fit it or call Build first")
	}
	var ts []namedTensor
	for _, l := range m.net.Layers {
		for _, p := range l.Params() {
			ts = append(ts, namedTensor{l.LayerName() + "/" + p.Name, p.Value})
		}
	}
	if err := writeSafetensors(path, ts, map[string]string{"format": weightsFormatName}); err != nil {
		return fmt.Errorf("gokeras: save weights: %w", err)
	}
	return nil
}

// LoadWeights reads weights that SaveWeights (or Save) wrote into the
// model, which must have the same layers: every weight is matched by its
// "<layer>/<variable>" name and shape. A model that is not built yet is
// built first. On an error nothing is changed.
func (m *Sequential) LoadWeights(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("gokeras: load weights: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("gokeras: load weights: %s is not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("gokeras: load weights: %w", err)
	}
	ts, meta, err := readSafetensors(data)
	if err != nil {
		return fmt.Errorf("gokeras: load weights %s: %w", path, err)
	}
	if f := meta["format"]; f != weightsFormatName && f != formatName {
		return fmt.Errorf("gokeras: load weights %s: %w: metadata format is %q, want %q", path, ErrBadModelFile, f, weightsFormatName)
	}
	if !m.net.Built() {
		if err := m.ensureBuilt(nil); err != nil {
			return fmt.Errorf("gokeras: load weights: %w", err)
		}
	}
	type pair struct {
		dst *nn.Param
		src *tensor.Tensor
	}
	var todo []pair
	want := map[string]bool{}
	var missing []string
	for _, l := range m.net.Layers {
		for _, p := range l.Params() {
			name := l.LayerName() + "/" + p.Name
			want[name] = true
			t, ok := ts[name]
			if !ok {
				missing = append(missing, name)
				continue
			}
			if !t.Shape.Equal(p.Value.Shape) {
				return fmt.Errorf("gokeras: load weights %s: weight %q has shape %v in the file, the model needs %v", path, name, t.Shape, p.Value.Shape)
			}
			todo = append(todo, pair{p, t})
		}
	}
	var extra []string
	for name := range ts {
		if !want[name] && !strings.HasPrefix(name, "optimizer/") {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		return fmt.Errorf("gokeras: load weights %s: the file does not fit this model: missing %s; not in the model %s (weights are matched by layer name: build the model with the same layers, or name them as the file does)",
			path, orNone(missing), orNone(extra))
	}
	for _, p := range todo {
		copy(p.dst.Value.Data, p.src.Data)
	}
	return nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return abbreviate(names, 6)
}
