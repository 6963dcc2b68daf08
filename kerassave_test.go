package gokeras

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// kerasLayoutScript reads a .keras file as keras/src/saving/saving_lib.py
// does (zipfile, json, h5py through H5IOStore/H5Entry) and checks it
// against the model the test describes. It works out every layer's
// group from config.json by itself (naming.to_snake_case and
// _save_container_state's counting, InputLayers only in Functional
// models' layers), not from gokeras's keras3Walk, and compares the
// weights by the SHA-256 of their little-endian float32 bytes: bit for
// bit. It prints the problems found, as a JSON list.
const kerasLayoutScript = `
import json, sys, zipfile, io, re, hashlib
import h5py, numpy as np

want = json.load(sys.stdin)
problems = []
def bad(msg):
    problems.append(msg)

zf = zipfile.ZipFile(want["path"])
infos = zf.infolist()
names = [i.filename for i in infos]
if names != ["metadata.json", "config.json", "model.weights.h5"]:
    bad("zip members %r, want metadata.json, config.json, model.weights.h5 in that order" % names)
for i in infos:
    if i.compress_type != zipfile.ZIP_STORED:
        bad("%s is compressed (method %d); Keras stores members" % (i.filename, i.compress_type))
if zf.testzip() is not None:
    bad("zip CRC check failed")

meta = json.loads(zf.read("metadata.json"))
if sorted(meta) != ["date_saved", "keras_version"]:
    bad("metadata.json keys %r" % sorted(meta))
if not re.fullmatch(r"3\.\d+\.\d+", str(meta.get("keras_version"))):
    bad("keras_version %r" % meta.get("keras_version"))
if not re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", str(meta.get("date_saved"))):
    bad("date_saved %r is not %%Y-%%m-%%d@%%H:%%M:%%S" % meta.get("date_saved"))

cfg = json.loads(zf.read("config.json"))
top = ["module", "class_name", "config", "registered_name", "build_config"]
if want["compiled"]:
    top.append("compile_config")
if list(cfg) != top:
    bad("config.json top-level keys %r, want %r" % (list(cfg), top))
if cfg.get("module") not in ("keras", "keras.src.models.functional") or cfg.get("class_name") not in ("Sequential", "Functional"):
    bad("config.json is module %r class %r" % (cfg.get("module"), cfg.get("class_name")))
bc = cfg.get("build_config", {}).get("input_shape")
shapes = [[None] + s for s in want["input_shapes"]]
if bc != (shapes[0] if len(shapes) == 1 else shapes):
    bad("build_config input_shape %r, want %r" % (bc, shapes))

# deserialize_keras_object reads an object as class_name, config, module
# and registered_name; check every object of the model config has them.
def objects(v, where):
    if isinstance(v, dict):
        if "class_name" in v and v["class_name"] != "__keras_tensor__":  # Keras writes no module for a KerasTensor
            for k in ("module", "class_name", "config", "registered_name"):
                if k not in v:
                    bad("%s: serialized %s has no %r" % (where, v["class_name"], k))
        for k, e in v.items():
            objects(e, where + "." + k)
    elif isinstance(v, list):
        for i, e in enumerate(v):
            objects(e, "%s[%d]" % (where, i))
objects(cfg["config"], "config")
if want["compiled"]:
    cc = cfg["compile_config"]
    for k in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile"):
        if k not in cc:
            bad("compile_config has no %r" % k)
    opt = cc.get("optimizer")
    if not isinstance(opt, dict) or opt.get("module") != "keras.optimizers" or opt.get("class_name") != want["optimizer"]:
        bad("compile_config optimizer %r, want module keras.optimizers class %s" % (opt, want["optimizer"]))
    objects(cc, "compile_config")

def snake(name):  # keras/src/utils/naming.py to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()

def walk(layers, prefix, owner, functional):
    used = {}
    for l in layers:
        cls = l["class_name"]
        if cls == "InputLayer" and not functional:
            continue  # Sequential.layers leaves it out
        n = snake(cls)
        if n in used:
            used[n] += 1
            n = "%s_%d" % (n, used[n])
        else:
            used[n] = 0
        path = prefix + "layers/" + n
        where = owner + l["config"]["name"]
        yield path, where, cls
        if cls in ("Sequential", "Functional"):
            yield from walk(l["config"]["layers"], path + "/", where + "/", cls == "Functional")

f = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
if dict(f.attrs):
    bad("root attributes %r" % dict(f.attrs))
groups, datasets = set(), set()
def visit(name, obj):
    (groups if isinstance(obj, h5py.Group) else datasets).add(name)
    if dict(obj.attrs):
        bad("%s has attributes %r" % (name, dict(obj.attrs)))
f.visititems(visit)
wantGroups = {"vars", "layers"}
def addGroups(path):
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        wantGroups.add("/".join(parts[:i]))
wantDatasets = set()
seen = set()
for path, where, cls in walk(cfg["config"]["layers"], "", "", cfg["class_name"] == "Functional"):
    addGroups(path + "/vars")
    if path not in f or "vars" not in f[path]:
        bad("no group %s/vars for layer %s (%s), where H5Entry looks" % (path, where, cls))
        continue
    ws = want["weights"].get(where) or []
    seen.add(where)
    if sorted(f[path]["vars"].keys()) != sorted(str(i) for i in range(len(ws))):
        bad("%s/vars holds %r, want %d datasets 0..%d" % (path, sorted(f[path]["vars"].keys()), len(ws), len(ws) - 1))
        continue
    for i, w in enumerate(ws):
        d = f[path]["vars"][str(i)]
        wantDatasets.add("%s/vars/%d" % (path, i))
        if d.dtype != np.dtype("<f4") or list(d.shape) != w["shape"]:
            bad("%s/vars/%d is %s %r, want float32 %r" % (path, i, d.dtype, d.shape, w["shape"]))
        elif hashlib.sha256(np.asarray(d).tobytes()).hexdigest() != w["sha"]:
            bad("%s/vars/%d differs from the model's weight %s" % (path, i, w["name"]))
for where in want["weights"]:
    if where not in seen:
        bad("the model's layer %s has no group in the file" % where)

if "vars" in f and len(f["vars"]) != 0:
    bad("root vars holds %r, want nothing" % list(f["vars"]))
if want["compiled"]:
    addGroups("optimizer/vars")
    ov = f["optimizer/vars"] if "optimizer/vars" in f else {}
    exp = want["optimizer_vars"]
    if sorted(ov.keys()) != sorted(str(i) for i in range(len(exp))):
        bad("optimizer/vars holds %r, want %d variables" % (sorted(ov.keys()), len(exp)))
    else:
        for i, e in enumerate(exp):
            d = ov[str(i)]
            wantDatasets.add("optimizer/vars/%d" % i)
            if d.dtype != np.dtype(e["dtype"]) or list(d.shape) != e["shape"]:
                bad("optimizer/vars/%d is %s %r, want %s %r" % (i, d.dtype, d.shape, e["dtype"], e["shape"]))
            elif hashlib.sha256(np.asarray(d).tobytes()).hexdigest() != e["sha"]:
                bad("optimizer/vars/%d (%s) differs" % (i, e["name"]))
if groups != wantGroups:
    bad("groups: extra %r, missing %r" % (sorted(groups - wantGroups), sorted(wantGroups - groups)))
if datasets != wantDatasets:
    bad("datasets: extra %r, missing %r" % (sorted(datasets - wantDatasets), sorted(wantDatasets - datasets)))
json.dump(problems, sys.stdout)
`

