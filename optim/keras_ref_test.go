package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// kerasReference runs testdata/keras_ref.py, Keras 3's update rules and
// schedules written in NumPy from the Keras sources, on req; it skips the
// test when /usr/bin/python3 or NumPy is missing.
func kerasReference(t *testing.T, req, out any) {
	t.Helper()
	pyref.Run(t, "testdata/keras_ref.py", req, out, "numpy")
}

type refCase struct {
	Opt    string         `json:"opt"`
	Cfg    map[string]any `json:"cfg"`
	Shapes [][]int        `json:"shapes"`
	Start  [][]float64    `json:"start"`
	Grads  [][][]float64  `json:"grads"`
}

// refProblem is three variables (a vector, a matrix and a 3-axis tensor,
// so Adafactor's factored and unfactored paths both run) and seven steps
// of seeded gradients, one of them with exact zeros.
func refProblem(opt string, cfg map[string]any) refCase {
	rng := rand.New(rand.NewPCG(1, 2))
	c := refCase{Opt: opt, Cfg: cfg, Shapes: [][]int{{3}, {2, 3}, {2, 2, 2}}}
	for _, s := range c.Shapes {
		n := tensor.Shape(s).Size()
		v := make([]float64, n)
		for j := range v {
			v[j] = float64(float32(rng.NormFloat64()))
		}
		c.Start = append(c.Start, v)
	}
	for k := range 7 {
		var step [][]float64
		for i, s := range c.Shapes {
			n := tensor.Shape(s).Size()
			g := make([]float64, n)
			for j := range g {
				g[j] = float64(float32(rng.NormFloat64() * 0.8))
				if k == 2 && i == 0 && j < 2 {
					g[j] = 0
				}
			}
			step = append(step, g)
		}
		c.Grads = append(c.Grads, step)
	}
	return c
}

func cosine(lr0 float64, steps int) map[string]any {
	return map[string]any{"module": "keras.optimizers.schedules", "class_name": "CosineDecay",
		"config":          map[string]any{"initial_learning_rate": lr0, "decay_steps": steps, "alpha": 0.1, "name": "CosineDecay", "warmup_target": nil, "warmup_steps": 0},
		"registered_name": nil}
}

type kv = map[string]any

