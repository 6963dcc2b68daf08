package gokeras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// legacyH5LoadScript reads a legacy .h5 file as Keras 3's
// legacy_h5_format.load_model_from_hdf5 does, with h5py: model_config
// (decoded, parsed; its layers in the legacy form, without module or
// build_config, which Functional's from_config tells apart by "module"),
// then load_weights_from_hdf5_group: layer_names through
// load_attributes_from_hdf5_group, each layer's weight_names, the layers
// with weights in layer_names order, each weight read at its name below
// the layer's group. It checks layer_names against model.layers as
// Keras rebuilds them from the config (a Sequential's without its
// InputLayer), and the layers with weights against the model's, in model
// order, each weight by dtype, shape and the SHA-256 of its bytes: bit
// for bit. It prints the problems found, as a JSON list.
const legacyH5LoadScript = `
import json, sys, hashlib
import h5py, numpy as np

want = json.load(sys.stdin)
problems = []
bad = problems.append
f = h5py.File(want["path"], "r")

def load_attributes(group, name):
    if name in group.attrs:
        return [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs[name]]
    data, chunk = [], 0
    while "%s%d" % (name, chunk) in group.attrs:
        data.extend(n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs["%s%d" % (name, chunk)])
        chunk += 1
    return data

for k in ("keras_version", "backend"):
    if not isinstance(f.attrs.get(k), str):
        bad("root attribute %s: %r" % (k, f.attrs.get(k)))
mc = f.attrs.get("model_config")
if hasattr(mc, "decode"):
    mc = mc.decode("utf-8")
cfg = json.loads(mc)
if sorted(cfg) != ["class_name", "config"] or cfg["class_name"] != want["class_name"]:
    bad("model_config: keys %r, class_name %r" % (sorted(cfg), cfg.get("class_name")))
def legacy(layers, where):
    for l in layers:
        if "module" in l or "registered_name" in l or "build_config" in l:
            bad("%s layer %s is not in the legacy form: keys %r" % (where, l.get("config", {}).get("name"), sorted(l)))
        if l.get("class_name") in ("Sequential", "Functional"):
            legacy(l["config"]["layers"], l["config"]["name"])
layers = cfg["config"]["layers"]
legacy(layers, "model")
model_layers = [l for l in layers if not (cfg["class_name"] == "Sequential" and l["class_name"] == "InputLayer")]
names = [l.get("name") or l["config"]["name"] for l in model_layers]

mw = f["model_weights"]
layer_names = load_attributes(mw, "layer_names")
if layer_names != names:
    bad("layer_names %r, model.layers from model_config %r" % (layer_names, names))
filtered = []
for name in layer_names:
    g = mw[name]
    wn = load_attributes(g, "weight_names")
    if wn:
        filtered.append((name, wn, [np.asarray(g[w]) for w in wn]))
if [x[0] for x in filtered] != [l["name"] for l in want["layers"]]:
    bad("layers with weights %r, the model's %r" % ([x[0] for x in filtered], [l["name"] for l in want["layers"]]))
for (name, wn, vals), wl in zip(filtered, want["layers"]):
    if wn != [w["name"] for w in wl["weights"]]:
        bad("%s: weight_names %r, want %r" % (name, wn, [w["name"] for w in wl["weights"]]))
    if len(vals) != len(wl["weights"]):
        continue
    for v, w in zip(vals, wl["weights"]):
        if v.dtype != np.dtype("<f4") or list(v.shape) != w["shape"]:
            bad("%s/%s: %s %r, want float32 %r" % (name, w["name"], v.dtype, v.shape, w["shape"]))
        elif hashlib.sha256(v.tobytes()).hexdigest() != w["sha"]:
            bad("%s/%s: values differ" % (name, w["name"]))
if load_attributes(mw["top_level_model_weights"], "weight_names"):
    bad("top_level_model_weights holds weights")
if want["compiled"]:
    tc = f.attrs.get("training_config")
    if hasattr(tc, "decode"):
        tc = tc.decode("utf-8")
    tc = json.loads(tc)
    oc = tc.get("optimizer_config", {})
    if sorted(oc) != ["class_name", "config"] or oc["class_name"] != want["optimizer"]:
        bad("optimizer_config %r" % oc)
    for k in ("loss", "metrics", "weighted_metrics", "loss_weights"):
        if k not in tc:
            bad("training_config lacks %s (compile_args_from_training_config reads it)" % k)
elif "training_config" in f.attrs:
    bad("an uncompiled model's file has a training_config")
json.dump(problems, sys.stdout)
`

