package optim

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// multiVars is four variables with paths, values and per-step gradients.
var multiNames = []string{"conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"}

func multiVars(seed uint64) (vals []*tensor.Tensor, grads [][]*tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 7))
	shapes := [][]int{{3, 3, 1, 2}, {2}, {4, 3}, {3}}
	for _, s := range shapes {
		t := tensor.New(s...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		vals = append(vals, t)
	}
	for range 5 {
		var step []*tensor.Tensor
		for _, s := range shapes {
			t := tensor.New(s...)
			for i := range t.Data {
				t.Data[i] = float32(r.NormFloat64())
			}
			step = append(step, t)
		}
		grads = append(grads, step)
	}
	return vals, grads
}

func clones(ts []*tensor.Tensor) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}

// TestMultiOptimizerMatchesItsParts: each variable ends exactly where its
// own optimizer, run alone on the same share of the variables, takes it.
func TestMultiOptimizerMatchesItsParts(t *testing.T) {
	mk := func() (*MultiOptimizer, *Adam, *SGD) {
		a := &Adam{LR: 0.01, LRMultipliers: LRMultipliers{"bias": 2}}
		s := &SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}
		return &MultiOptimizer{Default: s, Routes: []Route{{"conv2d/.*", a}}}, a, s
	}
	m, _, _ := mk()
	vals, grads := multiVars(1)
	if err := m.SetVariableNames(multiNames); err != nil {
		t.Fatal(err)
	}
	got := clones(vals)
	for _, g := range grads {
		m.Apply(got, g)
	}
	// The parts alone: Adam on conv2d's, SGD on dense's.
	_, a, s := mk()
	if err := a.SetVariableNames(multiNames[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVariableNames(multiNames[2:]); err != nil {
		t.Fatal(err)
	}
	want := clones(vals)
	for _, g := range grads {
		a.Apply(want[:2], g[:2])
		s.Apply(want[2:], g[2:])
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Data, want[i].Data) {
			t.Fatalf("%s: %v, its own optimizer alone gives %v", multiNames[i], got[i].Data, want[i].Data)
		}
	}
	if m.Iterations() != 5 || a.Iterations() != 5 {
		t.Errorf("iterations %d (Adam's %d), want 5", m.Iterations(), a.Iterations())
	}
	if m.LearningRate() != 0.1 {
		t.Errorf("LearningRate %v, want the default optimizer's 0.1", m.LearningRate())
	}
}

func TestMultiOptimizerRouting(t *testing.T) {
	adam, sgd, rms := &Adam{}, &SGD{}, &RMSprop{}
	for _, c := range []struct {
		name   string
		routes []Route
		want   []Optimizer // per multiNames
		err    string
	}{
		{"exact beats expressions", []Route{{"conv2d/kernel", adam}, {"conv2d/.*", rms}}, []Optimizer{adam, rms, sgd, sgd}, ""},
		{"whole path only", []Route{{"dense", adam}, {"dense/bias", rms}}, nil, `key "dense" matches no trainable variable`},
		{"expression", []Route{{".*/bias", adam}}, []Optimizer{sgd, adam, sgd, adam}, ""},
		{"two expressions", []Route{{".*/bias", adam}, {"dense/.*", rms}}, nil, "all match variable dense/bias"},
		{"bad expression", []Route{{"dense/(", adam}}, nil, "neither a variable path nor a regular expression"},
		{"Keras's Sequential prefix", []Route{{"sequential/dense/.*", adam}}, nil, "leave out the model name"},
		{"same key twice", []Route{{"dense/.*", adam}, {"dense/.*", rms}}, nil, "two routes"},
		{"nested", []Route{{"dense/.*", &MultiOptimizer{Default: adam}}}, nil, "cannot be nested"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &MultiOptimizer{Default: sgd, Routes: c.routes}
			err := m.SetVariableNames(multiNames)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for v, k := range m.group {
				if m.inner[k] != c.want[v] {
					t.Errorf("%s goes to %s, want %s", multiNames[v], m.inner[k].Name(), c.want[v].Name())
				}
			}
		})
	}
	if err := (&MultiOptimizer{}).SetVariableNames(multiNames); err == nil || !strings.Contains(err.Error(), "no Default") {
		t.Errorf("no default: %v", err)
	}
}

