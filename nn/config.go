package nn

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// Configs are the JSON objects Keras writes for each layer in
// model.to_json(): {"class_name": "Conv2D", "config": {"filters": 32, ...}}.
// FromConfig reads them (Keras 2 and Keras 3 spellings) and LayerConfig
// writes them.
//
// One rule holds for every class: a key is either read by the class's
// factory (which checks its value and rejects values gokeras does not
// implement, such as Conv2D's groups=2), or it is one of the few keys that
// change nothing here (allowedKeys), or the config is rejected with an
// error naming the class, the layer, the key and its value, and listing the
// keys the class takes. A misspelt "pading" is therefore an error, not a
// silent "valid". docs/keras-config-keys.md lists, class by class, every
// key Keras 3's get_config() writes and what gokeras does with it.

// FromConfig creates a layer from its Keras class name and config. The
// keys every Keras layer has are read here: "name", "trainable" (false
// freezes the layer, as Keras's trainable=False) and "dtype" (float32 only).
func FromConfig(class string, cfg map[string]any) (Layer, error) {
	mk, ok := lookup(class)
	if !ok {
		return nil, &ConfigError{Class: class, Err: fmt.Errorf("unknown layer class %q; gokeras has %s (a custom layer must be registered with nn.Register before loading)", class, strings.Join(Classes(), ", "))}
	}
	r := &ConfigReader{Reader: config.New(cfg), class: class}
	l := mk(r)
	name := r.Str("name", "")
	trainable := r.Bool("trainable", true)
	if !slices.Contains(r.Read(), "dtype") { // unless the factory read its own
		r.dtype("dtype")
	}
	if r.Err == nil {
		r.checkKeys()
	}
	if r.Err != nil {
		return nil, &ConfigError{Class: class, Name: name, Err: r.Err}
	}
	if l == nil {
		return nil, &ConfigError{Class: class, Name: name, Err: fmt.Errorf("the registered factory returned no layer")}
	}
	if c := l.Class(); c != class {
		return nil, &ConfigError{Class: class, Name: name, Err: fmt.Errorf("the registered factory made a layer of class %q; its Class method must return %q so that saved models load", c, class)}
	}
	if name != "" {
		l.SetLayerName(name)
	}
	if _, isInput := l.(*InputLayer); !trainable && !isInput { // an InputLayer has nothing to freeze
		if err := SetTrainable(l, false); err != nil {
			return nil, &ConfigError{Class: class, Name: name, Err: fmt.Errorf("\"trainable\" is false but the layer cannot be frozen: its type does not embed nn.Trainability")}
		}
	}
	return l, nil
}

// LayerConfig returns l's config as a model file stores it: l.Config()
// with the keys FromConfig reads for every layer filled in from the layer
// itself, "name" (when l.Config has none) and "trainable" (false for a
// frozen layer). Save, ToJSON and Replica write configs through it, so a
// frozen layer stays frozen after Load and a custom layer's Config need
// not write them.
func LayerConfig(l Layer) map[string]any {
	m := l.Config()
	if m == nil {
		m = map[string]any{}
	}
	if s, _ := m["name"].(string); s == "" && l.LayerName() != "" {
		m["name"] = l.LayerName()
	}
	if _, no := l.(noTrainableArg); !no {
		m["trainable"] = IsTrainable(l)
	}
	return m
}

// noTrainableArg marks the classes whose Keras constructor takes no
// trainable argument (Pipeline, Discretization): their configs leave the
// key out, or Keras could not load them.
type noTrainableArg interface{ noTrainableArg() }

func (*Pipeline) noTrainableArg()       {}
func (*Discretization) noTrainableArg() {}

// ConfigError is FromConfig's error: what is wrong with a layer's config
// (or its class name), for a caller that adds where the layer is.
type ConfigError struct {
	Class string // the class name as given
	Name  string // the layer's name, when the config gives one
	Err   error
}

func (e *ConfigError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("nn: %s layer %q config: %v", e.Class, e.Name, e.Err)
	}
	return fmt.Sprintf("nn: %s config: %v", e.Class, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Classes lists the Keras class names FromConfig accepts: the built-in
// layers and those registered with Register.
func Classes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	regMu    sync.RWMutex
	registry = map[string]func(*ConfigReader) Layer{}
)

func lookup(class string) (func(*ConfigReader) Layer, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	mk, ok := registry[class]
	return mk, ok
}

// register adds a built-in class (from an init function).
func register(class string, mk func(*cfgReader) Layer) {
	if err := add(class, mk); err != nil {
		panic(err)
	}
}