// checkLegacyH5File checks the .h5 file at path with h5py (skipping
// without it) against m: see legacyH5LoadScript. The weights expected for
// each layer are worked out here as Keras's _legacy_weights orders them
// (layer.trainable_weights + layer.non_trainable_weights; a nested
// model's are its layers' in order, trainable ones first), named by
// their paths.
func checkLegacyH5File(t *testing.T, path string, m *Sequential) {
	t.Helper()
	type layerWant struct {
		Name    string         `json:"name"`
		Weights []kerasWantVar `json:"weights"`
	}
	var layers []layerWant
	for _, l := range m.net.Layers {
		var tr, non []kerasWantVar
		var walk func(l nn.Layer, path string, trainable bool)
		walk = func(l nn.Layer, path string, trainable bool) {
			trainable = trainable && nn.IsTrainable(l)
			if n, ok := l.(*nn.Nested); ok {
				for _, il := range n.Net.Layers {
					walk(il, path+"/"+il.LayerName(), trainable)
				}
				return
			}
			for _, p := range l.Params() {
				w := kerasWantVar{Name: path + "/" + p.Name, Shape: []int(p.Value.Shape), SHA: f32sha(p.Value.Data)}
				if trainable && p.Trainable() {
					tr = append(tr, w)
				} else {
					non = append(non, w)
				}
			}
		}
		walk(l, l.LayerName(), true)
		if ws := append(tr, non...); len(ws) > 0 {
			layers = append(layers, layerWant{l.LayerName(), ws})
		}
	}
	class := "Sequential"
	if m.net.Functional() {
		class = "Functional"
	}
	in := map[string]any{"path": path, "class_name": class, "layers": layers, "compiled": m.compiled}
	if m.compiled {
		in["optimizer"] = optim.ClassName(m.model.Optimizer.Name())
	}
	var problems []string
	pyref.Run(t, legacyH5LoadScript, in, &problems, "h5py", "numpy")
	for _, p := range problems {
		t.Errorf("%s: %s", filepath.Base(path), p)
	}
}

// h5RoundTrip saves m as .h5, checks the file with h5py, loads it back
// with Load and compares predictions on x bit for bit.
func h5RoundTrip(t *testing.T, m *Sequential, x *tensor.Tensor) {
	t.Helper()
	saveRoundTrip(t, m, x, "model.h5", checkLegacyH5File)
}

// TestH5SaveRoundTripCNN: the note's cifar10-cnn (a Sequential CNN),
// trained a step with Adam, saved as .h5.
func TestH5SaveRoundTripCNN(t *testing.T) {
	m := presetModel(t, "cifar10-cnn")
	x, y := randomImages(32, 10, tensor.Shape{32, 32, 3}, 1)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 32, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	h5RoundTrip(t, m, x)
}

// TestH5SaveRoundTripFunctionalBatchNorm: the resnet20 preset
// (Functional, with Add layers, BatchNormalization and an InputLayer,
// which layer_names lists with no weights), trained a step so that the
// moving statistics are not their initial values.
func TestH5SaveRoundTripFunctionalBatchNorm(t *testing.T) {
	m := presetModel(t, "resnet20")
	x, y := randomImages(8, 10, tensor.Shape{32, 32, 3}, 2)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	h5RoundTrip(t, m, x)
}

// TestH5SaveRoundTripNested: a Sequential with BatchNormalization and a
// nested Sequential holding a Dense and a BatchNormalization (one layer
// group, its weights named block/dense_N/kernel, ..., the moving
// statistics after the trainable weights), trained with SGD with
// momentum; and the same model uncompiled (no training_config).
func TestH5SaveRoundTripNested(t *testing.T) {
	x, y := randomImages(48, 3, tensor.Shape{3, 4}, 3)
	m := nestedBNModel(t, true)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 16, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	h5RoundTrip(t, m, x)
	h5RoundTrip(t, nestedBNModel(t, false), x)
}

