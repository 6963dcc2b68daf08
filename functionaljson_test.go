package gokeras_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// The fixtures in testdata are written by hand in the layouts Keras writes
// (keras/src/models/functional.py get_config, keras/src/saving/
// serialization_lib.py): keras3_functional_resnet.json as Keras 3's
// to_json() of a model made with keras.Model(inputs, outputs) from single
// tensors (so input_layers is one [layer, node, tensor] triple), and
// keras2_model_resnet.json as tf.keras 2.3's ("class_name": "Model",
// nested-list inbound nodes, keras_version 2.4.0). Both are one residual
// block: Conv2D, BatchNormalization, ReLU, Conv2D, BatchNormalization, Add
// with the ReLU's output, Activation("relu"), GlobalAveragePooling2D,
// Dense(3, softmax) on 8x8x3 inputs. The real Keras files in
// ../shared/keras-models are all Sequential or subclassed, so none can
// serve here.
//
// tf.keras 2.x writes a built BatchNormalization's axis as [3]; gokeras's
// BatchNormalization reads only -1, so the Keras 2 fixture says -1.

// fixtureResNet is the fixtures' model built with the Go API.
func fixtureResNet(t *testing.T) *gokeras.Model {
	t.Helper()
	in := gokeras.Input(8, 8, 3)
	x := nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, in)
	x = nn.Call(&nn.BatchNormalization{}, x)
	x = nn.Call(&nn.ReLU{}, x)
	y := nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, x)
	y = nn.Call(&nn.BatchNormalization{}, y)
	z := nn.Call(&nn.Activation{Activation: activation.ReLU}, nn.Merge(&nn.Add{}, x, y))
	out := nn.Call(&nn.Dense{Units: 3, Activation: activation.Softmax}, nn.Call(&nn.GlobalAveragePooling2D{}, z))
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

func randomImages(n int, shape tensor.Shape, seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	x := tensor.New(append(tensor.Shape{n}, shape...)...)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	return x
}

// randomizeWeights gives every weight (BatchNormalization's moving
// statistics too) a distinct value, so that a miswired graph cannot give
// the same outputs.
func randomizeWeights(t *testing.T, m *gokeras.Model, seed uint64) {
	t.Helper()
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 9))
	for _, w := range ws {
		for i := range w.Data {
			w.Data[i] = 0.2 + r.Float32()*0.8 // positive: moving variances
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
}

func sameBits(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("%s: output %d is %v, want %v (bit for bit)", what, i, got.Data[i], want.Data[i])
		}
	}
}

// Both fixtures read to the model the Go API builds: the same layers and
// names, the same parameter counts (worked out by hand) and, with the same
// weights, the same predictions bit for bit, which they would not be if
// the Add read from another layer.
func TestFunctionalFixtures(t *testing.T) {
	want := fixtureResNet(t)
	randomizeWeights(t, want, 1)
	x := randomImages(5, tensor.Shape{8, 8, 3}, 2)
	wantY, err := want.Predict(x, 5)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"conv2d", "batch_normalization", "re_lu", "conv2d_1", "batch_normalization_1", "add", "activation", "global_average_pooling2d", "dense"}
	for _, tt := range []struct{ file, name string }{
		{"keras3_functional_resnet.json", "tiny_resnet"},
		{"keras2_model_resnet.json", "model"},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		spec, err := gokeras.ParseModelJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		m := spec.Model
		if m.Name != tt.name || !m.Net().Functional() {
			t.Errorf("%s: model %q (functional %v), want %q", tt.file, m.Name, m.Net().Functional(), tt.name)
		}
		var got []string
		for _, l := range m.Layers() {
			got = append(got, l.LayerName())
		}
		if strings.Join(got, " ") != strings.Join(names, " ") {
			t.Errorf("%s: layers %v, want %v", tt.file, got, names)
		}
		if err := m.Build(); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		// conv2d 3*3*3*4+4 = 112, conv2d_1 3*3*4*4+4 = 148, each
		// BatchNormalization 4*4 = 16 (8 of them moving statistics),
		// dense 4*3+3 = 15.
		total, trainable, frozen := m.Net().CountParams()
		if total != 307 || trainable != 291 || frozen != 16 {
			t.Errorf("%s: %d params (%d trainable, %d not), want 307 (291, 16)", tt.file, total, trainable, frozen)
		}
		ws, _ := want.GetWeights()
		if err := m.SetWeights(ws); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		y, err := m.Predict(x, 5)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, tt.file, y, wantY)
	}
}

