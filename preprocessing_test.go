package gokeras_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// tabular is a small table: a measurement uniform in [0, 8), a category
// in {0, 1, 2} and a target that is a step function of the measurement's
// quartile plus a per-category offset.
func tabular(n int) (value, cat, y *tensor.Tensor) {
	r := rand.New(rand.NewPCG(5, 6))
	value, cat, y = tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 1)
	for i := range n {
		v, c := r.Float32()*8, r.IntN(3)
		value.Data[i], cat.Data[i] = v, float32(c)
		y.Data[i] = float32(int(v/2)) + []float32{0, 10, -5}[c]
	}
	return value, cat, y
}

// TestDiscretizationAdaptsInSequential: Adapt learns quartile boundaries
// from the training data, the one-hot bins let a Dense layer fit a step
// function, and the learned boundaries survive Save and Load (they are
// config, as in Keras).
func TestDiscretizationAdaptsInSequential(t *testing.T) {
	value, _, _ := tabular(800)
	y := tensor.New(800, 1) // the quartile alone
	for i, v := range value.Data {
		y.Data[i] = float32(int(v / 2))
	}
	disc := &nn.Discretization{NumBins: 4, OutputMode: "one_hot"}
	m := gokeras.NewSequential(gokeras.Input(1), disc, &nn.Dense{Units: 1})
	if err := m.Compile(loss.MSE{}, &optim.Adam{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Adapt(value); err != nil {
		t.Fatal(err)
	}
	if len(disc.BinBoundaries) != 3 {
		t.Fatalf("boundaries %v, want 3", disc.BinBoundaries)
	}
	for i, b := range disc.BinBoundaries {
		if want := float64(2 * (i + 1)); math.Abs(b-want) > 0.3 {
			t.Errorf("boundary %d is %v, want about %v (a quartile of U[0, 8))", i, b, want)
		}
	}
	h, err := m.Fit(value, y, silent(60))
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := h.Last("loss"); !(last < 0.1) {
		t.Errorf("loss after 60 epochs %v; the bins make the step function exact", last)
	}
	sameAfterReload(t, m, gokeras.List{value}, "gkm", "keras", "h5")
}

// TestAdaptFunctionalTabular: a Functional model with three inputs (a
// normalised measurement, a one-hot category, binned measurement) adapts
// each preprocessing layer to its own input with AdaptMulti, trains, and
// keeps the statistics through its JSON.
func TestAdaptFunctionalTabular(t *testing.T) {
	value, cat, y := tabular(600)
	norm := &nn.Normalization{}
	disc := &nn.Discretization{NumBins: 4, OutputMode: "one_hot"}
	vin, cin, bin := gokeras.Input(1), gokeras.Input(1), gokeras.Input(1)
	vin.Name, cin.Name, bin.Name = "value", "category", "binned"
	features := nn.Merge(&nn.Concatenate{},
		nn.Call(norm, vin),
		nn.Call(&nn.CategoryEncoding{NumTokens: 3, OutputMode: "one_hot"}, cin),
		nn.Call(disc, bin))
	out := nn.Call(&nn.Dense{Units: 1}, features)
	m, err := gokeras.NewModel([]nn.Symbolic{vin, cin, bin}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(loss.MSE{}, &optim.Adam{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Adapt(value); err == nil || !strings.Contains(err.Error(), "AdaptMulti") {
		t.Errorf("Adapt of a 3-input model: err = %v, want a pointer to AdaptMulti", err)
	}
	x := gokeras.Named{"value": value, "category": cat, "binned": value}
	if err := m.AdaptMulti(x); err != nil {
		t.Fatal(err)
	}
	var mean float64
	for _, v := range value.Data {
		mean += float64(v)
	}
	mean /= float64(len(value.Data))
	if got := float64(norm.Params()[0].Value.Data[0]); math.Abs(got-mean) > 1e-4 {
		t.Errorf("Normalization mean %v, want the data's %v", got, mean)
	}
	if len(disc.BinBoundaries) != 3 {
		t.Fatalf("Discretization boundaries %v", disc.BinBoundaries)
	}
	h, err := m.FitMulti(x, gokeras.List{y}, silent(80))
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := h.Last("loss"); !(last < 0.5) {
		t.Errorf("loss after 80 epochs %v; the features make the target linear", last)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"bin_boundaries"`) || strings.Contains(string(js), `"bin_boundaries": null`) {
		t.Errorf("the model JSON lacks the learned boundaries: %.300s", js)
	}
	sameAfterReload(t, m, x, "gkm")
}

// TestAdaptSharedLayerRefused: a preprocessing layer called on two inputs
// cannot tell which to learn from.
func TestAdaptSharedLayerRefused(t *testing.T) {
	norm := &nn.Normalization{}
	a, b := gokeras.Input(2), gokeras.Input(2)
	out := nn.Call(&nn.Dense{Units: 1}, nn.Merge(&nn.Add{}, nn.Call(norm, a), nn.Call(norm, b)))
	m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(4, 2)
	err = m.AdaptMulti(gokeras.List{x, x})
	if err == nil || !strings.Contains(err.Error(), "called more than once") {
		t.Errorf("err = %v, want it to say the layer is shared", err)
	}
}

// TestIntegerInputModelFile: a Keras 3 Functional file whose category
// input is int64 (as Keras's structured-data examples declare it) loads,
// one-hots the category, and writes the dtype back.
func TestIntegerInputModelFile(t *testing.T) {
	js := `{"class_name": "Functional", "config": {"name": "tab", "trainable": true,
	  "layers": [
	    {"class_name": "InputLayer", "name": "cat", "config": {"batch_shape": [null, 1], "dtype": "int64", "sparse": false, "name": "cat"}, "inbound_nodes": []},
	    {"class_name": "CategoryEncoding", "name": "onehot", "config": {"name": "onehot", "num_tokens": 3, "output_mode": "one_hot", "trainable": true,
	      "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}},
	     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 1], "dtype": "int64", "keras_history": ["cat", 0, 0]}}], "kwargs": {}}]},
	    {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 1, "use_bias": false, "kernel_initializer": {"class_name": "Ones", "config": {}}},
	     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["onehot", 0, 0]}}], "kwargs": {}}]}],
	  "input_layers": [["cat", 0, 0]], "output_layers": [["out", 0, 0]]}}`
	spec, err := gokeras.ParseModelJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Model
	y, err := m.Predict(tensor.New(2, 1), 0)
	if err != nil {
		t.Fatal(err)
	}
	if y.Data[0] != 1 || y.Data[1] != 1 {
		t.Errorf("predictions %v, want 1 (one category, weight 1)", y.Data)
	}
	back, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(back), `"dtype": "int64"`) {
		t.Errorf("the written file lost the input's int64:\n%.600s", back)
	}
	if _, err := gokeras.ParseModelJSON(back); err != nil {
		t.Errorf("the written file does not load: %v", err)
	}
}

// TestBadCategoryValuesRefused: a category outside CategoryEncoding's
// range, or a value outside an IntegerLookup's vocabulary without OOV
// indices, is an error naming the input, row and layer before Fit, Predict
// or Evaluate runs, as Keras raises one.
func TestBadCategoryValuesRefused(t *testing.T) {
	x := tensor.New(6, 1)
	x.Data[4] = 3 // categories 0..2
	m := gokeras.NewSequential(gokeras.Input(1), &nn.CategoryEncoding{Name: "cats", NumTokens: 3, OutputMode: "one_hot"}, &nn.Dense{Units: 1})
	if err := m.Compile(loss.MSE{}, &optim.SGD{}); err != nil {
		t.Fatal(err)
	}
	y := tensor.New(6, 1)
	if _, err := m.Fit(x, y, silent(1)); err == nil || !strings.Contains(err.Error(), `row 4: layer "cats": value 3 is not a category in [0, 3)`) {
		t.Errorf("Fit: err = %v", err)
	}
	if _, err := m.Predict(x, 0); err == nil || !strings.Contains(err.Error(), "row 4") {
		t.Errorf("Predict: err = %v", err)
	}
	if _, err := m.Evaluate(x, y, 0); err == nil || !strings.Contains(err.Error(), "row 4") {
		t.Errorf("Evaluate: err = %v", err)
	}
	x.Data[4] = 2
	if _, err := m.Fit(x, y, silent(1)); err != nil {
		t.Errorf("valid categories: %v", err)
	}

	ids := gokeras.Input(2)
	ids.Name = "ids"
	out := nn.Call(&nn.Dense{Units: 1}, nn.Call(&nn.IntegerLookup{Name: "lookup", Vocabulary: []int64{10, 20}, NumOOVIndices: new(0), OutputMode: "multi_hot"}, ids))
	g, err := gokeras.NewModel([]nn.Symbolic{ids}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	v := tensor.New(3, 2)
	copy(v.Data, []float32{10, 20, 20, 10, 10, 30})
	if _, err := g.PredictMulti(gokeras.List{v}, 0); err == nil || !strings.Contains(err.Error(), `inputs of "ids", row 2: layer "lookup": value 30 is not in the vocabulary`) {
		t.Errorf("PredictMulti: err = %v", err)
	}
}

// TestKerasFileVocabularyAsset: a .keras file whose IntegerLookup learned
// its vocabulary by adapt keeps it as assets/<layer path>/vocabulary.txt
// (special tokens first) with "vocabulary": null in the config, as Keras's
// saving_lib and IndexLookup.save_assets write it; Load reads it back.
func TestKerasFileVocabularyAsset(t *testing.T) {
	ids := gokeras.Input(1)
	ids.Name = "ids"
	lookup := &nn.IntegerLookup{Vocabulary: []int64{12, 36, 7}, OutputMode: "one_hot"}
	out := nn.Call(&nn.Dense{Units: 2}, nn.Call(lookup, ids))
	m, err := gokeras.NewModel([]nn.Symbolic{ids}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.keras")
	if err := m.SaveKeras(path); err != nil {
		t.Fatal(err)
	}
	// Rewrite the archive as Keras writes an adapted lookup.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	archive := func(vocabulary string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if zf.Name == "config.json" {
				var cfg map[string]any
				if err := json.Unmarshal(b, &cfg); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, l := range cfg["config"].(map[string]any)["layers"].([]any) {
					if lm := l.(map[string]any); lm["class_name"] == "IntegerLookup" {
						lm["config"].(map[string]any)["vocabulary"] = nil
						found = true
					}
				}
				if !found {
					t.Fatalf("config.json has no IntegerLookup:\n%s", b)
				}
				b, _ = json.Marshal(cfg)
			}
			w, _ := zw.Create(zf.Name)
			w.Write(b)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "assets/layers/integer_lookup/vocabulary.txt", Method: zip.Store})
		w.Write([]byte(vocabulary))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	kpath := filepath.Join(t.TempDir(), "adapted.keras")
	if err := os.WriteFile(kpath, archive("-1\n12\n36\n7"), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.Load(kpath)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(4, 1)
	copy(x.Data, []float32{36, 5, 7, 12})
	a, _ := m.Predict(x, 0)
	b, err := back.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Data, b.Data) {
		t.Errorf("predictions differ after loading the vocabulary asset: %v, want %v", b.Data, a.Data)
	}
	// A vocabulary that is not integers is a clear error.
	if err := os.WriteFile(kpath, archive("-1\nab\n36\n7"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeras.Load(kpath); err == nil || !strings.Contains(err.Error(), `line 2 is "ab"`) {
		t.Errorf("a vocabulary with a word: err = %v", err)
	}
}

// TestModelAdaptKeepsSettledLayers: a lookup adapted before the model was
// made (Keras's way) and bin boundaries given (or read from a file) stay
// through the model's Adapt; only layers without them learn.
func TestModelAdaptKeepsSettledLayers(t *testing.T) {
	lookup := &nn.IntegerLookup{OutputMode: "one_hot"}
	if err := lookup.Adapt(fromRows(5, 6, 7, 8)); err != nil {
		t.Fatal(err)
	}
	bins := &nn.Discretization{BinBoundaries: []float64{0.5}, OutputMode: "one_hot"}
	learn := &nn.Discretization{NumBins: 2}
	a, b, c := gokeras.Input(1), gokeras.Input(1), gokeras.Input(1)
	a.Name, b.Name, c.Name = "a", "b", "c"
	out := nn.Call(&nn.Dense{Units: 1}, nn.Merge(&nn.Concatenate{}, nn.Call(lookup, a), nn.Call(bins, b), nn.Call(learn, c)))
	m, err := gokeras.NewModel([]nn.Symbolic{a, b, c}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AdaptMulti(gokeras.List{fromRows(1, 2, 3, 4), fromRows(7, 8, 9, 9), fromRows(1, 2, 3, 4)}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lookup.Vocabulary, []int64{8, 7, 6, 5}) || !slices.Equal(bins.BinBoundaries, []float64{0.5}) {
		t.Errorf("settled layers changed: vocabulary %v, boundaries %v", lookup.Vocabulary, bins.BinBoundaries)
	}
	if len(learn.BinBoundaries) != 1 {
		t.Errorf("the layer without boundaries learned %v", learn.BinBoundaries)
	}
}

// fromRows is a (len(v), 1) tensor.
func fromRows(v ...float32) *tensor.Tensor {
	x := tensor.New(len(v), 1)
	copy(x.Data, v)
	return x
}

// TestHashedCrossingInModel: a Functional model crossing two integer
// inputs trains, goes through its JSON and a .keras file unchanged, and
// refuses fractional values in its inputs, as Keras refuses float tensors.
func TestHashedCrossingInModel(t *testing.T) {
	a, b := gokeras.Input(1), gokeras.Input(1)
	a.Name, b.Name, a.DType, b.DType = "a", "b", "int64", "int64"
	cross := nn.Merge(&nn.HashedCrossing{Name: "cross", NumBins: 16, OutputMode: "one_hot"}, a, b)
	out := nn.Call(&nn.Dense{Units: 1}, cross)
	m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(loss.MSE{}, &optim.Adam{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	n := 64
	xa, xb, y := tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 1)
	for i := range n {
		xa.Data[i], xb.Data[i] = float32(i%4), float32(i%3)
		y.Data[i] = float32(i%4*3 + i%3) // a function of the pair
	}
	x := gokeras.Named{"a": xa, "b": xb}
	if _, err := m.FitMulti(x, gokeras.List{y}, silent(5)); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	again, _ := spec.Model.ToJSON()
	if string(again) != string(js) {
		t.Errorf("the JSON changed on the round trip")
	}
	sameAfterReload(t, m, x, "keras")
	xa.Data[5] = 1.5
	if _, err := m.PredictMulti(x, 0); err == nil || !strings.Contains(err.Error(), `inputs of "a", row 5: layer "cross": value 1.5 is not an integer`) {
		t.Errorf("a fraction: err = %v", err)
	}
}

// TestEmbeddingInTabularModel: an entity embedding of a category (Input
// (1,) int64 → Embedding → Flatten) next to a numeric input trains, and
// its weights go through .keras (layers/embedding/vars/0) and .gkm.
func TestEmbeddingInTabularModel(t *testing.T) {
	value, cat, y := tabular(300)
	v, c := gokeras.Input(1), gokeras.Input(1)
	v.Name, c.Name, c.DType = "value", "category", "int64"
	emb := nn.Call(&nn.Flatten{}, nn.Call(&nn.Embedding{InputDim: 3, OutputDim: 2}, c))
	h := nn.Call(&nn.Dense{Units: 8, Activation: activation.ReLU}, nn.Merge(&nn.Concatenate{}, nn.Call(&nn.Normalization{}, v), emb))
	out := nn.Call(&nn.Dense{Units: 1}, h)
	m, err := gokeras.NewModel([]nn.Symbolic{v, c}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(loss.MSE{}, &optim.Adam{LR: 0.05}); err != nil {
		t.Fatal(err)
	}
	x := gokeras.Named{"value": value, "category": cat}
	if err := m.AdaptMulti(x); err != nil {
		t.Fatal(err)
	}
	h0, err := m.FitMulti(x, gokeras.List{y}, silent(40))
	if err != nil {
		t.Fatal(err)
	}
	losses := h0.History["loss"]
	if first, last := losses[0], losses[len(losses)-1]; !(last < first/4) {
		t.Errorf("loss %v after 40 epochs, from %v: the category offsets are learnable", last, first)
	}
	sameAfterReload(t, m, x, "keras", "gkm")
	cat.Data[7] = 3
	if _, err := m.PredictMulti(x, 0); err == nil || !strings.Contains(err.Error(), `inputs of "category", row 7`) {
		t.Errorf("index 3 of 3: err = %v", err)
	}
}

// TestEinsumDenseInModel: a multi-head projection (Keras's
// "abc,cde->abde") trains in a model and its kernel and bias go through
// .keras and .gkm files.
func TestEinsumDenseInModel(t *testing.T) {
	m := gokeras.NewSequential(gokeras.Input(3, 4),
		&nn.EinsumDense{Equation: "abc,cde->abde", PartialOutput: []int{-1, 2, 5}, BiasAxes: "de", Activation: activation.ReLU},
		&nn.Flatten{}, &nn.Dense{Units: 1})
	if err := m.Compile(loss.MSE{}, &optim.Adam{LR: 0.01}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	x, y := tensor.New(64, 3, 4), tensor.New(64, 1)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	for i := range 64 {
		y.Data[i] = x.Data[i*12] - 2*x.Data[i*12+5]
	}
	h, err := m.Fit(x, y, silent(30))
	if err != nil {
		t.Fatal(err)
	}
	if l := h.History["loss"]; !(l[len(l)-1] < l[0]/3) {
		t.Errorf("loss %v → %v", l[0], l[len(l)-1])
	}
	sameAfterReload(t, m, gokeras.List{x}, "keras", "gkm")
}

// sameAfterReload saves m in each format ("gkm", "keras", "h5"), loads it
// back and checks that it predicts x (one array per input) bit for bit as
// m does.
func sameAfterReload(t *testing.T, m *gokeras.Model, x gokeras.Arrays, formats ...string) {
	t.Helper()
	want, err := m.PredictMulti(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range formats {
		path := filepath.Join(t.TempDir(), "m."+f)
		save := map[string]func(string) error{"gkm": m.Save, "keras": m.SaveKeras, "h5": m.SaveKerasH5}[f]
		if err := save(path); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		back, err := gokeras.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := back.PredictMulti(x, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for j := range want {
			if !reflect.DeepEqual(got[j].Data, want[j].Data) {
				t.Errorf("%s: output %d differs after save and load", f, j)
			}
		}
	}
}
