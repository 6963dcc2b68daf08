package gokeras

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// Saving in Keras 3's .keras format, as keras/src/saving/saving_lib.py's
// save_model writes it: a zip whose members are stored (not deflated), in
// this order:
//
//   - metadata.json: {"keras_version": ..., "date_saved": "%Y-%m-%d@%H:%M:%S"};
//   - config.json: serialize_keras_object(model): module, class_name,
//     config and registered_name at every level, plus the model's
//     build_config and compile_config;
//   - model.weights.h5 (H5IOStore): a root group vars (the model's own
//     variables: none), then layers/<snake_case class>[_N]/vars/<i> for
//     every layer, with or without weights (keras3Walk names them), a
//     nested model's layers under layers/<its group>/layers/, and the
//     optimizer's variables under optimizer/vars/<i>.

// kerasSaveVersion is the keras_version metadata.json records. Keras does
// not read it when loading (saving_lib.py's load_model reads config.json
// and model.weights.h5 only); it names the Keras whose output this
// writer reproduces: model.weights.h5 is exactly Keras 3.1.1's layout
// (compared group by group with a file Keras 3.1.1 wrote, in
// TestKerasSaveMatchesKerasFile; Keras 3.10 adds "name" attributes on
// the vars groups, which no Keras reads), and config.json has 3.1.1's
// keys for the layers that file holds, the optimizer keys later versions
// added left out when at their default (None), so that Keras 3.1.1 and
// every later 3.x can read it.
const kerasSaveVersion = "3.1.1"

// kerasExt is the extension that makes Save write a .keras file.
const kerasExt = ".keras"

// isKerasPath reports whether Save writes path in Keras's format.
func isKerasPath(path string) bool {
	return strings.EqualFold(filepath.Ext(path), kerasExt)
}

