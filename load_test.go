package gokeras_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// savedToy returns the bytes of a trained, saved toyModel.
func savedToy(t *testing.T) []byte {
	t.Helper()
	x, y := toyImages(40, 6)
	m := toyModel(4)
	m.Classes = []string{"dark", "bright"}
	if _, err := m.Fit(x, y, silent(1)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// splitSafetensors returns a file's header (tensors and metadata) and body.
func splitSafetensors(t *testing.T, data []byte) (map[string]any, []byte) {
	t.Helper()
	n := binary.LittleEndian.Uint64(data)
	var h map[string]any
	if err := json.Unmarshal(data[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	return h, data[8+n:]
}

// joinSafetensors writes a header and body back as a file.
func joinSafetensors(t *testing.T, h map[string]any, body []byte) []byte {
	t.Helper()
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	return append(append(out, hb...), body...)
}

// editMeta rewrites one metadata value of a saved model.
func editMeta(t *testing.T, data []byte, key string, edit func(string) string) []byte {
	t.Helper()
	h, body := splitSafetensors(t, data)
	meta := h["__metadata__"].(map[string]any)
	meta[key] = edit(fmt.Sprint(meta[key]))
	return joinSafetensors(t, h, body)
}

// editLayer rewrites the config of the first layer of class in a saved
// model's architecture, as the audit's mk_huge.py does.
func editLayer(t *testing.T, data []byte, class string, edit func(cfg map[string]any)) []byte {
	t.Helper()
	return editMeta(t, data, "model", func(s string) string {
		var mj map[string]any
		if err := json.Unmarshal([]byte(s), &mj); err != nil {
			t.Fatal(err)
		}
		for _, l := range mj["config"].(map[string]any)["layers"].([]any) {
			l := l.(map[string]any)
			if l["class_name"] == class {
				edit(l["config"].(map[string]any))
				break
			}
		}
		b, _ := json.Marshal(mj)
		return string(b)
	})
}

// loadBytes writes data to a file and loads it, reporting the bytes Load
// allocated.
func loadBytes(t *testing.T, data []byte) (*gokeras.Sequential, error, uint64) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := gokeras.Load(p)
	runtime.ReadMemStats(&after)
	return m, err, after.TotalAlloc - before.TotalAlloc
}

// TestLoadAllocatesAboutTheFile is P3: metadata that asks for millions of
// weights the file does not hold fails before they are allocated.
func TestLoadAllocatesAboutTheFile(t *testing.T) {
	data := savedToy(t)
	cases := map[string][]byte{
		// mk_huge.py: Dense units 20,000,000 in the metadata, with 2,000,000
		// here so that the unfixed Load fails the test rather than the machine.
		"dense units":  editLayer(t, data, "Dense", func(c map[string]any) { c["units"] = 2_000_000 }),
		"conv filters": editLayer(t, data, "Conv2D", func(c map[string]any) { c["filters"] = 1_000_000 }),
		"input shape": editLayer(t, data, "InputLayer", func(c map[string]any) {
			c["batch_shape"] = []any{nil, 8, 8, 100_000}
		}),
	}
	for name, b := range cases {
		m, err, alloc := loadBytes(t, b)
		if err == nil || m != nil || !errors.Is(err, gokeras.ErrBadModelFile) {
			t.Errorf("%s: Load = %v, %v; want an ErrBadModelFile error", name, m, err)
			continue
		}
		if limit := uint64(20 * len(b)); alloc > max(limit, 4<<20) {
			t.Errorf("%s: Load allocated %d bytes for a %d-byte file before failing (%v)", name, alloc, len(b), err)
		}
		if !strings.Contains(err.Error(), "shape") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %q, want one line naming the shapes", name, err)
		}
	}
}

// TestLoadBoundsExampleSize: a model file whose weights match but whose
// declared input is 20000x20000 (predict would resize every image to it)
// fails to load; so does building such a model.
func TestLoadBoundsExampleSize(t *testing.T) {
	m := gokeras.NewSequential(gokeras.Input(8, 8, 1), &nn.GlobalAveragePooling2D{}, &nn.Dense{Units: 2})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gap.safetensors")
	if err := m.Save(p); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if _, err, _ := loadBytes(t, data); err != nil {
		t.Fatal(err)
	}
	huge := editLayer(t, data, "InputLayer", func(c map[string]any) { c["batch_shape"] = []any{nil, 20000, 20000, 1} })
	if _, err, _ := loadBytes(t, huge); !errors.Is(err, gokeras.ErrBadModelFile) || !strings.Contains(err.Error(), "400,000,000 values per example") {
		t.Errorf("Load of a 20000x20000 input: %v", err)
	}
	big := gokeras.NewSequential(gokeras.Input(20000, 20000, 1), &nn.GlobalAveragePooling2D{}, &nn.Dense{Units: 2})
	if err := big.Build(); err == nil || big.Net().Built() {
		t.Errorf("Build of a 20000x20000 input: %v, built %v", err, big.Net().Built())
	}
}

// TestLoadOverlappingTensorsAllocateNothing: many tensor entries pointing
// at the same bytes are rejected before any of them is copied out.
func TestLoadOverlappingTensorsAllocateNothing(t *testing.T) {
	body := make([]byte, 256<<10)
	h := map[string]any{"__metadata__": map[string]any{"format": "gokeras-model-v1"}}
	for i := range 400 {
		h[fmt.Sprintf("t%d", i)] = map[string]any{"dtype": "F32", "shape": []int{len(body) / 4}, "data_offsets": []int{0, len(body)}}
	}
	data := joinSafetensors(t, h, body)
	_, err, alloc := loadBytes(t, data)
	if !errors.Is(err, gokeras.ErrBadModelFile) || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("err = %v, want overlapping tensors reported", err)
	}
	if alloc > uint64(4*len(data)) {
		t.Errorf("Load allocated %d bytes for a %d-byte file", alloc, len(data))
	}
}

// TestModelJSONMaxParams is P3's JSON half: a model file asking for more
// weights than MaxParams fails at parse (input declared) or at Build
// (input from the data), saying how many and how to raise the limit.
func TestModelJSONMaxParams(t *testing.T) {
	declared := `{"class_name": "Sequential", "config": {"layers": [
		{"class_name": "InputLayer", "config": {"batch_shape": [null, 10]}},
		{"class_name": "Dense", "config": {"units": 3000000000}}]}}`
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := gokeras.ParseModelJSON([]byte(declared))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "33,000,000,000") || !strings.Contains(err.Error(), "MaxParams") {
		t.Errorf("units 3e9: err = %v, want the count asked for and MaxParams named", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("ParseModelJSON allocated %d bytes", a)
	}

	undeclared := `{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 3000000000}}]}}`
	spec, err := gokeras.ParseModelJSON([]byte(undeclared))
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Model.Build(10); err == nil || !strings.Contains(err.Error(), "MaxParams") {
		t.Errorf("Build of units 3e9: err = %v, want MaxParams named", err)
	}

	// The limit is the package variable, and raising it lets the model build.
	defer func(old int) { gokeras.MaxParams = old }(gokeras.MaxParams)
	gokeras.MaxParams = 20
	small := gokeras.NewSequential(&nn.Dense{Units: 5, InputShape: tensor.Shape{4}}) // 25 weights
	if err := small.Build(); err == nil || !strings.Contains(err.Error(), "25") {
		t.Errorf("25 weights with MaxParams 20: err = %v", err)
	}
	gokeras.MaxParams = 25
	if err := small.Build(); err != nil {
		t.Errorf("25 weights with MaxParams 25: %v", err)
	}
}

// TestLoadRejectsNonFiniteWeights is S9: a NaN or Inf anywhere in the
// weights or the optimizer's slots names the tensor.
func TestLoadRejectsNonFiniteWeights(t *testing.T) {
	data := savedToy(t)
	h, body := splitSafetensors(t, data)
	for _, tc := range []struct {
		name string
		v    float32
	}{{"dense_1/bias", float32(math.NaN())}, {"conv2d/kernel", float32(math.Inf(-1))}, {"optimizer/m/0", float32(math.Inf(1))}} {
		e, ok := h[tc.name].(map[string]any)
		if !ok {
			t.Fatalf("no tensor %q in the saved model", tc.name)
		}
		off := int(e["data_offsets"].([]any)[0].(float64))
		bad := bytes.Clone(data)
		binary.LittleEndian.PutUint32(bad[len(data)-len(body)+off+4:], math.Float32bits(tc.v))
		m, err, _ := loadBytes(t, bad)
		if m != nil || !errors.Is(err, gokeras.ErrBadModelFile) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.name)) {
			t.Errorf("%v in %s: Load = %v, %v; want an error naming the tensor", tc.v, tc.name, m, err)
		}
	}
}