// legacyH5DumpScript describes every group, dataset and attribute of an
// HDF5 file as h5py sees it: a group's members; a dataset's dtype, shape,
// storage layout, fill value and the SHA-256 of its bytes; each
// attribute's Python type, HDF5 class, size ("vlen" for a
// variable-length string), character set, shape and value (the JSON
// configs parsed).
const legacyH5DumpScript = `
import json, sys, hashlib
import h5py, numpy as np

f = h5py.File(json.load(sys.stdin), "r")
out = {}
def attrs(o):
    d = {}
    for k in o.attrs:
        aid = o.attrs.get_id(k)
        t = aid.get_type()
        v = o.attrs[k]
        isstr = isinstance(t, h5py.h5t.TypeStringID)
        a = {"py": type(v).__name__, "class": t.get_class(),
             "size": "vlen" if isstr and t.is_variable_str() else t.get_size(),
             "cset": t.get_cset() if isstr else None, "shape": list(aid.shape)}
        if isinstance(v, np.ndarray):
            a["dtype"] = str(v.dtype)
            a["value"] = [x.decode("utf8") if isinstance(x, bytes) else x for x in v.tolist()]
        elif k in ("model_config", "training_config"):
            a["json"] = json.loads(v)
        else:
            a["value"] = v.decode("utf8") if isinstance(v, bytes) else v
        d[k] = a
    return d
def visit(name, o):
    if isinstance(o, h5py.Dataset):
        out[name] = {"kind": "dataset", "dtype": o.dtype.str, "shape": list(o.shape),
                     "layout": o.id.get_create_plist().get_layout(), "fill": float(o.fillvalue),
                     "sha": hashlib.sha256(np.asarray(o).tobytes()).hexdigest(), "attrs": attrs(o)}
    else:
        out[name] = {"kind": "group", "members": sorted(o.keys()), "attrs": attrs(o)}
visit("/", f)
f.visititems(visit)
json.dump(out, sys.stdout)
`

// resaveKeras03 loads the .h5 file Keras 3.1.1 wrote
// (../shared/keras-models/03) and saves it as .h5 again; it returns both
// paths and the loaded model.
func resaveKeras03(t *testing.T) (m *Sequential, src, out string) {
	t.Helper()
	src = filepath.Join(kerasModels(t), "03_moonflower_mnist_cnn.h5")
	m, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(t.TempDir(), "03.h5")
	if err := m.Save(out); err != nil {
		t.Fatal(err)
	}
	return m, src, out
}

// TestH5SaveMatchesKerasFile loads the legacy .h5 file Keras 3.1.1 wrote
// (../shared/keras-models/03) and saves it as .h5 again: every group,
// dataset, attribute (name, HDF5 type, character set, shape, value) and
// weight bit is Keras's, apart from the differences listed below, which
// the test applies to 03's description before comparing.
func TestH5SaveMatchesKerasFile(t *testing.T) {
	_, src, out := resaveKeras03(t)
	var want, got map[string]map[string]any
	pyref.Run(t, legacyH5DumpScript, src, &want, "h5py", "numpy")
	pyref.Run(t, legacyH5DumpScript, out, &got, "h5py", "numpy")

	// The differences:
	//  1. None in optimizer_weights: Load restores the file's Adam state
	//     and SaveKerasH5 writes it back, names, types and values.
	//  2. weight_names are the weights' paths, "conv2d/kernel", as Keras
	//     3 now writes w.path, where Keras 3.1.1 wrote w.name, "kernel";
	//     the datasets sit at those paths below the layer's group.
	for p, o := range want {
		layer, ok := strings.CutPrefix(p, "model_weights/")
		if !ok || strings.Contains(layer, "/") || layer == "top_level_model_weights" {
			continue
		}
		wn, _ := o["attrs"].(map[string]any)["weight_names"].(map[string]any)
		names, _ := wn["value"].([]any)
		if wn["size"] != "vlen" || len(names) == 0 {
			continue // a layer without weights: the empty float64 array
		}
		sub := map[string]any{"kind": "group", "attrs": map[string]any{}}
		var members []any
		for i, n := range names {
			members = append(members, n)
			names[i] = layer + "/" + n.(string)
			want[p+"/"+layer+"/"+n.(string)] = want[p+"/"+n.(string)]
			delete(want, p+"/"+n.(string))
		}
		slices.SortFunc(members, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		sub["members"] = members
		want[p+"/"+layer] = sub
		o["members"] = []any{layer}
	}
	//  3. Dropout's noise_shape and seed, which gokeras does not
	//     implement (null in Keras's file, the defaults), are not in its
	//     config.
	for _, l := range want["/"]["attrs"].(map[string]any)["model_config"].(map[string]any)["json"].(map[string]any)["config"].(map[string]any)["layers"].([]any) {
		if lm := l.(map[string]any); lm["class_name"] == "Dropout" {
			delete(lm["config"].(map[string]any), "noise_shape")
			delete(lm["config"].(map[string]any), "seed")
		}
	}

	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		if !reflect.DeepEqual(want[p], got[p]) {
			w, _ := json.Marshal(want[p])
			g, _ := json.Marshal(got[p])
			t.Errorf("%s:\n Keras   %.600s\n gokeras %.600s", p, w, g)
		}
	}
}