// TestMultiOptimizerNoRoutesNoNames: without routes every variable is
// Default's, named or not; with routes, Apply needs the names.
func TestMultiOptimizerNoRoutesNoNames(t *testing.T) {
	vals, grads := multiVars(2)
	m := &MultiOptimizer{Default: &Adam{}}
	got := clones(vals)
	m.Apply(got, grads[0])
	want := clones(vals)
	(&Adam{}).Apply(want, grads[0])
	if !reflect.DeepEqual(got[2].Data, want[2].Data) {
		t.Error("a MultiOptimizer without routes differs from its default optimizer")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "SetVariableNames") {
			t.Errorf("Apply with routes but no names: %v, want a panic naming SetVariableNames", r)
		}
	}()
	(&MultiOptimizer{Default: &SGD{}, Routes: []Route{{"dense/.*", &Adam{}}}}).Apply(clones(vals), grads[0])
}

// TestMultiOptimizerConfigAndState: the config survives JSON (as a model
// file holds it), and a copy restored from State continues bit for bit.
func TestMultiOptimizerConfigAndState(t *testing.T) {
	m := &MultiOptimizer{Default: &SGD{LR: 0.05, Momentum: 0.9}, Routes: []Route{
		{"dense/.*", &AdamW{LR: 0.003, WeightDecay: 0.01}},
		{"conv2d/bias", &Adam{}},
	}}
	vals, grads := multiVars(3)
	if err := m.SetVariableNames(multiNames); err != nil {
		t.Fatal(err)
	}
	for _, g := range grads[:3] {
		m.Apply(vals, g)
	}
	data, err := json.Marshal(m.Config())
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	o, err := FromConfig(ClassName(m.Name()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := o.(*MultiOptimizer)
	if !reflect.DeepEqual(normalize(t, c.Config()), normalize(t, m.Config())) {
		t.Fatalf("config after a JSON round trip:\n%v\nwant\n%v", c.Config(), m.Config())
	}
	if err := c.SetVariableNames(multiNames); err != nil {
		t.Fatal(err)
	}
	// Refusals leave the copy untouched.
	st := m.State()
	if len(st) == 0 {
		t.Fatal("no state")
	}
	bad := append([]Slot(nil), st...)
	bad[0] = Slot{Name: "9/" + st[0].Name[2:], Value: st[0].Value}
	if err := c.SetState(3, bad); err == nil || !strings.Contains(err.Error(), "does not name one of its") {
		t.Errorf("a slot of a tenth optimizer: %v", err)
	}
	bad[0] = Slot{Name: st[0].Name, Value: tensor.New(7)}
	if err := c.SetState(3, bad); err == nil {
		t.Error("a slot of the wrong shape was taken")
	}
	if len(c.State()) != 0 || c.Iterations() != 0 {
		t.Fatalf("a refused SetState changed the state: %d slots, %d iterations", len(c.State()), c.Iterations())
	}
	if err := c.SetState(m.Iterations(), st); err != nil {
		t.Fatal(err)
	}
	// Once it has state, a slot of the wrong shape is refused too.
	bad[0] = Slot{Name: st[0].Name, Value: tensor.New(7)}
	if err := c.SetState(3, bad); err == nil {
		t.Error("a slot of the wrong shape was taken over existing state")
	}
	cv := clones(vals)
	for _, g := range grads[3:] {
		m.Apply(vals, g)
		c.Apply(cv, g)
	}
	for i := range vals {
		if !reflect.DeepEqual(vals[i].Data, cv[i].Data) {
			t.Fatalf("%s differs after restoring the state", multiNames[i])
		}
	}
}

func normalize(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMultiOptimizerKerasConfig reads the config Keras's
// MultiOptimizer.get_config writes (keras/src/optimizers/
// multi_optimizer.py: optimizer_map as serialize_keras_object writes an
// OptimizerMap, loss_scale_factor, name), and refuses what it cannot run.
func TestMultiOptimizerKerasConfig(t *testing.T) {
	const keras = `{"optimizer_map": {"module": "keras.optimizers", "class_name": "OptimizerMap",
	  "config": {"default_optimizer": {"module": "keras.optimizers", "class_name": "SGD",
	    "config": {"name": "SGD", "learning_rate": 0.01, "weight_decay": null, "clipnorm": null,
	      "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
	      "ema_overwrite_frequency": null, "loss_scale_factor": null,
	      "gradient_accumulation_steps": null, "momentum": 0.0, "nesterov": false},
	    "registered_name": null},
	  "optimizer_map": {"dense/.*": {"module": "keras.optimizers", "class_name": "Adam",
	    "config": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
	      "epsilon": 1e-07, "amsgrad": false}, "registered_name": null}}},
	  "registered_name": null},
	  "loss_scale_factor": null, "name": "multi_optimizer"}`
	var cfg map[string]any
	if err := json.Unmarshal([]byte(keras), &cfg); err != nil {
		t.Fatal(err)
	}
	o, err := FromConfig("multioptimizer", cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := o.(*MultiOptimizer)
	if _, ok := m.Default.(*SGD); !ok || len(m.Routes) != 1 || m.Routes[0].Key != "dense/.*" {
		t.Fatalf("read %+v", m)
	}
	if _, ok := m.Routes[0].Opt.(*Adam); !ok {
		t.Fatalf("route optimizer %T, want *Adam", m.Routes[0].Opt)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"loss_scale_factor": null, "name"`, `"loss_scale_factor": 128, "name"`, "loss scaling"},
		{`"name": "multi_optimizer"`, `"name": "multi_optimizer", "learning_rate": 0.1`, `unknown multi_optimizer option "learning_rate"`},
		{`"class_name": "OptimizerMap"`, `"class_name": "Callable"`, "gokeras reads an OptimizerMap"},
		{`"class_name": "Adam"`, `"class_name": "MultiOptimizer"`, "cannot be nested"},
	} {
		var bad map[string]any
		if err := json.Unmarshal([]byte(strings.Replace(keras, c.from, c.to, 1)), &bad); err != nil {
			t.Fatal(err)
		}
		if _, err := FromConfig("multioptimizer", bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.to, err, c.want)
		}
	}
}

// TestMultiOptimizerNoAllocs: a step allocates nothing once the inner
// optimizers have made their state.
func TestMultiOptimizerNoAllocs(t *testing.T) {
	m := &MultiOptimizer{Default: &SGD{Momentum: 0.9}, Routes: []Route{{"dense/.*", &Adam{}}}}
	vals, grads := multiVars(4)
	if err := m.SetVariableNames(multiNames); err != nil {
		t.Fatal(err)
	}
	m.Apply(vals, grads[0])
	if n := testing.AllocsPerRun(20, func() { m.Apply(vals, grads[1]) }); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}

// TestMultiOptimizerEMA: the averages come back in Apply's order when
// every inner optimizer keeps them, and FinalizeVariableValues puts each
// one's into its own variables.
func TestMultiOptimizerEMA(t *testing.T) {
	ema := EMA{Use: true, Momentum: 0.5}
	a, s := &Adam{EMA: ema}, &SGD{EMA: ema}
	m := &MultiOptimizer{Default: s, Routes: []Route{{"dense/.*", a}}}
	vals, grads := multiVars(5)
	if err := m.SetVariableNames(multiNames); err != nil {
		t.Fatal(err)
	}
	for _, g := range grads {
		m.Apply(vals, g)
	}
	avg := m.EMAAverages()
	if len(avg) != 4 || avg[0] != s.EMAAverages()[0] || avg[1] != s.EMAAverages()[1] || avg[2] != a.EMAAverages()[0] || avg[3] != a.EMAAverages()[1] {
		t.Fatalf("averages not in Apply's order: %v", avg)
	}
	want := clones(avg)
	m.FinalizeVariableValues(vals)
	for i := range vals {
		if !reflect.DeepEqual(vals[i].Data, want[i].Data) {
			t.Errorf("%s after FinalizeVariableValues is not its average", multiNames[i])
		}
	}
	s.EMA = EMA{}
	if m.EMAAverages() != nil {
		t.Error("averages reported while one inner optimizer keeps none")
	}
}
