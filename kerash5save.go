package gokeras

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// Saving in Keras's legacy HDF5 format, as Keras 3's model.save("m.h5")
// writes it (keras/src/legacy/saving/legacy_h5_format.py's
// save_model_to_hdf5 and save_weights_to_hdf5_group, with
// saving_utils.py's model_metadata), with the attribute types h5py gives
// the Python values Keras passes it:
//
//   - root attributes keras_version and backend (Python str: scalar
//     variable-length UTF-8 strings), model_config and training_config
//     (json.dumps(...).encode("utf8"), Python bytes: scalar
//     variable-length ASCII strings);
//   - a group model_weights with attributes layer_names (a list of bytes:
//     an array of variable-length ASCII strings), backend and
//     keras_version (bytes: ASCII), and one group per layer of
//     model.layers (a Sequential's without its InputLayer, a Functional
//     model's with its InputLayers), each with attribute weight_names
//     (the weights' paths as bytes, or, for a layer without weights, the
//     empty float64 array np.asarray([]) is) and the weights as float32
//     datasets at those paths below the layer's group; then a group
//     top_level_model_weights holding the model's own weights (none).
//
// Keras reads the weights back by order, not by name
// (load_weights_from_hdf5_group): the layers with weights in layer_names
// order take the model's layers with weights in model order, and each
// layer's weights are its weight_names in order.

// kerasH5Backend is the backend the file records. Keras 3 reads it into
// original_backend and does nothing with it; Keras 2 converted Theano
// kernels by it. gokeras's weights have TensorFlow's layout (channels
// last, kernels as TensorFlow keeps them), which Keras's other backends
// share, and Keras files in the wild say "tensorflow".
const kerasH5Backend = "tensorflow"

// kerasH5AttrLimit is legacy_h5_format.py's HDF5_OBJECT_HEADER_LIMIT:
// names arrays larger than this Keras splits into layer_names0,
// layer_names1, ...
const kerasH5AttrLimit = 64512

// isKerasH5Path reports whether Save writes path in Keras's legacy HDF5
// format: it ends in .h5 or .hdf5, as Keras's saving_api.save_model
// decides (a name ending in .weights.h5 too).
func isKerasH5Path(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".h5" || ext == ".hdf5"
}

