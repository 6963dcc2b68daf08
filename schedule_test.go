package gokeras_test

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/optim"
)

// The optimizer's schedule drives Fit, is saved with the model, and a
// loaded model continues it at the saved step: 32 examples in batches of
// 16 are 2 steps an epoch, so after one epoch the next step is step 2, and
// the second epoch's last batch is step 3. A schedule over "the rest of
// training" spans the epochs each Fit asks for: 1 epoch (2 steps) in the
// first, then 2 (4 steps, counted from the start, as the optimizer's
// steps are) when resumed.
func TestScheduleResumesAfterLoad(t *testing.T) {
	for _, tt := range []struct {
		s          optim.Schedule
		first, run optim.Schedule // s with each Fit's length filled in
	}{
		{optim.PiecewiseConstantDecay{Boundaries: []int64{2}, Values: []float64{0.1, 0.01}}, nil, nil},
		{optim.CosineDecay{InitialLearningRate: 0.1}, optim.CosineDecay{InitialLearningRate: 0.1, DecaySteps: 2},
			optim.CosineDecay{InitialLearningRate: 0.1, DecaySteps: 4}},
	} {
		first, run := tt.first, tt.run
		if run == nil {
			first, run = tt.s, tt.s
		}
		m := toyModel(1)
		m.Optimizer().SetSchedule(tt.s)
		x, y := toyImages(32, 1)
		o := silent(1)
		o.Epochs = 1
		h, err := m.Fit(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.History["learning_rate"]; len(got) != 1 || got[0] != first.Rate(1) {
			t.Errorf("%T: first epoch logged learning_rate %v, want step 1's %v", tt.s, got, first.Rate(1))
		}
		p := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(p); err != nil {
			t.Fatal(err)
		}
		back, err := gokeras.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		opt := back.Optimizer()
		if !reflect.DeepEqual(opt.Schedule(), tt.s) || opt.Iterations() != 2 {
			t.Fatalf("%T: loaded schedule %#v at step %d, want %#v at step 2", tt.s, opt.Schedule(), opt.Iterations(), tt.s)
		}
		if got := opt.LearningRate(); got != tt.s.Rate(2) {
			t.Errorf("%T: loaded rate %v, want step 2's %v", tt.s, got, tt.s.Rate(2))
		}
		o.Epochs = 2
		h, err = back.Fit(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.History["learning_rate"]; len(got) != 1 || math.Abs(got[0]-run.Rate(3)) > 1e-15 {
			t.Errorf("%T: resumed epoch logged learning_rate %v, want step 3's %v", tt.s, got, run.Rate(3))
		}
		if opt.Iterations() != 4 || opt.LearningRate() != run.Rate(4) {
			t.Errorf("%T: after the run, step %d at rate %v, want step 4 at %v", tt.s, opt.Iterations(), opt.LearningRate(), run.Rate(4))
		}
	}
}
