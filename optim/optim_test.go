package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// Two variables, shapes (3,) and (2, 1), and the fixed gradients of three
// steps. The zero gradient checks epsilon handling.
var (
	start = [][]float64{{0.5, -1, 2}, {0.25, -0.75}}
	steps = [][][]float64{
		{{0.1, -0.2, 0.3}, {1.5, -0.5}},
		{{-0.05, 0.4, 0}, {0.7, 0.2}},
		{{0.2, 0.1, -0.3}, {-1, 0.05}},
	}
)

func vars(x [][]float64) []*tensor.Tensor {
	shapes := [][]int{{3}, {2, 1}}
	out := make([]*tensor.Tensor, len(x))
	for i, v := range x {
		out[i] = tensor.New(shapes[i]...)
		for j, f := range v {
			out[i].Data[j] = float32(f)
		}
	}
	return out
}

// reference is a per-element update in float64: it gets the element's
// weight, gradient, a state it owns and the step number t (from 1).
type reference func(w, g float64, s *[2]float64, t int) float64

// runReference applies ref for n steps and returns the weights after each.
func runReference(ref reference, init float64, n int) [][][]float64 {
	w := [][]float64{append([]float64(nil), start[0]...), append([]float64(nil), start[1]...)}
	st := make([][][2]float64, len(w))
	for i := range w {
		st[i] = make([][2]float64, len(w[i]))
		for j := range st[i] {
			st[i][j] = [2]float64{init, init}
		}
	}
	var out [][][]float64
	for t := 1; t <= n; t++ {
		for i := range w {
			for j := range w[i] {
				w[i][j] = ref(w[i][j], steps[t-1][i][j], &st[i][j], t)
			}
		}
		out = append(out, [][]float64{append([]float64(nil), w[0]...), append([]float64(nil), w[1]...)})
	}
	return out
}

// The update rules, written from the Keras 3 sources independently of the
// implementation.
func sgdRef(lr, mu float64, nesterov bool) reference { return sgdWDRef(lr, mu, 0, nesterov) }

// sgdWDRef is Keras 3's SGD with weight decay applied first (base
// optimizer _apply_weight_decay: w -= w*wd*lr).
func sgdWDRef(lr, mu, wd float64, nesterov bool) reference {
	return func(w, g float64, s *[2]float64, _ int) float64 {
		w -= w * wd * lr
		if mu == 0 {
			return w - lr*g
		}
		s[0] = mu*s[0] - lr*g
		if nesterov {
			return w + mu*s[0] - lr*g
		}
		return w + s[0]
	}
}

func adamRef(lr, b1, b2, eps, wd float64) reference {
	return func(w, g float64, s *[2]float64, t int) float64 {
		w -= w * wd * lr
		s[0] = b1*s[0] + (1-b1)*g
		s[1] = b2*s[1] + (1-b2)*g*g
		alpha := lr * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
		return w - alpha*s[0]/(math.Sqrt(s[1])+eps)
	}
}

func rmspropRef(lr, rho, eps float64) reference {
	return func(w, g float64, s *[2]float64, _ int) float64 {
		s[0] = rho*s[0] + (1-rho)*g*g
		return w - lr*g/math.Sqrt(s[0]+eps)
	}
}

func adagradRef(lr, eps float64) reference {
	return func(w, g float64, s *[2]float64, _ int) float64 {
		s[0] += g * g
		return w - lr*g/math.Sqrt(s[0]+eps)
	}
}

