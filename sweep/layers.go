package sweep

// A sweep names a layer's setting as "layer.field": the layer's Keras name
// and a key of its config, as to_json() writes them ("dropout_1.rate",
// "conv2d.filters"); a bare layer name sets the class's main field.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras"
)

// mainFields is the field a bare layer name sets, as Keras's first
// positional argument: Dropout(0.2), Dense(64), Conv2D(32, ...).
var mainFields = map[string]string{
	"Dense":                   "units",
	"Conv2D":                  "filters",
	"Dropout":                 "rate",
	"MaxPooling2D":            "pool_size",
	"AveragePooling2D":        "pool_size",
	"Activation":              "activation",
	"BatchNormalization":      "momentum",
	"RandomFlip":              "mode",
	"RandomRotation":          "factor",
	"RandomContrast":          "factor",
	"RandomErasing":           "factor",
	"RandomBrightness":        "factor",
	"RandomInvert":            "factor",
	"RandomGrayscale":         "factor",
	"RandomPosterization":     "factor",
	"RandomColorDegeneration": "factor",
	"Solarization":            "addition_factor",
	"RandomGaussianBlur":      "factor",
	"RandomPerspective":       "factor",
	"RandomSaturation":        "factor",
	"RandomHue":               "factor",
	"RandomSharpness":         "factor",
	"RandomShear":             "x_factor",
}

// mainField returns the config key that a bare layer name sets
// ("dropout_1=0.3" sets rate), the first argument of the layer's Keras
// constructor, or "" when the class has none worth guessing.
func mainField(class string) string { return mainFields[class] }

// describeLayers lists layers and their fields on one line each, for
// error messages and help: "dropout_1 (Dropout): rate".
func describeLayers(infos []gokeras.LayerInfo) string {
	var b strings.Builder
	for _, li := range infos {
		fmt.Fprintf(&b, "\n  %s (%s): %s", li.Name, li.Class, strings.Join(li.Fields(), ", "))
	}
	return b.String()
}

// A layerSetting sets one config field of one layer.
type layerSetting struct {
	Layer string // the layer's name: "dropout_1"
	Field string // a config key: "rate"; "" means MainField of the class
	Value any    // a JSON value: float64, string, bool, []any, nil
}

// String returns "layer.field=value".
func (s layerSetting) String() string {
	b, _ := json.Marshal(s.Value)
	return fmt.Sprintf("%s.%s=%s", s.Layer, s.Field, b)
}

// resolveLayerSetting checks layer and field against infos and returns the
// setting with Field filled in (MainField when field is ""). The error
// lists the layers and their fields when a name is wrong.
func resolveLayerSetting(infos []gokeras.LayerInfo, layer, field string, value any) (layerSetting, error) {
	i := slices.IndexFunc(infos, func(li gokeras.LayerInfo) bool { return li.Name == layer })
	if i < 0 {
		return layerSetting{}, fmt.Errorf("sweep: the model has no layer named %q (Keras names the first layer of a class without a number: dropout, dropout_1, dropout_2, ...); its layers and their fields are:%s",
			layer, describeLayers(infos))
	}
	li := infos[i]
	if field == "" {
		field = mainField(li.Class)
		if field == "" {
			return layerSetting{}, fmt.Errorf("sweep: layer %s (%s) has no main field; name one as %s.FIELD, with FIELD one of %s",
				layer, li.Class, layer, strings.Join(li.Fields(), ", "))
		}
	}
	if _, ok := li.Config[field]; !ok {
		return layerSetting{}, fmt.Errorf("sweep: layer %s (%s) has no field %q; its fields are %s",
			layer, li.Class, field, strings.Join(li.Fields(), ", "))
	}
	return layerSetting{Layer: layer, Field: field, Value: value}, nil
}

// withLayerConfig returns a new model like m — same layers, compile
// settings, learning-rate schedule, seed and data-set names — in which the
// given config fields are replaced. The layers are recreated from their
// edited configs, as a model file is read, so the new model is unbuilt and
// untrained. A setting that names no layer or field is an error, and so
// is a value the layer does not implement: layer configs reject what they
// cannot honour (nn.FromConfig), so every setting that is accepted takes.
func withLayerConfig(m *gokeras.Sequential, settings ...layerSetting) (*gokeras.Sequential, error) {
	infos, err := m.LayerInfos()
	if err != nil {
		return nil, err
	}
	for i, s := range settings {
		if settings[i], err = resolveLayerSetting(infos, s.Layer, s.Field, s.Value); err != nil {
			return nil, err
		}
	}
	data, err := m.ToJSON()
	if err != nil {
		return nil, err
	}
	// Edited as plain JSON, so that every other key (a Functional
	// model's calls, compile settings) comes back as it was.
	var mj map[string]any
	if err := json.Unmarshal(data, &mj); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	cfg, _ := mj["config"].(map[string]any)
	layers, _ := cfg["layers"].([]any)
	for _, s := range settings {
		for _, entry := range layers {
			e, _ := entry.(map[string]any)
			if lc, _ := e["config"].(map[string]any); lc != nil && lc["name"] == s.Layer {
				lc[s.Field] = s.Value
			}
		}
	}
	if data, err = json.Marshal(mj); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", settings, err)
	}
	spec, err := gokeras.ParseModelJSON(data)
	if err != nil {
		return nil, fmt.Errorf("sweep: setting %v: %w", settings, err)
	}
	n := spec.Model
	n.Seed, n.Classes, n.DatasetName = m.Seed, m.Classes, m.DatasetName
	return n, nil
}
