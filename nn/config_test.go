package nn_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestConfigZeroIsNotDefault is S10: in a model file only an absent key
// means the default; an explicit 0 (or a negative size) is an error, as in
// Keras, instead of silently becoming the default.
func TestConfigZeroIsNotDefault(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"MaxPooling2D", map[string]any{"pool_size": []any{0.0, 0.0}}, "pool_size must be positive, got [0 0]; Keras rejects 0 too"},
		{"MaxPooling2D", map[string]any{"pool_size": 2.0, "strides": []any{0.0, 0.0}}, "strides must be positive, got [0 0]"},
		{"AveragePooling2D", map[string]any{"pool_size": -2.0}, "pool_size must be positive, got [-2]"},
		{"AveragePooling2D", map[string]any{"strides": 0.0}, "strides must be positive"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 0.0}, "kernel_size must be positive, got [0]"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": []any{1.0, 0.0}}, "strides must be positive, got [1 0]"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "dilation_rate": []any{0.0, 0.0}}, "dilation_rate must be positive"},
		{"PatchWhitening", map[string]any{"kernel_size": []any{0.0, 0.0}}, "kernel_size must be positive"},
		{"PatchWhitening", map[string]any{"epsilon": 0.0}, "epsilon"},
		{"PatchWhitening", map[string]any{"max_images": 0.0}, "max_images"},
		{"BatchNormalization", map[string]any{"momentum": 0.0}, "momentum"},
		{"BatchNormalization", map[string]any{"epsilon": 0.0}, "epsilon"},
	}
	for _, tt := range tests {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want %q", tt.class, tt.cfg, err, tt.want)
		}
		var ce *nn.ConfigError
		if !errors.As(err, &ce) || ce.Class != tt.class {
			t.Errorf("%s %v: err = %#v, want a *nn.ConfigError", tt.class, tt.cfg, err)
		}
	}

	// Absent keys and null (Keras's None) still mean the default.
	for class, cfg := range map[string]map[string]any{
		"MaxPooling2D":       {"strides": nil},
		"AveragePooling2D":   {},
		"Conv2D":             {"filters": 2.0, "kernel_size": 3.0, "strides": nil},
		"PatchWhitening":     {},
		"BatchNormalization": {"momentum": nil},
	} {
		l, err := nn.FromConfig(class, cfg)
		if err != nil {
			t.Errorf("%s %v: %v", class, cfg, err)
			continue
		}
		s := &nn.Stack{}
		s.Add(l)
		if err := s.Build(tensor.Shape{6, 6, 2}, 1); err != nil {
			t.Errorf("%s %v: Build: %v", class, cfg, err)
		}
	}
}

// TestZeroPoolSizeGoAPI: in Go the zero value is the default, but a
// negative or half-zero size is an error that names the field.
func TestPoolSizeGoAPI(t *testing.T) {
	for _, p := range []*nn.MaxPooling2D{{PoolSize: [2]int{0, 2}}, {PoolSize: [2]int{-1, -1}}, {Strides: [2]int{2, 0}}} {
		if _, err := p.OutputShape(tensor.Shape{4, 4, 1}); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("%+v: err = %v", p, err)
		}
	}
	if out, err := (&nn.MaxPooling2D{}).OutputShape(tensor.Shape{4, 4, 1}); err != nil || !out.Equal(tensor.Shape{2, 2, 1}) {
		t.Errorf("zero value: %v, %v; want (2, 2, 1)", out, err)
	}
}

// keras3Base is what Keras 3's Layer.get_config writes for every layer
// (keras/src/layers/layer.py), with the dtype as a DTypePolicy dict.
func keras3Base(name string) map[string]any {
	return map[string]any{
		"name": name, "trainable": true,
		"dtype": map[string]any{"module": "keras", "class_name": "DTypePolicy", "config": map[string]any{"name": "float32"}, "registered_name": nil},
	}
}

func kerasInit(class string) map[string]any {
	cfg := map[string]any{}
	if class == "GlorotUniform" || class == "HeNormal" {
		cfg["seed"] = nil
	}
	return map[string]any{"module": "keras.initializers", "class_name": class, "config": cfg, "registered_name": nil}
}