// TestLoadChecksClassCount is S7: the class names must match the output
// units; a sigmoid unit with two class names is a binary classifier.
func TestLoadChecksClassCount(t *testing.T) {
	data := savedToy(t) // 2 softmax outputs
	for _, tc := range []struct {
		classes string
		ok      bool
	}{{`["a"]`, false}, {`["a","b","c"]`, false}, {`["a","b"]`, true}} {
		m, err, _ := loadBytes(t, editMeta(t, data, "classes", func(string) string { return tc.classes }))
		if tc.ok != (err == nil) || (!tc.ok && !strings.Contains(err.Error(), "for a model with 2 outputs")) {
			t.Errorf("classes %s: Load = %v, %v", tc.classes, m, err)
		}
	}

	// Fit refuses before training a model it could not load again.
	x, y := toyImages(40, 6)
	m := toyModel(4)
	m.Classes = []string{"a", "b", "c"}
	if h, err := m.Fit(x, y, silent(1)); err == nil || h != nil || m.Epoch() != 0 || !strings.Contains(err.Error(), "3 class names (a, b, c) for a model with 2 outputs") {
		t.Errorf("Fit with 3 class names and 2 outputs: %v, %v (epoch %d)", h, err, m.Epoch())
	}

	bin := gokeras.NewSequential(&nn.Dense{Units: 1, InputShape: tensor.Shape{3}})
	bin.Classes = []string{"no", "yes"}
	if err := bin.CompileNamed("binary_crossentropy", "adam"); err != nil {
		t.Fatal(err)
	}
	if err := bin.Build(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bin.safetensors")
	if err := bin.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeras.Load(p); err != nil {
		t.Errorf("binary model with 1 unit and 2 classes: %v", err)
	}
}

// TestLoadErrorsSayEachContextOnce: the audit's
// "gokeras: load x: not a valid gokeras model file: gokeras: model file layer 1: nn: ..."
func TestLoadErrorsSayEachContextOnce(t *testing.T) {
	data := savedToy(t)
	for _, tc := range []struct {
		units any
		want  string
	}{{-3, `layer "dense" (Dense): units is -3; give Dense a positive number of units`}, {"x", `layer 5 "dense" (Dense): "units" is x; want a number`}} {
		bad := editLayer(t, data, "Dense", func(c map[string]any) { c["units"] = tc.units })
		_, err, _ := loadBytes(t, bad)
		msg := fmt.Sprint(err)
		for _, word := range []string{"gokeras:", "model file", "nn:", "layer"} {
			if strings.Count(msg, word) > 1 {
				t.Errorf("%q appears %d times in %q", word, strings.Count(msg, word), msg)
			}
		}
		if !errors.Is(err, gokeras.ErrBadModelFile) || !strings.HasSuffix(msg, "not a valid gokeras model file: "+tc.want) {
			t.Errorf("err = %q, want it to end %q", msg, tc.want)
		}
	}
	var err error
	_, err = gokeras.ParseModelJSON([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": "x"}}]}}`))
	if msg := fmt.Sprint(err); strings.Count(msg, "gokeras:") != 1 || strings.Count(msg, "model file") != 1 || strings.Contains(msg, "nn:") || !strings.Contains(msg, "layer 0 (Dense)") {
		t.Errorf("ParseModelJSON err = %q, want each context once", msg)
	}
}

// SetClasses takes one name per output unit, or two for a single unit,
// and leaves the names as they were when the count does not fit.
func TestSetClasses(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 3, InputShape: tensor.Shape{2}})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.SetClasses([]string{"a", "b", "c"}); err != nil || len(m.Classes) != 3 {
		t.Fatalf("three names for three units: %v, classes %v", err, m.Classes)
	}
	err := m.SetClasses([]string{"x", "y"})
	if err == nil || !strings.Contains(err.Error(), "2 class names (x, y) for a model with 3 outputs") {
		t.Errorf("two names for three units: %v", err)
	}
	if strings.Join(m.Classes, ",") != "a,b,c" {
		t.Errorf("after the refusal the classes are %v, want a,b,c", m.Classes)
	}
	one := gokeras.NewSequential(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
	if err := one.Build(); err != nil {
		t.Fatal(err)
	}
	if err := one.SetClasses([]string{"no", "yes"}); err != nil {
		t.Errorf("two names for one sigmoid unit: %v", err)
	}
}
