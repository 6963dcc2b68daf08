package gokeras

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// A model file is the JSON Keras's model.to_json() writes for a Sequential
// model (or a Functional one: see functionaljson.go), optionally with Keras's "compile_config" and a gokeras
// "fit_config", so a user can train a custom architecture from the CLI:
//
//	{"class_name": "Sequential",
//	 "config": {"name": "sequential", "layers": [
//	   {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
//	   {"class_name": "Conv2D", "config": {"filters": 10, "kernel_size": [3, 3]}},
//	   ...]},
//	 "compile_config": {"loss": "sparse_categorical_crossentropy",
//	                    "optimizer": "adam", "metrics": ["accuracy"]},
//	 "fit_config": {"epochs": 50, "batch_size": 128}}
//
// The loss and the optimizer may also be objects, as Keras 3's
// model.get_compile_config() writes them: a loss with options such as
// label_smoothing (see loss.FromConfig), and an optimizer whose
// learning_rate is a schedule (see optim.ScheduleFromConfig):
//
//	"compile_config": {
//	  "loss": {"class_name": "CategoricalCrossentropy", "config": {"label_smoothing": 0.1}},
//	  "optimizer": {"class_name": "Adam", "config": {"learning_rate":
//	    {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.001, "decay_steps": 5000}}}}}

type layerJSON struct {
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

type modelJSON struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name   string      `json:"name"`
		Layers []layerJSON `json:"layers"`
	} `json:"config"`
	CompileConfig *CompileConfig `json:"compile_config,omitempty"`
	FitConfig     *FitConfig     `json:"fit_config,omitempty"`
}

// The keys a model file may hold besides those modelJSON reads, under the
// same rule as layer configs: what changes nothing here is allowed, what
// gokeras would ignore is an error. Keras 3's Sequential.get_config writes
// name, trainable, dtype, layers and build_input_shape (keras/src/models/
// sequential.py, with Layer.get_config's base keys); serialize_keras_object
// wraps it with module, registered_name and build_config; to_json adds
// keras_version and backend (keras/src/models/model.py).
var (
	modelTopKeys    = []string{"class_name", "config", "compile_config", "fit_config", "module", "registered_name", "build_config", "keras_version", "backend"}
	modelConfigKeys = []string{"name", "layers", "trainable", "dtype", "build_input_shape"}
	// Keras 3's Functional.get_config writes name, trainable, layers,
	// input_layers and output_layers (keras/src/models/functional.py).
	functionalConfigKeys = []string{"name", "layers", "trainable", "dtype", "input_layers", "output_layers"}
)