func TestFirstSteps(t *testing.T) {
	cases := []struct {
		name string
		opt  Optimizer
		ref  reference
		init float64 // initial state value
	}{
		{"sgd", &SGD{}, sgdRef(0.01, 0, false), 0},
		{"sgd lr 0.1", &SGD{LR: 0.1}, sgdRef(0.1, 0, false), 0},
		{"sgd momentum", &SGD{LR: 0.1, Momentum: 0.9}, sgdRef(0.1, 0.9, false), 0},
		{"sgd nesterov", &SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}, sgdRef(0.1, 0.9, true), 0},
		{"sgd nesterov decay", &SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.05}, sgdWDRef(0.1, 0.9, 0.05, true), 0},
		{"adam", &Adam{}, adamRef(0.001, 0.9, 0.999, 1e-7, 0), 0},
		{"adam options", &Adam{LR: 0.05, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-3}, adamRef(0.05, 0.8, 0.99, 1e-3, 0), 0},
		{"adamw", &AdamW{LR: 0.01}, adamRef(0.01, 0.9, 0.999, 1e-7, 0.004), 0},
		{"adamw decay 0.1", &AdamW{LR: 0.01, WeightDecay: 0.1}, adamRef(0.01, 0.9, 0.999, 1e-7, 0.1), 0},
		{"rmsprop", &RMSprop{}, rmspropRef(0.001, 0.9, 1e-7), 0},
		{"rmsprop options", &RMSprop{LR: 0.01, Rho: 0.5, Epsilon: 1e-2}, rmspropRef(0.01, 0.5, 1e-2), 0},
		{"adagrad", &Adagrad{}, adagradRef(0.001, 1e-7), 0.1},
		{"adagrad options", &Adagrad{LR: 0.1, InitialAccumulator: 0.5, Epsilon: 1e-3}, adagradRef(0.1, 1e-3), 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := runReference(tc.ref, tc.init, len(steps))
			w := vars(start)
			for s := range steps {
				tc.opt.Apply(w, vars(steps[s]))
				if got := tc.opt.Iterations(); got != int64(s+1) {
					t.Errorf("step %d: Iterations() = %d, want %d", s+1, got, s+1)
				}
				for i := range w {
					for j, got := range w[i].Data {
						x := want[s][i][j]
						if math.Abs(float64(got)-x) > 1e-6+1e-6*math.Abs(x) {
							t.Errorf("step %d: w%d[%d] = %.9g, want %.9g", s+1, i, j, got, x)
						}
					}
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cases := []struct {
		opt  Optimizer
		want map[string]any
	}{
		{&SGD{}, map[string]any{"learning_rate": 0.01, "momentum": 0.0, "nesterov": false}},
		{&Adam{}, map[string]any{"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}},
		{&AdamW{}, map[string]any{"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}},
		{&RMSprop{}, map[string]any{"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7}},
		{&Adagrad{}, map[string]any{"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}},
		// The defaults of each class's __init__ in keras/src/optimizers/.
		{&Nadam{}, map[string]any{"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}},
		{&Adamax{}, map[string]any{"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}},
		{&Adadelta{}, map[string]any{"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}},
		{&Lion{}, map[string]any{"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99}},
		{&Ftrl{}, map[string]any{"learning_rate": 0.001, "learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
			"l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0}},
		{&Adafactor{}, map[string]any{"learning_rate": 0.001, "beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 1e-3,
			"clip_threshold": 1.0, "relative_step": true}},
	}
	// BaseOptimizer.get_config's keys, which every optimizer writes.
	baseKeys := map[string]any{"name": nil, "learning_rate": nil, "weight_decay": nil, "clipnorm": nil, "global_clipnorm": nil,
		"clipvalue": nil, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil,
		"loss_scale_factor": nil, "gradient_accumulation_steps": nil}
	own := map[string][]string{"sgd": {"momentum", "nesterov"}, "adam": {"beta_1", "beta_2", "epsilon", "amsgrad"},
		"adamw": {"beta_1", "beta_2", "epsilon", "amsgrad"}, "rmsprop": {"rho", "momentum", "epsilon", "centered"},
		"adagrad": {"initial_accumulator_value", "epsilon"}, "nadam": {"beta_1", "beta_2", "epsilon"},
		"adamax": {"beta_1", "beta_2", "epsilon"}, "adadelta": {"rho", "epsilon"}, "lion": {"beta_1", "beta_2"},
		"ftrl": {"learning_rate_power", "initial_accumulator_value", "l1_regularization_strength", "l2_regularization_strength",
			"l2_shrinkage_regularization_strength", "beta"},
		"adafactor": {"beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step"}}
	for _, tc := range cases {
		cfg := tc.opt.Config()
		want := len(baseKeys) + len(own[tc.opt.Name()])
		for _, k := range own[tc.opt.Name()] {
			if _, ok := cfg[k]; !ok {
				t.Errorf("%s Config() lacks Keras's key %q", tc.opt.Name(), k)
			}
		}
		for k, v := range baseKeys {
			got, ok := cfg[k]
			switch {
			case !ok:
				t.Errorf("%s Config() lacks Keras's key %q", tc.opt.Name(), k)
			case k == "weight_decay" && tc.opt.Name() == NameAdamW:
			case v != nil && got != v, v == nil && k != "name" && k != "learning_rate" && got != nil:
				t.Errorf("%s Config()[%q] = %v, want Keras's default %v", tc.opt.Name(), k, got, v)
			}
		}
		if len(cfg) != want {
			t.Errorf("%s Config() has %d keys, want Keras's %d: %v", tc.opt.Name(), len(cfg), want, cfg)
		}
		for k, v := range tc.want {
			if cfg[k] != v {
				t.Errorf("%s Config()[%q] = %v, want %v", tc.opt.Name(), k, cfg[k], v)
			}
		}
		for _, k := range []string{"clipnorm", "clipvalue", "global_clipnorm"} {
			if v, ok := cfg[k]; !ok || v != nil {
				t.Errorf("%s Config()[%q] = %v, %v; want nil (Keras None)", tc.opt.Name(), k, v, ok)
			}
		}
		if got, want := tc.opt.LearningRate(), tc.want["learning_rate"]; got != want {
			t.Errorf("%s LearningRate() = %v, want %v", tc.opt.Name(), got, want)
		}
	}
}

func TestSetLearningRate(t *testing.T) {
	o := &Adam{}
	o.SetLearningRate(0.5)
	if got := o.LearningRate(); got != 0.5 {
		t.Errorf("after SetLearningRate(0.5): got %v", got)
	}
	o.SetLearningRate(0)
	if got := o.LearningRate(); got != 0 {
		t.Errorf("after SetLearningRate(0): got %v, want 0 (not the default)", got)
	}
	w := vars(start)
	o.Apply(w, vars(steps[0]))
	if got := w[0].Data[0]; got != float32(start[0][0]) {
		t.Errorf("Apply with learning rate 0 moved w[0] to %v", got)
	}
}

// TestClip runs one SGD step with lr 1 from zero weights, so the new
// weights are -clipped(g), and checks the caller's gradients are untouched.
func TestClip(t *testing.T) {
	cases := []struct {
		name  string
		clip  Clip
		grads [][]float32
		want  [][]float32 // clipped gradients
	}{
		{"norm above", Clip{Norm: 1}, [][]float32{{3, 4}, {0, 0.5}}, [][]float32{{0.6, 0.8}, {0, 0.5}}},
		{"norm below", Clip{Norm: 10}, [][]float32{{3, 4}, {1, 1}}, [][]float32{{3, 4}, {1, 1}}},
		{"value", Clip{Value: 1}, [][]float32{{3, -4}, {0.5, -0.25}}, [][]float32{{1, -1}, {0.5, -0.25}}},
		{"global norm", Clip{GlobalNorm: 1}, [][]float32{{3, 0}, {0, 4}}, [][]float32{{0.6, 0}, {0, 0.8}}},
		{"global norm below", Clip{GlobalNorm: 6}, [][]float32{{3, 0}, {0, 4}}, [][]float32{{3, 0}, {0, 4}}},
		{"norm wins over value", Clip{Norm: 1, Value: 0.1}, [][]float32{{3, 4}, {0, 0}}, [][]float32{{0.6, 0.8}, {0, 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := &SGD{LR: 1, Clip: tc.clip}
			w := []*tensor.Tensor{tensor.New(2), tensor.New(2)}
			g := make([]*tensor.Tensor, len(tc.grads))
			for i, d := range tc.grads {
				g[i] = &tensor.Tensor{Shape: tensor.Shape{2}, Data: append([]float32(nil), d...)}
			}
			o.Apply(w, g)
			for i := range w {
				for j := range w[i].Data {
					if got, want := -w[i].Data[j], tc.want[i][j]; math.Abs(float64(got-want)) > 1e-6 {
						t.Errorf("clipped g%d[%d] = %v, want %v", i, j, got, want)
					}
					if g[i].Data[j] != tc.grads[i][j] {
						t.Errorf("caller's g%d[%d] changed to %v; want it left as %v", i, j, g[i].Data[j], tc.grads[i][j])
					}
				}
			}
		})
	}
}

// cloneSlots deep-copies slots, as saving to disk would.
func cloneSlots(s []Slot) []Slot {
	out := make([]Slot, len(s))
	for i, sl := range s {
		out[i] = Slot{Name: sl.Name, Value: sl.Value.Clone()}
	}
	return out
}

func allOptimizers() []func() Optimizer {
	return []func() Optimizer{
		func() Optimizer { return &SGD{LR: 0.1, Momentum: 0.9, Nesterov: true} },
		func() Optimizer { return &Adam{LR: 0.01, Clip: Clip{Norm: 0.3}} },
		func() Optimizer { return &AdamW{LR: 0.01, EMA: EMA{Use: true, OverwriteFrequency: 2}} },
		func() Optimizer { return &RMSprop{LR: 0.01, Clip: Clip{Value: 0.15}} },
		func() Optimizer { return &Adagrad{LR: 0.1, EMA: EMA{Use: true, Momentum: 0.5}} },
		func() Optimizer {
			return &Adam{LR: 0.01, AMSGrad: true, WeightDecay: 0.1, GradientAccumulationSteps: 2}
		},
		func() Optimizer {
			return &RMSprop{LR: 0.01, Momentum: 0.9, Centered: true, Clip: Clip{GlobalNorm: 0.5}}
		},
		func() Optimizer { return &Nadam{LR: 0.01, EMA: EMA{Use: true}} },
		func() Optimizer { return &Adamax{LR: 0.01, WeightDecay: 0.1} },
		func() Optimizer { return &Adadelta{LR: 1, Clip: Clip{Norm: 0.2}} },
		func() Optimizer { return &Lion{LR: 0.01, GradientAccumulationSteps: 2, EMA: EMA{Use: true}} },
		func() Optimizer { return &Ftrl{LR: 0.1, L1: 0.01, L2: 0.1} },
		func() Optimizer { return &Adafactor{LR: 0.1, WeightDecay: 0.01} },
		func() Optimizer { return &ScheduleFreeAdamW{LR: 0.05, WarmupSteps: 2, WeightDecay: 0.01} },
		func() Optimizer { return &ScheduleFreeSGD{LR: 0.1, WarmupSteps: 2, WeightDecay: 0.01} },
		func() Optimizer { return &Muon{LR: 0.05, Clip: Clip{Norm: 0.5}} },
	}
}

// TestStateRoundTrip checks that saving after one step and restoring into
// a fresh optimizer (and into one already used) continues exactly as an
// uninterrupted run.
func TestStateRoundTrip(t *testing.T) {
	for _, mk := range allOptimizers() {
		name := mk().Name()
		t.Run(name, func(t *testing.T) {
			whole := mk()
			wA := vars(start)
			for s := range steps {
				whole.Apply(wA, vars(steps[s]))
			}

			first := mk()
			wB := vars(start)
			first.Apply(wB, vars(steps[0]))
			saved, iters := cloneSlots(first.State()), first.Iterations()
			if len(saved) == 0 {
				t.Fatal("State() is empty after a step")
			}

			for _, into := range []struct {
				name string
				opt  Optimizer
			}{{"fresh", mk()}, {"used", first}} {
				if into.name == "used" {
					// Move the used optimizer on so the restore must undo it.
					into.opt.Apply(vars(start), vars(steps[2]))
				}
				if err := into.opt.SetState(iters, cloneSlots(saved)); err != nil {
					t.Fatalf("%s: SetState: %v", into.name, err)
				}
				w := []*tensor.Tensor{wB[0].Clone(), wB[1].Clone()}
				for s := 1; s < len(steps); s++ {
					into.opt.Apply(w, vars(steps[s]))
				}
				if got := into.opt.Iterations(); got != whole.Iterations() {
					t.Errorf("%s: Iterations() = %d, want %d", into.name, got, whole.Iterations())
				}
				for i := range w {
					for j := range w[i].Data {
						if w[i].Data[j] != wA[i].Data[j] {
							t.Errorf("%s: w%d[%d] = %v, uninterrupted run %v", into.name, i, j, w[i].Data[j], wA[i].Data[j])
						}
					}
				}
			}
		})
	}
}

func TestSetStateMismatch(t *testing.T) {
	o := &Adam{}
	w := vars(start)
	o.Apply(w, vars(steps[0]))
	good := cloneSlots(o.State())
	if got := []string{good[0].Name, good[1].Name, good[2].Name, good[3].Name}; !reflect.DeepEqual(got, []string{"m/0", "v/0", "m/1", "v/1"}) {
		t.Fatalf("slot names: got %v, want [m/0 v/0 m/1 v/1]", got)
	}
	renamed := cloneSlots(good)
	renamed[1].Name = "velocity/0"
	reshaped := cloneSlots(good)
	reshaped[2].Value = tensor.New(2)
	cases := []struct {
		name  string
		iters int64
		slots []Slot
		want  string
	}{
		{"name", 5, renamed, `"velocity/0", want "v/0"`},
		{"shape", 5, reshaped, "has shape (2,), want (2, 1)"},
		{"count", 5, good[:2], "state is for 1 variables, but this optimizer updates 2"},
		{"odd count", 5, good[:3], "needs 2 slots per variable"},
		{"negative iterations", -1, good, "-1 iterations"},
	}
	for _, tc := range cases {
		// Poison the would-be values so any partial copy shows.
		for _, s := range tc.slots {
			s.Value.Fill(42)
		}
		err := o.SetState(tc.iters, tc.slots)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "optim: ") {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
		if o.Iterations() != 1 {
			t.Errorf("%s: Iterations() changed to %d on error", tc.name, o.Iterations())
		}
		for _, s := range o.State() {
			for _, v := range s.Value.Data {
				if v == 42 {
					t.Fatalf("%s: slot %s changed on error", tc.name, s.Name)
				}
			}
		}
	}
	if err := (&SGD{}).SetState(0, good); err == nil || !strings.Contains(err.Error(), "keeps no state") {
		t.Errorf("SetState of Adam slots into SGD without momentum: got %v", err)
	}
	// No slots: the iteration count of an optimizer not built yet (Keras
	// saves one so), restored into a fresh optimizer, which then makes
	// its slots and steps from there; into a stepped one, an error.
	fresh := &Adam{}
	if err := fresh.SetState(7, nil); err != nil {
		t.Fatalf("SetState(7, nil) on a fresh Adam: %v", err)
	}
	fresh.Apply(vars(start), vars(steps[0]))
	if fresh.Iterations() != 8 || len(fresh.State()) != 4 {
		t.Errorf("after SetState(7, nil) and one step: %d iterations, %d slots; want 8 and 4", fresh.Iterations(), len(fresh.State()))
	}
	if err := o.SetState(7, nil); err == nil || !strings.Contains(err.Error(), "state is for 0 variables") {
		t.Errorf("SetState(7, nil) on a stepped Adam: got %v, want an error", err)
	}
}

func TestParse(t *testing.T) {
	for _, n := range []string{"adam", "adamw", "sgd", "rmsprop", "adagrad", "Adam", "SGD", "RMSprop",
		"nadam", "adamax", "adadelta", "lion", "ftrl", "adafactor", "Nadam", "Adafactor"} {
		o, err := Parse(n)
		if err != nil {
			t.Errorf("Parse(%q): %v", n, err)
			continue
		}
		if got := o.Name(); got != strings.ToLower(n) {
			t.Errorf("Parse(%q).Name() = %q, want %q", n, got, strings.ToLower(n))
		}
	}
	_, err := Parse("sophia")
	if err == nil {
		t.Fatal(`Parse("sophia"): got nil error`)
	}
	for _, want := range []string{"optim:", `"sophia"`, "adam, adamw, sgd, rmsprop, adagrad, nadam, adamax, adadelta, lion, ftrl, adafactor, schedule_free_adamw, schedule_free_sgd, muon"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(\"sophia\") error %q: want it to contain %q", err, want)
		}
	}
}

func TestFromConfigRoundTrip(t *testing.T) {
	opts := []Optimizer{
		&SGD{}, &SGD{LR: 0.2, Momentum: 0.8, Nesterov: true, Clip: Clip{Norm: 2}},
		&SGD{LRMultipliers: LRMultipliers{"beta": 64, "conv2d/kernel": 0.5}, EMA: EMA{Use: true, Momentum: 0.9, OverwriteFrequency: 4}},
		&Adam{}, &Adam{LR: 3e-4, Beta1: 0.85, Beta2: 0.99, Epsilon: 1e-8, Clip: Clip{GlobalNorm: 1}},
		&AdamW{}, &AdamW{WeightDecay: 0.01, Clip: Clip{Value: 0.5}},
		&RMSprop{}, &RMSprop{LR: 0.01, Rho: 0.95, Epsilon: 1e-6},
		&Adagrad{}, &Adagrad{LR: 0.01, InitialAccumulator: 0.2, Epsilon: 1e-6},
		&Adam{AMSGrad: true, WeightDecay: 0.01, GradientAccumulationSteps: 4},
		&AdamW{AMSGrad: true, EMA: EMA{Use: true}},
		&RMSprop{Momentum: 0.9, Centered: true, WeightDecay: 0.1, Clip: Clip{Norm: 1}},
		&Nadam{}, &Nadam{LR: 0.002, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-8, WeightDecay: 0.01},
		&Adamax{}, &Adamax{LR: 0.002, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-8, Clip: Clip{Value: 1}},
		&Adadelta{}, &Adadelta{LR: 1, Rho: 0.9, Epsilon: 1e-6, GradientAccumulationSteps: 2},
		&Lion{}, &Lion{LR: 1e-4, Beta1: 1, Beta2: 0.98, WeightDecay: 0.1},
		&Ftrl{}, &Ftrl{LR: 0.1, LearningRatePower: new(0.0), InitialAccumulator: 0.2, L1: 0.01, L2: 0.02, L2Shrinkage: 0.03, Beta: 0.5},
		&Adafactor{}, &Adafactor{LR: 0.01, Beta2Decay: -0.5, Epsilon1: 1e-20, Epsilon2: 1e-2, ClipThreshold: 2, NoRelativeStep: true},
	}
	for _, o := range opts {
		cfg := o.Config()
		back, err := FromConfig(o.Name(), cfg)
		if err != nil {
			t.Errorf("FromConfig(%q, %v): %v", o.Name(), cfg, err)
			continue
		}
		if got := back.Config(); !reflect.DeepEqual(got, cfg) {
			t.Errorf("%s round trip: got %v, want %v", o.Name(), got, cfg)
		}
		// Through JSON, as a saved model stores it.
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		back, err = FromConfig(o.Name(), m)
		if err != nil {
			t.Errorf("FromConfig(%q) from JSON %s: %v", o.Name(), b, err)
			continue
		}
		if got := back.Config(); !reflect.DeepEqual(got, cfg) {
			t.Errorf("%s JSON round trip: got %v, want %v", o.Name(), got, cfg)
		}
	}
}

func TestFromConfigKeras(t *testing.T) {
	// A config as Keras 3 writes it for keras.optimizers.Adam(1e-3).
	keras := `{"name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": null,
		"clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false,
		"ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
		"gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
		"amsgrad": false}`
	var m map[string]any
	if err := json.Unmarshal([]byte(keras), &m); err != nil {
		t.Fatal(err)
	}
	o, err := FromConfig("adam", m)
	if err != nil {
		t.Fatalf("FromConfig(Keras adam config): %v", err)
	}
	if got := o.LearningRate(); math.Abs(got-0.001) > 1e-9 {
		t.Errorf("learning rate: got %v, want 0.001", got)
	}

	cases := []struct {
		name string
		opt  string
		cfg  map[string]any
		want string
	}{
		{"unknown key", "sgd", map[string]any{"learning_rate": 0.1, "momentun": 0.9}, `unknown sgd option "momentun"; valid options are`},
		{"loss scale", "adam", map[string]any{"loss_scale_factor": 128.0}, "loss_scale_factor = 128 is not supported"},
		{"accumulation 1", "adam", map[string]any{"gradient_accumulation_steps": 1}, "gradient_accumulation_steps is 1; it must be a whole number >= 2"},
		{"accumulation 2.5", "sgd", map[string]any{"gradient_accumulation_steps": 2.5}, "whole number >= 2"},
		{"negative weight decay", "nadam", map[string]any{"weight_decay": -0.1}, "nadam weight_decay is -0.1"},
		{"bad amsgrad", "adam", map[string]any{"amsgrad": 1}, "use true or false"},
		{"rmsprop momentum", "rmsprop", map[string]any{"momentum": 1.0}, "rmsprop momentum is 1; use a value in [0, 1)"},
		{"lion beta_1", "lion", map[string]any{"beta_1": 1.5}, "lion beta_1 is 1.5; use a value in (0, 1]"},
		{"lion beta_1 0", "lion", map[string]any{"beta_1": 0.0}, "lion beta_1 is 0"},
		{"ftrl power", "ftrl", map[string]any{"learning_rate_power": 0.5}, "learning_rate_power is 0.5; Keras needs it negative or zero"},
		{"ftrl l1", "ftrl", map[string]any{"l1_regularization_strength": -1}, "ftrl l1_regularization_strength is -1"},
		{"adafactor decay", "adafactor", map[string]any{"beta_2_decay": 0.8}, "beta_2_decay is 0.8; use a negative value"},
		{"adafactor clip", "adafactor", map[string]any{"clip_threshold": 0}, "adafactor clip_threshold is 0"},
		{"adadelta rho", "adadelta", map[string]any{"rho": 1.0}, "adadelta rho is 1"},
		{"adamax unknown", "adamax", map[string]any{"amsgrad": false}, `unknown adamax option "amsgrad"`},
		{"lion epsilon", "lion", map[string]any{"epsilon": 1e-7}, `unknown lion option "epsilon"`},
		{"ema frequency 0.5", "lion", map[string]any{"ema_overwrite_frequency": 0.5}, "ema_overwrite_frequency is 0.5"},
		{"two clips", "sgd", map[string]any{"clipnorm": 1.0, "clipvalue": 0.5}, "only one of clipnorm, clipvalue and global_clipnorm"},
		{"schedule", "adam", map[string]any{"learning_rate": map[string]any{"class_name": "ExponentialDecay"}}, "learning_rate is"},
		{"bad bool", "sgd", map[string]any{"nesterov": "yes"}, "use true or false"},
		{"unknown optimizer", "sophia", nil, `unknown optimizer "sophia"`},
	}
	for _, tc := range cases {
		_, err := FromConfig(tc.opt, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestApplyPanicsOnChangedVariables checks the message when the variables
// differ from the first call's.
func TestApplyPanicsOnChangedVariables(t *testing.T) {
	o := &Adam{}
	o.Apply(vars(start), vars(steps[0]))
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "same variables in the same order") {
			t.Errorf("got panic %v, want one asking for the same variables", r)
		}
	}()
	w := vars(start)
	o.Apply(w[:1], vars(steps[0])[:1])
}

// TestApplyAllocs reports allocations per steady-state Apply; the optimizer
// itself allocates nothing once built (the clip scratch buffer is reused).
func TestApplyAllocs(t *testing.T) {
	for _, mk := range allOptimizers() {
		o := mk()
		w, g := vars(start), vars(steps[0])
		o.Apply(w, g)
		n := testing.AllocsPerRun(20, func() { o.Apply(w, g) })
		// One closure per kernel call at most: kernel.mapChunks takes a func.
		if max := float64(2 * len(w)); n > max {
			t.Errorf("%s: %v allocations per Apply, want at most %v", o.Name(), n, max)
		}
		t.Logf("%s: %v allocations per Apply", o.Name(), n)
	}
}

// A multiplier scales one variable's steps and leaves its weight decay, and
// every other variable, at the base rate; the longest matching key wins.
func TestLRMultipliers(t *testing.T) {
	names := []string{"conv2d/kernel", "bn/beta", "bn_1/beta"}
	mult := LRMultipliers{"beta": 4, "bn_1": 2, "bn_1/beta": 3}
	for _, mk := range []func(LRMultipliers) Optimizer{
		func(m LRMultipliers) Optimizer { return &SGD{LR: 0.1, WeightDecay: 0.5, LRMultipliers: m} },
		func(m LRMultipliers) Optimizer { return &Adam{LR: 0.1, LRMultipliers: m} },
		func(m LRMultipliers) Optimizer { return &AdamW{LR: 0.1, LRMultipliers: m} },
		func(m LRMultipliers) Optimizer { return &RMSprop{LR: 0.1, LRMultipliers: m} },
		func(m LRMultipliers) Optimizer { return &Adagrad{LR: 0.1, LRMultipliers: m} },
	} {
		// The same step with and without multipliers, on zero weights so
		// weight decay (which keeps the base rate) has nothing to shrink.
		step := func(o Optimizer) []float32 {
			vals := make([]*tensor.Tensor, 3)
			grads := make([]*tensor.Tensor, 3)
			for i := range vals {
				vals[i] = tensor.New(1)
				grads[i], _ = tensor.FromSlice([]float32{0.5}, 1)
			}
			if err := o.(Named).SetVariableNames(names); err != nil {
				t.Fatal(err)
			}
			o.Apply(vals, grads)
			return []float32{vals[0].Data[0], vals[1].Data[0], vals[2].Data[0]}
		}
		scaled, plain := mk(mult), mk(nil)
		got, base := step(scaled), step(plain)
		for i, want := range []float32{1, 4, 3} {
			if math.Abs(float64(got[i]-want*base[i])) > 1e-6*math.Abs(float64(base[i])) || base[i] == 0 {
				t.Errorf("%s variable %s moved %v, want %v x %v", scaled.Name(), names[i], got[i], want, base[i])
			}
		}
	}
	// Weight decay keeps the base rate: a zero gradient shrinks beta as much as the kernel.
	o := &SGD{LR: 0.1, WeightDecay: 0.5, LRMultipliers: LRMultipliers{"beta": 64}}
	if err := o.SetVariableNames(names[:2]); err != nil {
		t.Fatal(err)
	}
	a, _ := tensor.FromSlice([]float32{1}, 1)
	b, _ := tensor.FromSlice([]float32{1}, 1)
	o.Apply([]*tensor.Tensor{a, b}, []*tensor.Tensor{tensor.New(1), tensor.New(1)})
	if a.Data[0] != 0.95 || b.Data[0] != 0.95 {
		t.Errorf("decayed to %v and %v, want 0.95 for both (w -= w*wd*lr at the base lr)", a.Data[0], b.Data[0])
	}
	// A key that matches nothing is an error naming it.
	err := (&SGD{LRMultipliers: LRMultipliers{"betta": 2}}).SetVariableNames(names)
	if err == nil || !strings.Contains(err.Error(), `"betta"`) {
		t.Errorf("misspelt key: err = %v", err)
	}
	if _, err := FromConfig("sgd", map[string]any{"lr_multipliers": map[string]any{"beta": -1}}); err == nil {
		t.Error("a negative multiplier must be refused")
	}
}

// Keras's EMA: the average starts at the variable after the first step,
// then follows average = m*average + (1-m)*w; the variables take the
// average every OverwriteFrequency steps and when finalized.
func TestEMA(t *testing.T) {
	o := &SGD{LR: 1, EMA: EMA{Use: true, Momentum: 0.5, OverwriteFrequency: 3}}
	w, _ := tensor.FromSlice([]float32{0}, 1)
	g, _ := tensor.FromSlice([]float32{-1}, 1) // each step adds 1
	vals, grads := []*tensor.Tensor{w}, []*tensor.Tensor{g}
	// Step 1: w=1, avg=1. Step 2: w=2, avg=1.5. Step 3: w=3, avg=2.25, overwrite: w=2.25.
	// Step 4: w=3.25, avg=2.75.
	want := []struct{ w, avg float32 }{{1, 1}, {2, 1.5}, {2.25, 2.25}, {3.25, 2.75}}
	for i, st := range want {
		o.Apply(vals, grads)
		slots := o.State()
		if len(slots) != 1 || slots[0].Name != "average/0" {
			t.Fatalf("state = %v, want one average/0 slot", slots)
		}
		if w.Data[0] != st.w || slots[0].Value.Data[0] != st.avg {
			t.Errorf("step %d: w %v average %v, want %v and %v", i+1, w.Data[0], slots[0].Value.Data[0], st.w, st.avg)
		}
	}
	o.FinalizeVariableValues(vals)
	if w.Data[0] != 2.75 {
		t.Errorf("finalized w = %v, want the average 2.75", w.Data[0])
	}
	// Off (the default), finalizing leaves the variables alone.
	plain := &Adam{}
	plain.Apply(vals, grads)
	before := w.Data[0]
	plain.FinalizeVariableValues(vals)
	if w.Data[0] != before || len(plain.State()) != 2 {
		t.Errorf("without EMA: w %v -> %v, %d slots (want m and v only)", before, w.Data[0], len(plain.State()))
	}
	// Keras's config keys, read back.
	back, err := FromConfig("adam", map[string]any{"use_ema": true, "ema_momentum": 0.9, "ema_overwrite_frequency": 5})
	if err != nil {
		t.Fatal(err)
	}
	if e := back.(*Adam).EMA; !e.Use || e.Momentum != 0.9 || e.OverwriteFrequency != 5 {
		t.Errorf("EMA from config = %+v", e)
	}
	if _, err := FromConfig("sgd", map[string]any{"ema_overwrite_frequency": 2.5}); err == nil {
		t.Error("a fractional overwrite frequency must be refused")
	}
}

// EMAAverages: every optimizer hands out its averages, the slot State
// names average/i itself, once a step has made them; nil before, and nil
// with EMA off.
func TestEMAAverages(t *testing.T) {
	for _, name := range names {
		on, err := FromConfig(name, map[string]any{"use_ema": true})
		if err != nil {
			t.Fatal(err)
		}
		off, _ := Parse(name)
		for _, o := range []Optimizer{on, off} {
			h, ok := o.(EMAHolder)
			if !ok {
				t.Fatalf("%s does not implement EMAHolder", name)
			}
			if h.EMAAverages() != nil {
				t.Errorf("%s: averages before the first step", name)
			}
			w, _ := tensor.FromSlice([]float32{0.5, -1, 2}, 3)
			g, _ := tensor.FromSlice([]float32{0.1, 0.2, -0.3}, 3)
			o.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
			avg := h.EMAAverages()
			if o == off {
				if avg != nil {
					t.Errorf("%s: averages with EMA off", name)
				}
				continue
			}
			var slot *tensor.Tensor
			for _, s := range o.State() {
				if s.Name == "average/0" {
					slot = s.Value
				}
			}
			if len(avg) != 1 || slot == nil || avg[0] != slot {
				t.Errorf("%s: averages %v, want the average/0 slot %v", name, avg, slot)
			}
		}
	}
}

// Keras's exclude_from_weight_decay(var_names=["bias"]): with zero
// gradients only weight decay moves the variables, and the bias stays.
func TestExcludeFromWeightDecay(t *testing.T) {
	for _, o := range []Optimizer{
		&AdamW{LR: 0.5, WeightDecay: 0.2, ExcludeFromWeightDecay: []string{"bias", "^gam"}},
		&SGD{LR: 0.5, WeightDecay: 0.2, ExcludeFromWeightDecay: []string{"bias", "^gam"}},
		&Lion{LR: 0.5, WeightDecay: 0.2, ExcludeFromWeightDecay: []string{"bias", "^gam"}},
	} {
		names := []string{"dense/kernel", "dense/bias", "bn/gamma", "bn/beta"}
		if err := o.(Named).SetVariableNames(names); err != nil {
			t.Fatal(err)
		}
		vals, grads := make([]*tensor.Tensor, 4), make([]*tensor.Tensor, 4)
		for i := range vals {
			vals[i], _ = tensor.FromSlice([]float32{2}, 1)
			grads[i] = tensor.New(1)
		}
		o.Apply(vals, grads)
		for i, want := range []float32{2 - 2*0.2*0.5, 2, 2, 2 - 2*0.2*0.5} {
			if got := vals[i].Data[0]; math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("%s %s = %v, want %v", o.Name(), names[i], got, want)
			}
		}
	}
	err := (&Adam{WeightDecay: 0.1, ExcludeFromWeightDecay: []string{"("}}).SetVariableNames([]string{"d/kernel"})
	if err == nil || !strings.Contains(err.Error(), "ExcludeFromWeightDecay") {
		t.Errorf("bad pattern: err = %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "SetVariableNames") {
			t.Errorf("Apply without names: panic %v, want one asking for SetVariableNames", r)
		}
	}()
	(&Nadam{WeightDecay: 0.1, ExcludeFromWeightDecay: []string{"bias"}}).Apply(vars(start), vars(steps[0]))
}

// TestScheduleFreeAdamWSwaps: SwapToEval moves the variables to the
// average x = (y - (1-β1)z)/β1 and SwapToTrain back to y; a second swap
// the same way does nothing; the next Apply swaps back by itself; the
// config reads back, also by Keras's class name.
func TestScheduleFreeAdamWSwaps(t *testing.T) {
	o := &ScheduleFreeAdamW{LR: 0.05, Beta1: 0.8}
	w := []*tensor.Tensor{{Shape: tensor.Shape{3}, Data: []float32{1, -2, 0.5}}}
	g := []*tensor.Tensor{{Shape: tensor.Shape{3}, Data: []float32{0.3, -0.1, 0.7}}}
	o.SwapToEval() // before any Apply: nothing to swap
	for range 4 {
		o.Apply(w, g)
	}
	y := slices.Clone(w[0].Data)
	z := o.State()[0].Value.Data
	o.SwapToEval()
	o.SwapToEval()
	for j, v := range w[0].Data {
		if x := (y[j] - 0.2*z[j]) / 0.8; math.Abs(float64(v-x)) > 1e-6 {
			t.Fatalf("after SwapToEval w[%d] = %v, want x = %v", j, v, x)
		}
	}
	o.SwapToTrain()
	for j, v := range w[0].Data {
		if math.Abs(float64(v-y[j])) > 1e-6 {
			t.Fatalf("after SwapToTrain w[%d] = %v, want y = %v", j, v, y[j])
		}
	}
	// Apply after SwapToEval trains from y, as if it had not been swapped.
	ref := &ScheduleFreeAdamW{LR: 0.05, Beta1: 0.8}
	wr := []*tensor.Tensor{{Shape: tensor.Shape{3}, Data: []float32{1, -2, 0.5}}}
	for range 5 {
		ref.Apply(wr, g)
	}
	o.SwapToEval()
	o.Apply(w, g)
	for j := range w[0].Data {
		if math.Abs(float64(w[0].Data[j]-wr[0].Data[j])) > 1e-6 {
			t.Fatalf("an Apply after SwapToEval gives %v, want %v", w[0].Data, wr[0].Data)
		}
	}
	for _, name := range []string{"ScheduleFreeAdamW", "schedule_free_adamw"} {
		back, err := FromConfig(name, o.Config())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Config(), o.Config()) {
			t.Errorf("%s: config %v reads back as %v", name, o.Config(), back.Config())
		}
	}
	if _, err := FromConfig("ScheduleFreeAdamW", map[string]any{"warmup_steps": -1.0}); err == nil {
		t.Error("warmup_steps -1: no error")
	}
}

// TestScheduleFreeSGDState: the state holds the sum of squared rates
// beside the slots and restores to the same next step; finalizing puts the
// average x into the variables; a state without the sum is refused.
func TestScheduleFreeSGDState(t *testing.T) {
	mk := func() ([]*tensor.Tensor, []*tensor.Tensor) {
		return []*tensor.Tensor{{Shape: tensor.Shape{3}, Data: []float32{1, -2, 0.5}}},
			[]*tensor.Tensor{{Shape: tensor.Shape{3}, Data: []float32{0.3, -0.1, 0.7}}}
	}
	a := &ScheduleFreeSGD{LR: 0.1, WarmupSteps: 2, WeightDecay: 0.01}
	wa, g := mk()
	for range 3 {
		a.Apply(wa, g)
	}
	st := a.State()
	if last := st[len(st)-1]; last.Name != "sum_sq_lrs" || math.Abs(float64(last.Value.Data[0])-(0.05*0.05+0.1*0.1+0.1*0.1)) > 1e-7 {
		t.Fatalf("last state slot %s = %v, want sum_sq_lrs = 0.0225", last.Name, last.Value.Data)
	}
	b := &ScheduleFreeSGD{LR: 0.1, WarmupSteps: 2, WeightDecay: 0.01}
	wb, _ := mk()
	copy(wb[0].Data, wa[0].Data)
	if err := b.SetState(a.Iterations(), st); err != nil {
		t.Fatal(err)
	}
	a.Apply(wa, g)
	b.Apply(wb, g)
	if !slices.Equal(wa[0].Data, wb[0].Data) {
		t.Errorf("restored optimizer steps to %v, the original to %v", wb[0].Data, wa[0].Data)
	}
	x := slices.Clone(a.State()[1].Value.Data)
	a.FinalizeVariableValues(wa)
	if !slices.Equal(wa[0].Data, x) {
		t.Errorf("after FinalizeVariableValues the variable is %v, want x = %v", wa[0].Data, x)
	}
	if err := b.SetState(3, st[:len(st)-1]); err == nil || !strings.Contains(err.Error(), "lacks sum_sq_lrs") {
		t.Errorf("a state without sum_sq_lrs: %v", err)
	}
	back, err := FromConfig("ScheduleFreeSGD", a.Config())
	if err != nil || !reflect.DeepEqual(back.Config(), a.Config()) {
		t.Errorf("config %v reads back as %v, %v", a.Config(), back, err)
	}
}

// TestMuonRoutingAndNewtonSchulz: which variables take the Muon step
// (2-D and 3-D, not embeddings, not excluded), that a tall matrix is
// orthogonalised as the transpose of its wide form, and that the result
// is near-orthogonal (the quintic iteration pushes singular values into
// about [0.7, 1.2], not to exactly 1).
func TestMuonRoutingAndNewtonSchulz(t *testing.T) {
	o := &Muon{ExcludeLayers: []string{"^head/"}}
	if err := o.SetVariableNames([]string{"dense/kernel", "dense/bias", "head/kernel", "embedding/embeddings", "conv/kernel", "cube/kernel"}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		shape tensor.Shape
		adamw bool
	}{{tensor.Shape{4, 3}, false}, {tensor.Shape{3}, true}, {tensor.Shape{4, 3}, true}, {tensor.Shape{10, 4}, true}, {tensor.Shape{3, 3, 2, 4}, true}, {tensor.Shape{2, 3, 4}, false}} {
		if got := o.adamw(i, c.shape); got != c.adamw {
			t.Errorf("variable %s %v: AdamW step %v, want %v", o.st.names[i], c.shape, got, c.adamw)
		}
	}
	if err := (&Muon{ExcludeLayers: []string{"("}}).SetVariableNames([]string{"a/b"}); err == nil {
		t.Error("a bad exclude_layers expression: no error")
	}
	wide := []float32{1, 2, 0.5, -1, 0.3, 2, -0.7, 1, 0.1, 0.4, -2, 1.5}
	tall := make([]float32, 12)
	for i := range 3 {
		for j := range 4 {
			tall[j*3+i] = wide[i*4+j]
		}
	}
	ow := slices.Clone(wide)
	o.newtonSchulz(ow, 3, 4)
	ot := slices.Clone(tall)
	o.newtonSchulz(ot, 4, 3)
	for i := range 3 {
		for j := range 4 {
			if d := math.Abs(float64(ow[i*4+j] - ot[j*3+i])); d > 1e-5 {
				t.Fatalf("NS of the tall matrix is not the transpose of the wide one's: %v vs %v", ot, ow)
			}
		}
	}
	for i := range 3 {
		for k := range 3 {
			var s float64
			for j := range 4 {
				s += float64(ow[i*4+j] * ow[k*4+j])
			}
			if i == k && (s < 0.5 || s > 1.5) || i != k && math.Abs(s) > 0.35 {
				t.Errorf("X·Xᵀ[%d][%d] = %v after Newton-Schulz; want near the identity", i, k, s)
			}
		}
	}
	back, err := FromConfig("Muon", o.Config())
	if err != nil || !reflect.DeepEqual(back.Config(), o.Config()) {
		t.Errorf("config %v reads back as %v, %v", o.Config(), back, err)
	}
	if _, err := FromConfig("Muon", map[string]any{"ns_steps": 2e9}); err == nil || !strings.Contains(err.Error(), "use at most 100") {
		t.Errorf("ns_steps 2e9: %v", err)
	}
	none := &Muon{WeightDecay: Float(0)}
	back, err = FromConfig("muon", none.Config())
	if err != nil || back.(*Muon).weightDecay() != 0 {
		t.Errorf("weight_decay none reads back as %v, %v", back, err)
	}
}