// SaveKerasH5 writes the model in Keras's legacy HDF5 format at path,
// whatever its extension, atomically as Save does (Save itself does this
// for a path ending in .h5 or .hdf5): the file Keras 3's
// model.save("m.h5") writes, which keras.saving.load_model (Keras 3) and
// keras.models.load_model (Keras 2.13+, for the layers both know) read.
// The model's architecture (model_config), compile settings
// (training_config, when compiled) and weights are written; gokeras's
// own extras are not, as with SaveKeras.
//
// A compiled model's optimizer state goes in the optimizer_weights group,
// as Keras 3 writes it by default (include_optimizer=True,
// legacy_h5_format.save_optimizer_weights_to_hdf5_group): its variables
// in optimizer.variables order, each a dataset named as weight_names
// lists it: "iteration", "learning_rate" (unless a schedule gives it),
// then each slot as Keras names it, the variable's path with "/" as "_"
// and the slot's kind ("sequential_dense_kernel_momentum"). Keras reads
// them by position. The slots are written for the optimizers whose layout
// SaveKeras writes (Adam, AdamW, SGD); for the others, the first two.
//
// The weights' names in weight_names (and their datasets) are their
// paths in the model, as Keras 3 writes w.path: "dense/kernel", or for a
// model nested in another "sequential_1/dense/kernel" (Keras 3.1 wrote
// the bare variable names, "kernel", which collide in a nested model;
// Keras reads either, by the names the attribute lists).
func (m *Sequential) SaveKerasH5(path string) error {
	data, err := m.kerasH5File()
	if err != nil {
		return fmt.Errorf("gokeras: save %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// kerasH5File returns the bytes of the model's legacy .h5 file.
func (m *Sequential) kerasH5File() ([]byte, error) {
	if !m.net.Built() {
		return nil, fmt.Errorf("the model is not built yet; fit it or call Build first")
	}
	tree, err := m.kerasConfigTree(true)
	if err != nil {
		return nil, err
	}
	modelCfg, trainingCfg, layerNames := legacyH5Configs(tree, m.net.Functional())
	b := hdf5.NewBuilder()
	root := b.Root()
	// model_metadata's order: keras_version, backend, model_config, then
	// training_config when the model is compiled.
	attrs := []struct {
		name string
		v    any
	}{
		{"keras_version", kerasSaveVersion},
		{"backend", kerasH5Backend},
		{"model_config", hdf5.ASCIIString(asciiJSON(pyJSON(modelCfg)))},
	}
	if trainingCfg != nil {
		attrs = append(attrs, struct {
			name string
			v    any
		}{"training_config", hdf5.ASCIIString(asciiJSON(pyJSON(*trainingCfg)))})
	}
	for _, a := range attrs {
		if err := root.SetAttr(a.name, a.v); err != nil {
			return nil, err
		}
	}
	mw, err := root.Group("model_weights")
	if err != nil {
		return nil, err
	}
	if err := m.legacyH5Weights(mw, layerNames); err != nil {
		return nil, err
	}
	if m.compiled {
		if err := m.legacyH5Optimizer(root); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	if _, err := b.WriteTo(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// legacyH5Optimizer writes the optimizer_weights group (see SaveKerasH5).
func (m *Sequential) legacyH5Optimizer(root *hdf5.BuildGroup) error {
	opt := m.model.Optimizer
	names := []string{"iteration"}
	var vals []*tensor.Tensor // the float32 variables after the iteration count
	if opt.Schedule() == nil {
		names = append(names, "learning_rate")
		vals = append(vals, &tensor.Tensor{Data: []float32{float32(opt.LearningRate())}})
	}
	if slots := m.kerasSlots(); slots != nil {
		kinds, _ := kerasSlotKinds(opt)
		// Keras's names for gokeras's slot kinds (adam.py, sgd.py).
		kerasKind := map[string]string{"m": "momentum", "v": "velocity"}
		vars := m.trainableVars()
		for i, t := range slots {
			v := vars[i/len(kinds)]
			path := m.Name + "_" + v.layer + "_" + v.p.Name
			names = append(names, strings.ReplaceAll(path, "/", "_")+"_"+kerasKind[kinds[i%len(kinds)]])
			vals = append(vals, t)
		}
	}
	if err := namesFitAttr("weight_names", names); err != nil {
		return err
	}
	g, err := root.Group("optimizer_weights")
	if err != nil {
		return err
	}
	if err := g.SetAttr("weight_names", hdf5.ASCIIStrings(names)); err != nil {
		return err
	}
	if err := g.AddInt64("iteration", nil, []int64{opt.Iterations()}); err != nil {
		return err
	}
	for i, v := range vals {
		if err := g.AddFloat32(names[1+i], v.Shape, v.Data); err != nil {
			return err
		}
	}
	return nil
}

// legacyH5Weights fills model_weights as save_weights_to_hdf5_group does.
func (m *Sequential) legacyH5Weights(mw *hdf5.BuildGroup, layerNames []string) error {
	if err := namesFitAttr("layer_names", layerNames); err != nil {
		return err
	}
	for _, a := range []struct {
		name string
		v    any
	}{
		{"layer_names", hdf5.ASCIIStrings(layerNames)},
		{"backend", hdf5.ASCIIString(kerasH5Backend)},
		{"keras_version", hdf5.ASCIIString(kerasSaveVersion)},
	} {
		if err := mw.SetAttr(a.name, a.v); err != nil {
			return err
		}
	}
	byName := map[string]nn.Layer{}
	for _, l := range m.net.Layers {
		byName[l.LayerName()] = l
	}
	listed := map[string]bool{}
	for _, name := range layerNames {
		g, err := mw.Group(name)
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
		listed[name] = true
		l, ok := byName[name]
		if !ok {
			// An InputLayer of a Functional model: no weights.
			if err := g.SetAttr("weight_names", []float64{}); err != nil {
				return err
			}
			continue
		}
		if err := writeLegacyLayer(g, l); err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
	}
	for _, l := range m.net.Layers {
		if !listed[l.LayerName()] {
			return fmt.Errorf("layer %q is missing from the model's config, so its weights would be lost", l.LayerName())
		}
	}
	// The model's own variables (model._trainable_variables and
	// _non_trainable_variables): gokeras models have none.
	top, err := mw.Group("top_level_model_weights")
	if err != nil {
		return err
	}
	return top.SetAttr("weight_names", []float64{})
}

// writeLegacyLayer writes a layer's weight_names and weights, in the
// order legacyWeights gives (the one the loader reads them in).
func writeLegacyLayer(g *hdf5.BuildGroup, l nn.Layer) error {
	ps := legacyWeights(l)
	if len(ps) == 0 {
		return g.SetAttr("weight_names", []float64{})
	}
	paths := map[*nn.Param]string{}
	legacyParamPaths([]nn.Layer{l}, "", paths)
	names := make([]string, len(ps))
	seen := map[string]bool{}
	for i, p := range ps {
		names[i] = paths[p]
		if seen[names[i]] {
			return fmt.Errorf("two weights are both named %q; rename the layers of the nested model so that their names differ", names[i])
		}
		seen[names[i]] = true
	}
	if err := namesFitAttr("weight_names", names); err != nil {
		return err
	}
	if err := g.SetAttr("weight_names", hdf5.ASCIIStrings(names)); err != nil {
		return err
	}
	for i, p := range ps {
		dir, base := "", names[i]
		if j := strings.LastIndex(base, "/"); j >= 0 {
			dir, base = base[:j], base[j+1:]
		}
		dg := g
		if dir != "" {
			var err error
			if dg, err = groupPath(g, dir); err != nil {
				return err
			}
		}
		if err := dg.AddFloat32(base, p.Value.Shape, p.Value.Data); err != nil {
			return err
		}
	}
	return nil
}

// legacyParamPaths records each weight's path in the model: the names of
// the layers leading to it and its own, "dense/kernel".
func legacyParamPaths(layers []nn.Layer, owner string, out map[*nn.Param]string) {
	for _, l := range layers {
		where := owner + l.LayerName()
		if n, ok := l.(*nn.Nested); ok {
			legacyParamPaths(n.Net.Layers, where+"/", out)
			continue
		}
		for _, p := range l.Params() {
			out[p] = where + "/" + p.Name
		}
	}
}

// namesFitAttr refuses a names array larger than Keras writes as one
// attribute: np.asarray of the bytes (as long as the longest, times their
// number) above HDF5_OBJECT_HEADER_LIMIT, which Keras splits into
// numbered attributes gokeras does not write (nor read).
func namesFitAttr(attr string, names []string) error {
	longest := 0
	for _, n := range names {
		longest = max(longest, len(n))
	}
	if longest*len(names) > kerasH5AttrLimit {
		return fmt.Errorf("%d names of up to %d bytes in %s exceed the %d bytes Keras keeps in one attribute; save as .keras instead", len(names), longest, attr, kerasH5AttrLimit)
	}
	return nil
}

// legacyH5Configs turns config.json's tree (kerasConfigTree) into the
// legacy file's model_config and training_config, and returns the names
// of model.layers in order (layer_names).
//
// model_config is {"class_name": ..., "config": model.get_config()} under
// use_legacy_config (saving_utils.py's model_metadata): each layer
// serialized by legacy serialize_keras_object, {"class_name", "config"}
// without module, registered_name or build_config, a Functional model's
// layers with their name and inbound_nodes beside (functional.py's
// get_config); what a layer's config holds (initializers, regularizers,
// dtype) is as in config.json.
//
// training_config is the compile config without its optimizer, each
// loss and metric object in the legacy form, followed by
// optimizer_config {"class_name", "config"}: the keys in the order
// Keras 3.1's file 03_moonflower_mnist_cnn.h5 holds them.
func legacyH5Configs(tree orderedObject, functional bool) (orderedObject, *orderedObject, []string) {
	cfg := tree.vals["config"]
	legacyLayers(cfg)
	var names []string
	for _, l := range configLayers(cfg) {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		if lm["class_name"] == "InputLayer" && !functional {
			continue // Sequential.layers leaves its InputLayer out
		}
		name, _ := lm["name"].(string)
		if name == "" {
			name, _ = configOf(lm["config"])["name"].(string)
		}
		names = append(names, name)
	}
	model := orderedObject{
		keys: []string{"class_name", "config"},
		vals: map[string]any{"class_name": tree.vals["class_name"], "config": cfg},
	}
	var cc map[string]any
	switch c := tree.vals["compile_config"].(type) {
	case orderedObject:
		cc = c.vals
	case map[string]any:
		cc = c
	}
	if cc == nil {
		return model, nil, names
	}
	tc := orderedObject{vals: map[string]any{}}
	for _, k := range []string{"loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile"} {
		v := cc[k]
		if k == "loss" || k == "metrics" || k == "weighted_metrics" {
			legacyObjects(v)
		}
		tc.keys = append(tc.keys, k)
		tc.vals[k] = v
	}
	if opt, ok := cc["optimizer"].(map[string]any); ok {
		tc.keys = append(tc.keys, "optimizer_config")
		tc.vals["optimizer_config"] = orderedObject{
			keys: []string{"class_name", "config"},
			vals: map[string]any{"class_name": opt["class_name"], "config": opt["config"]},
		}
	}
	return model, &tc, names
}

// configOf returns a config object's values.
func configOf(v any) map[string]any {
	switch c := v.(type) {
	case orderedObject:
		return c.vals
	case map[string]any:
		return c
	}
	return nil
}

// configLayers returns the layers list of a model's config.
func configLayers(cfg any) []any {
	ls, _ := configOf(cfg)["layers"].([]any)
	return ls
}

// legacyLayers strips what legacy serialize_keras_object does not write
// from a model config's layers, and from those of the models nested in
// it.
func legacyLayers(cfg any) {
	for _, l := range configLayers(cfg) {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		delete(lm, "module")
		delete(lm, "registered_name")
		delete(lm, "build_config")
		switch lm["class_name"] {
		case "Sequential", "Functional", "Model":
			legacyLayers(lm["config"])
		}
	}
}

// legacyObjects puts each serialized Keras object in a loss or metrics
// value (a single one, or lists and dicts of them per output) into the
// legacy form {"class_name", "config"}; names ("accuracy") stay.
func legacyObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["class_name"]; ok {
			delete(v, "module")
			delete(v, "registered_name")
			return
		}
		for _, e := range v {
			legacyObjects(e)
		}
	case []any:
		for _, e := range v {
			legacyObjects(e)
		}
	}
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX
// (a surrogate pair above U+FFFF), as Python's json.dumps does by default
// (ensure_ascii): Keras's legacy configs are ASCII. Outside strings JSON
// has only ASCII, so the text's meaning is unchanged.
func asciiJSON(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}