// keras3Configs holds, for every built-in class, every key its Keras 3
// get_config() writes (the files are named in docs/keras-config-keys.md),
// with values gokeras implements, and the input to build it for.
func keras3Configs() map[string]struct {
	cfg map[string]any
	in  tensor.Shape
} {
	with := func(name string, kv map[string]any) map[string]any {
		m := keras3Base(name)
		for k, v := range kv {
			m[k] = v
		}
		return m
	}
	img := tensor.Shape{6, 6, 2}
	seq := tensor.Shape{8, 3} // (steps, channels) for the 1-D layers
	geom := map[string]any{"fill_mode": "reflect", "interpolation": "bilinear", "seed": nil, "fill_value": 0.0, "data_format": "channels_last"}
	plus := func(a, b map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range a {
			m[k] = v
		}
		for k, v := range b {
			m[k] = v
		}
		return m
	}
	type c = struct {
		cfg map[string]any
		in  tensor.Shape
	}
	return map[string]c{
		"Dense": {with("dense", map[string]any{"units": 3.0, "activation": "relu", "use_bias": true,
			"kernel_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"kernel_regularizer": nil, "bias_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil,
			"quantization_config": nil}), tensor.Shape{4}},
		"Conv2D": {with("conv2d", map[string]any{"filters": 2.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{1.0, 1.0},
			"padding": "same", "data_format": "channels_last", "dilation_rate": []any{1.0, 1.0}, "groups": 1.0,
			"activation": "linear", "use_bias": true, "kernel_initializer": kerasInit("HeNormal"), "bias_initializer": kerasInit("Zeros"),
			"kernel_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil}), img},
		// keras/src/layers/convolutional/conv1d.py (BaseConv's get_config).
		"Conv1D": {with("conv1d", map[string]any{"filters": 2.0, "kernel_size": []any{3.0}, "strides": []any{1.0},
			"padding": "causal", "data_format": "channels_last", "dilation_rate": []any{2.0}, "groups": 2.0,
			"activation": "linear", "use_bias": true, "kernel_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"kernel_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil}), tensor.Shape{6, 2}},
		"MaxPooling2D":           {with("max_pooling2d", map[string]any{"pool_size": []any{2.0, 2.0}, "padding": "valid", "strides": []any{2.0, 2.0}, "data_format": "channels_last"}), img},
		"AveragePooling2D":       {with("average_pooling2d", map[string]any{"pool_size": []any{2.0, 2.0}, "padding": "same", "strides": []any{1.0, 1.0}, "data_format": "channels_last"}), img},
		"GlobalAveragePooling2D": {with("global_average_pooling2d", map[string]any{"data_format": "channels_last", "keepdims": false}), img},
		"GlobalMaxPooling2D":     {with("global_max_pooling2d", map[string]any{"data_format": "channels_last", "keepdims": true}), img},
		"Dropout":                {with("dropout", map[string]any{"rate": 0.5, "seed": 42.0, "noise_shape": nil}), tensor.Shape{4}},
		"BatchNormalization": {with("batch_normalization", map[string]any{"axis": -1.0, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
			"beta_initializer": kerasInit("Zeros"), "gamma_initializer": kerasInit("Ones"),
			"moving_mean_initializer": kerasInit("Zeros"), "moving_variance_initializer": kerasInit("Ones"),
			"beta_regularizer": nil, "gamma_regularizer": nil, "beta_constraint": nil, "gamma_constraint": nil, "synchronized": false}), img},
		"Normalization":     {with("normalization", map[string]any{"axis": []any{-1.0}, "invert": false, "mean": nil, "variance": nil}), tensor.Shape{4}},
		"Flatten":           {with("flatten", map[string]any{"data_format": "channels_last"}), img},
		"Reshape":           {with("reshape", map[string]any{"target_shape": []any{2.0, -1.0}}), tensor.Shape{4}},
		"Activation":        {with("activation", map[string]any{"activation": "gelu"}), tensor.Shape{4}},
		"InputLayer":        {map[string]any{"batch_shape": []any{nil, 4.0}, "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, tensor.Shape{4}},
		"RandomFlip":        {with("random_flip", map[string]any{"seed": nil, "mode": "horizontal", "data_format": "channels_last"}), img},
		"RandomTranslation": {with("random_translation", plus(geom, map[string]any{"height_factor": 0.1, "width_factor": []any{-0.2, 0.2}})), img},
		"RandomRotation":    {with("random_rotation", plus(geom, map[string]any{"factor": []any{-0.1, 0.1}})), img},
		"RandomZoom":        {with("random_zoom", plus(geom, map[string]any{"height_factor": 0.1, "width_factor": nil})), img},
		"RandomCrop":        {with("random_crop", map[string]any{"height": 4.0, "width": 4.0, "seed": 1337.0, "data_format": "channels_last"}), img},
		"RandomContrast":    {with("random_contrast", map[string]any{"factor": []any{0.1, 0.1}, "value_range": []any{0.0, 255.0}, "seed": nil, "bounding_box_format": "xyxy"}), img},
		"RandomBrightness":  {with("random_brightness", map[string]any{"factor": []any{-0.2, 0.2}, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		// keras/src/layers/preprocessing/image_preprocessing/: the color layers.
		"RandomInvert":            {with("random_invert", map[string]any{"factor": []any{0.0, 1.0}, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		"RandomGrayscale":         {with("random_grayscale", map[string]any{"factor": 0.5}), tensor.Shape{6, 6, 3}},
		"RandomColorDegeneration": {with("random_color_degeneration", map[string]any{"factor": []any{-0.5, 0.5}, "value_range": []any{0.0, 255.0}, "seed": nil}), tensor.Shape{6, 6, 3}},
		"Solarization":            {with("solarization", map[string]any{"value_range": []any{0.0, 255.0}, "addition_factor": []any{0.0, 0.0}, "threshold_factor": []any{0.0, 0.0}, "seed": nil}), img},
		"RandomPosterization":     {with("random_posterization", map[string]any{"factor": []any{1.0, 4.0}, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		"RandomShear": {with("random_shear", map[string]any{"x_factor": []any{-0.2, 0.2}, "y_factor": []any{0.0, 0.0}, "fill_mode": "reflect", "interpolation": "bilinear",
			"seed": nil, "fill_value": 0.0, "data_format": "channels_last"}), img},
		"RandomGaussianBlur": {with("random_gaussian_blur", map[string]any{"factor": []any{0.0, 1.0}, "kernel_size": []any{3.0, 3.0}, "sigma": []any{0.0, 1.0}, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		"Equalization":       {with("equalization", map[string]any{"bins": 256.0, "value_range": []any{0.0, 255.0}}), img},
		"RandomPerspective":  {with("random_perspective", map[string]any{"factor": []any{0.0, 1.0}, "scale": 1.0, "interpolation": "bilinear", "fill_value": 0.0, "seed": nil}), img},
		// keras/src/layers/preprocessing/pipeline.py: only name and layers.
		"Pipeline": {map[string]any{"name": "pipeline", "layers": []any{map[string]any{"module": "keras.layers", "class_name": "RandomFlip",
			"config": with("random_flip", map[string]any{"mode": "horizontal", "seed": nil, "data_format": "channels_last"}), "registered_name": nil}}}, img},
		"RandomSaturation": {with("random_saturation", map[string]any{"factor": []any{0.3, 0.7}, "value_range": []any{0.0, 255.0}, "seed": nil}), tensor.Shape{6, 6, 3}},
		"RandomHue":        {with("random_hue", map[string]any{"factor": []any{0.0, 0.5}, "value_range": []any{0.0, 255.0}, "seed": nil}), tensor.Shape{6, 6, 3}},
		"RandomColorJitter": {with("random_color_jitter", map[string]any{"value_range": []any{0.0, 255.0}, "brightness_factor": 0.2, "contrast_factor": nil,
			"saturation_factor": []any{0.4, 0.6}, "hue_factor": 0.1, "seed": nil}), tensor.Shape{6, 6, 3}},
		// keras/src/layers/preprocessing/image_preprocessing/rand_augment.py.
		"RandAugment": {with("rand_augment", map[string]any{"value_range": []any{0.0, 255.0}, "num_ops": 2.0, "factor": []any{0.0, 0.5},
			"interpolation": "bilinear", "seed": nil, "data_format": "channels_last"}), tensor.Shape{8, 8, 3}},
		"AugMix": {with("aug_mix", map[string]any{"value_range": []any{0.0, 255.0}, "num_chains": 3.0, "chain_depth": 3.0, "factor": []any{0.0, 0.3},
			"alpha": 1.0, "all_ops": true, "interpolation": "bilinear", "seed": nil}), tensor.Shape{6, 6, 3}},
		"RandomElasticTransform": {with("random_elastic_transform", map[string]any{"factor": []any{0.0, 1.0}, "scale": []any{0.0, 1.0}, "interpolation": "bilinear",
			"fill_mode": "reflect", "fill_value": 0.0, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		"ContrastLimitedAdaptiveHistogramEqualization": {with("contrast_limited_adaptive_histogram_equalization", map[string]any{"value_range": []any{0.0, 255.0},
			"clip_limit": 4.0, "tile_grid_size": []any{2.0, 2.0}, "data_format": "channels_last"}), img},
		"RandomSharpness": {with("random_sharpness", map[string]any{"factor": []any{0.0, 0.5}, "value_range": []any{0.0, 255.0}, "seed": nil}), img},
		"AutoContrast":    {with("auto_contrast", map[string]any{"value_range": []any{0.0, 255.0}}), img},
		"RandomErasing":   {with("random_erasing", map[string]any{"factor": []any{0.0, 1.0}, "scale": []any{0.02, 0.33}, "fill_value": nil, "value_range": []any{0.0, 255.0}, "seed": nil, "data_format": "channels_last"}), img},
		"Rescaling":       {with("rescaling", map[string]any{"scale": 1 / 255.0, "offset": 0.0}), img},
		"Resizing": {with("resizing", map[string]any{"height": 4.0, "width": 3.0, "interpolation": "bilinear", "crop_to_aspect_ratio": false,
			"pad_to_aspect_ratio": false, "fill_mode": "constant", "fill_value": 0.0, "data_format": "channels_last"}), img},
		"CenterCrop":             {with("center_crop", map[string]any{"height": 4.0, "width": 4.0, "data_format": "channels_last"}), img},
		"ActivityRegularization": {with("activity_regularization", map[string]any{"l1": 0.01, "l2": 0.0}), tensor.Shape{4}},
		// keras/src/layers/activations/*.py; ELU's get_config writes only
		// the common keys (alpha is Keras 2's, read too).
		"ReLU":      {with("re_lu", map[string]any{"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}), tensor.Shape{4}},
		"LeakyReLU": {with("leaky_re_lu", map[string]any{"negative_slope": 0.3}), tensor.Shape{4}},
		"PReLU": {with("p_re_lu", map[string]any{"alpha_initializer": kerasInit("Zeros"), "alpha_regularizer": nil,
			"alpha_constraint": nil, "shared_axes": []any{1.0, 2.0}}), img},
		"ELU":     {with("elu", map[string]any{}), tensor.Shape{4}},
		"Softmax": {with("softmax", map[string]any{"axis": -1.0}), tensor.Shape{4}},
		// keras/src/layers/merging/*.py: the element-wise classes write the
		// common keys only; built for two inputs of shape in.
		"Add":         {with("add", map[string]any{}), tensor.Shape{4}},
		"Subtract":    {with("subtract", map[string]any{}), tensor.Shape{4}},
		"Multiply":    {with("multiply", map[string]any{}), tensor.Shape{4}},
		"Average":     {with("average", map[string]any{}), tensor.Shape{4}},
		"Maximum":     {with("maximum", map[string]any{}), tensor.Shape{4}},
		"Minimum":     {with("minimum", map[string]any{}), tensor.Shape{4}},
		"Concatenate": {with("concatenate", map[string]any{"axis": -1.0}), img},
		"Dot":         {with("dot", map[string]any{"axes": 1.0, "normalize": false}), tensor.Shape{4}},
		// keras/src/layers/normalization/{layer,group,unit}_normalization.py
		// and keras/src/layers/regularization/*.py; SpatialDropout2D's
		// get_config writes no "trainable".
		"LayerNormalization": {with("layer_normalization", map[string]any{"axis": []any{-1.0}, "epsilon": 0.001, "center": true, "scale": true,
			"rms_scaling": false, "beta_initializer": kerasInit("Zeros"), "gamma_initializer": kerasInit("Ones"),
			"beta_regularizer": nil, "gamma_regularizer": nil, "beta_constraint": nil, "gamma_constraint": nil}), img},
		"GroupNormalization": {with("group_normalization", map[string]any{"groups": 2.0, "axis": -1.0, "epsilon": 0.001, "center": true, "scale": true,
			"beta_initializer": kerasInit("Zeros"), "gamma_initializer": kerasInit("Ones"),
			"beta_regularizer": nil, "gamma_regularizer": nil, "beta_constraint": nil, "gamma_constraint": nil}), img},
		"UnitNormalization": {with("unit_normalization", map[string]any{"axis": -1.0}), tensor.Shape{4}},
		// keras/src/layers/normalization/rms_normalization.py.
		"RMSNormalization": {with("rms_normalization", map[string]any{"axis": -1.0, "epsilon": 1e-6}), tensor.Shape{4}},
		// keras/src/layers/normalization/spectral_normalization.py and
		// keras/src/layers/core/wrapper.py.
		"SpectralNormalization": {with("spectral_normalization", map[string]any{"power_iterations": 1.0,
			"layer": map[string]any{"module": "keras.layers", "class_name": "Dense", "registered_name": nil,
				"config": map[string]any{"name": "dense", "trainable": true, "dtype": "float32", "units": 3.0}}}), tensor.Shape{4}},
		// keras/src/layers/pooling/adaptive_*_pooling{1,2}d.py.
		"AdaptiveAveragePooling2D": {with("adaptive_average_pooling2d", map[string]any{"output_size": []any{2.0, 2.0}, "data_format": "channels_last"}), img},
		"AdaptiveMaxPooling2D":     {with("adaptive_max_pooling2d", map[string]any{"output_size": []any{2.0, 2.0}, "data_format": "channels_last"}), img},
		"SpatialDropout2D": {map[string]any{"name": "spatial_dropout2d", "rate": 0.5, "seed": nil, "data_format": "channels_last",
			"dtype": keras3Base("x")["dtype"]}, img},
		"GaussianNoise":   {with("gaussian_noise", map[string]any{"stddev": 0.1, "seed": nil}), tensor.Shape{4}},
		"GaussianDropout": {with("gaussian_dropout", map[string]any{"rate": 0.1, "seed": 3.0}), tensor.Shape{4}},
		"AlphaDropout":    {with("alpha_dropout", map[string]any{"rate": 0.1, "seed": nil, "noise_shape": nil}), tensor.Shape{4}},
		// A gokeras layer: the keys its own Config writes.
		"PatchWhitening": {with("patch_whitening", map[string]any{"kernel_size": []any{2.0, 2.0}, "padding": "valid", "epsilon": 5e-4, "max_images": 100.0}), img},
		// keras/src/layers/reshaping/*.py; Identity (core/identity.py)
		// writes the common keys only.
		"UpSampling2D":  {with("up_sampling2d", map[string]any{"size": []any{2.0, 2.0}, "data_format": "channels_last", "interpolation": "nearest"}), img},
		"ZeroPadding2D": {with("zero_padding2d", map[string]any{"padding": []any{[]any{1.0, 1.0}, []any{0.0, 2.0}}, "data_format": "channels_last"}), img},
		"Cropping2D":    {with("cropping2d", map[string]any{"cropping": []any{[]any{1.0, 0.0}, []any{2.0, 2.0}}, "data_format": "channels_last"}), img},
		"Permute":       {with("permute", map[string]any{"dims": []any{2.0, 1.0}}), tensor.Shape{3, 4}},
		"RepeatVector":  {with("repeat_vector", map[string]any{"n": 3.0}), tensor.Shape{4}},
		"Identity":      {with("identity", map[string]any{}), tensor.Shape{4}},

		// keras/src/layers/preprocessing/discretization.py (no trainable)
		// and category_encoding.py.
		"Discretization": {map[string]any{"name": "discretization", "dtype": "float32", "bin_boundaries": []any{0.0, 1.0, 2.0},
			"num_bins": 4.0, "epsilon": 0.01, "output_mode": "one_hot", "sparse": false}, tensor.Shape{4}},
		"CategoryEncoding": {with("category_encoding", map[string]any{"num_tokens": 4.0, "output_mode": "multi_hot"}), tensor.Shape{3}},
		// hashing.py's get_config (Keras sets dtype int64 in "int" mode).
		"Hashing": {with("hashing", map[string]any{"num_bins": 5.0, "salt": []any{1.0, 2.0}, "mask_value": 0.0, "output_mode": "int", "sparse": false,
			"dtype": map[string]any{"module": "keras", "class_name": "DTypePolicy", "config": map[string]any{"name": "int64"}, "registered_name": nil}}), tensor.Shape{3}},
		// keras/src/layers/core/einsum_dense.py.
		"EinsumDense": {with("einsum_dense", map[string]any{"output_shape": []any{nil, 2.0, 5.0}, "equation": "abc,cde->abde", "activation": "relu",
			"bias_axes": "de", "kernel_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"), "kernel_regularizer": nil,
			"bias_regularizer": nil, "activity_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil, "quantization_config": nil}), tensor.Shape{3, 4}},
		// keras/src/layers/core/embedding.py.
		"Embedding": {with("embedding", map[string]any{"input_dim": 10.0, "output_dim": 4.0, "embeddings_initializer": kerasInit("RandomUniform"),
			"embeddings_regularizer": nil, "activity_regularizer": nil, "embeddings_constraint": nil, "mask_zero": false, "quantization_config": nil}), tensor.Shape{3}},
		// hashed_crossing.py's get_config (no trainable; dtype int64 in "int" mode).
		"HashedCrossing": {map[string]any{"name": "hashed_crossing", "num_bins": 7.0, "output_mode": "one_hot", "sparse": false, "dtype": "float32"}, tensor.Shape{1}},
		// index_lookup.py's get_config, through integer_lookup.py's.
		"IntegerLookup": {with("integer_lookup", map[string]any{"invert": false, "max_tokens": 10.0, "num_oov_indices": 1.0, "oov_token": -1.0,
			"mask_token": 0.0, "output_mode": "tf_idf", "sparse": false, "pad_to_max_tokens": true, "vocabulary_dtype": "int64",
			"idf_weights": []any{0.5, 0.25}, "vocabulary": []any{3.0, 7.0}, "vocabulary_size": 3.0}), tensor.Shape{3}},

		// keras/src/layers/convolutional/base_conv_transpose.py (with
		// output_padding, keras-team/keras#23014), base_depthwise_conv.py,
		// base_separable_conv.py.
		"Conv2DTranspose": {with("conv2d_transpose", map[string]any{"filters": 2.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{2.0, 2.0},
			"padding": "same", "output_padding": []any{1.0, 0.0}, "data_format": "channels_last", "dilation_rate": []any{1.0, 1.0},
			"activation": "relu", "use_bias": true, "kernel_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"kernel_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil}), img},
		"DepthwiseConv2D": {with("depthwise_conv2d", map[string]any{"depth_multiplier": 2.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{1.0, 1.0},
			"padding": "same", "data_format": "channels_last", "dilation_rate": []any{1.0, 1.0},
			"activation": "linear", "use_bias": true, "depthwise_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"depthwise_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "depthwise_constraint": nil, "bias_constraint": nil}), img},
		"SeparableConv2D": {with("separable_conv2d", map[string]any{"depth_multiplier": 1.0, "filters": 4.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{1.0, 1.0},
			"padding": "valid", "data_format": "channels_last", "dilation_rate": []any{1.0, 1.0},
			"activation": "relu", "use_bias": true, "depthwise_initializer": kerasInit("GlorotUniform"), "pointwise_initializer": kerasInit("GlorotUniform"),
			"bias_initializer": kerasInit("Zeros"), "depthwise_regularizer": nil, "pointwise_regularizer": nil, "bias_regularizer": nil,
			"activity_regularizer": nil, "depthwise_constraint": nil, "pointwise_constraint": nil, "bias_constraint": nil}), img},

		// The 1-D layers: base_pooling.py and base_global_pooling.py;
		// reshaping/{up_sampling,zero_padding,cropping}1d.py (no
		// data_format); BaseSpatialDropout.get_config (rate, seed, name,
		// dtype); base_conv_transpose.py, base_depthwise_conv.py and
		// base_separable_conv.py with rank 1.
		"MaxPooling1D":             {with("max_pooling1d", map[string]any{"pool_size": []any{3.0}, "padding": "same", "strides": []any{2.0}, "data_format": "channels_last"}), seq},
		"AveragePooling1D":         {with("average_pooling1d", map[string]any{"pool_size": []any{2.0}, "padding": "valid", "strides": []any{2.0}, "data_format": "channels_last"}), seq},
		"GlobalAveragePooling1D":   {with("global_average_pooling1d", map[string]any{"data_format": "channels_last", "keepdims": true}), seq},
		"GlobalMaxPooling1D":       {with("global_max_pooling1d", map[string]any{"data_format": "channels_last", "keepdims": false}), seq},
		"AdaptiveAveragePooling1D": {with("adaptive_average_pooling1d", map[string]any{"output_size": 2.0, "data_format": "channels_last"}), seq},
		"AdaptiveMaxPooling1D":     {with("adaptive_max_pooling1d", map[string]any{"output_size": 2.0, "data_format": "channels_last"}), seq},
		"UpSampling1D":             {with("up_sampling1d", map[string]any{"size": 3.0}), seq},
		"ZeroPadding1D":            {with("zero_padding1d", map[string]any{"padding": []any{0.0, 2.0}}), seq},
		"Cropping1D":               {with("cropping1d", map[string]any{"cropping": []any{1.0, 2.0}}), seq},
		"SpatialDropout1D":         {map[string]any{"name": "spatial_dropout1d", "rate": 0.5, "seed": nil, "dtype": keras3Base("x")["dtype"]}, seq},
		"Conv1DTranspose": {with("conv1d_transpose", map[string]any{"filters": 2.0, "kernel_size": []any{3.0}, "strides": []any{2.0},
			"padding": "same", "output_padding": []any{1.0}, "data_format": "channels_last", "dilation_rate": []any{1.0},
			"activation": "relu", "use_bias": true, "kernel_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"kernel_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil}), seq},
		"DepthwiseConv1D": {with("depthwise_conv1d", map[string]any{"depth_multiplier": 2.0, "kernel_size": []any{3.0}, "strides": []any{1.0},
			"padding": "same", "data_format": "channels_last", "dilation_rate": []any{2.0},
			"activation": "linear", "use_bias": true, "depthwise_initializer": kerasInit("GlorotUniform"), "bias_initializer": kerasInit("Zeros"),
			"depthwise_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil, "depthwise_constraint": nil, "bias_constraint": nil}), seq},
		"SeparableConv1D": {with("separable_conv1d", map[string]any{"depth_multiplier": 1.0, "filters": 4.0, "kernel_size": []any{3.0}, "strides": []any{2.0},
			"padding": "valid", "data_format": "channels_last", "dilation_rate": []any{1.0},
			"activation": "relu", "use_bias": true, "depthwise_initializer": kerasInit("GlorotUniform"), "pointwise_initializer": kerasInit("GlorotUniform"),
			"bias_initializer": kerasInit("Zeros"), "depthwise_regularizer": nil, "pointwise_regularizer": nil, "bias_regularizer": nil,
			"activity_regularizer": nil, "depthwise_constraint": nil, "pointwise_constraint": nil, "bias_constraint": nil}), seq},
	}
}

// TestKeras3ConfigsAccepted: every key Keras 3 writes for a class, with a
// value gokeras implements, is read (or allowed) and the layer builds.
func TestKeras3ConfigsAccepted(t *testing.T) {
	for class, c := range keras3Configs() {
		l, err := nn.FromConfig(class, c.cfg)
		if err != nil {
			t.Errorf("%s: %v", class, err)
			continue
		}
		if l.LayerName() != c.cfg["name"] {
			t.Errorf("%s: name %q, want %q", class, l.LayerName(), c.cfg["name"])
		}
		if m, ok := l.(nn.Merger); ok {
			if err := m.BuildMerge([]tensor.Shape{c.in, c.in}); err != nil {
				t.Errorf("%s: BuildMerge(%v, %v): %v", class, c.in, c.in, err)
			}
			continue
		}
		s := &nn.Stack{}
		if _, isInput := l.(*nn.InputLayer); isInput {
			s.Layers = []nn.Layer{l}
		} else {
			s.Add(l)
		}
		if err := s.Build(c.in, 1); err != nil {
			t.Errorf("%s: Build(%v): %v", class, c.in, err)
		}
	}
}

// TestConfigUnknownKeyRejected is the misspelt "pading": every
// class rejects a key it does not know, naming the class, the layer, the
// key and its value, and listing the keys the class takes.
func TestConfigUnknownKeyRejected(t *testing.T) {
	full := keras3Configs()
	for _, class := range nn.Classes() {
		cfg := map[string]any{"name": "my_layer"}
		var known string
		c, ok := full[class]
		if !ok {
			t.Errorf("class %s has no case in keras3Configs: add its Keras get_config keys there", class)
			continue
		}
		for k, v := range c.cfg {
			cfg[k] = v
			if k != "name" && k != "trainable" && k != "dtype" {
				known = k
			}
		}
		cfg["name"] = "my_layer"
		cfg["pading"] = "same"
		_, err := nn.FromConfig(class, cfg)
		if err == nil {
			t.Errorf("%s: a config with \"pading\" was accepted", class)
			continue
		}
		msg := err.Error()
		for _, want := range []string{class, `"my_layer"`, `unknown key "pading" (value "same")`, class + " takes ", "name, ", "trainable"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: error %q does not contain %q", class, msg, want)
			}
		}
		if known != "" && !strings.Contains(msg, known) {
			t.Errorf("%s: error %q does not list the key %q", class, msg, known)
		}
		var ce *nn.ConfigError
		if !errors.As(err, &ce) || ce.Class != class || ce.Name != "my_layer" {
			t.Errorf("%s: err = %#v, want a *nn.ConfigError naming the class and layer", class, err)
		}
	}
}

// TestConfigUnimplementedValues: known keys with values gokeras does not
// implement are errors that name the key and the value.
func TestConfigUnimplementedValues(t *testing.T) {
	conv := func(k string, v any) map[string]any {
		return map[string]any{"filters": 2.0, "kernel_size": 3.0, k: v}
	}
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Conv2D", conv("groups", 3.0), "filters=2 is not divisible by groups=3"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": []any{2.0, 2.0}}, "strides > 1 together with dilation_rate > 1"},
		{"Conv1D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "data_format": "channels_first"}, `data_format="channels_first" is not implemented for Conv1D`},
		{"Conv2D", conv("data_format", "channels_first"), `data_format="channels_first" is not implemented for Conv2D`},
		{"Conv2D", conv("lora_rank", 4.0), "lora_rank=4 is not implemented for Conv2D: gokeras does not implement LoRA"},
		{"Conv2D", conv("dora_rank", 4.0), "DoRA"},
		{"Conv2D", conv("kernel_size", 2.5), `"kernel_size" is 2.5; want a list of integers`},
		{"Dense", map[string]any{"units": 2.0, "lora_rank": 8.0}, "LoRA"},
		{"CategoryEncoding", map[string]any{"num_tokens": 4.0, "sparse": true}, "sparse=true is not implemented for CategoryEncoding"},
		{"CategoryEncoding", map[string]any{"output_mode": "count"}, `"num_tokens" is required`},
		{"Discretization", map[string]any{"num_bins": 4.0, "sparse": true}, "sparse=true is not implemented for Discretization"},
		{"IntegerLookup", map[string]any{"vocabulary_dtype": "string"}, `vocabulary_dtype="string" is not implemented for IntegerLookup`},
		{"Discretization", map[string]any{"epsilon": 0.1}, `give "bin_boundaries" or "num_bins"`},
		{"Dense", map[string]any{"units": 2.0, "quantization_config": map[string]any{"mode": "int8"}}, "quantization_config"},
		{"Dense", map[string]any{"units": 2.0, "kernel_initializer": map[string]any{"class_name": "GlorotUniform", "config": map[string]any{"seed": nil, "scale": 2.0}}}, `takes no "scale"`},
		{"MaxPooling2D", map[string]any{"data_format": "channels_first"}, `data_format="channels_first" is not implemented for MaxPooling2D`},
		{"AveragePooling2D", map[string]any{"data_format": "channels_first"}, "channels_last"},
		{"GlobalAveragePooling2D", map[string]any{"data_format": "channels_first"}, "channels_last"},
		{"GlobalMaxPooling2D", map[string]any{"keepdims": "yes"}, `"keepdims" is yes; want true or false`},
		{"Flatten", map[string]any{"data_format": "channels_first"}, "channels_last"},
		{"RandomFlip", map[string]any{"data_format": "channels_first"}, "channels_last"},
		{"RandomZoom", map[string]any{"height_factor": 0.1, "data_format": "channels_first"}, "channels_last"},
		{"Dropout", map[string]any{"rate": 0.5, "noise_shape": []any{nil, 1.0, 1.0, 8.0}}, "noise_shape=[null,1,1,8] is not implemented for Dropout"},
		{"Dropout", map[string]any{"rate": 0.5, "seed": "x"}, `"seed" is x; want a number`},
		{"BatchNormalization", map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented"},
		{"BatchNormalization", map[string]any{"gamma_initializer": "zeros"}, `gamma_initializer="zeros" is not implemented for BatchNormalization: gokeras initialises it with ones`},
		{"BatchNormalization", map[string]any{"beta_regularizer": map[string]any{"class_name": "L3", "config": map[string]any{"l3": 0.01}}}, "beta_regularizer: "},
		{"Normalization", map[string]any{"axis": nil}, "axis=null is not implemented"},
		{"Normalization", map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented"},
		{"Normalization", map[string]any{"mean": 1.0}, "give both or neither"},
		{"InputLayer", map[string]any{"batch_shape": []any{nil, 4.0}, "sparse": true}, "sparse=true is not implemented for InputLayer"},
		{"InputLayer", map[string]any{"batch_shape": []any{nil, 4.0}, "ragged": true}, "ragged=true"},
		{"InputLayer", map[string]any{"batch_shape": []any{nil, 4.0}, "dtype": "float64"}, `dtype "float64" is not supported`},
		{"Flatten", map[string]any{"activity_regularizer": map[string]any{"class_name": "L1", "config": map[string]any{"l1": 0.01}}}, "activity_regularizer={\"class_name\":\"L1\""},
		// Mixed precision, in either spelling.
		{"Dense", map[string]any{"units": 2.0, "dtype": "mixed_float16"}, `dtype "mixed_float16" is not supported: gokeras computes in float32 only`},
		{"Dense", map[string]any{"units": 2.0, "dtype": map[string]any{"module": "keras", "class_name": "DTypePolicy", "config": map[string]any{"name": "mixed_bfloat16"}}}, `dtype "mixed_bfloat16"`},
		{"Dense", map[string]any{"units": 2.0, "dtype": "float64"}, `dtype "float64"`},
		{"Dense", map[string]any{"units": 2.0, "dtype": map[string]any{"class_name": "QuantizedDTypePolicy", "config": map[string]any{"name": "int8_from_float32"}}}, "not a dtype policy"},
		{"Dense", map[string]any{"units": 2.0, "trainable": "no"}, `"trainable" is no; want true or false`},
	}
	for _, tt := range tests {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want %q", tt.class, tt.cfg, err, tt.want)
		}
	}
	// The values Keras writes for "unused" are accepted: null
	// activity_regularizer anywhere, Keras 2's float32 Policy.
	ok := []struct {
		class string
		cfg   map[string]any
	}{
		{"Flatten", map[string]any{"activity_regularizer": nil}},
		{"Dense", map[string]any{"units": 2.0, "dtype": map[string]any{"class_name": "Policy", "config": map[string]any{"name": "float32"}}}},
		{"Dense", map[string]any{"units": 2.0, "dtype": "float32", "input_dim": 3.0}},
		{"Dropout", map[string]any{"rate": 0.1, "batch_input_shape": []any{nil, 3.0}}},
		{"BatchNormalization", map[string]any{"synchronized": true, "gamma_initializer": "ones"}},
	}
	for _, tt := range ok {
		if _, err := nn.FromConfig(tt.class, tt.cfg); err != nil {
			t.Errorf("%s %v: %v", tt.class, tt.cfg, err)
		}
	}
	// input_dim declares the input as input_shape=(d,) does.
	l, _ := nn.FromConfig("Dense", map[string]any{"units": 2.0, "input_dim": 3.0})
	if got := l.(nn.InputShaper).DeclaredInputShape(); !got.Equal(tensor.Shape{3}) {
		t.Errorf("input_dim 3: declared input %v", got)
	}
}

// TestTrainableConfig: "trainable": false freezes the layer, LayerConfig
// writes the real value, and Replica keeps it.
func TestTrainableConfig(t *testing.T) {
	l, err := nn.FromConfig("Dense", map[string]any{"name": "d", "units": 2.0, "trainable": false})
	if err != nil {
		t.Fatal(err)
	}
	if nn.IsTrainable(l) {
		t.Fatal("trainable false: the layer is trainable")
	}
	if got := nn.LayerConfig(l)["trainable"]; got != false {
		t.Errorf("LayerConfig trainable = %v, want false", got)
	}
	on := &nn.Dense{Name: "e", Units: 2}
	if got := nn.LayerConfig(on)["trainable"]; got != true {
		t.Errorf("LayerConfig of a trainable layer: trainable = %v", got)
	}
	s := &nn.Stack{}
	s.Add(l, on)
	if err := s.Build(tensor.Shape{3}, 1); err != nil {
		t.Fatal(err)
	}
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if nn.IsTrainable(r.Layers[0]) || !nn.IsTrainable(r.Layers[1]) {
		t.Errorf("replica trainable %v, %v; want false, true", nn.IsTrainable(r.Layers[0]), nn.IsTrainable(r.Layers[1]))
	}
	// A layer that cannot be frozen says so.
	if _, err := nn.FromConfig("InputLayer", map[string]any{"batch_shape": []any{nil, 3.0}, "trainable": false}); err != nil {
		t.Errorf("InputLayer trainable false: %v (it has nothing to freeze)", err)
	}
}

// TestGlobalPoolKeepdims: keepdims=True (keras/src/layers/pooling/
// base_global_pooling.py) gives (batch, 1, 1, c) with the values of
// (batch, c), and the gradients check.
func TestGlobalPoolKeepdims(t *testing.T) {
	in := tensor.Shape{3, 4, 2}
	x := tensor.New(2, 3, 4, 2)
	for i := range x.Data {
		x.Data[i] = float32((i*37)%23) - 11 // distinct in each channel: no max ties
	}
	for _, class := range []string{"GlobalAveragePooling2D", "GlobalMaxPooling2D"} {
		flat, _ := nn.FromConfig(class, map[string]any{})
		keep, err := nn.FromConfig(class, map[string]any{"keepdims": true})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := keep.OutputShape(in); err != nil || !out.Equal(tensor.Shape{1, 1, 2}) {
			t.Errorf("%s keepdims: output shape %v, %v; want (1, 1, 2)", class, out, err)
		}
		for _, l := range []nn.Layer{flat, keep} {
			if err := l.Build(in, nil); err != nil {
				t.Fatal(err)
			}
		}
		a, b := flat.Forward(x, false), keep.Forward(x, false)
		if !b.Shape.Equal(tensor.Shape{2, 1, 1, 2}) || !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s keepdims: %v %v, want shape (2, 1, 1, 2) and values %v", class, b.Shape, b.Data, a.Data)
		}
		if got := nn.LayerConfig(keep)["keepdims"]; got != true {
			t.Errorf("%s: Config keepdims = %v", class, got)
		}
		l, _ := nn.FromConfig(class, map[string]any{"keepdims": true})
		nntest.CheckGradients(t, l, in, nntest.GradOptions{Input: func(r *rand.Rand, v []float32) {
			for i, p := range r.Perm(len(v)) {
				v[i] = float32(p) / 4 // distinct values
			}
		}})
	}
}

// TestNormalizationGivenStats: Normalization(mean=..., variance=...) uses
// them instead of adapting (keras/src/layers/preprocessing/
// normalization.py), has no weights, and invert maps back.
func TestNormalizationGivenStats(t *testing.T) {
	// The docstring's example: mean=3, variance=2 on [[1], [2], [3]] gives
	// [[-1.4142135], [-0.70710677], [0]].
	l, err := nn.FromConfig("Normalization", map[string]any{"mean": 3.0, "variance": 2.0})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build(tensor.Shape{1}, nil); err != nil {
		t.Fatal(err)
	}
	y := l.Forward(&tensor.Tensor{Shape: tensor.Shape{3, 1}, Data: []float32{1, 2, 3}}, false)
	for i, want := range []float64{-1.4142135, -0.70710677, 0} {
		if math.Abs(float64(y.Data[i])-want) > 1e-6 {
			t.Errorf("mean 3, variance 2: y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
	if len(l.Params()) != 0 {
		t.Errorf("given statistics: %d weights, want none (Keras creates none)", len(l.Params()))
	}
	// Per feature, by hand: mean (1, 2), variance (4, 0.25): sd (2, 0.5).
	n := &nn.Normalization{Mean: []float64{1, 2}, Variance: []float64{4, 0.25}}
	inv := &nn.Normalization{Mean: []float64{1, 2}, Variance: []float64{4, 0.25}, Invert: true}
	for _, l := range []*nn.Normalization{n, inv} {
		if err := l.Build(tensor.Shape{2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	x := &tensor.Tensor{Shape: tensor.Shape{1, 2}, Data: []float32{3, 2.5}}
	if got := n.Forward(x, false).Data; !slices.Equal(got, []float32{1, 1}) {
		t.Errorf("normalized %v, want [1 1]", got)
	}
	if got := inv.Forward(&tensor.Tensor{Shape: tensor.Shape{1, 2}, Data: []float32{1, 1}}, false).Data; !slices.Equal(got, []float32{3, 2.5}) {
		t.Errorf("inverted %v, want [3 2.5]", got)
	}
	// Adapt leaves given statistics alone.
	if err := n.Adapt(&tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{9, 9, 7, 7}}); err != nil {
		t.Fatal(err)
	}
	if got := n.Forward(x, false).Data; !slices.Equal(got, []float32{1, 1}) {
		t.Errorf("after Adapt: %v, want [1 1]", got)
	}
	// The config carries them, through JSON.
	b, _ := json.Marshal(nn.LayerConfig(inv))
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	back, err := nn.FromConfig("Normalization", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if g := back.(*nn.Normalization); !slices.Equal(g.Mean, inv.Mean) || !slices.Equal(g.Variance, inv.Variance) || !g.Invert {
		t.Errorf("round trip %+v", g)
	}
	nntest.CheckGradients(t, &nn.Normalization{Mean: []float64{1, 2, 3}, Variance: []float64{4, 0.25, 1}, Invert: true}, tensor.Shape{3}, nntest.GradOptions{})
	nntest.CheckGradients(t, &nn.Normalization{Mean: []float64{0.5}, Variance: []float64{2}}, tensor.Shape{3}, nntest.GradOptions{})
	// Lengths and values that cannot be statistics.
	for _, bad := range []*nn.Normalization{
		{Mean: []float64{1, 2}, Variance: []float64{1, 1}},    // 2 values for 3 features
		{Mean: []float64{1}, Variance: []float64{1, 1, 1}},    // different lengths
		{Mean: []float64{0}, Variance: []float64{-1}},         // negative variance
		{Mean: []float64{math.NaN()}, Variance: []float64{1}}, // NaN
	} {
		if _, err := bad.OutputShape(tensor.Shape{3}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// BatchNormalization's gamma and beta take regularizers and constraints
// from a config, as Keras's do, and hand them to their weights.
func TestBatchNormRegularizersFromConfig(t *testing.T) {
	l, err := nn.FromConfig("BatchNormalization", map[string]any{
		"gamma_regularizer": map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.25}},
		"beta_constraint":   "non_neg",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build(tensor.Shape{3}, nil); err != nil {
		t.Fatal(err)
	}
	ps := l.Params()
	if ps[0].Name != "gamma" || ps[0].Regularizer == nil || ps[0].Constraint != nil {
		t.Fatalf("gamma: regularizer %v, constraint %v", ps[0].Regularizer, ps[0].Constraint)
	}
	if ps[1].Name != "beta" || ps[1].Regularizer != nil || ps[1].Constraint == nil {
		t.Fatalf("beta: regularizer %v, constraint %v", ps[1].Regularizer, ps[1].Constraint)
	}
	// gamma is ones: the penalty is 0.25 * 3.
	if p := ps[0].Regularizer.Penalty(ps[0].Value.Data, ps[0].Value.Shape); p != 0.75 {
		t.Fatalf("gamma penalty %v, want 0.75", p)
	}
	cfg := nn.LayerConfig(l)
	back, err := nn.FromConfig("BatchNormalization", viaJSON(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if got := nn.LayerConfig(back); jsonOf(t, got) != jsonOf(t, cfg) {
		t.Fatalf("round trip:\n%s\n%s", jsonOf(t, got), jsonOf(t, cfg))
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// viaJSON returns cfg as a file would give it back.
func viaJSON(t *testing.T, cfg map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(jsonOf(t, cfg)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}
