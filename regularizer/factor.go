package regularizer

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/internal/config"
)

// Keras keeps a factor as a float32 tensor (ops.convert_to_tensor in each
// class's __init__, keras/src/regularizers/regularizers.py) and casts it
// to the input's dtype, so L2(0.01) multiplies by float32(0.01) =
// 0.009999999776482582. The structs keep the float64 they were given or
// read (so a config is written back unchanged) and compute with its
// float32 rounding.
func keras32(f float64) float64 { return float64(float32(f)) }

// orDefault is a factor field's effective value: the field, or def when
// it is zero and no config said 0 explicitly (zero).
func orDefault(f float64, zero bool, def float64) float64 {
	if f == 0 && !zero {
		return def
	}
	return f
}

// checkFactor is Keras's validate_float_arg: a finite number, not negative.
func checkFactor(class, key string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return fmt.Errorf("regularizer: %s %s is %v; want a non-negative number", class, key, f)
	}
	return nil
}

// factor reads a factor key: def when absent or null (Keras's
// "l2 = 0.01 if l2 is None else l2"), an error unless a non-negative
// finite number. zero reports an explicit 0 where the default is not 0.
func factor(r *config.Reader, class, key string, def float64) (f float64, zero bool) {
	f = r.Num(key, def)
	if r.Err == nil {
		if err := checkFactor(class, key, f); err != nil {
			r.Failf("%q is %v; want a non-negative number (Keras's validate_float_arg)", key, f)
		}
	}
	return f, f == 0 && def != 0
}

// sign is -1, 0 or 1 as TensorFlow's sign, 0 at 0 (NaN gives 0 here; its
// loss is NaN anyway and training stops before the step).
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// wrap is the object Keras 3's serialize_keras_object writes for a
// built-in regularizer.
func wrap(class string, cfg map[string]any) map[string]any {
	return map[string]any{"module": "keras.regularizers", "class_name": class, "config": cfg, "registered_name": nil}
}
