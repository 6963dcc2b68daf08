package optim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestScheduleFromKerasConfig(t *testing.T) {
	// As Keras 3 writes them (get_config of each class).
	tests := []struct {
		class, cfg string
		want       Schedule
	}{
		{"CosineDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1000, "alpha": 0.0, "name": "CosineDecay", "warmup_target": null, "warmup_steps": 0}`,
			CosineDecay{InitialLearningRate: 0.1, DecaySteps: 1000}},
		{"CosineDecay", `{"initial_learning_rate": 0.0, "decay_steps": 900, "alpha": 0.1, "name": "CosineDecay", "warmup_target": 0.01, "warmup_steps": 100}`,
			CosineDecay{DecaySteps: 900, Alpha: 0.1, WarmupTarget: 0.01, WarmupSteps: 100}},
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 100000, "decay_rate": 0.96, "staircase": true, "name": "ExponentialDecay"}`,
			ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 100000, DecayRate: 0.96, Staircase: true}},
		{"PiecewiseConstantDecay", `{"boundaries": [100000, 110000], "values": [1.0, 0.5, 0.1], "name": "PiecewiseConstant"}`,
			PiecewiseConstantDecay{Boundaries: []int64{100000, 110000}, Values: []float64{1, 0.5, 0.1}}},
		{"OneCycle", `{"max_lr": 0.1, "pct_start": 0.25}`, OneCycle{MaxLR: 0.1, PctStart: 0.25}},
		{"OneCycle", `{"max_lr": 0.1, "total_steps": 500, "pct_start": null, "div_factor": 10, "final_div_factor": 100}`,
			OneCycle{MaxLR: 0.1, TotalSteps: 500, DivFactor: 10, FinalDivFactor: 100}},
		{"CosineDecay", `{"initial_learning_rate": 0.1, "alpha": 0.0}`, CosineDecay{InitialLearningRate: 0.1}},
		{"PolynomialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 10000, "end_learning_rate": 0.01, "power": 0.5, "cycle": false, "name": "PolynomialDecay"}`,
			PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 10000, EndLearningRate: 0.01, Power: 0.5}},
		// Keras's defaults: end_learning_rate 0.0001, power 1 (written back as 1, read as 1).
		{"PolynomialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 100, "cycle": true, "name": null}`,
			PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 100, EndLearningRate: 0.0001, Power: 1, Cycle: true}},
		{"InverseTimeDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1.0, "decay_rate": 0.5, "staircase": false, "name": "InverseTimeDecay"}`,
			InverseTimeDecay{InitialLearningRate: 0.1, DecaySteps: 1, DecayRate: 0.5}},
		{"CosineDecayRestarts", `{"initial_learning_rate": 0.1, "first_decay_steps": 1000, "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0, "name": "SGDRDecay"}`,
			CosineDecayRestarts{InitialLearningRate: 0.1, FirstDecaySteps: 1000, TMul: 2, MMul: 1}},
		{"CosineDecayRestarts", `{"initial_learning_rate": 0.5, "first_decay_steps": 30, "t_mul": 1.5, "m_mul": 0.8, "alpha": 0.05}`,
			CosineDecayRestarts{InitialLearningRate: 0.5, FirstDecaySteps: 30, TMul: 1.5, MMul: 0.8, Alpha: 0.05}},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := ScheduleFromConfig(tt.class, cfg)
		if err != nil {
			t.Errorf("%s %s: %v", tt.class, tt.cfg, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.class, got, tt.want)
		}
		// Written back and read again, through JSON, it is the same schedule.
		class, out, err := ScheduleConfig(got)
		if err != nil || class != tt.class {
			t.Fatalf("ScheduleConfig(%+v) = %q, %v", got, class, err)
		}
		b, _ := json.Marshal(out)
		var back map[string]any
		json.Unmarshal(b, &back)
		again, err := ScheduleFromConfig(class, back)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%s round trip: got %+v, %v; want %+v", class, again, err, got)
		}
	}
}

func TestScheduleFromConfigErrors(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"LinearDecay", map[string]any{}, "gokeras reads CosineDecay"},
		{"PolynomialDecay", map[string]any{"initial_learning_rate": 0.1}, "decay_steps is required"},
		{"PolynomialDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 10.0, "power": 0.0}, "power is 0"},
		{"PolynomialDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 10.0, "cycle": 1.0}, "cycle"},
		{"InverseTimeDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 10.0}, "decay_rate is required"},
		{"InverseTimeDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 0.0, "decay_rate": 0.5}, "decay_steps is 0"},
		{"CosineDecayRestarts", map[string]any{"initial_learning_rate": 0.1}, "first_decay_steps is required"},
		{"CosineDecayRestarts", map[string]any{"initial_learning_rate": 0.1, "first_decay_steps": 10.0, "t_mul": 0.0}, "t_mul is 0"},
		{"CosineDecayRestarts", map[string]any{"initial_learning_rate": 0.1, "first_decay_steps": 10.0, "alpha": 2.0}, "alpha 2 must be in [0, 1]"},
		{"CosineDecayRestarts", map[string]any{"initial_learning_rate": 0.1, "first_decay_steps": 10.0, "m_mull": 0.5}, `unknown key "m_mull"`},
		{"CosineDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 10.0, "warmup_target": 0.0}, "warmup_target is 0"},
		{"CosineDecay", map[string]any{"decay_steps": 10.0}, "initial_learning_rate is required"},
		{"CosineDecay", map[string]any{"initial_learning_rate": 0.1, "decay_step": 10.0}, `unknown key "decay_step"`},
		{"CosineDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 10.5}, "whole number"},
		{"ExponentialDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 0.0, "decay_rate": 0.5}, "at least 1"},
		{"PiecewiseConstantDecay", map[string]any{"boundaries": []any{10.0}, "values": []any{1.0}}, "1 boundaries need 2 values"},
		// S10: only an absent key means the default.
		{"CosineDecay", map[string]any{"initial_learning_rate": 0.1, "decay_steps": 0.0}, "decay_steps is 0; it must be at least 1, or be left out"},
		{"CosineDecay", map[string]any{"initial_learning_rate": -0.1, "decay_steps": 10.0}, "initial_learning_rate is -0.1"},
		{"ExponentialDecay", map[string]any{"initial_learning_rate": 0.1, "decay_rate": 0.5}, "decay_steps is required"},
		{"OneCycle", map[string]any{"max_lr": 0.1, "total_steps": 0.0}, "total_steps is 0"},
		{"OneCycle", map[string]any{"max_lr": 0.1, "div_factor": 0.0}, "div_factor is 0"},
		{"OneCycle", map[string]any{"max_lr": 0.1, "pct_start": 0.0}, "pct_start is 0"},
		{"OneCycle", map[string]any{"max_lr": -1.0}, "max_lr is -1"},
	}
	for _, tt := range tests {
		_, err := ScheduleFromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: error %v, want one containing %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}
