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
		{"PolynomialDecay", map[string]any{}, "gokeras reads CosineDecay"},
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
