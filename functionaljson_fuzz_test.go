package gokeras

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseFunctionalJSON feeds mutations of Functional model files (Keras
// 3's and Keras 2's call layouts, a shared layer) to ParseModelJSON, with
// MaxParams lowered to a million. It must not panic, whatever the layer
// names, node indexes and cycles; errors are one line; a model it accepts
// builds within MaxParams and writes JSON that reads back.
func FuzzParseFunctionalJSON(f *testing.F) {
	for _, name := range []string{"keras3_functional_resnet.json", "keras2_model_resnet.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	in := `{"class_name": "InputLayer", "name": "in", "config": {"batch_shape": [null, 4]}, "inbound_nodes": []}`
	dense := func(name string, nodes string) string {
		return `{"class_name": "Dense", "name": "` + name + `", "config": {"units": 4}, "inbound_nodes": ` + nodes + `}`
	}
	kt := func(layer string, node int) string {
		return `{"class_name": "__keras_tensor__", "config": {"keras_history": ["` + layer + `", ` + string(rune('0'+node)) + `, 0]}}`
	}
	// A shared Dense (nodes 0 and 1), an Add, and their cyclic twin.
	shared := `{"class_name": "Functional", "config": {"layers": [` + in + `, ` +
		dense("d", `[{"args": [`+kt("in", 0)+`], "kwargs": {}}, {"args": [`+kt("d", 0)+`], "kwargs": {}}]`) + `, ` +
		`{"class_name": "Add", "name": "add", "config": {}, "inbound_nodes": [{"args": [[` + kt("d", 0) + `, ` + kt("d", 1) + `]], "kwargs": {}}]}], ` +
		`"input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]]}}`
	f.Add([]byte(shared))
	f.Add([]byte(strings.Replace(shared, `"args": [`+kt("in", 0)+`]`, `"args": [`+kt("add", 0)+`]`, 1)))
	f.Add([]byte(`{"class_name": "Model", "config": {"layers": [` + in + `, ` + dense("d", `[[["in", 0, 0, {}]]]`) + `, ` +
		dense("e", `[[["d", 0, 0]], [["e", 0, 0]]]`) + `], "input_layers": [["in", 0, 0]], "output_layers": [["e", 1, 0]]}}`))
	// A nested Sequential, called as Keras 2 numbers it (node 1).
	f.Add([]byte(`{"class_name": "Model", "config": {"layers": [` + in + `,
		{"class_name": "Sequential", "name": "s", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 4, "batch_input_shape": [null, 4]}}]}, "inbound_nodes": [[["in", 0, 0, {}]]]},
		` + dense("e", `[[["s", 1, 0, {}]]]`) + `], "input_layers": [["in", 0, 0]], "output_layers": [["e", 0, 0]]}}`))
	defer func(old int) { MaxParams = old }(MaxParams)
	MaxParams = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseModelJSON(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		m := spec.Model
		if !m.net.Functional() {
			return
		}
		if err := m.Build(); err != nil {
			return
		}
		if total, _, _ := m.net.CountParams(); total > MaxParams {
			t.Fatalf("built %d weights, more than MaxParams %d", total, MaxParams)
		}
		js, err := m.ToJSON()
		if err != nil {
			t.Fatalf("ToJSON of a model read from a file: %v", err)
		}
		if _, err := ParseModelJSON(js); err != nil {
			t.Fatalf("ToJSON's output does not read back: %v\n%s", err, js)
		}
	})
}
