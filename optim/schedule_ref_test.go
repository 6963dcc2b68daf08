package optim

import (
	"fmt"
	"math"
	"testing"
)

// TestScheduleKerasReference compares every Keras schedule with the NumPy
// transcription of learning_rate_schedule.py in testdata/keras_ref.py, at
// every step from 0 to 300 (restart and staircase boundaries included).
func TestScheduleKerasReference(t *testing.T) {
	cases := []struct {
		s   Schedule
		cfg map[string]any // Keras's config, for the reference
	}{
		{ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 7, DecayRate: 0.9},
			kv{"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9}},
		{ExponentialDecay{InitialLearningRate: 0.1, DecaySteps: 7, DecayRate: 0.9, Staircase: true},
			kv{"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9, "staircase": true}},
		{InverseTimeDecay{InitialLearningRate: 0.1, DecaySteps: 5, DecayRate: 0.5},
			kv{"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}},
		{InverseTimeDecay{InitialLearningRate: 0.1, DecaySteps: 5, DecayRate: 0.5, Staircase: true},
			kv{"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": true}},
		{PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 50, EndLearningRate: 0.001, Power: 0.5},
			kv{"initial_learning_rate": 0.1, "decay_steps": 50, "end_learning_rate": 0.001, "power": 0.5}},
		{PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 40, EndLearningRate: 0.01, Power: 2, Cycle: true},
			kv{"initial_learning_rate": 0.1, "decay_steps": 40, "end_learning_rate": 0.01, "power": 2.0, "cycle": true}},
		{PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 100, EndLearningRate: 0.0001},
			kv{"initial_learning_rate": 0.1, "decay_steps": 100}},
		{PiecewiseConstantDecay{Boundaries: []int64{10, 50, 51}, Values: []float64{1, 0.5, 0.25, 0.1}},
			kv{"boundaries": []int64{10, 50, 51}, "values": []float64{1, 0.5, 0.25, 0.1}}},
		{CosineDecay{InitialLearningRate: 0.1, DecaySteps: 120, Alpha: 0.1},
			kv{"initial_learning_rate": 0.1, "decay_steps": 120, "alpha": 0.1}},
		{CosineDecay{InitialLearningRate: 0.01, DecaySteps: 100, WarmupTarget: 0.2, WarmupSteps: 20},
			kv{"initial_learning_rate": 0.01, "decay_steps": 100, "warmup_target": 0.2, "warmup_steps": 20}},
		{CosineDecayRestarts{InitialLearningRate: 0.1, FirstDecaySteps: 10, MMul: 0.8, Alpha: 0.05},
			kv{"initial_learning_rate": 0.1, "first_decay_steps": 10, "m_mul": 0.8, "alpha": 0.05}},
		{CosineDecayRestarts{InitialLearningRate: 0.1, FirstDecaySteps: 12, TMul: 1, MMul: 0.5},
			kv{"initial_learning_rate": 0.1, "first_decay_steps": 12, "t_mul": 1.0, "m_mul": 0.5}},
		{CosineDecayRestarts{InitialLearningRate: 0.3, FirstDecaySteps: 8, TMul: 1.5},
			kv{"initial_learning_rate": 0.3, "first_decay_steps": 8, "t_mul": 1.5}},
	}
	type req struct {
		Class string         `json:"class"`
		Cfg   map[string]any `json:"cfg"`
		Steps []int64        `json:"steps"`
	}
	var steps []int64
	for s := range int64(301) {
		steps = append(steps, s)
	}
	var in struct {
		Schedules []req `json:"schedules"`
	}
	for _, c := range cases {
		class, _, err := ScheduleConfig(c.s)
		if err != nil {
			t.Fatal(err)
		}
		in.Schedules = append(in.Schedules, req{class, c.cfg, steps})
	}
	var out struct {
		Schedules [][]float64 `json:"schedules"`
	}
	kerasReference(t, in, &out)
	for i, c := range cases {
		t.Run(fmt.Sprintf("%T %v", c.s, c.cfg), func(t *testing.T) {
			for k, want := range out.Schedules[i] {
				if got := c.s.Rate(steps[k]); math.Abs(got-want) > 1e-12+1e-9*math.Abs(want) {
					t.Errorf("step %d: rate %.12g, Keras (NumPy) %.12g", steps[k], got, want)
				}
			}
		})
	}
}