// checkModelKeys applies the key rule to the model's own keys and reads
// those that change the model: trainable false freezes every layer, as
// model.trainable = False does in Keras.
func checkModelKeys(data []byte, m *Sequential) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	for k := range top {
		if !slices.Contains(modelTopKeys, k) {
			return fmt.Errorf("unknown key %q at the top of the model file; gokeras reads %s", k, strings.Join(modelTopKeys, ", "))
		}
	}
	var cfg map[string]any
	if err := json.Unmarshal(top["config"], &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	keys := modelConfigKeys
	if m.net.Functional() {
		keys = functionalConfigKeys
	}
	for k, v := range cfg {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("unknown key %q (value %s) in the model's config; gokeras reads %s", k, compactJSON(v), strings.Join(keys, ", "))
		}
	}
	if v, ok := cfg["dtype"]; ok && v != nil {
		if err := nn.CheckDType(v); err != nil {
			return fmt.Errorf("the model's config: %w", err)
		}
	}
	switch t := cfg["trainable"].(type) {
	case nil, bool:
		if t == false {
			if err := m.SetTrainable(false); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("the model's \"trainable\" is %s; want true or false", compactJSON(t))
	}
	return nil
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// CompileConfig is compile()'s arguments by name, as model files carry them.
//
// For a model with several outputs, loss, loss_weights, metrics and
// weighted_metrics may each be a list in the model's output order or a
// dict keyed by output layer name, as in Keras (see compileoutputs.go):
//
//	"compile_config": {"optimizer": "adam",
//	  "loss": {"digit": "sparse_categorical_crossentropy", "parity": "binary_crossentropy"},
//	  "loss_weights": {"digit": 1, "parity": 0.5},
//	  "metrics": {"digit": ["accuracy"], "parity": ["accuracy"]}}
type CompileConfig struct {
	Loss      any `json:"loss"`      // "mse" or {"class_name": "CategoricalCrossentropy", "config": {...}}
	Optimizer any `json:"optimizer"` // "adam" or {"class_name": "Adam", "config": {...}}
	// LossWeights are Keras's loss_weights, one per output (a list or a
	// dict); nil weighs each output 1.
	LossWeights any `json:"loss_weights,omitempty"`
	// Metrics is a list of metric names ([]string) or of names and
	// {"class_name": "AUC", "config": {...}} objects, or per output a list
	// or dict of them.
	Metrics any `json:"metrics,omitempty"`
	// WeightedMetrics are Keras's weighted_metrics (see SetWeightedMetrics),
	// in the same forms as Metrics.
	WeightedMetrics any `json:"weighted_metrics,omitempty"`
}

// FitConfig is the fit() settings a model file or preset suggests.
type FitConfig struct {
	Epochs          int     `json:"epochs,omitempty"`
	BatchSize       int     `json:"batch_size,omitempty"`
	ValidationSplit float64 `json:"validation_split,omitempty"`
	// Mix is the label-mixing augmentation of the recipe, a gokeras key
	// written as Keras serialises the layer: "mix": {"class_name":
	// "CutMix", "config": {"factor": 1.0}} (or MixUp); see train.Options.Mix.
	Mix train.Mixer `json:"-"`
}

// ModelSpec is a parsed model file: the model and its suggested settings.
type ModelSpec struct {
	Model   *Sequential
	Compile *CompileConfig // nil when the file has none
	Fit     *FitConfig
}

// ToJSON returns the model in Keras's to_json() layout, with its compile
// settings when it is compiled.
func (m *Sequential) ToJSON() ([]byte, error) {
	var mj modelJSON
	mj.ClassName = "Sequential"
	mj.Config.Name = m.Name
	if m.net.Functional() {
		// functionalJSON writes the layers and their calls.
	} else if in := m.net.DeclaredInputShape(); in != nil {
		il := &nn.InputLayer{Name: "input_layer", Shape: in}
		if m.net.Built() {
			il.Shape = m.net.InputShape()
		}
		mj.Config.Layers = append(mj.Config.Layers, layerJSON{"InputLayer", il.Config()})
	} else if m.net.Built() {
		il := &nn.InputLayer{Name: "input_layer", Shape: m.net.InputShape()}
		mj.Config.Layers = append(mj.Config.Layers, layerJSON{"InputLayer", il.Config()})
	}
	for _, l := range m.net.Layers {
		if m.net.Functional() {
			break
		}
		cfg := nn.LayerConfig(l)   // with the layer's real "trainable"
		delete(cfg, "batch_shape") // the InputLayer carries it
		mj.Config.Layers = append(mj.Config.Layers, layerJSON{l.Class(), cfg})
	}
	if m.compiled {
		cc := &CompileConfig{Loss: lossValue(m.model.Loss)}
		if s := m.model.Optimizer.Schedule(); s != nil {
			if _, _, err := optim.ScheduleConfig(s); err != nil {
				return nil, fmt.Errorf("gokeras: %w", err)
			}
		}
		// The optimizer's config carries its schedule as learning_rate.
		cc.Optimizer = map[string]any{"class_name": m.model.Optimizer.Name(), "config": m.model.Optimizer.Config()}
		if len(m.model.Metrics) > 0 {
			cc.Metrics = metricValues(m.model.Metrics)
		}
		if len(m.model.WeightedMetrics) > 0 {
			cc.WeightedMetrics = metricValues(m.model.WeightedMetrics)
		}
		if len(m.model.Outputs) != 0 {
			cc.writeOutputs(m.model.Outputs)
		}
		mj.CompileConfig = cc
	}
	if m.net.Functional() {
		return m.functionalJSON(mj.CompileConfig)
	}
	return json.MarshalIndent(mj, "", "  ")
}

// ParseModelJSON reads a model file. Layer classes and names it does not
// know are errors that list what is available. When the file declares the
// input shape, every weight's shape is worked out (nothing is allocated)
// and the total checked against MaxParams; otherwise Build checks it once
// the data gives the shape.
func ParseModelJSON(data []byte) (*ModelSpec, error) {
	spec, err := parseModelJSON(data, true)
	if err != nil {
		return nil, fmt.Errorf("gokeras: model file: %w", err)
	}
	return spec, nil
}

// parseModelJSON is ParseModelJSON without the "gokeras: model file"
// context, which its callers add once. limit applies MaxParams (not for a
// saved model, whose size is bounded by its own tensors).
func parseModelJSON(data []byte, limit bool) (*ModelSpec, error) {
	data = withLayersObject(data)
	var mj modelJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&mj); err != nil {
		var fe *fitConfigError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if len(mj.Config.Layers) == 0 {
		return nil, fmt.Errorf("no layers under config.layers")
	}
	var m *Sequential
	switch mj.ClassName {
	case "Sequential":
		m = NewSequential()
		if mj.Config.Name != "" {
			m.Name = mj.Config.Name
		}
	case "Functional", "Model": // Keras 3; Keras 2 (tf.keras 2.4 on writes "Functional" too)
		var err error
		if m, err = functionalFromJSON(data); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("it describes a %q; gokeras reads Sequential and Functional models (class_name \"Sequential\", \"Functional\" or Keras 2's \"Model\")", mj.ClassName)
	}
	var layerErrs []error // every layer that cannot be read, not just the first
	for i, lj := range mj.Config.Layers {
		if m.net.Functional() {
			break // functionalFromJSON made them
		}
		l, err := nn.FromConfig(lj.ClassName, lj.Config)
		if err != nil {
			var ce *nn.ConfigError
			if errors.As(err, &ce) {
				err = ce.Err
				if ce.Name != "" {
					layerErrs = append(layerErrs, fmt.Errorf("layer %d %q (%s): %w", i, ce.Name, lj.ClassName, err))
					continue
				}
			}
			layerErrs = append(layerErrs, fmt.Errorf("layer %d (%s): %w", i, lj.ClassName, err))
			continue
		}
		m.Add(l)
	}
	if err := joinLayerErrors(layerErrs, len(mj.Config.Layers)); err != nil {
		return nil, err
	}
	if err := checkModelKeys(data, m); err != nil {
		return nil, err
	}
	if limit && m.net.DeclaredInputShape() != nil {
		plan, err := m.net.ParamShapes(nil)
		if err != nil {
			return nil, layerContext(err)
		}
		if err := checkParamCount(plan); err != nil {
			return nil, err
		}
	}
	spec := &ModelSpec{Model: m, Compile: mj.CompileConfig, Fit: mj.FitConfig}
	if spec.Compile != nil {
		if err := spec.Compile.apply(m, !limit); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// withLayersObject rewrites a Keras 2.0-2.2 Sequential file, whose config
// is the bare list of layers, as later Keras writes it: {"name":
// "sequential", "layers": [...]}. Other data is returned as it is.
func withLayersObject(data []byte) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return data
	}
	cfg := bytes.TrimSpace(top["config"])
	if len(cfg) == 0 || cfg[0] != '[' {
		return data
	}
	top["config"], _ = json.Marshal(map[string]json.RawMessage{"name": json.RawMessage(`"sequential"`), "layers": cfg})
	out, err := json.Marshal(top)
	if err != nil {
		return data
	}
	return out
}

// joinLayerErrors is the one error for the layers of a model file that
// cannot be read (nil for none): the error itself for one, all of them for
// several, on one line separated by "; " (errors here are one line each,
// so a message can be quoted and logged whole; FuzzParseModelJSON checks).
func joinLayerErrors(errs []error, of int) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &layerErrors{errs: errs, of: of}
}