// f32sha is the SHA-256 of values as little-endian float32 bytes.
func f32sha(values []float32) string {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type kerasWantVar struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	SHA   string `json:"sha"`
	DType string `json:"dtype,omitempty"`
}

// checkKerasFile checks the .keras file at path with h5py (skipping
// without it) against m: see kerasLayoutScript. Keras's optimizer
// variables are iterations and learning_rate, then, for Adam, momentum
// and velocity of each trainable weight in turn (keras/src/optimizers/
// adam.py), worked out here from the model's trainable weights and the
// optimizer's own state.
func checkKerasFile(t *testing.T, path string, m *Sequential) {
	t.Helper()
	weights := map[string][]kerasWantVar{}
	var trainable []*nn.Param
	var walk func(layers []nn.Layer, owner string)
	walk = func(layers []nn.Layer, owner string) {
		for _, l := range layers {
			if n, ok := l.(*nn.Nested); ok {
				weights[owner+l.LayerName()] = nil
				walk(n.Net.Layers, owner+l.LayerName()+"/")
				continue
			}
			ws := []kerasWantVar{}
			for _, p := range l.Params() {
				ws = append(ws, kerasWantVar{Name: p.Name, Shape: []int(p.Value.Shape), SHA: f32sha(p.Value.Data)})
			}
			weights[owner+l.LayerName()] = ws
		}
	}
	walk(m.net.Layers, "")
	for _, l := range m.net.Layers {
		if nn.IsTrainable(l) {
			for _, p := range l.Params() {
				if p.Trainable() {
					trainable = append(trainable, p)
				}
			}
		}
	}
	in := map[string]any{
		"path": path, "compiled": m.compiled, "weights": weights,
		"input_shapes": m.net.InputShapes(),
	}
	if m.compiled {
		opt := m.model.Optimizer
		in["optimizer"] = optim.ClassName(opt.Name())
		it := make([]byte, 8)
		binary.LittleEndian.PutUint64(it, uint64(opt.Iterations()))
		s := sha256.Sum256(it)
		ov := []kerasWantVar{{Name: "iterations", Shape: []int{}, SHA: hex.EncodeToString(s[:]), DType: "<i8"}}
		if opt.Schedule() == nil {
			ov = append(ov, kerasWantVar{Name: "learning_rate", Shape: []int{}, SHA: f32sha([]float32{float32(opt.LearningRate())}), DType: "<f4"})
		}
		state := map[string]*tensor.Tensor{}
		for _, s := range opt.State() {
			state[s.Name] = s.Value
		}
		// keras/src/optimizers/adam.py: momentum and velocity per
		// variable; sgd.py: a momentum per variable when momentum != 0.
		var kinds []string
		switch o := opt.(type) {
		case *optim.Adam:
			if !o.AMSGrad { // Keras adds the velocity_hats after all the others: not written
				kinds = []string{"m", "v"}
			}
		case *optim.SGD:
			if o.Momentum != 0 {
				kinds = []string{"m"}
			}
		}
		if len(state) > 0 {
			for i, p := range trainable {
				for _, k := range kinds {
					s := state[k+"/"+strconv.Itoa(i)]
					if s == nil || !s.Shape.Equal(p.Value.Shape) {
						t.Fatalf("optimizer slot %s/%d missing or not the shape of %s", k, i, p.Name)
					}
					ov = append(ov, kerasWantVar{Name: k + "/" + strconv.Itoa(i), Shape: []int(s.Shape), SHA: f32sha(s.Data), DType: "<f4"})
				}
			}
		}
		in["optimizer_vars"] = ov
	}
	var problems []string
	pyref.Run(t, kerasLayoutScript, in, &problems, "h5py", "numpy")
	for _, p := range problems {
		t.Errorf("%s: %s", filepath.Base(path), p)
	}
}