// refCases are the optimizers and options checked against the reference.
var refCases = []struct {
	opt string
	cfg kv
}{
	{"sgd", kv{}},
	{"sgd", kv{"learning_rate": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 0.05}},
	{"sgd", kv{"learning_rate": 0.1, "clipnorm": 0.5}},
	{"sgd", kv{"learning_rate": 0.1, "momentum": 0.5, "gradient_accumulation_steps": 2}},
	{"sgd", kv{"learning_rate": 0.1, "use_ema": true, "ema_momentum": 0.8, "ema_overwrite_frequency": 3}},
	{"adam", kv{}},
	{"adam", kv{"learning_rate": 0.05, "amsgrad": true}},
	{"adam", kv{"learning_rate": 0.05, "weight_decay": 0.1, "global_clipnorm": 1.0}},
	{"adam", kv{"learning_rate": 0.05, "clipvalue": 0.3, "use_ema": true}},
	{"adam", kv{"learning_rate": cosine(0.05, 5), "amsgrad": true, "gradient_accumulation_steps": 2, "use_ema": true, "ema_overwrite_frequency": 2}},
	{"adamw", kv{"learning_rate": 0.05}},
	{"adamw", kv{"learning_rate": 0.05, "amsgrad": true, "weight_decay": 0.2, "beta_1": 0.8}},
	{"rmsprop", kv{"learning_rate": 0.01}},
	{"rmsprop", kv{"learning_rate": 0.01, "momentum": 0.9}},
	{"rmsprop", kv{"learning_rate": 0.01, "centered": true}},
	{"rmsprop", kv{"learning_rate": 0.01, "momentum": 0.5, "centered": true, "weight_decay": 0.1, "clipnorm": 1.0, "rho": 0.8}},
	{"adagrad", kv{"learning_rate": 0.1}},
	{"adagrad", kv{"learning_rate": 0.1, "weight_decay": 0.1, "gradient_accumulation_steps": 3}},
	{"nadam", kv{}},
	{"nadam", kv{"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "weight_decay": 0.1}},
	{"nadam", kv{"learning_rate": 0.05, "clipnorm": 0.5, "gradient_accumulation_steps": 2}},
	{"nadam", kv{"learning_rate": 0.05, "use_ema": true, "ema_momentum": 0.9, "epsilon": 1e-3}},
	{"adamax", kv{}},
	{"adamax", kv{"learning_rate": 0.05, "beta_2": 0.9, "clipvalue": 0.2}},
	{"adamax", kv{"learning_rate": 0.05, "weight_decay": 0.3, "beta_1": 0.7, "epsilon": 1e-4}},
	{"adadelta", kv{}},
	{"adadelta", kv{"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}},
	{"adadelta", kv{"learning_rate": 1.0, "global_clipnorm": 0.5, "use_ema": true, "weight_decay": 0.01}},
	{"lion", kv{}},
	{"lion", kv{"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.5}},
	{"lion", kv{"learning_rate": 0.01, "beta_1": 1.0, "clipnorm": 0.1}},
	{"ftrl", kv{}},
	{"ftrl", kv{"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.1,
		"l2_shrinkage_regularization_strength": 0.05, "beta": 0.5, "learning_rate_power": -0.7, "initial_accumulator_value": 0.2}},
	{"ftrl", kv{"learning_rate": 0.1, "learning_rate_power": 0.0}},
	{"ftrl", kv{"learning_rate": 0.1, "weight_decay": 0.1, "clipvalue": 0.5, "l1_regularization_strength": 0.3}},
	{"adafactor", kv{}},
	{"adafactor", kv{"learning_rate": 0.05}},
	{"adafactor", kv{"learning_rate": 0.5, "clip_threshold": 0.5, "beta_2_decay": -0.5, "epsilon_2": 1e-2}},
	{"adafactor", kv{"learning_rate": 0.05, "relative_step": false, "weight_decay": 0.1, "gradient_accumulation_steps": 2}},
	{"adafactor", kv{"learning_rate": cosine(2.0, 4), "use_ema": true}},
	{"schedule_free_adamw", kv{}},
	{"schedule_free_adamw", kv{"learning_rate": 0.05, "warmup_steps": 3, "weight_decay": 0.1, "beta_1": 0.8, "beta_2": 0.99}},
	{"schedule_free_adamw", kv{"learning_rate": 0.05, "gradient_accumulation_steps": 2, "clipnorm": 0.5, "epsilon": 1e-6}},
	{"schedule_free_sgd", kv{}},
	{"schedule_free_sgd", kv{"learning_rate": 0.1, "warmup_steps": 3, "weight_decay": 0.1, "beta_1": 0.7}},
	{"schedule_free_sgd", kv{"learning_rate": cosine(0.2, 5), "gradient_accumulation_steps": 2, "clipvalue": 0.3}},
	{"muon", kv{}},
	{"muon", kv{"learning_rate": 0.02, "nesterov": false, "momentum": 0.9, "ns_steps": 3, "weight_decay": nil, "adam_lr_ratio": 0.5}},
	{"muon", kv{"learning_rate": 0.02, "global_clipnorm": 1.0, "muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5}},
}

// TestKerasReference runs every optimizer, from its Keras config, on the
// same small problem as the NumPy transcription of Keras's formulas and
// compares the weights after every step (and the EMA averages).
func TestKerasReference(t *testing.T) {
	var req struct {
		Cases []refCase `json:"cases"`
	}
	for _, c := range refCases {
		req.Cases = append(req.Cases, refProblem(c.opt, c.cfg))
	}
	var out struct {
		Cases [][][][]float64 `json:"cases"`
		EMA   [][][][]float64 `json:"ema"`
	}
	kerasReference(t, req, &out)
	for ci, c := range refCases {
		rc := req.Cases[ci]
		name := fmt.Sprintf("%s %v", c.opt, c.cfg)
		t.Run(name, func(t *testing.T) {
			o, err := FromConfig(c.opt, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			w := make([]*tensor.Tensor, len(rc.Shapes))
			for i, s := range rc.Shapes {
				w[i] = tensor.New(s...)
				for j, v := range rc.Start[i] {
					w[i].Data[j] = float32(v)
				}
			}
			for s, step := range rc.Grads {
				g := make([]*tensor.Tensor, len(step))
				for i, d := range step {
					g[i] = tensor.New(rc.Shapes[i]...)
					for j, v := range d {
						g[i].Data[j] = float32(v)
					}
				}
				o.Apply(w, g)
				avg := map[string]*tensor.Tensor{}
				for _, sl := range o.State() {
					if strings.HasPrefix(sl.Name, "average/") {
						avg[sl.Name] = sl.Value
					}
				}
				for i := range w {
					// float32 against float64: the tolerance is a few float32
					// roundings of w plus a small fraction of how far w moved,
					// so that tiny steps (Adadelta's default rate) still count.
					check := func(what string, got []float32, want []float64) {
						for j, x := range want {
							moved := math.Abs(x - rc.Start[i][j])
							if d := math.Abs(float64(got[j]) - x); d > 1e-6*(1+math.Abs(x))+1e-3*moved || math.IsNaN(float64(got[j])) {
								t.Errorf("step %d: %s%d[%d] = %.8g, Keras (NumPy) %.8g", s+1, what, i, j, got[j], x)
								return
							}
						}
					}
					check("w", w[i].Data, out.Cases[ci][s][i])
					if a := avg[fmt.Sprintf("average/%d", i)]; a != nil {
						check("average", a.Data, out.EMA[ci][s][i])
					} else if c.cfg["use_ema"] == true {
						t.Fatalf("use_ema: no average/%d slot in State()", i)
					}
				}
			}
		})
	}
}
