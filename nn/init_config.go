package nn

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
)

// InitializerFromConfig reads an initializer as a model file gives it
// (keras.initializers.get): null (InitDefault, the layer's default), a
// name ("he_normal", "HeNormal", "variance_scaling"; Keras's default
// arguments), or an object
//
//	{"module": "keras.initializers", "class_name": "VarianceScaling",
//	 "config": {"scale": 2.0, "mode": "fan_in", "distribution": "uniform",
//	 "seed": null}, "registered_name": null}
//
// as Keras 3 writes it, or {"class_name": ..., "config": {...}} as Keras 2
// does (Keras 2.0-2.2 wrote glorot_uniform as such a VarianceScaling;
// TF 1's tf.keras added "dtype": "float32", accepted). Every config key is
// checked: one the class does not take is an error, as are the values
// Keras's constructors reject (scale <= 0, an unknown mode or
// distribution), a non-integer seed and non-finite numbers. A seed makes
// the initializer draw from its own generator (WithSeed).
func InitializerFromConfig(v any) (Initializer, error) {
	i, err := initializerValue(v)
	if err != nil {
		return InitDefault, fmt.Errorf("nn: %w", err)
	}
	return i, nil
}

func initializerValue(v any) (Initializer, error) {
	switch x := v.(type) {
	case nil:
		return InitDefault, nil
	case string:
		return parseInitName(x)
	case map[string]any:
		return initializerObject(x)
	}
	return InitDefault, fmt.Errorf("initializer %s is neither a name nor an object; give \"he_normal\" or {\"class_name\": \"HeNormal\", \"config\": {\"seed\": null}}", jsonValue(v))
}

func initializerObject(obj map[string]any) (Initializer, error) {
	outer := config.New(obj)
	class := outer.Str("class_name", "")
	if outer.Err != nil || class == "" {
		return InitDefault, fmt.Errorf("initializer %s has no class name; write {\"class_name\": \"HeNormal\", \"config\": {\"seed\": null}}", jsonValue(obj))
	}
	k, ok := kindNames[class]
	if !ok {
		_, err := parseInitName(class)
		if err == nil { // "default" is a name, not a class
			err = fmt.Errorf("unknown initializer class %q", class)
		}
		return InitDefault, err
	}
	if m := outer.Str("module", ""); m != "" && m != "keras.initializers" && !strings.HasPrefix(m, "keras.src.initializers") {
		return InitDefault, fmt.Errorf("initializer %s from module %q is a custom class; gokeras has Keras's own (module \"keras.initializers\")", class, m)
	}
	if rn, ok := outer.Get("registered_name"); ok && rn != class {
		return InitDefault, fmt.Errorf("initializer %s registered as %s is a custom class; gokeras has Keras's own (registered_name null)", class, jsonValue(rn))
	}
	var inner map[string]any
	if c, ok := outer.Get("config"); ok {
		if inner, ok = c.(map[string]any); !ok {
			return InitDefault, fmt.Errorf("initializer %s config is %s; want an object such as {\"seed\": null}", class, jsonValue(c))
		}
	}
	if outer.Err != nil {
		return InitDefault, fmt.Errorf("initializer %s: %w", class, outer.Err)
	}
	if u := outer.Unknown(); len(u) > 0 {
		return InitDefault, fmt.Errorf("initializer %s has unknown key %q; an initializer object has class_name, config, module and registered_name", class, u[0])
	}
	i, err := readInitializer(k, config.New(inner))
	if err != nil {
		return InitDefault, fmt.Errorf("initializer %s config: %w", class, err)
	}
	return i, nil
}