// SaveKeras writes the model as a Keras 3 .keras file at path, whatever
// its extension, atomically as Save does (Save itself does this for a
// path ending in .keras), in the layout keras.saving.load_model reads
// (checked with h5py as saving_lib reads it, in kerassave_test.go; Keras
// itself cannot run here). load_model insists on the .keras extension.
// The model's
// architecture, weights, compile settings and the optimizer's state are
// written; gokeras's own extras (the epoch count, seed, class names,
// data set name, pixel range) have no place in Keras's format and are
// not: save in gokeras's format to resume training with them.
//
// The optimizer's variables are written as Keras's optimizer of the same
// class keeps them (optimizer/vars/0 the int64 iteration count, 1 the
// float32 learning rate unless a schedule gives it, then the slots) for
// Adam and AdamW (without amsgrad) and SGD, whose slots are Keras's in the
// same order (Adam: momentum then velocity for each trainable variable,
// SGD with momentum: one momentum each); Load reads them back, and Keras's
// own files of those optimizers. For every other optimizer, and for
// one with EMA or gradient accumulation (which add variables), only the
// iteration count and learning rate are written, which is what a
// compiled Keras optimizer holds before it is built: Keras loads those
// two, or, when its optimizer is already built, warns that the numbers
// of variables differ and skips them (Optimizer.load_own_variables);
// either way its slots start afresh, as gokeras's do when it loads any
// .keras file.
func (m *Sequential) SaveKeras(path string) error {
	data, err := m.kerasFile(time.Now())
	if err != nil {
		return fmt.Errorf("gokeras: save %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// CheckSave returns the error Save would give for the model at path
// without writing anything: CheckSavePath's, and for a path ending in
// .keras, .h5 or .hdf5 what Keras's formats cannot hold (SaveKeras,
// SaveKerasH5). A tool that trains
// calls it before the first epoch rather than learn it at the end.
func (m *Sequential) CheckSave(path string) error {
	if err := CheckSavePath(path); err != nil {
		return err
	}
	if isKerasPath(path) || isKerasH5Path(path) {
		if _, err := m.kerasConfigJSON(); err != nil {
			return fmt.Errorf("gokeras: save %s: %w", path, err)
		}
	}
	return nil
}

// kerasFile returns the bytes of the model's .keras file, saved at now.
func (m *Sequential) kerasFile(now time.Time) ([]byte, error) {
	if !m.net.Built() {
		return nil, fmt.Errorf("the model is not built yet; fit it or call Build first")
	}
	// json.dumps of {"keras_version": ..., "date_saved": ...}, in that
	// order; the date in local time, as datetime.now() gives it.
	meta := pyJSON(orderedObject{
		keys: []string{"keras_version", "date_saved"},
		vals: map[string]any{"keras_version": kerasSaveVersion, "date_saved": now.Format("2006-01-02@15:04:05")},
	})
	cfg, err := m.kerasConfigJSON()
	if err != nil {
		return nil, err
	}
	b, err := m.kerasWeights()
	if err != nil {
		return nil, err
	}
	var h5 bytes.Buffer
	if _, err := b.WriteTo(&h5); err != nil {
		return nil, err
	}
	// Python's zipfile dates members opened for writing 1980-01-01 and
	// those written with writestr (model.weights.h5) with the time.
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.Local)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, mem := range []struct {
		name string
		data []byte
		when time.Time
	}{
		{"metadata.json", meta, epoch},
		{"config.json", cfg, epoch},
		{"model.weights.h5", h5.Bytes(), now.Local()},
	} {
		// CreateRaw with the sizes and CRC known: a stored member without
		// a data descriptor, as Python's zipfile writes it.
		fh := &zip.FileHeader{
			Name:               mem.name,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(mem.data),
			CompressedSize64:   uint64(len(mem.data)),
			UncompressedSize64: uint64(len(mem.data)),
		}
		// CreateRaw leaves the MS-DOS date and time as given.
		fh.ModifiedDate, fh.ModifiedTime = dosTime(mem.when)
		fh.SetMode(0o600)
		w, err := zw.CreateRaw(fh)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(mem.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// kerasConfigJSON is the model's config.json: ToJSON's Keras 3 layout
// with what serialize_keras_object adds (keras/src/saving/
// serialization_lib.py): module and registered_name beside every
// class_name, the model's build_config, and a compile_config with every
// key Trainer.get_compile_config writes.
func (m *Sequential) kerasConfigJSON() ([]byte, error) {
	obj, err := m.kerasConfigTree(false)
	if err != nil {
		return nil, err
	}
	return pyJSON(obj), nil
}

// kerasConfigTree is config.json before it is written (kerash5save.go
// turns it into the legacy model_config and training_config). With
// newOptimizerKeys the optimizer keys later Keras 3 versions added stay
// when null, as Keras 3.1+'s legacy .h5 files hold them.
func (m *Sequential) kerasConfigTree(newOptimizerKeys bool) (orderedObject, error) {
	raw, err := m.ToJSON()
	if err != nil {
		return orderedObject{}, err
	}
	var top map[string]any
	// Numbers stay as written (json.Number): a seed beyond 2^53 keeps its
	// digits.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return orderedObject{}, err
	}
	if m.net.Functional() {
		top["module"] = "keras.src.models.functional"
		top["class_name"] = "Functional"
		top["registered_name"] = "Functional"
	} else {
		top["module"] = "keras"
		top["class_name"] = "Sequential"
		top["registered_name"] = nil
	}
	layerModules(top["config"])
	if c, ok := top["config"].(map[string]any); ok {
		if m.net.Functional() {
			top["config"] = functionalConfig(c)
		} else {
			top["config"] = sequentialConfig(&m.net, c)
		}
	}
	// Layer.get_build_config: the shape the model was built for, with
	// the batch dimension.
	if shapes := m.net.InputShapes(); len(shapes) == 1 {
		top["build_config"] = map[string]any{"input_shape": batchShape(shapes[0])}
	} else if len(shapes) > 1 {
		var all []any
		for _, s := range shapes {
			all = append(all, batchShape(s))
		}
		top["build_config"] = map[string]any{"input_shape": all}
	}
	if cc, ok := top["compile_config"].(map[string]any); ok {
		if opt, ok := cc["optimizer"].(map[string]any); ok {
			name, _ := opt["class_name"].(string)
			opt["class_name"] = optim.ClassName(name)
			withModule(opt, "keras.optimizers")
			if c, ok := opt["config"].(map[string]any); ok {
				withModule(c["learning_rate"], "keras.optimizers.schedules")
				// Keys later Keras 3 versions added (3.4's gradient
				// accumulation, loss scaling): left out when at their
				// default, None, so that every Keras 3 reads the config.
				for _, k := range []string{"loss_scale_factor", "gradient_accumulation_steps"} {
					if v, ok := c[k]; ok && v == nil && !newOptimizerKeys {
						delete(c, k)
					}
				}
			}
		}
		withModule(cc["loss"], "keras.losses")
		withModule(cc["metrics"], "keras.metrics")
		withModule(cc["weighted_metrics"], "keras.metrics")
		// Trainer.get_compile_config's keys (keras/src/trainers/trainer.py).
		cco := orderedObject{vals: cc}
		for _, k := range []string{"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile"} {
			if _, ok := cc[k]; !ok {
				cc[k] = map[string]any{"run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}[k]
			}
			cco.keys = append(cco.keys, k)
		}
		top["compile_config"] = cco
	} else {
		// A model never compiled: Keras writes no compile_config key then
		// (serialize_keras_object adds it only when compiled).
		delete(top, "compile_config")
	}
	// serialize_keras_object's key order.
	obj := orderedObject{vals: top}
	for _, k := range []string{"module", "class_name", "config", "registered_name", "build_config", "compile_config"} {
		if _, ok := top[k]; ok {
			obj.keys = append(obj.keys, k)
		}
	}
	if len(obj.keys) != len(top) {
		return orderedObject{}, fmt.Errorf("config.json: ToJSON wrote top-level keys Keras does not (%d of them)", len(top)-len(obj.keys))
	}
	var ext []string
	gokerasExtensions(obj, "", &ext)
	if len(ext) > 0 {
		slices.Sort(ext)
		ext = slices.Compact(ext)
		return orderedObject{}, fmt.Errorf("the model uses what Keras 3 does not have, so Keras could not load it from its own formats (.keras, legacy .h5): %s; save it in gokeras's format (a file name not ending in .keras, .h5 or .hdf5), or build and compile it without them", strings.Join(abbreviateProblems(ext, 12), "; "))
	}
	return obj, nil
}

// nonZero reports whether a config value is a number other than 0.
func nonZero(v any) bool {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		return err != nil || f != 0
	case float64:
		return v != 0
	}
	return false
}

// gokerasClasses are the classes gokeras writes that Keras 3 lacks
// (docs/keras-coverage.md): its layers, the OneCycle schedule and the
// Dirac initializer.
var gokerasClasses = map[string]string{
	"PatchWhitening": "layer", "Whitening": "layer",
	"OneCycle": "learning-rate schedule", "Dirac": "initializer",
}

// gokerasExtensions appends to out each gokeras extension a model config
// uses that Keras 3 would refuse when loading it: the classes above,
// RandomCrop's padding, label_smoothing on SparseCategoricalCrossentropy
// and an optimizer's lr_multipliers.
func gokerasExtensions(v any, where string, out *[]string) {
	var m map[string]any
	switch v := v.(type) {
	case orderedObject:
		m = v.vals
	case map[string]any:
		m = v
	case []any:
		for _, e := range v {
			gokerasExtensions(e, where, out)
		}
		return
	case string:
		if v == "dirac" && strings.HasSuffix(where, "_initializer") {
			*out = append(*out, fmt.Sprintf("the dirac initializer (%s)", where))
		}
		return
	default:
		return
	}
	if class, ok := m["class_name"].(string); ok {
		cfg, _ := m["config"].(map[string]any)
		name, _ := cfg["name"].(string)
		if name == "" {
			name = where
		}
		if kind, ok := gokerasClasses[class]; ok {
			*out = append(*out, fmt.Sprintf("the %s %s (%s), a gokeras %s", class, kind, name, kind))
		}
		switch {
		case class == "RandomCrop" && nonZero(cfg["padding"]):
			*out = append(*out, fmt.Sprintf("RandomCrop %s's padding, a gokeras extension", name))
		case class == "SparseCategoricalCrossentropy" && nonZero(cfg["label_smoothing"]):
			*out = append(*out, "label_smoothing on SparseCategoricalCrossentropy, a gokeras extension")
		}
	}
	if _, ok := m["lr_multipliers"]; ok {
		*out = append(*out, "the optimizer's lr_multipliers, a gokeras extension")
	}
	for k, e := range m {
		gokerasExtensions(e, k, out)
	}
}

// sequentialConfig is Sequential.get_config (keras/src/models/
// sequential.py) for Keras 3.1: name, trainable, dtype, layers (the
// InputLayer first, then each layer with the build_config of the shape
// it was built on) and build_input_shape.
// A nested Sequential's config is written the same way.
func sequentialConfig(net *nn.Stack, c map[string]any) orderedObject {
	ls, _ := c["layers"].([]any)
	shape := net.InputShape()
	li := 0
	for _, l := range ls {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		if lm["class_name"] == "InputLayer" {
			inputLayerConfig(lm)
			continue
		}
		if li < len(net.Layers) && lm["class_name"] == "Sequential" {
			if n, ok := net.Layers[li].(*nn.Nested); ok && !n.Net.Functional() {
				if nc, ok := lm["config"].(map[string]any); ok {
					lm["config"] = sequentialConfig(n.Net, nc)
				}
			}
		}
		if li < len(net.Layers) && shape != nil {
			// Keras's Dropout is built in __init__, so it has no build
			// shapes and gets no build_config (as in files Keras 3.1
			// and 3.10 wrote).
			if lm["class_name"] != "Dropout" {
				lm["build_config"] = map[string]any{"input_shape": batchShape(shape)}
			}
			out, err := net.Layers[li].OutputShape(shape)
			if err != nil {
				out = nil
			}
			shape = out
		}
		li++
	}
	in := net.InputShape()
	return orderedObject{
		keys: []string{"name", "trainable", "dtype", "layers", "build_input_shape"},
		vals: map[string]any{"name": c["name"], "trainable": true, "dtype": "float32", "layers": ls, "build_input_shape": batchShape(in)},
	}
}

// inputLayerConfig writes an InputLayer's config as InputLayer.get_config
// does in Keras 3.1: batch_shape, dtype, sparse, name.
func inputLayerConfig(lm map[string]any) {
	ic, ok := lm["config"].(map[string]any)
	if !ok {
		return
	}
	delete(ic, "trainable")
	if _, ok := ic["sparse"]; !ok {
		ic["sparse"] = false
	}
	lm["config"] = orderedObject{keys: []string{"batch_shape", "dtype", "sparse", "name"}, vals: ic}
}

// functionalConfig is Functional.get_config (keras/src/models/
// functional.py): name, trainable, layers, input_layers, output_layers.
func functionalConfig(c map[string]any) orderedObject {
	ls, _ := c["layers"].([]any)
	for _, l := range ls {
		if lm, ok := l.(map[string]any); ok && lm["class_name"] == "InputLayer" {
			inputLayerConfig(lm)
		}
	}
	return orderedObject{keys: []string{"name", "trainable", "layers", "input_layers", "output_layers"}, vals: c}
}

// orderedObject is a JSON object written with its keys in order (then
// any others sorted), as Python's dicts keep insertion order.
type orderedObject struct {
	keys []string
	vals map[string]any
}

// leadingKeys are written first, in this order, in objects pyJSON writes
// from plain maps: serialize_keras_object's order.
var leadingKeys = []string{"module", "class_name", "config", "registered_name", "build_config", "name"}

// pyJSON writes v as Python's json.dumps does by default (", " and ": "
// separators); maps put leadingKeys first, the rest sorted.
func pyJSON(v any) []byte {
	var b bytes.Buffer
	writePyJSON(&b, v)
	return b.Bytes()
}

func writePyJSON(b *bytes.Buffer, v any) {
	writeObj := func(keys []string, vals map[string]any) {
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteString(": ")
			writePyJSON(b, vals[k])
		}
		b.WriteByte('}')
	}
	orderKeys := func(first []string, vals map[string]any) []string {
		var keys []string
		seen := map[string]bool{}
		for _, k := range first {
			if _, ok := vals[k]; ok && !seen[k] {
				keys = append(keys, k)
				seen[k] = true
			}
		}
		var rest []string
		for k := range vals {
			if !seen[k] {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		return append(keys, rest...)
	}
	switch v := v.(type) {
	case orderedObject:
		writeObj(orderKeys(v.keys, v.vals), v.vals)
	case map[string]any:
		writeObj(orderKeys(leadingKeys, v), v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, e)
		}
		b.WriteByte(']')
	default:
		// Scalars, and values json.Unmarshal did not make (re-read as
		// generic JSON so their objects and lists get the same layout).
		raw, err := json.Marshal(v)
		if err != nil {
			b.WriteString("null")
			return
		}
		switch v.(type) {
		case nil, bool, float64, string, int, json.Number:
			b.Write(raw)
			return
		}
		var g any
		if json.Unmarshal(raw, &g) != nil {
			b.Write(raw)
			return
		}
		writePyJSON(b, g)
	}
}

// dosTime is t as an MS-DOS date and time (APPNOTE.TXT 4.4.6), as Python's
// zipfile writes them.
func dosTime(t time.Time) (date, tm uint16) {
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// withModule adds module (and a null registered_name) to v when it is a
// serialized Keras object ({"class_name", "config"}) without one, or to
// each such object in a list or map of them (per-output losses and
// metrics). Strings ("accuracy") stay as they are.
func withModule(v any, module string) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["class_name"]; ok {
			if _, ok := v["module"]; !ok {
				v["module"] = module
			}
			if _, ok := v["registered_name"]; !ok {
				v["registered_name"] = nil
			}
			return
		}
		for _, e := range v {
			withModule(e, module)
		}
	case []any:
		for _, e := range v {
			withModule(e, module)
		}
	}
}

// layerModules gives each layer of a model config (and of the models
// nested in it) the module serialize_keras_object writes: keras for a
// Sequential, keras.src.models.functional for a Functional model,
// keras.layers for a layer.
func layerModules(cfg any) {
	c, ok := cfg.(map[string]any)
	if !ok {
		return
	}
	ls, _ := c["layers"].([]any)
	for _, l := range ls {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		switch lm["class_name"] {
		case "Sequential":
			withModule(lm, "keras")
		case "Functional":
			if _, ok := lm["registered_name"]; !ok {
				lm["registered_name"] = "Functional"
			}
			withModule(lm, "keras.src.models.functional")
		default:
			withModule(lm, "keras.layers")
		}
		layerModules(lm["config"])
	}
}

// batchShape is a per-sample shape with Keras's leading null batch size.
func batchShape(s tensor.Shape) []any {
	out := []any{nil}
	for _, d := range s {
		out = append(out, d)
	}
	return out
}

// kerasWeights builds model.weights.h5 as H5IOStore writes it.
func (m *Sequential) kerasWeights() (*hdf5.Builder, error) {
	b := hdf5.NewBuilder()
	root := b.Root()
	// The model's own variables (none), saving_lib's H5Entry for path "".
	if _, err := root.Group("vars"); err != nil {
		return nil, err
	}
	var werr error
	fail := func(err error) {
		if werr == nil && err != nil {
			werr = err
		}
	}
	// A Functional model's layers include its InputLayers (Keras's
	// Functional.layers), each with an empty vars group.
	inputGroups := func(prefix string, net *nn.Stack) {
		if !net.Functional() {
			return
		}
		for i := range net.InputShapes() {
			name := "input_layer"
			if i > 0 {
				name += "_" + strconv.Itoa(i)
			}
			_, err := groupPath(root, prefix+"layers/"+name+"/vars")
			fail(err)
		}
	}
	inputGroups("", &m.net)
	keras3Walk(m.net.Layers, "", "", func(path, _ string, l nn.Layer) {
		if n, ok := l.(*nn.Nested); ok {
			_, err := groupPath(root, path+"/vars")
			fail(err)
			inputGroups(path+"/", n.Net)
			return // its layers are visited next
		}
		for _, g := range kerasGroups(l) {
			vars, err := groupPath(root, path+"/"+g.Path)
			if err != nil {
				fail(err)
				return
			}
			for i, p := range g.Params {
				fail(vars.AddFloat32(strconv.Itoa(i), p.Value.Shape, p.Value.Data))
			}
		}
	})
	if werr != nil {
		return nil, werr
	}
	if m.compiled {
		if err := m.kerasOptimizer(root); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// groupPath returns the group at a slash-separated path below g, creating
// the groups on the way.
func groupPath(g *hdf5.BuildGroup, path string) (*hdf5.BuildGroup, error) {
	for _, p := range strings.Split(path, "/") {
		var err error
		if g, err = g.Group(p); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// kerasOptimizer writes optimizer/vars as SaveKeras describes.
func (m *Sequential) kerasOptimizer(root *hdf5.BuildGroup) error {
	opt := m.model.Optimizer
	vars, err := groupPath(root, "optimizer/vars")
	if err != nil {
		return err
	}
	// Optimizer.__init__ creates iterations (int64) and, unless a schedule
	// gives it, learning_rate (float32), in this order
	// (keras/src/optimizers/base_optimizer.py).
	if err := vars.AddInt64("0", nil, []int64{opt.Iterations()}); err != nil {
		return err
	}
	n := 1
	if opt.Schedule() == nil {
		if err := vars.AddFloat32("1", nil, []float32{float32(opt.LearningRate())}); err != nil {
			return err
		}
		n++
	}
	for _, s := range m.kerasSlots() {
		if err := vars.AddFloat32(strconv.Itoa(n), s.Shape, s.Data); err != nil {
			return err
		}
		n++
	}
	return nil
}

// kerasSlots returns the optimizer's slots in the order Keras's
// optimizer of the same class keeps them, or nil when they cannot be
// written that way (see SaveKeras) or the optimizer has not stepped yet.
func (m *Sequential) kerasSlots() []*tensor.Tensor {
	opt := m.model.Optimizer
	kinds, ok := kerasSlotKinds(opt)
	if !ok || len(kinds) == 0 {
		return nil
	}
	state := opt.State()
	shapes := m.trainableShapes()
	if len(state) != len(kinds)*len(shapes) {
		return nil
	}
	out := make([]*tensor.Tensor, len(state))
	for i, s := range state {
		v, k := i/len(kinds), kinds[i%len(kinds)]
		if s.Name != k+"/"+strconv.Itoa(v) || !s.Value.Shape.Equal(shapes[v]) {
			return nil
		}
		out[i] = s.Value
	}
	return out
}

// kerasSlotKinds returns gokeras's names of the slots Keras's optimizer
// of opt's class keeps for each trainable variable, in the order its build
// adds them, where that order is gokeras's too: keras/src/optimizers/
// adam.py (momentum, velocity for each variable in turn; AdamW is an Adam)
// and sgd.py (momentum, only when momentum != 0). ok is false for the
// others, and where EMA, gradient accumulation or amsgrad add variables
// in another order.
func kerasSlotKinds(opt optim.Optimizer) (kinds []string, ok bool) {
	cfg := opt.Config()
	if cfg["use_ema"] == true || (cfg["gradient_accumulation_steps"] != nil && cfg["gradient_accumulation_steps"] != 0) {
		return nil, false
	}
	switch o := opt.(type) {
	case *optim.Adam:
		if o.AMSGrad {
			return nil, false // Keras adds the velocity_hats after all the others
		}
		return []string{"m", "v"}, true
	case *optim.AdamW:
		if o.AMSGrad {
			return nil, false
		}
		return []string{"m", "v"}, true
	case *optim.SGD:
		if o.Momentum == 0 {
			return nil, true
		}
		return []string{"m"}, true
	}
	return nil, false
}

// trainableVar is a trainable variable and the name of its layer.
type trainableVar struct {
	layer string
	p     *nn.Param
}

// trainableVars lists the trainable variables, in the order train.Model
// gathers them for Apply and Keras's model.trainable_variables lists them.
func (m *Sequential) trainableVars() []trainableVar {
	var vs []trainableVar
	for _, l := range m.net.Layers {
		if !nn.IsTrainable(l) {
			continue
		}
		for _, p := range l.Params() {
			if p.Trainable() {
				vs = append(vs, trainableVar{l.LayerName(), p})
			}
		}
	}
	return vs
}

// trainableShapes is the shapes of trainableVars.
func (m *Sequential) trainableShapes() []tensor.Shape {
	var shapes []tensor.Shape
	for _, v := range m.trainableVars() {
		shapes = append(shapes, v.p.Value.Shape)
	}
	return shapes
}