func add(class string, mk func(*ConfigReader) Layer) error {
	if class == "" {
		return fmt.Errorf("nn: Register: empty class name")
	}
	if mk == nil {
		return fmt.Errorf("nn: Register(%q): nil factory", class)
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[class]; dup {
		return fmt.Errorf("nn: Register(%q): the class is already registered; give the custom layer a class name of its own", class)
	}
	registry[class] = mk
	return nil
}

// Register makes a custom layer class loadable: FromConfig, Load and
// Replica build class's layers with factory, which reads the config that
// the layer's Config method wrote. The layer's Class method must return
// class. Register is meant for init functions, as database/sql.Register
// and gob.Register are, and like them it panics on a programmer error: an
// empty class name, a nil factory, or a class that is already registered
// (a built-in class such as "Dense", or a custom one registered twice).
//
// The factory reads the keys it knows from r (r.Int, r.Num, r.Str,
// r.Bool, r.Ints, r.Floats, r.Activation, r.Get) and reports bad values
// with r.Failf; the keys every layer has (name, trainable, dtype) are read
// by FromConfig. Any key the factory does not read makes the config an
// error, as for the built-in layers, so a custom layer's configs are as
// strict as theirs. A factory returns a new, unbuilt layer; r.Err, when
// set, makes FromConfig fail with it.
func Register(class string, factory func(r *ConfigReader) Layer) {
	if err := add(class, factory); err != nil {
		panic(err)
	}
}

// ConfigReader pulls typed values out of one layer's decoded JSON config
// for a layer factory (see Register), remembering the first error so that
// factories read straight through and the keys read so that FromConfig can
// reject the rest. Reading a key that is absent or null (Keras's None)
// gives the default.
type ConfigReader struct {
	*config.Reader
	class string
}

// cfgReader is the name the built-in layers' factories use.
type cfgReader = ConfigReader

// allowedKeys are keys Keras writes that change nothing in gokeras, so any
// class may carry them without reading them. Each says why.
var allowedKeys = map[string]string{
	// Keras 2's declared input on a first layer, and Keras 3's
	// input_shape/input_dim constructor arguments (keras/src/layers/
	// layer.py Layer.__init__): layers that can declare the model input
	// read them (inputShape); on others the model's input or the data
	// gives the shape.
	"batch_input_shape": "the input shape, which the model's input gives",
	"batch_shape":       "the input shape, which the model's input gives",
	"input_shape":       "the input shape, which the model's input gives",
	"input_dim":         "the input shape, which the model's input gives",
}

// nullKeys may be present with the value null (Keras's None, "not used")
// on a class that does not read them; any other value is an error with the
// message given. Keras 3's Layer.get_config writes activity_regularizer
// for every layer that has one (keras/src/layers/layer.py).
var nullKeys = map[string]string{
	"activity_regularizer": "gokeras implements activity regularization on Dense and the convolution layers (Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D); add an ActivityRegularization layer after this one instead",
}

// checkKeys fails for the first key (sorted) nobody read.
func (r *ConfigReader) checkKeys() {
	for _, k := range r.Unknown() {
		if _, ok := allowedKeys[k]; ok {
			continue
		}
		v := r.M[k]
		if msg, ok := nullKeys[k]; ok {
			if v == nil {
				continue
			}
			r.Failf("%s=%s is not implemented for %s: %s", k, jsonValue(v), r.class, msg)
			return
		}
		r.Failf("unknown key %q (value %s); %s takes %s", k, jsonValue(v), r.class, strings.Join(r.accepted(), ", "))
		return
	}
}

// accepted lists the keys the class read plus the allowed ones, sorted.
func (r *ConfigReader) accepted() []string {
	keys := r.Read()
	for k := range allowedKeys {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// jsonValue formats a config value as it appears in the file.
func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func (r *ConfigReader) fail(key string, v any, want string) {
	r.Failf("%q is %s; want %s", key, jsonValue(v), want)
}

// setErr records err unless an error is recorded already.
func (r *ConfigReader) setErr(err error) {
	if err != nil && r.Err == nil {
		r.Err = err
	}
}

// unsupported fails for a key whose value gokeras does not implement.
func (r *ConfigReader) unsupported(key string, v any, what string) {
	r.Failf("%s=%s is not implemented for %s: %s", key, jsonValue(v), r.class, what)
}

// dtype checks Keras's dtype: "float32" (Keras 2, and Keras 3's InputLayer)
// or a float32 DTypePolicy, {"class_name": "DTypePolicy", "config":
// {"name": "float32"}} (Keras 3's Layer.get_config, keras/src/
// dtype_policies/dtype_policy.py). gokeras computes in float32 only, so
// mixed precision and other dtypes are errors.
func (r *ConfigReader) dtype(key string) {
	v, ok := r.Get(key)
	if !ok {
		return
	}
	name := ""
	switch x := v.(type) {
	case string:
		name = x
	case map[string]any:
		class, _ := x["class_name"].(string)
		switch class {
		case "DTypePolicy", "FloatDTypePolicy", "Policy": // Keras 3, 3.0-3.1, Keras 2
		default:
			r.Failf("dtype %s is not a dtype policy; gokeras reads \"float32\" or {\"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}}", jsonValue(v))
			return
		}
		inner, _ := x["config"].(map[string]any)
		name, _ = inner["name"].(string)
	default:
		r.fail(key, v, `"float32" or a DTypePolicy`)
		return
	}
	if name != "float32" {
		r.Failf("dtype %q is not supported: gokeras computes in float32 only (mixed precision and float64 are not implemented); set \"float32\" or remove the key", name)
	}
}

// CheckDType returns an error unless v, a dtype as Keras writes it, is
// float32 (see ConfigReader's dtype check): for model-level configs.
func CheckDType(v any) error {
	r := &ConfigReader{Reader: config.New(map[string]any{"dtype": v})}
	r.dtype("dtype")
	return r.Err
}

// Ints reads a list of integers (or one integer, as a list of one); null
// entries (Keras's None) become -1. Absent or null gives nil.
func (r *ConfigReader) Ints(key string) []int { return r.ints(key) }

// ints reads a list of integers; null entries (Keras's None) become -1.
func (r *ConfigReader) ints(key string) []int {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	if f, isNum := config.Number(v); isNum {
		if f != float64(int(f)) {
			r.fail(key, v, "a list of integers")
			return nil
		}
		return []int{int(f)}
	}
	switch x := v.(type) {
	case []int:
		return x
	case []any:
		out := make([]int, len(x))
		for i, e := range x {
			if e == nil {
				out[i] = -1
				continue
			}
			n, isNum := config.Number(e)
			if !isNum || n != float64(int(n)) {
				r.fail(key, v, "a list of integers")
				return nil
			}
			out[i] = int(n)
		}
		return out
	}
	r.fail(key, v, "a list of integers")
	return nil
}

// Floats reads a number (as a list of one) or a list of numbers. Absent
// or null gives nil.
func (r *ConfigReader) Floats(key string) []float64 {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	if f, isNum := config.Number(v); isNum {
		return []float64{f}
	}
	switch x := v.(type) {
	case []float64:
		return x
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			n, isNum := config.Number(e)
			if !isNum {
				r.fail(key, v, "a number or a list of numbers")
				return nil
			}
			out[i] = n
		}
		return out
	}
	r.fail(key, v, "a number or a list of numbers")
	return nil
}

// pair reads Keras's int-or-tuple arguments such as kernel_size, strides
// and pool_size. Only an absent key (or null, Keras's None) gives the zero
// pair that the layer structs read as the default: an explicit 0 is an
// error, as it is in Keras, not a silent default.
func (r *ConfigReader) pair(key string) [2]int {
	s := r.ints(key)
	for _, d := range s {
		if d <= 0 {
			r.Failf("%s must be positive, got %v; Keras rejects 0 too", key, s)
			return [2]int{}
		}
	}
	switch len(s) {
	case 0:
		return [2]int{}
	case 1:
		return [2]int{s[0], s[0]}
	case 2:
		return [2]int{s[0], s[1]}
	}
	r.fail(key, s, "one or two integers")
	return [2]int{}
}

// positive reads a number whose zero value in the layer struct means
// def: absent or null gives 0 (the default), and an explicit value must
// be positive, so that a 0 in a file is not silently replaced by def.
func (r *ConfigReader) positive(key string, def float64) float64 {
	if _, ok := r.Get(key); !ok {
		return 0
	}
	v := r.Num(key, 0)
	if v <= 0 && r.Err == nil {
		r.Failf("%s must be positive, got %v; leave it out for the default %v", key, v, def)
	}
	return v
}

// positiveInt is positive for whole numbers.
func (r *ConfigReader) positiveInt(key string, def int) int {
	if _, ok := r.Get(key); !ok {
		return 0
	}
	v := r.Int(key, 0)
	if v <= 0 && r.Err == nil {
		r.Failf("%s must be positive, got %v; leave it out for the default %v", key, v, def)
	}
	return v
}

// Activation reads an activation: a name ("relu", or one registered with
// activation.Register) or Keras 3's {"class_name": "function", "config":
// "relu"}. Absent or null is linear.
func (r *ConfigReader) Activation(key string) activation.Func { return r.activation(key) }

func (r *ConfigReader) activation(key string) activation.Func {
	v, ok := r.Get(key)
	if !ok {
		return activation.Linear
	}
	name, ok := v.(string)
	if !ok {
		// Keras 3 may serialise a function as {"class_name": "function", "config": "relu"}.
		if obj, isObj := v.(map[string]any); isObj {
			name, ok = obj["config"].(string)
		}
		if !ok {
			r.fail(key, v, "an activation name")
			return activation.Linear
		}
	}
	f, err := activation.Parse(name)
	r.setErr(err)
	return f
}

func (r *ConfigReader) padding(key string) Padding {
	p, err := ParsePadding(r.Str(key, "valid"))
	r.setErr(err)
	return p
}

// initializer reads an initializer as InitializerFromConfig does: a
// Keras name, or a Keras 3 or Keras 2 object whose config keys are all
// checked; absent or null is InitDefault.
func (r *ConfigReader) initializer(key string) Initializer {
	v, ok := r.Get(key)
	if !ok {
		return InitDefault
	}
	i, err := initializerValue(v)
	if err != nil {
		r.Failf("%s: %v", key, err)
		return InitDefault
	}
	return i
}

// fixedInitializer accepts only the initializer a layer always uses
// (BatchNormalization's gamma is ones): absent, null or that one (or a
// Constant of the same value).
func (r *ConfigReader) fixedInitializer(key string, want Initializer) {
	raw, _ := r.Get(key)
	i := r.initializer(key)
	if r.Err == nil && i != InitDefault && i != want && !sameConstant(i, want) {
		r.unsupported(key, raw, fmt.Sprintf("gokeras initialises it with %s", want))
	}
}

// null accepts key only when absent or null: a Keras option gokeras does
// not implement, explained by what.
func (r *ConfigReader) null(key, what string) {
	if v, ok := r.Get(key); ok {
		r.unsupported(key, v, what)
	}
}

// noOp reads a key that changes nothing in gokeras (any value).
func (r *ConfigReader) noOp(keys ...string) {
	for _, k := range keys {
		r.Get(k)
	}
}

// seed reads a random seed: an integer or null. It changes nothing here:
// gokeras's random layers draw from streams seeded by the model's seed
// (Keras's own streams could not be reproduced anyway).
func (r *ConfigReader) seed() { r.Int("seed", 0) }

// channelsLast reads data_format, which must be "channels_last" (or absent
// or null, Keras's image_data_format() default).
func (r *ConfigReader) channelsLast() {
	if f := r.Str("data_format", "channels_last"); f != "channels_last" && r.Err == nil {
		r.unsupported("data_format", f, "gokeras is channels_last (batch, height, width, channels)")
	}
}

// onlyValue accepts key absent, null or equal (as a JSON value) to one of
// the values in ok, the only ones gokeras implements.
func (r *ConfigReader) onlyValue(key, what string, ok ...any) {
	v, present := r.Get(key)
	if !present {
		return
	}
	got := jsonValue(v)
	for _, o := range ok {
		if got == jsonValue(o) {
			return
		}
	}
	r.unsupported(key, v, what)
}

// inputShape reads Keras's declared input on the first layer: "batch_shape"
// (Keras 3) or "batch_input_shape" (Keras 2), both with a leading null, or
// the constructor arguments "input_shape" and "input_dim".
func (r *ConfigReader) inputShape() tensor.Shape {
	if s := r.declaredShape(); s != nil {
		return s
	}
	if d := r.Int("input_dim", 0); d > 0 {
		return tensor.Shape{d}
	}
	return nil
}

// declaredShape is inputShape without input_dim, for Embedding, whose
// input_dim is its number of indices.
func (r *ConfigReader) declaredShape() tensor.Shape {
	for _, key := range []string{"batch_shape", "batch_input_shape"} {
		if s := r.ints(key); len(s) > 1 {
			return tensor.Shape(s[1:])
		}
	}
	if s := r.ints("input_shape"); len(s) > 0 {
		return tensor.Shape(s)
	}
	return nil
}

// baseConfig starts a config with the keys every layer has. LayerConfig
// sets "trainable" from the layer.
func baseConfig(name string, in tensor.Shape) map[string]any {
	m := map[string]any{"name": name, "trainable": true, "dtype": "float32"}
	if len(in) > 0 {
		bs := make([]any, len(in)+1)
		for i, d := range in {
			bs[i+1] = d
		}
		m["batch_shape"] = bs
	}
	return m
}

// initConfig is i's Keras 3 config, def's when i is InitDefault.
func initConfig(i, def Initializer) map[string]any { return i.or(def).Config() }

// InputShaper is implemented by layers that can declare the model's input
// shape, as input_shape=(...) does on a Keras layer.
type InputShaper interface {
	DeclaredInputShape() tensor.Shape
}

// loraKeys reads Dense's and Conv2D's lora_rank and lora_alpha, which
// Keras writes only when LoRA is on: it adds weights gokeras does not have.
func (r *ConfigReader) loraKeys() {
	r.null("lora_rank", "gokeras does not implement LoRA")
	r.null("lora_alpha", "gokeras does not implement LoRA")
}