// kerasRoundTrip saves m as .keras, checks the file with h5py, loads it
// back with Load and compares predictions on x bit for bit.
func kerasRoundTrip(t *testing.T, m *Sequential, x *tensor.Tensor) {
	t.Helper()
	saveRoundTrip(t, m, x, "model.keras", checkKerasFile)
}

// saveRoundTrip saves m as name (the extension picks the format), checks
// the file with check, loads it back with Load and compares predictions
// on x bit for bit and the compiled state.
func saveRoundTrip(t *testing.T, m *Sequential, x *tensor.Tensor, name string, check func(*testing.T, string, *Sequential)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	check(t, path, m)
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(x, 32)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Predict(x, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("loaded model predicts shape %v, the saved one %v", got.Shape, want.Shape)
	}
	for i := range want.Data {
		if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
			t.Fatalf("prediction %d: loaded %v, saved %v", i, got.Data[i], want.Data[i])
		}
	}
	if back.compiled != m.compiled {
		t.Errorf("loaded model compiled %v, saved %v", back.compiled, m.compiled)
	}
	if !m.compiled {
		return
	}
	// The optimizer's state comes back where Keras's layout holds it.
	opt, got2 := m.model.Optimizer, back.model.Optimizer
	if got2.Iterations() != opt.Iterations() {
		t.Errorf("loaded optimizer at iteration %d, saved at %d", got2.Iterations(), opt.Iterations())
	}
	if m.kerasSlots() == nil {
		return
	}
	a, b := opt.State(), got2.State()
	if len(a) != len(b) {
		t.Fatalf("loaded optimizer has %d slots, saved %d", len(b), len(a))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.EqualFunc(a[i].Value.Data, b[i].Value.Data, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
			t.Fatalf("optimizer slot %s does not come back bit for bit (loaded %s)", a[i].Name, b[i].Name)
		}
	}
}

