package gokeras

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
)

// Tools that vary a model (gokeras sweep) name a layer's setting as
// "layer.field": the layer's Keras name and a key of its config, as
// to_json() writes them ("dropout_1.rate", "conv2d.filters"). Layers are
// named as Keras auto-names them, in order per class: the first Dropout is
// "dropout", the second "dropout_1".

// LayerInfo is one layer of a model as a setting names it.
type LayerInfo struct {
	Name  string // "conv2d", "dropout_1", ...
	Class string // "Conv2D"
	// Config holds the fields that can be set, as JSON decodes them
	// (numbers are float64), without the bookkeeping keys name, trainable,
	// dtype and batch_shape.
	Config map[string]any
}

// Fields returns the layer's settable config keys, sorted.
func (li LayerInfo) Fields() []string {
	fs := make([]string, 0, len(li.Config))
	for k := range li.Config {
		fs = append(fs, k)
	}
	slices.Sort(fs)
	return fs
}

// hiddenFields are config keys that are not the layer's settings.
var hiddenFields = map[string]bool{"name": true, "trainable": true, "dtype": true, "batch_shape": true}

// mainFields is the field a bare layer name sets, as Keras's first
// positional argument: Dropout(0.2), Dense(64), Conv2D(32, ...).
var mainFields = map[string]string{
	"Dense":              "units",
	"Conv2D":             "filters",
	"Dropout":            "rate",
	"MaxPooling2D":       "pool_size",
	"AveragePooling2D":   "pool_size",
	"Activation":         "activation",
	"BatchNormalization": "momentum",
	"RandomFlip":         "mode",
	"RandomRotation":     "factor",
	"RandomContrast":     "factor",
	"RandomErasing":      "factor",
}

// MainField returns the config key that a bare layer name sets
// ("dropout_1=0.3" sets rate), the first argument of the layer's Keras
// constructor, or "" when the class has none worth guessing.
func MainField(class string) string { return mainFields[class] }

// LayerInfos names the model's layers as Build would (Keras's automatic
// names; names already set are kept) and returns their settable configs.
func (m *Sequential) LayerInfos() ([]LayerInfo, error) {
	if err := m.net.AssignNames(); err != nil {
		return nil, fmt.Errorf("gokeras: %w", err)
	}
	out := make([]LayerInfo, len(m.net.Layers))
	for i, l := range m.net.Layers {
		b, err := json.Marshal(nn.LayerConfig(l))
		if err != nil {
			return nil, fmt.Errorf("gokeras: layer %s config: %w", l.LayerName(), err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("gokeras: layer %s config: %w", l.LayerName(), err)
		}
		for k := range hiddenFields {
			delete(cfg, k)
		}
		out[i] = LayerInfo{Name: l.LayerName(), Class: l.Class(), Config: cfg}
	}
	return out, nil
}

// DescribeLayers lists layers and their fields on one line each, for
// error messages and help: "dropout_1 (Dropout): rate".
func DescribeLayers(infos []LayerInfo) string {
	var b strings.Builder
	for _, li := range infos {
		fmt.Fprintf(&b, "\n  %s (%s): %s", li.Name, li.Class, strings.Join(li.Fields(), ", "))
	}
	return b.String()
}

// A LayerSetting sets one config field of one layer.
type LayerSetting struct {
	Layer string // the layer's name: "dropout_1"
	Field string // a config key: "rate"; "" means MainField of the class
	Value any    // a JSON value: float64, string, bool, []any, nil
}

// String returns "layer.field=value".
func (s LayerSetting) String() string {
	b, _ := json.Marshal(s.Value)
	return fmt.Sprintf("%s.%s=%s", s.Layer, s.Field, b)
}

// ResolveLayerSetting checks layer and field against infos and returns the
// setting with Field filled in (MainField when field is ""). The error
// lists the layers and their fields when a name is wrong.
func ResolveLayerSetting(infos []LayerInfo, layer, field string, value any) (LayerSetting, error) {
	i := slices.IndexFunc(infos, func(li LayerInfo) bool { return li.Name == layer })
	if i < 0 {
		return LayerSetting{}, fmt.Errorf("gokeras: the model has no layer named %q (Keras names the first layer of a class without a number: dropout, dropout_1, dropout_2, ...); its layers and their fields are:%s",
			layer, DescribeLayers(infos))
	}
	li := infos[i]
	if field == "" {
		field = MainField(li.Class)
		if field == "" {
			return LayerSetting{}, fmt.Errorf("gokeras: layer %s (%s) has no main field; name one as %s.FIELD, with FIELD one of %s",
				layer, li.Class, layer, strings.Join(li.Fields(), ", "))
		}
	}
	if _, ok := li.Config[field]; !ok {
		return LayerSetting{}, fmt.Errorf("gokeras: layer %s (%s) has no field %q; its fields are %s",
			layer, li.Class, field, strings.Join(li.Fields(), ", "))
	}
	return LayerSetting{Layer: layer, Field: field, Value: value}, nil
}

// WithLayerConfig returns a new model like m — same layers, compile
// settings, learning-rate schedule, seed and data-set names — in which the
// given config fields are replaced. The layers are recreated from their
// edited configs, as a model file is read, so the new model is unbuilt and
// untrained. A setting that names no layer or field is an error, and so
// is a value the layer does not implement: layer configs reject what they
// cannot honour (nn.FromConfig), so every setting that is accepted takes.
func (m *Sequential) WithLayerConfig(settings ...LayerSetting) (*Sequential, error) {
	infos, err := m.LayerInfos()
	if err != nil {
		return nil, err
	}
	for i, s := range settings {
		if settings[i], err = ResolveLayerSetting(infos, s.Layer, s.Field, s.Value); err != nil {
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
		return nil, fmt.Errorf("gokeras: %w", err)
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
		return nil, fmt.Errorf("gokeras: %s: %w", settings, err)
	}
	spec, err := ParseModelJSON(data)
	if err != nil {
		return nil, fmt.Errorf("gokeras: setting %v: %w", settings, err)
	}
	n := spec.Model
	n.Seed, n.Classes, n.DatasetName = m.Seed, m.Classes, m.DatasetName
	return n, nil
}

// SetLabelSmoothing sets the label smoothing of the compiled loss, which
// must be a cross-entropy (categorical, sparse, binary or focal; see
// loss.WithLabelSmoothing).
func (m *Sequential) SetLabelSmoothing(ls float64) error {
	if !m.compiled {
		return fmt.Errorf("gokeras: the model is not compiled; compile it before setting label smoothing")
	}
	l, err := loss.WithLabelSmoothing(m.model.Loss, ls)
	if err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	m.model.Loss = l
	return nil
}