// layerErrors is several layers' errors; errors.Is and As see each.
type layerErrors struct {
	errs []error
	of   int
}

func (e *layerErrors) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d of the %d layers cannot be read: %s", len(e.errs), e.of, strings.Join(msgs, "; "))
}

func (e *layerErrors) Unwrap() []error { return e.errs }

// layerContext rewrites an *nn.LayerError as `layer "dense" (Dense): ...`
// without the nn prefix, for messages that already say where they are.
func layerContext(err error) error {
	var le *nn.LayerError
	if errors.As(err, &le) {
		return fmt.Errorf("layer %q (%s): %w", le.Layer, le.Class, le.Err)
	}
	return err
}

// UnmarshalJSON reads a model file's "fit_config". Only an absent key (or
// null) means "the default": an explicit epochs or batch_size of 0 or less
// is an error, as is a validation_split outside [0, 1) or an unknown key.
func (f *FitConfig) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return &fitConfigError{fmt.Errorf("fit_config must be an object such as {\"epochs\": 10, \"batch_size\": 32}: %w", err)}
	}
	r := config.New(raw)
	count := func(key, what string) int {
		if _, ok := r.Get(key); !ok {
			return 0
		}
		n := r.Int(key, 0)
		if n < 1 {
			r.Failf("%s is %v; give a positive number of %s, or leave it out for the default", key, raw[key], what)
		}
		return n
	}
	var out FitConfig
	out.Epochs = count("epochs", "epochs")
	out.BatchSize = count("batch_size", "examples per batch")
	out.ValidationSplit = r.Num("validation_split", 0)
	if v := out.ValidationSplit; !(v >= 0 && v < 1) {
		r.Failf("validation_split %v must be in [0, 1), e.g. 0.2", v)
	}
	if v, ok := r.Get("mix"); ok && v != nil {
		obj, isObj := v.(map[string]any)
		class, _ := obj["class_name"].(string)
		cfg, _ := obj["config"].(map[string]any)
		if !isObj || class == "" {
			r.Failf(`mix must be {"class_name": "MixUp" or "CutMix", "config": {...}}`)
		} else {
			if cfg == nil {
				cfg = map[string]any{}
			}
			m, err := train.MixerFromConfig(class, cfg)
			if err != nil {
				r.Failf("mix: %s", strings.TrimPrefix(err.Error(), "train: "))
			}
			out.Mix = m
		}
	}
	if r.Err == nil {
		if unknown := r.Unknown(); len(unknown) > 0 {
			r.Failf("unknown key %q; fit_config takes epochs, batch_size, validation_split and mix", unknown[0])
		}
	}
	if r.Err != nil {
		return &fitConfigError{fmt.Errorf("fit_config: %w", r.Err)}
	}
	*f = out
	return nil
}