// randomImages returns n random images of shape and sparse labels of k
// classes.
func randomImages(n, k int, shape tensor.Shape, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 2))
	x := tensor.New(append([]int{n}, shape...)...)
	y := tensor.New(n)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(k))
	}
	return x, y
}

func presetModel(t *testing.T, name string) *Sequential {
	t.Helper()
	p, err := LookupPreset(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKerasSaveRoundTripCIFAR: the note's cifar10-cnn, trained a few
// steps with Adam (so the file holds Adam's slots), saved as .keras.
func TestKerasSaveRoundTripCIFAR(t *testing.T) {
	m := presetModel(t, "cifar10-cnn")
	x, y := randomImages(64, 10, tensor.Shape{32, 32, 3}, 1)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 32, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	if len(m.model.Optimizer.State()) == 0 {
		t.Fatal("Adam holds no state after training")
	}
	kerasRoundTrip(t, m, x)
}

// TestKerasSaveRoundTripFunctional: the resnet20 preset (Functional,
// with Add layers, BatchNormalization and an InputLayer), untrained.
func TestKerasSaveRoundTripFunctional(t *testing.T) {
	m := presetModel(t, "resnet20")
	x, _ := randomImages(4, 10, tensor.Shape{32, 32, 3}, 2)
	kerasRoundTrip(t, m, x)
}

// TestKerasSaveRoundTripBatchNorm: a Sequential with BatchNormalization
// (moving statistics as non-trainable vars/2 and vars/3, no optimizer
// slots for them), trained with SGD with momentum, and a nested
// Sequential; and the same model uncompiled (no optimizer group, no
// compile_config).
func TestKerasSaveRoundTripBatchNorm(t *testing.T) {
	x, y := randomImages(48, 3, tensor.Shape{3, 4}, 3)
	m := nestedBNModel(t, true)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 16, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	kerasRoundTrip(t, m, x)
	kerasRoundTrip(t, nestedBNModel(t, false), x)
}

// kerasCompareScript compares a .keras file gokeras wrote with the one
// Keras wrote for the same model: zip members, metadata keys, the config
// (every key and value, apart from the differences listed in allowed),
// and model.weights.h5's groups, datasets, shapes, dtypes and attributes,
// with the layers' weights bit for bit. The optimizer's slots are not
// compared: Load does not read them, so the file gokeras writes holds an
// optimizer that has not stepped.
const kerasCompareScript = `
import json, sys, zipfile, io
import h5py, numpy as np
a_path, b_path, allowed = json.load(sys.stdin)
problems = []
za, zb = zipfile.ZipFile(a_path), zipfile.ZipFile(b_path)
ia = [(i.filename, i.compress_type, i.flag_bits & 8) for i in za.infolist()]
ib = [(i.filename, i.compress_type, i.flag_bits & 8) for i in zb.infolist()]
if ia != ib:
    problems.append("zip members: keras %r, gokeras %r" % (ia, ib))
ma, mb = json.loads(za.read("metadata.json")), json.loads(zb.read("metadata.json"))
if list(ma) != list(mb):
    problems.append("metadata keys: keras %r, gokeras %r" % (list(ma), list(mb)))
def cmp(x, y, w):
    if w in allowed:
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            if w + "." + k in allowed:
                continue
            if k not in y:
                problems.append("%s.%s: missing (keras: %s)" % (w, k, json.dumps(x[k])[:80]))
            elif k not in x:
                problems.append("%s.%s: not in Keras's file (%s)" % (w, k, json.dumps(y[k])[:80]))
            else:
                cmp(x[k], y[k], w + "." + k)
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (p, q) in enumerate(zip(x, y)):
            cmp(p, q, "%s[%d]" % (w, i))
    elif x != y:
        problems.append("%s: keras %s, gokeras %s" % (w, json.dumps(x)[:80], json.dumps(y)[:80]))
ca, cb = json.loads(za.read("config.json")), json.loads(zb.read("config.json"))
if list(ca) != list(cb):
    problems.append("config.json keys: keras %r, gokeras %r" % (list(ca), list(cb)))
cmp(ca, cb, "")
def items(z):
    f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    out = {}
    def v(n, o):
        out[n] = (type(o).__name__, getattr(o, "shape", None), str(getattr(o, "dtype", "")), dict(o.attrs))
    f.visititems(v)
    return f, out
fa, a = items(za)
fb, b = items(zb)
if dict(fa.attrs) != dict(fb.attrs):
    problems.append("root attributes differ")
for k in sorted(set(a) | set(b)):
    if k.startswith("optimizer/vars/") and k not in ("optimizer/vars/0", "optimizer/vars/1"):
        continue
    if a.get(k) != b.get(k):
        problems.append("%s: keras %r, gokeras %r" % (k, a.get(k), b.get(k)))
    elif a[k][0] == "Dataset" and k.startswith("layers/"):
        if np.asarray(fa[k]).tobytes() != np.asarray(fb[k]).tobytes():
            problems.append("%s: values differ" % k)
json.dump(problems, sys.stdout)
`

// TestKerasSaveMatchesKerasFile loads a .keras file Keras 3.1.1 wrote
// (../shared/keras-models/02) and saves it again: the file is Keras's,
// apart from the differences listed (and the optimizer's slots, which
// Load skips).
func TestKerasSaveMatchesKerasFile(t *testing.T) {
	src := filepath.Join(kerasModels(t), "02_moonflower_mnist_cnn.keras")
	m, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "02.keras")
	if err := m.Save(out); err != nil {
		t.Fatal(err)
	}
	allowed := []string{
		// The owner compiled with the string "adam"; gokeras writes the
		// optimizer object, as Keras does for an optimizer instance.
		".compile_config.optimizer",
		// Dropout's noise_shape and seed, which gokeras does not
		// implement (None in Keras's file, the defaults).
		".config.layers[6].config.noise_shape", ".config.layers[6].config.seed",
	}
	var problems []string
	pyref.Run(t, kerasCompareScript, []any{src, out, allowed}, &problems, "h5py", "numpy")
	for _, p := range problems {
		t.Error(p)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestKerasSaveOptimizers: the optimizer variables for each optimizer
// (checkKerasFile works out Keras's list): Adam and SGD with momentum
// with their slots, the learning-rate variable left out under a schedule,
// and for optimizers whose slots are not written (RMSprop, Adam with
// amsgrad, SGD without momentum, which has none) iterations and
// learning_rate alone.
func TestKerasSaveOptimizers(t *testing.T) {
	adamSched := &optim.Adam{}
	adamSched.SetSchedule(optim.CosineDecay{InitialLearningRate: 0.01, DecaySteps: 100})
	for _, tc := range []struct {
		name  string
		opt   optim.Optimizer
		slots bool // whether the file holds the slots
	}{
		{"adam", &optim.Adam{LR: 0.003}, true},
		{"adam-schedule", adamSched, true},
		{"sgd-momentum", &optim.SGD{LR: 0.1, Momentum: 0.5}, true},
		{"sgd", &optim.SGD{LR: 0.1}, false},
		{"adam-amsgrad", &optim.Adam{AMSGrad: true}, false},
		{"rmsprop", &optim.RMSprop{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewSequential(
				&nn.Dense{Units: 5, Activation: activation.ReLU, InputShape: tensor.Shape{4}},
				&nn.Dense{Units: 2, Activation: activation.Softmax},
			)
			if err := m.Compile(loss.SparseCategoricalCrossentropy{}, tc.opt, &metric.Accuracy{}); err != nil {
				t.Fatal(err)
			}
			x, y := randomImages(32, 2, tensor.Shape{4}, 4)
			if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
				t.Fatal(err)
			}
			if got := len(m.kerasSlots()) > 0; got != tc.slots {
				t.Errorf("slots written: %v, want %v", got, tc.slots)
			}
			kerasRoundTrip(t, m, x)
		})
	}
}

// TestKerasSaveUnbuilt: a model not built yet is an error saying what to
// do, and nothing is written.
func TestKerasSaveUnbuilt(t *testing.T) {
	m := NewSequential(&nn.Dense{Units: 2})
	path := filepath.Join(t.TempDir(), "m.keras")
	if err := m.Save(path); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("Save of an unbuilt model: %v, want an error saying it is not built", err)
	}
	if fileExists(path) {
		t.Error("a file was written")
	}
}

// TestKerasSaveRoundTripMulti: a Functional model with two named inputs
// (input_layer and input_layer_1 in the file, by class) and two outputs,
// each with its loss and metrics, trained a step with Adam.
func TestKerasSaveRoundTripMulti(t *testing.T) {
	a := &nn.InputLayer{Name: "a", Shape: tensor.Shape{3}}
	b := &nn.InputLayer{Name: "b", Shape: tensor.Shape{2}}
	h := nn.Call(&nn.Dense{Units: 6, Activation: activation.ReLU}, nn.Merge(&nn.Concatenate{},
		nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, a), nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, b)))
	sign := nn.Call(&nn.Dense{Name: "same_sign", Units: 2, Activation: activation.Softmax}, h)
	total := nn.Call(&nn.Dense{Name: "total", Units: 1}, nn.Merge(&nn.Concatenate{}, a, b))
	m, err := NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{sign, total})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CompileOutputs(&optim.Adam{LR: 0.01},
		Output{Name: "same_sign", Loss: loss.SparseCategoricalCrossentropy{}, Metrics: []metric.Metric{&metric.Accuracy{}}},
		Output{Name: "total", Loss: loss.MSE{}, LossWeight: 0.5}); err != nil {
		t.Fatal(err)
	}
	xa, _ := randomImages(16, 2, tensor.Shape{3}, 5)
	xb, ys := randomImages(16, 2, tensor.Shape{2}, 6)
	yt, _ := randomImages(16, 2, tensor.Shape{1}, 7)
	x := Named{"a": xa, "b": xb}
	if _, err := m.FitMulti(x, Named{"same_sign": ys, "total": yt}, FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "multi.keras")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	checkKerasFile(t, path, m)
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictMulti(x, 8)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.PredictMulti(x, 8)
	if err != nil {
		t.Fatal(err)
	}
	for o := range want {
		for i := range want[o].Data {
			if math.Float32bits(got[o].Data[i]) != math.Float32bits(want[o].Data[i]) {
				t.Fatalf("output %d, value %d: loaded %v, saved %v", o, i, got[o].Data[i], want[o].Data[i])
			}
		}
	}
}