// TestLegacySaveASCIIJSON: the configs are ASCII, as json.dumps writes
// them (ensure_ascii): json.dumps("é€😀 \"x\"") is
// "\u00e9\u20ac\ud83d\ude00 \"x\"" (U+1F600 as the surrogate pair D83D
// DE00: 0x1F600-0x10000 = 0xF600, high 0xD800+0x3D, low 0xDC00+0x200).
func TestLegacySaveASCIIJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"é€😀 \"x\""`, `"\u00e9\u20ac\ud83d\ude00 \"x\""`},
		{`{"a": [1, null]}`, `{"a": [1, null]}`},
	} {
		if got := string(asciiJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("asciiJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
		var a, b any
		if err := json.Unmarshal([]byte(tc.in), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(asciiJSON([]byte(tc.in)), &b); err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("asciiJSON(%s) reads back as %v (%v), want %v", tc.in, b, err, a)
		}
	}
}

// TestLegacySaveRefuses: an unbuilt model, and gokeras extensions Keras
// lacks, are errors saying what to do, and no file is written; CheckSave
// says so before training.
func TestLegacySaveRefuses(t *testing.T) {
	dir := t.TempDir()
	unbuilt := NewSequential(&nn.Dense{Units: 2})
	if err := unbuilt.Save(filepath.Join(dir, "u.h5")); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("Save of an unbuilt model: %v, want an error saying it is not built", err)
	}
	m := NewSequential(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, KernelInitializer: nn.Dirac, InputShape: tensor.Shape{5, 5, 2}})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"d.h5", "d.HDF5"} {
		path := filepath.Join(dir, name)
		if err := m.CheckSave(path); err == nil || !strings.Contains(err.Error(), "Dirac initializer") {
			t.Errorf("CheckSave(%s): %v, want an error naming the dirac initializer", name, err)
		}
		if err := m.Save(path); err == nil || !strings.Contains(err.Error(), "gokeras's format") {
			t.Errorf("Save(%s): %v, want an error saying to save in gokeras's format", name, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files were written: %v", entries)
	}
}

// TestH5SaveAttrTypesMatchKerasFile checks, with gokeras's own HDF5 reader
// (so also without h5py), that every attribute of the root, of
// model_weights and of each layer group has the datatype (class, size,
// variable length, character set, padding) and shape of the same
// attribute in the file Keras 3.1.1 wrote (../shared/keras-models/03),
// and that no attribute is missing or extra.
func TestH5SaveAttrTypesMatchKerasFile(t *testing.T) {
	m, src, out := resaveKeras03(t)
	open := func(path string) *hdf5.Group {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := hdf5.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		root, err := f.Root()
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	type attrType struct {
		dtype hdf5.Datatype
		shape string
	}
	types := func(root *hdf5.Group, path string) map[string]attrType {
		g, err := groupAt(root, path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		attrs, err := g.Attrs()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]attrType{}
		for _, a := range attrs {
			out[a.Name] = attrType{a.Datatype(), fmt.Sprint(a.Shape())}
		}
		return out
	}
	keras, ours := open(src), open(out)
	groups := []string{"", "model_weights", "model_weights/top_level_model_weights"}
	for _, l := range m.net.Layers {
		groups = append(groups, "model_weights/"+l.LayerName())
	}
	for _, g := range groups {
		if want, got := types(keras, g), types(ours, g); !reflect.DeepEqual(want, got) {
			t.Errorf("/%s: attributes\n Keras   %+v\n gokeras %+v", g, want, got)
		}
	}
}