// readInitializer reads the config of kind k, with Keras's defaults for
// absent keys, as Keras's constructors take them.
func readInitializer(k initKind, r *config.Reader) (Initializer, error) {
	i := withDefaults(k)
	num := func(key string, def float64) float64 {
		v := r.Num(key, def)
		if r.Err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			r.Failf("%q is %v; want a finite number", key, v)
		}
		return v
	}
	switch k {
	case kindConstant:
		i.a = num("value", 0)
	case kindRandomNormal, kindTruncatedNormal:
		i.a, i.b = num("mean", i.a), num("stddev", i.b)
		if r.Err == nil && i.b < 0 {
			r.Failf("\"stddev\" is %v; want a number >= 0", i.b)
		}
	case kindRandomUniform:
		i.a, i.b = num("minval", i.a), num("maxval", i.b)
		if r.Err == nil && i.b < i.a {
			r.Failf("\"maxval\" %v is below \"minval\" %v; want minval <= maxval", i.b, i.a)
		}
	case kindVarianceScaling:
		i.a = num("scale", 1)
		i.mode = FanMode(r.Str("mode", string(FanIn)))
		// Keras lowercases the distribution and reads "normal" as
		// truncated_normal (VarianceScaling.__init__).
		i.dist = Distribution(strings.ToLower(r.Str("distribution", string(DistTruncatedNormal))))
		if i.dist == "normal" {
			i.dist = DistTruncatedNormal
		}
		if r.Err == nil {
			if err := checkVarianceScaling(i.a, i.mode, i.dist); err != nil {
				r.Failf("%v", err)
			}
		}
	case kindOrthogonal, kindIdentity:
		i.a = num("gain", 1)
	}
	if i.random() {
		if v, ok := r.Get("seed"); ok {
			f, isNum := config.Number(v)
			switch {
			case !isNum:
				r.Failf("\"seed\" is %s; want an integer or null (gokeras does not read a serialised SeedGenerator)", jsonValue(v))
			case f != math.Trunc(f) || math.Abs(f) > 1<<63-1024:
				r.Failf("\"seed\" is %v; want an integer", f)
			default:
				i.seed, i.seeded = int64(f), true
			}
		}
	}
	if d, ok := r.Get("dtype"); ok && d != "float32" {
		r.Failf("\"dtype\" is %s; gokeras's weights are float32", jsonValue(d))
	}
	if r.Err != nil {
		return InitDefault, r.Err
	}
	if u := r.Unknown(); len(u) > 0 {
		takes := slices.DeleteFunc(r.Read(), func(s string) bool { return s == "dtype" })
		what := "no config keys"
		if len(takes) > 0 {
			what = strings.Join(takes, ", ")
		}
		return InitDefault, fmt.Errorf("%s takes no %q; it takes %s", kindInfo[k].class, u[0], what)
	}
	return i, nil
}

// Config returns i as Keras 3 serialises it (serialize_keras_object of
// the initializer's get_config): {"module": "keras.initializers",
// "class_name": "HeNormal", "config": {"seed": null}, "registered_name":
// null}. The config holds what the class's get_config writes: seed for
// the random ones (null without a seed), value, mean and stddev, minval
// and maxval, scale, mode and distribution, gain. InitDefault has no
// config (nil); a layer writes its default class instead.
func (i Initializer) Config() map[string]any {
	if i.kind == kindDefault || int(i.kind) >= len(kindInfo) {
		return nil
	}
	cfg := map[string]any{}
	if i.random() {
		cfg["seed"] = nil
		if i.seeded {
			cfg["seed"] = i.seed
		}
	}
	switch i.kind {
	case kindConstant:
		cfg["value"] = i.a
	case kindRandomNormal, kindTruncatedNormal:
		cfg["mean"], cfg["stddev"] = i.a, i.b
	case kindRandomUniform:
		cfg["minval"], cfg["maxval"] = i.a, i.b
	case kindVarianceScaling:
		cfg["scale"], cfg["mode"], cfg["distribution"] = i.a, string(i.mode), string(i.dist)
	case kindOrthogonal, kindIdentity:
		cfg["gain"] = i.a
	}
	return map[string]any{"module": "keras.initializers", "class_name": kindInfo[i.kind].class, "config": cfg, "registered_name": nil}
}