// TestKerasSaveRefusesExtensions: the cifar10-fast preset uses gokeras
// extensions Keras 3 lacks; saving it as .keras is an error that names
// every one and says what to do, and nothing is written.
func TestKerasSaveRefusesExtensions(t *testing.T) {
	m := presetModel(t, "cifar10-fast")
	path := filepath.Join(t.TempDir(), "fast.keras")
	err := m.Save(path)
	if err == nil {
		t.Fatal("Save wrote a .keras file Keras could not load")
	}
	for _, want := range []string{"PatchWhitening layer", "OneCycle learning-rate schedule", "RandomCrop", "padding",
		"label_smoothing on SparseCategoricalCrossentropy", "gokeras's format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if fileExists(path) {
		t.Error("a file was written")
	}
	// In gokeras's format it saves.
	if err := m.Save(filepath.Join(t.TempDir(), "fast.safetensors")); err != nil {
		t.Error(err)
	}
}

// TestKerasSaveRefusesDirac: gokeras's dirac initializer has no Keras
// class.
func TestKerasSaveRefusesDirac(t *testing.T) {
	m := NewSequential(&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, KernelInitializer: nn.Dirac, InputShape: tensor.Shape{5, 5, 2}})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	err := m.Save(filepath.Join(t.TempDir(), "d.keras"))
	if err == nil || !strings.Contains(err.Error(), "Dirac initializer (kernel_initializer)") {
		t.Errorf("Save: %v, want an error naming the dirac initializer", err)
	}
}

