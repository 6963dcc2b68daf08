package gokeras_test

import (
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
)

// keras3JSON is the shape of what Keras 3 (3.5 and later) writes for a
// small convnet with model.to_json(): every layer object carries module,
// registered_name and build_config beside its config, dtypes are
// DTypePolicy dicts, initializers are full objects, and every key of each
// layer's get_config() is present. gokeras must read all of it and change
// nothing it does not implement.
const keras3JSON = `{"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true,
 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
 "layers": [
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
  {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "trainable": false,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
    "activation": "relu", "use_bias": true,
    "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
    "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
    "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
   "registered_name": null, "build_config": {"input_shape": [null, 8, 8, 1]}},
  {"module": "keras.layers", "class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"},
   "registered_name": null, "build_config": {"input_shape": [null, 6, 6, 4]}},
  {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "data_format": "channels_last"}, "registered_name": null, "build_config": {"input_shape": [null, 3, 3, 4]}},
  {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "rate": 0.5, "seed": null, "noise_shape": null}, "registered_name": null},
  {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "units": 10, "activation": "softmax", "use_bias": true,
    "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
    "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
    "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null},
   "registered_name": null, "build_config": {"input_shape": [null, 36]}}],
 "build_input_shape": [null, 8, 8, 1]}, "registered_name": null, "build_config": {"input_shape": [null, 8, 8, 1]}}`

func TestKeras3JSONStrictKeys(t *testing.T) {
	spec, err := gokeras.ParseModelJSON([]byte(keras3JSON))
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Model
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	ls := m.Layers()
	if len(ls) != 5 {
		t.Fatalf("%d layers, want 5", len(ls))
	}
	if nn.IsTrainable(ls[0]) || !nn.IsTrainable(ls[4]) {
		t.Errorf("trainable: conv2d %v, dense %v; want false, true", nn.IsTrainable(ls[0]), nn.IsTrainable(ls[4]))
	}
	// One changed key at a time: each is an error naming the layer, the
	// key and the value, where gokeras used to build another model.
	for _, tt := range []struct{ from, to, want string }{
		{`"padding": "valid", "data_format": "channels_last", "dilation_rate"`, `"pading": "same", "data_format": "channels_last", "dilation_rate"`,
			`layer 1 "conv2d" (Conv2D): unknown key "pading" (value "same"); Conv2D takes`},
		{`"groups": 1`, `"groups": 3`, `layer 1 "conv2d" (Conv2D): filters=4 is not divisible by groups=3`},
		{`"rate": 0.5, "seed": null, "noise_shape": null`, `"rate": 0.5, "seed": null, "noise_shape": [null, 1]`, `"dropout" (Dropout): noise_shape=[null,1] is not implemented`},
		{`"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"`, `"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_first"`,
			`"max_pooling2d" (MaxPooling2D): data_format="channels_first" is not implemented`},
		{`"units": 10, "activation": "softmax"`, `"units": 10, "activation": "softmax", "lora_rank": 4`, `"dense" (Dense): lora_rank=4 is not implemented`},
		{`"sparse": false`, `"sparse": true`, `"input_layer" (InputLayer): sparse=true is not implemented`},
	} {
		if !strings.Contains(keras3JSON, tt.from) {
			t.Fatalf("fixture lacks %q", tt.from)
		}
		_, err := gokeras.ParseModelJSON([]byte(strings.Replace(keras3JSON, tt.from, tt.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.to, err, tt.want)
		}
	}
	// Mixed precision anywhere is refused.
	mixed := strings.Replace(keras3JSON, `"name": "flatten", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}`, `"name": "flatten", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}`, 1)
	if _, err := gokeras.ParseModelJSON([]byte(mixed)); err == nil || !strings.Contains(err.Error(), `"flatten" (Flatten): dtype "mixed_float16" is not supported`) {
		t.Errorf("mixed_float16: %v", err)
	}
}