// sharedModel calls one Dense layer twice (a shared layer: node indexes
// 0 and 1) and adds a skip connection around it.
func sharedModel(t *testing.T) *gokeras.Model {
	t.Helper()
	in := gokeras.Input(6)
	shared := &nn.Dense{Units: 6, Activation: activation.Tanh}
	a := nn.Call(shared, in)
	b := nn.Call(shared, a)
	c := nn.Merge(&nn.Concatenate{Axis: -1}, a, nn.Merge(&nn.Add{}, in, b))
	out := nn.Call(&nn.Dense{Units: 2, Activation: activation.Softmax}, c)
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	m.Name = "shared"
	return m
}

// ToJSON writes Keras 3's layout: the InputLayer first, each call as
// {"args": [...], "kwargs": {}}, a merge layer's tensors as one list
// argument, a shared layer's second call as node 1, and input_layers and
// output_layers as lists of [layer, node, tensor].
func TestFunctionalToJSONLayout(t *testing.T) {
	js, err := sharedModel(t).ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		ClassName string `json:"class_name"`
		Config    struct {
			Name   string `json:"name"`
			Layers []struct {
				ClassName    string `json:"class_name"`
				Name         string `json:"name"`
				InboundNodes []struct {
					Args   []json.RawMessage `json:"args"`
					Kwargs map[string]any    `json:"kwargs"`
				} `json:"inbound_nodes"`
			} `json:"layers"`
			InputLayers  [][]any `json:"input_layers"`
			OutputLayers [][]any `json:"output_layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	if f.ClassName != "Functional" || f.Config.Name != "shared" {
		t.Errorf("class %q name %q", f.ClassName, f.Config.Name)
	}
	history := func(arg json.RawMessage) string {
		var v any
		if err := json.Unmarshal(arg, &v); err != nil {
			t.Fatal(err)
		}
		var walk func(v any) string
		walk = func(v any) string {
			switch t := v.(type) {
			case []any:
				var parts []string
				for _, x := range t {
					parts = append(parts, walk(x))
				}
				return "[" + strings.Join(parts, " ") + "]"
			case map[string]any:
				cfg := t["config"].(map[string]any)
				return strings.Trim(compact(cfg["keras_history"]), "[]") + ":" + compact(cfg["shape"])
			}
			return "?"
		}
		return walk(v)
	}
	var got []string
	for _, l := range f.Config.Layers {
		var calls []string
		for _, n := range l.InboundNodes {
			if len(n.Args) != 1 || len(n.Kwargs) != 0 {
				t.Errorf("%s: args %d, kwargs %v", l.Name, len(n.Args), n.Kwargs)
			}
			calls = append(calls, history(n.Args[0]))
		}
		got = append(got, l.ClassName+" "+l.Name+": "+strings.Join(calls, "; "))
	}
	want := []string{
		"InputLayer input_layer: ",
		`Dense dense: "input_layer",0,0:[null,6]; "dense",0,0:[null,6]`,
		`Add add: ["input_layer",0,0:[null,6] "dense",1,0:[null,6]]`,
		`Concatenate concatenate: ["dense",0,0:[null,6] "add",0,0:[null,6]]`,
		`Dense dense_1: "concatenate",0,0:[null,12]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("layers and calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if compact(f.Config.InputLayers) != `[["input_layer",0,0]]` || compact(f.Config.OutputLayers) != `[["dense_1",0,0]]` {
		t.Errorf("input_layers %s, output_layers %s", compact(f.Config.InputLayers), compact(f.Config.OutputLayers))
	}
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A gokeras graph with a shared layer and skip connections survives
// Save and Load: the same JSON, summary and predictions bit for bit, and
// training resumes from the saved optimizer state (one more epoch of the
// loaded model gives the weights one more epoch of the original gives).
func TestFunctionalSaveLoad(t *testing.T) {
	m := sharedModel(t)
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		t.Fatal(err)
	}
	x := randomImages(64, tensor.Shape{6}, 3)
	y := tensor.New(64)
	for i := range y.Data {
		if x.Data[i*6] > 0.5 {
			y.Data[i] = 1
		}
	}
	opts := gokeras.FitOptions{Epochs: 2, BatchSize: 16, Seed: 5, Verbose: train.Silent, Out: io.Discard}
	if _, err := m.Fit(x, y, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shared.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	j1, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	j2, err := l.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(j1, j2) {
		t.Errorf("ToJSON after Load differs:\n%s\nwant\n%s", j2, j1)
	}
	var s1, s2 strings.Builder
	if err := m.Summary(&s1); err != nil {
		t.Fatal(err)
	}
	if err := l.Summary(&s2); err != nil {
		t.Fatal(err)
	}
	if s1.String() != s2.String() {
		t.Errorf("summary after Load:\n%s\nwant\n%s", s2.String(), s1.String())
	}
	p1, err := m.Predict(x, 64)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := l.Predict(x, 64)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "predictions after Load", p2, p1)
	opts.Epochs = 1
	if _, err := m.Fit(x, y, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Fit(x, y, opts); err != nil {
		t.Fatal(err)
	}
	w1, _ := m.GetWeights()
	w2, _ := l.GetWeights()
	if len(w1) != len(w2) {
		t.Fatalf("%d weights after Load, want %d", len(w2), len(w1))
	}
	for i := range w1 {
		sameBits(t, "weights after one more epoch", w2[i], w1[i])
	}
}

// Every way a Functional file can be wrong is an error that says what and
// where, never a panic or a silently different model.
func TestFunctionalJSONErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "keras2_model_resnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := string(data)
	for _, tt := range []struct{ from, to, want string }{
		{`[["activation", 0, 0, {}]]`, `[["actvation", 0, 0, {}]]`, `layer "global_average_pooling2d", inbound node 0: no layer is named "actvation"`},
		{`[["activation", 0, 0, {}]]`, `[["activation", 1, 0, {}]]`, `layer "activation" has 1 call, so there is no node 1`},
		{`[["activation", 0, 0, {}]]`, `[["activation", 0, 2, {}]]`, `tensor index 2 of layer "activation": gokeras layers have one output`},
		{`[["activation", 0, 0, {}]]`, `[["activation", -1, 0, {}]]`, `the node and tensor indexes must be whole numbers from 0`},
		{`[["activation", 0, 0, {}]]`, `[["activation", 0, 0, {"training": false}]]`, `called with training=false, which gokeras does not support`},
		// conv2d reads dense's output, which depends on conv2d: a cycle.
		{`[["input_1", 0, 0, {}]]`, `[["dense", 0, 0, {}]]`, `their inputs come from a cycle of calls`},
		{`[["re_lu", 0, 0, {}], ["batch_normalization_1", 0, 0, {}]]`, `[["re_lu", 0, 0, {}]]`, `layer "add", inbound node 0: Add takes a list of tensors, not one tensor`},
		{`[["add", 0, 0, {}]]`, `[["add", 0, 0, {}], ["re_lu", 0, 0, {}]]`, `layer "activation", inbound node 0: Activation takes one tensor, not a list of 2`},
		{`"input_layers": [["input_1", 0, 0]]`, `"input_layers": [["input_1", 0, 0], ["input_1", 0, 0]]`, `an Input is given twice as an input`},
		{`"input_layers": [["input_1", 0, 0]]`, `"input_layers": []`, `config.input_layers is empty`},
		{`"input_layers": [["input_1", 0, 0]]`, `"input_layers": [["conv2d", 0, 0]]`, `config.input_layers names layer "conv2d", which is not an InputLayer`},
		{`"output_layers": [["dense", 0, 0]]`, `"output_layers": [["activation", 0, 0]]`, `call 0 of layer "global_average_pooling2d" does not lead to the model's outputs`},
		{`"name": "add", "inbound_nodes"`, `"name": "add", "outbound_nodes": [], "inbound_nodes"`, `layer 6 "add" (Add): unknown key "outbound_nodes"`},
		{`"name": "add", "inbound_nodes"`, `"name": "plus", "inbound_nodes"`, `layer 6 "plus" (Add): its config names it "add"; the two names must agree`},
		{`"config": {"name": "model",`, `"config": {"name": "model", "nmae": 1,`, `unknown key "nmae" (value 1) in the model's config; gokeras reads name, layers, trainable, dtype, input_layers, output_layers`},
		{`{"class_name": "Dense", "config": {"name": "dense"`, `{"class_name": "Sequential", "config": {"name": "dense"`, `layer 9 "dense" (Sequential): the nested model: no layers under config.layers`},
		{`[[["input_1", 0, 0, {}]]]`, `[]`, `layer 1 "conv2d" (Conv2D): it is never called`},
		{`"padding": "same"`, `"padding": "sme"`, `layer 1 "conv2d" (Conv2D): nn: unknown padding "sme"`},
	} {
		if !strings.Contains(base, tt.from) {
			t.Fatalf("fixture lacks %q", tt.from)
		}
		_, err := gokeras.ParseModelJSON([]byte(strings.Replace(base, tt.from, tt.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s -> %s:\n got %v\nwant %q", tt.from, tt.to, err, tt.want)
		}
	}
	// Keras 3's call objects are checked as strictly.
	data, err = os.ReadFile(filepath.Join("testdata", "keras3_functional_resnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	base = string(data)
	for _, tt := range []struct{ from, to, want string }{
		{`"kwargs": {}}]}, {"module": "keras.layers", "class_name": "Activation"`, `"kwargs": {"scale": 2}}]}, {"module": "keras.layers", "class_name": "Activation"`, `layer 6 "add" (Add): inbound node 0: call argument scale=2 is not supported`},
		{`"keras_history": ["conv2d", 0, 0]`, `"keras_history": ["conv2d", 0]`, `want [layer, node index, tensor index]`},
		{`"dtype": "float32", "keras_history": ["conv2d", 0, 0]`, `"dtype": "int32", "keras_history": ["conv2d", 0, 0]`, `the output of layer "conv2d" has dtype "int32"; gokeras tensors are float32`},
		{`"dtype": "float32", "keras_history": ["conv2d", 0, 0]`, `"dtype": "float16", "keras_history": ["conv2d", 0, 0]`, `dtype "float16"; gokeras tensors are float32`},
		{`"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["conv2d", 0, 0]}`,
			`"class_name": "__tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["conv2d", 0, 0]}`, `want {"class_name": "__keras_tensor__"`},
	} {
		if !strings.Contains(base, tt.from) {
			t.Fatalf("fixture lacks %q", tt.from)
		}
		_, err := gokeras.ParseModelJSON([]byte(strings.Replace(base, tt.from, tt.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s -> %s:\n got %v\nwant %q", tt.from, tt.to, err, tt.want)
		}
	}
}

// The resnet20 preset (Keras's CIFAR-10 ResNet20 v1, with augmentation
// layers and 1x1 shortcut convolutions) writes JSON that reads back to
// the same model: the same JSON again, the parameter counts and
// the same predictions from the same weights.
func TestResNet20JSONRoundTrip(t *testing.T) {
	p, err := gokeras.LookupPreset("resnet20")
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
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	l := spec.Model
	if err := l.Build(); err != nil {
		t.Fatal(err)
	}
	js2, err := l.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, js2) {
		t.Errorf("ToJSON of the model read back differs")
	}
	if total, _, frozen := l.Net().CountParams(); total != 274442 || frozen != 1376 {
		t.Errorf("%d params, %d non-trainable; want 274442, 1376", total, frozen)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	x := randomImages(2, tensor.Shape{32, 32, 3}, 4)
	want, err := m.Predict(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Predict(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "resnet20 read back", got, want)
}

// A model with two inputs and two outputs (one output also feeding the
// other) writes every Input and output, and reads back to the same JSON
// and the same outputs from the same weights.
func TestFunctionalJSONSeveralInputsOutputs(t *testing.T) {
	a, b := gokeras.Input(3), gokeras.Input(2)
	h := nn.Call(&nn.Dense{Units: 4, Activation: activation.ReLU}, nn.Merge(&nn.Concatenate{Axis: -1}, a, b))
	out1 := nn.Call(&nn.Dense{Units: 1, Activation: activation.Sigmoid}, h)
	out2 := nn.Call(&nn.Dense{Units: 2, Activation: activation.Softmax}, nn.Merge(&nn.Concatenate{Axis: -1}, h, out1))
	m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{out1, out2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Config struct {
			InputLayers  any `json:"input_layers"`
			OutputLayers any `json:"output_layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	if got := compact(f.Config.InputLayers); got != `[["input_layer",0,0],["input_layer_1",0,0]]` {
		t.Errorf("input_layers %s", got)
	}
	if got := compact(f.Config.OutputLayers); got != `[["dense_1",0,0],["dense_2",0,0]]` {
		t.Errorf("output_layers %s", got)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	l := spec.Model
	if err := l.Build(); err != nil {
		t.Fatal(err)
	}
	js2, err := l.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, js2) {
		t.Errorf("ToJSON of the model read back:\n%s\nwant\n%s", js2, js)
	}
	ws, _ := m.GetWeights()
	if err := l.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	xs := []*tensor.Tensor{randomImages(4, tensor.Shape{3}, 5), randomImages(4, tensor.Shape{2}, 6)}
	want := m.Net().ForwardAll(xs, false)
	got := l.Net().ForwardAll(xs, false)
	if len(got) != 2 {
		t.Fatalf("%d outputs, want 2", len(got))
	}
	for i := range want {
		sameBits(t, "output", got[i], want[i])
	}
}

// Models nested in a Functional model (a Sequential of augmentation and
// a Functional block) write their configs in the layer list and read back
// to the same JSON and predictions. output_layers names a nested
// Functional model's first call as node 1, as Keras 3's get_config does.
func TestFunctionalJSONNestedModels(t *testing.T) {
	pre := gokeras.NewSequential(gokeras.Input(6), &nn.Dense{Units: 6, Activation: activation.Tanh})
	pre.Name = "pre"
	bin := gokeras.Input(6)
	block, err := gokeras.NewModel([]nn.Symbolic{bin}, []nn.Symbolic{nn.Merge(&nn.Add{}, bin, nn.Call(&nn.Dense{Units: 6}, bin))})
	if err != nil {
		t.Fatal(err)
	}
	block.Name = "block"
	in := gokeras.Input(6)
	x := nn.Call(pre.AsLayer(), in)
	out := nn.Call(block.AsLayer(), nn.Call(&nn.Dense{Units: 6, Name: "mid"}, x))
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomizeWeights(t, m, 8)
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"output_layers": [
      [
        "block",
        1,
        0
      ]`)) {
		t.Errorf("output_layers does not name block's node 1:\n%s", js)
	}
	// Keras finds the nested models' classes by module (and registered name).
	var f struct {
		Config struct {
			Layers []struct {
				Module, Name   string
				ClassName      string  `json:"class_name"`
				RegisteredName *string `json:"registered_name"`
			} `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	modules := map[string]string{}
	for _, l := range f.Config.Layers {
		reg := "null"
		if l.RegisteredName != nil {
			reg = *l.RegisteredName
		}
		modules[l.Name] = l.Module + " " + l.ClassName + " " + reg
	}
	if modules["pre"] != "keras Sequential null" || modules["block"] != "keras.src.models.functional Functional Functional" || modules["mid"] != "keras.layers Dense null" {
		t.Errorf("modules, classes and registered names: %v", modules)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	l := spec.Model
	if err := l.Build(); err != nil {
		t.Fatal(err)
	}
	js2, err := l.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, js2) {
		t.Errorf("ToJSON of the model read back:\n%s\nwant\n%s", js2, js)
	}
	ws, _ := m.GetWeights()
	if err := l.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	xs := randomImages(3, tensor.Shape{6}, 9)
	want, err := m.Predict(xs, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Predict(xs, 3)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "nested models read back", got, want)
	path := filepath.Join(t.TempDir(), "nested.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = loaded.Predict(xs, 3); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "nested models after Save and Load", got, want)

	// Keras 2 counts a nested model's calls from 1 everywhere.
	k2 := `{"class_name": "Model", "config": {"name": "m", "layers": [
	 {"class_name": "InputLayer", "name": "input_1", "config": {"batch_input_shape": [null, 6], "name": "input_1"}, "inbound_nodes": []},
	 {"class_name": "Sequential", "name": "pre", "config": {"name": "pre", "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 6, "batch_input_shape": [null, 6]}}]}, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
	 {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2}, "inbound_nodes": [[["pre", 1, 0, {}]]]}],
	 "input_layers": [["input_1", 0, 0]], "output_layers": [["out", 0, 0]]}}`
	if _, err := gokeras.ParseModelJSON([]byte(k2)); err != nil {
		t.Errorf("Keras 2 nested Sequential: %v", err)
	}
	bad := strings.Replace(k2, `[["pre", 1, 0, {}]]`, `[["pre", 0, 0, {}]]`, 1)
	if _, err := gokeras.ParseModelJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), `nested model "pre" has 1 call, numbered from 1 in this file, so there is no node 0`) {
		t.Errorf("Keras 2 nested node 0: %v", err)
	}
}