// nestedBNModel is a Sequential with BatchNormalization and a nested
// Sequential "block" holding a Dense and a BatchNormalization, compiled
// with SGD with momentum when compile is set, built: the round trips of
// both Keras formats save it.
func nestedBNModel(t *testing.T, compile bool) *Sequential {
	t.Helper()
	inner := NewSequential(
		&nn.Dense{Units: 6, Activation: activation.ReLU, InputShape: tensor.Shape{12}},
		&nn.BatchNormalization{},
	)
	inner.Name = "block"
	m := NewSequential(
		&nn.Flatten{InputShape: tensor.Shape{3, 4}},
		&nn.Dense{Units: 12},
		&nn.BatchNormalization{},
		inner.AsLayer(),
		&nn.Dense{Units: 3, Activation: activation.Softmax},
	)
	if compile {
		if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.SGD{LR: 0.05, Momentum: 0.9}, &metric.Accuracy{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveRoundTripNewerLayers: a Sequential with the adaptive pooling
// layers and RMSNormalization (whose scale Adam steps), trained an epoch,
// comes back from .keras and .h5 with the same predictions bit for bit.
func TestSaveRoundTripNewerLayers(t *testing.T) {
	m := NewSequential(
		&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{9, 7, 2}},
		&nn.AdaptiveMaxPooling2D{OutputSize: [2]int{3, 3}},
		&nn.RMSNormalization{},
		&nn.Reshape{TargetShape: tensor.Shape{9, 4}},
		&nn.AdaptiveAveragePooling1D{OutputSize: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 3, Activation: activation.Softmax},
	)
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	x, y := randomImages(32, 3, tensor.Shape{9, 7, 2}, 4)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	kerasRoundTrip(t, m, x)
	h5RoundTrip(t, m, x)
}
