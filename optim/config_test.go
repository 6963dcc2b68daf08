package optim

import (
	"math"
	"strings"
	"testing"
)

// TestFromConfigOnlyAbsentIsDefault is S10 for optimizers: a negative (or
// non-finite) learning rate is an error, an explicit 0 is honoured, and a
// 0 for an option whose zero value here means "Keras's default" is an
// error rather than silently that default.
func TestFromConfigOnlyAbsentIsDefault(t *testing.T) {
	bad := []struct {
		opt  string
		cfg  map[string]any
		want string
	}{
		{"adam", map[string]any{"learning_rate": -0.001}, "adam learning_rate is -0.001; use a rate >= 0"},
		{"sgd", map[string]any{"learning_rate": math.Inf(1)}, "sgd learning_rate is +Inf"},
		{"rmsprop", map[string]any{"learning_rate": math.NaN()}, "learning_rate is NaN"},
		{"adam", map[string]any{"beta_1": 0.0}, "adam beta_1 is 0; gokeras reads 0 as the default 0.9"},
		{"adam", map[string]any{"beta_2": 1.0}, "beta_2 is 1; use a value in (0, 1)"},
		{"adamw", map[string]any{"weight_decay": 0.0}, "adamw weight_decay is 0"},
		{"adamw", map[string]any{"weight_decay": -0.1}, "weight_decay is -0.1"},
		{"sgd", map[string]any{"weight_decay": -0.1}, "sgd weight_decay is -0.1"},
		{"sgd", map[string]any{"momentum": 1.5}, "momentum is 1.5; use a value in [0, 1]"},
		{"rmsprop", map[string]any{"rho": 0.0}, "rho is 0"},
		{"rmsprop", map[string]any{"epsilon": 0.0}, "epsilon is 0"},
		{"adagrad", map[string]any{"initial_accumulator_value": 0.0}, "initial_accumulator_value is 0"},
		{"adagrad", map[string]any{"epsilon": -1.0}, "epsilon is -1"},
		{"adam", map[string]any{"use_ema": true, "ema_momentum": 0.0}, "ema_momentum is 0"},
	}
	for _, tc := range bad {
		_, err := FromConfig(tc.opt, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.opt, tc.cfg, err, tc.want)
		}
	}
	for _, name := range names {
		o, err := FromConfig(name, map[string]any{"learning_rate": 0.0})
		if err != nil || o.LearningRate() != 0 {
			t.Errorf("%s learning_rate 0: rate %v, %v; want 0 (Keras trains nothing), not the default", name, o.LearningRate(), err)
			continue
		}
		// And it survives a round trip through Config.
		again, err := FromConfig(name, o.Config())
		if err != nil || again.LearningRate() != 0 {
			t.Errorf("%s learning_rate 0 round trip: %v, %v", name, again.LearningRate(), err)
		}
		if o, err := FromConfig(name, map[string]any{"learning_rate": nil}); err != nil || o.LearningRate() == 0 {
			t.Errorf("%s learning_rate null: %v, %v; want the default", name, o, err)
		}
	}
}