// fitConfigError marks FitConfig's own errors, which need no "not valid
// JSON" context.
type fitConfigError struct{ err error }

func (e *fitConfigError) Error() string { return e.err.Error() }
func (e *fitConfigError) Unwrap() error { return e.err }

// kerasObject is Keras 3's serialisation of an object
// (keras/src/saving/serialization_lib.py, serialize_keras_object).
func kerasObject(module, class string, cfg map[string]any) map[string]any {
	return map[string]any{"module": module, "class_name": class, "config": cfg, "registered_name": nil}
}

// apply compiles m with the named loss, optimizer and metrics. saved says
// the config comes from a model file gokeras wrote: before 2026-12-06
// those stored a schedule's "rest of training" as decay_steps (or
// total_steps) 0 and OneCycle's defaults as 0, which are now written by
// leaving the key out, while an explicit 0 in a hand-written file is an
// error.
func (c *CompileConfig) apply(m *Sequential, saved bool) error {
	var err error
	var o optim.Optimizer
	switch v := c.Optimizer.(type) {
	case nil:
		o, err = optim.Parse("adam")
	case string:
		o, err = optim.Parse(strings.ToLower(v))
	case map[string]any:
		name, _ := v["class_name"].(string)
		cfg, _ := v["config"].(map[string]any)
		if saved {
			cfg = withoutZeroSteps(cfg)
		}
		o, err = optim.FromConfig(strings.ToLower(name), cfg)
	default:
		err = fmt.Errorf("optimizer must be a name or {\"class_name\": ..., \"config\": {...}}")
	}
	if err != nil {
		return fmt.Errorf("compile_config: %w", err)
	}
	if c.perOutput(m) {
		return c.applyOutputs(m, o)
	}
	l, err := parseLoss(c.Loss)
	if err != nil {
		return fmt.Errorf("compile_config: %w", err)
	}
	ms, err := parseMetrics("metrics", c.Metrics)
	if err != nil {
		return err
	}
	wms, err := parseMetrics("weighted_metrics", c.WeightedMetrics)
	if err != nil {
		return err
	}
	if err := m.Compile(l, o, ms...); err != nil {
		return err
	}
	if err := m.SetWeightedMetrics(wms...); err != nil {
		return err
	}
	return nil
}

// withoutZeroSteps returns an optimizer config whose learning_rate
// schedule has none of the zeros that older gokeras files wrote for
// defaults: step counts of 0 ("the rest of training") and OneCycle's unset
// fractions (see apply). The maps given are not changed.
func withoutZeroSteps(ocfg map[string]any) map[string]any {
	lr, ok := ocfg["learning_rate"].(map[string]any)
	if !ok {
		return ocfg
	}
	cfg, ok := lr["config"].(map[string]any)
	if !ok {
		return ocfg
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		if f, ok := config.Number(v); ok && f == 0 && zeroMeantDefault[k] {
			continue
		}
		out[k] = v
	}
	return with(ocfg, "learning_rate", with(lr, "config", out))
}

// with returns a copy of m with key set to v.
func with(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	out[key] = v
	return out
}

var zeroMeantDefault = map[string]bool{"decay_steps": true, "total_steps": true, "pct_start": true, "div_factor": true, "final_div_factor": true}
