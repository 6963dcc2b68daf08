package gokeras_test

import (
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
)

// The model's own keys follow the layers' rule: Keras's no-op keys are
// read, anything else is an error, and trainable false freezes the model.
func TestModelLevelKeys(t *testing.T) {
	const layers = `"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4]}},
		{"class_name": "Dense", "config": {"units": 2}}]`
	wrap := func(cfg, top string) string {
		return `{"class_name": "Sequential", "config": {` + cfg + layers + `}` + top + `}`
	}
	ok := wrap(`"name": "seq", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "build_input_shape": [null, 4], `,
		`, "module": "keras", "registered_name": null, "build_config": {"input_shape": [null, 4]}, "keras_version": "3.6.0", "backend": "tensorflow"`)
	spec, err := gokeras.ParseModelJSON([]byte(ok))
	if err != nil {
		t.Fatalf("Keras 3's model keys: %v", err)
	}
	if !nn.IsTrainable(spec.Model.Layers()[0]) {
		t.Fatal("trainable true froze the model")
	}
	frozen, err := gokeras.ParseModelJSON([]byte(wrap(`"trainable": false, `, "")))
	if err != nil {
		t.Fatal(err)
	}
	if nn.IsTrainable(frozen.Model.Layers()[0]) {
		t.Fatal("the model's trainable false did not freeze its layers")
	}
	for _, c := range []struct{ json, want string }{
		{wrap(`"nmae": "x", `, ""), `unknown key "nmae" (value "x") in the model's config`},
		{wrap("", `, "weights": []`), `unknown key "weights" at the top of the model file`},
		{wrap(`"dtype": "float64", `, ""), `dtype "float64" is not supported`},
		{wrap(`"trainable": "no", `, ""), `"trainable" is "no"; want true or false`},
	} {
		_, err := gokeras.ParseModelJSON([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.json, err, c.want)
		}
	}
}
