package gokeras_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// twoByTwo is a model with two inputs ("a", 3 features; "b", 2) and two
// outputs: "same_sign", whether a's and b's first features have the same
// sign (a softmax over 2 classes), and "total", the sum of every feature.
func twoByTwo(n int, seed uint64) (*gokeras.Model, *tensor.Tensor, *tensor.Tensor, *tensor.Tensor, *tensor.Tensor) {
	a := &nn.InputLayer{Name: "a", Shape: tensor.Shape{3}}
	b := &nn.InputLayer{Name: "b", Shape: tensor.Shape{2}}
	h := nn.Call(&nn.Dense{Units: 16, Activation: activation.ReLU}, nn.Merge(&nn.Concatenate{},
		nn.Call(&nn.Dense{Units: 8, Activation: activation.Tanh}, a), nn.Call(&nn.Dense{Units: 8, Activation: activation.Tanh}, b)))
	sign := nn.Call(&nn.Dense{Name: "same_sign", Units: 2, Activation: activation.Softmax}, h)
	total := nn.Call(&nn.Dense{Name: "total", Units: 1}, nn.Merge(&nn.Concatenate{}, a, b))
	m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{sign, total})
	if err != nil {
		panic(err)
	}
	m.Seed = seed
	r := rand.New(rand.NewPCG(seed, 9))
	xa, xb, ys, yt := tensor.New(n, 3), tensor.New(n, 2), tensor.New(n), tensor.New(n, 1)
	for i := range n {
		var sum float32
		for j := range 3 {
			xa.Data[i*3+j] = float32(r.NormFloat64())
			sum += xa.Data[i*3+j]
		}
		for j := range 2 {
			xb.Data[i*2+j] = float32(r.NormFloat64())
			sum += xb.Data[i*2+j]
		}
		if (xa.Data[i*3] > 0) == (xb.Data[i*2] > 0) {
			ys.Data[i] = 1
		}
		yt.Data[i] = sum
	}
	return m, xa, xb, ys, yt
}

// A model with two inputs and two outputs: inputs and targets by name,
// one loss, loss weight and metrics per output, and the logs Keras
// writes for them.
func ExampleModel_FitMulti() {
	m, xa, xb, sameSign, total := twoByTwo(512, 1)
	err := m.CompileOutputs(&optim.Adam{LR: 0.01},
		gokeras.Output{Name: "same_sign", Loss: loss.SparseCategoricalCrossentropy{}, Metrics: []metric.Metric{&metric.Accuracy{}}},
		gokeras.Output{Name: "total", Loss: loss.MSE{}, LossWeight: 0.5, Metrics: []metric.Metric{&metric.MAE{}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	hist, err := m.FitMulti(gokeras.Named{"a": xa, "b": xb}, gokeras.Named{"same_sign": sameSign, "total": total},
		gokeras.FitOptions{Epochs: 2, ValidationSplit: 0.2, Verbose: train.Silent})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := gokeras.Logs{}
	for k := range hist.History {
		last[k], _ = hist.Last(k)
	}
	fmt.Println(strings.Join(last.Keys(), " "))
	outs, err := m.PredictMulti(gokeras.List{xa, xb}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.OutputNames(), outs[0].Shape, outs[1].Shape)
	// Output:
	// loss same_sign_accuracy same_sign_loss total_loss total_mae val_loss val_same_sign_accuracy val_same_sign_loss val_total_loss val_total_mae
	// [same_sign total] (512, 2) (512, 1)
}

// The root API trains both heads to clear results, Evaluate agrees with
// the loss recomputed from PredictMulti, concurrent EvaluateMulti calls
// give the same logs, and the single-array calls say what to use.
func TestModelSeveralInputsAndOutputs(t *testing.T) {
	m, xa, xb, ys, yt := twoByTwo(1024, 2)
	if err := m.CompileOutputs(&optim.Adam{LR: 0.01},
		gokeras.Output{Loss: loss.SparseCategoricalCrossentropy{}, Metrics: []metric.Metric{&metric.Accuracy{}}},
		gokeras.Output{Loss: loss.MSE{}, LossWeight: 0.5}); err != nil {
		t.Fatal(err)
	}
	x, y := gokeras.List{xa, xb}, gokeras.List{ys, yt}
	h, err := m.FitMulti(x, y, gokeras.FitOptions{Epochs: 30, ValidationSplit: 0.25, Verbose: train.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := h.Last("val_same_sign_accuracy"); acc < 0.9 {
		t.Errorf("val_same_sign_accuracy %v after 30 epochs, want at least 0.9", acc)
	}
	if l, _ := h.Last("val_total_loss"); l > 0.05 {
		t.Errorf("val_total_loss %v after 30 epochs, want at most 0.05 (a linear head on a sum)", l)
	}
	if m.Epoch() != 30 {
		t.Errorf("Epoch() = %d after 30 epochs", m.Epoch())
	}
	logs, err := m.EvaluateMulti(x, y, gokeras.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := m.PredictMulti(gokeras.Named{"b": xb, "a": xa}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var mse float64
	for i, v := range yt.Data {
		d := float64(outs[1].Data[i] - v)
		mse += d * d / float64(len(yt.Data))
	}
	if math.Abs(logs["total_loss"]-mse) > 1e-4*(1+mse) {
		t.Errorf("evaluated total_loss %v, from PredictMulti %v", logs["total_loss"], mse)
	}
	if want := logs["same_sign_loss"] + 0.5*logs["total_loss"]; math.Abs(logs["loss"]-want) > 1e-5 {
		t.Errorf("loss %v, want same_sign_loss + 0.5·total_loss = %v", logs["loss"], want)
	}
	var wg sync.WaitGroup
	got := make([]gokeras.Logs, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = m.EvaluateMulti(x, y, gokeras.EvaluateOptions{})
		}()
	}
	wg.Wait()
	for i, g := range got {
		for k, v := range logs {
			if g[k] != v {
				t.Errorf("concurrent EvaluateMulti %d: %s = %v, alone %v", i, k, g[k], v)
			}
		}
	}
	if _, err := m.Fit(xa, ys, gokeras.FitOptions{Verbose: train.Silent}); err == nil || !strings.Contains(err.Error(), "FitMulti") {
		t.Errorf("Fit of a two-input model: %v", err)
	}
	if _, err := m.Evaluate(xa, ys, 0); err == nil || !strings.Contains(err.Error(), "EvaluateMulti") {
		t.Errorf("Evaluate of a two-input model: %v", err)
	}
	if _, err := m.Predict(xa, 0); err == nil || !strings.Contains(err.Error(), "PredictMulti") {
		t.Errorf("Predict of a two-input model: %v", err)
	}
}

// A model compiled per output writes its compile_config in Keras's dict
// form and reads back compiled the same; hand-written list forms and a
// single loss for every output read too, and bad entries are errors.
func TestCompileConfigPerOutput(t *testing.T) {
	m, xa, xb, ys, yt := twoByTwo(64, 3)
	if err := m.CompileOutputs(&optim.Adam{},
		gokeras.Output{Name: "same_sign", Loss: loss.SparseCategoricalCrossentropy{}, Metrics: []metric.Metric{&metric.Accuracy{}}},
		gokeras.Output{Name: "total", Loss: loss.MSE{}, LossWeight: 0.5, WeightedMetrics: []metric.Metric{&metric.MAE{}}}); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CompileConfig map[string]any `json:"compile_config"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc.CompileConfig)
	want := `{"loss":{"same_sign":"sparse_categorical_crossentropy","total":"mean_squared_error"},"loss_weights":{"same_sign":1,"total":0.5},"metrics":{"same_sign":["accuracy"]},"optimizer":`
	if !strings.HasPrefix(string(got), want) || !strings.Contains(string(got), `"weighted_metrics":{"total":["mae"]}`) {
		t.Errorf("compile_config %s, want it to start %s and hold weighted_metrics {total: [mae]}", got, want)
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	x, y := gokeras.List{xa, xb}, gokeras.List{ys, yt}
	h, err := spec.Model.FitMulti(x, y, gokeras.FitOptions{Verbose: train.Silent})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range h.History {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, " "); got != "loss same_sign_accuracy same_sign_loss total_loss total_mae" {
		t.Errorf("logs of the model read back: %s", got)
	}
	// Save and Load: the same compile, the same evaluation.
	path := filepath.Join(t.TempDir(), "two.gk")
	if err := spec.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := spec.Model.EvaluateMulti(x, y, gokeras.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := back.EvaluateMulti(gokeras.Named{"a": xa, "b": xb}, gokeras.Named{"same_sign": ys, "total": yt}, gokeras.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l1) != 5 || len(l2) != len(l1) {
		t.Errorf("logs %v before Save, %v after Load", l1, l2)
	}
	for k, v := range l1 {
		if l2[k] != v {
			t.Errorf("%s = %v before Save, %v after Load", k, v, l2[k])
		}
	}
	// Hand-written forms, and errors.
	head, _, _ := strings.Cut(string(js), `"compile_config"`)
	for _, c := range []struct {
		cc, err string
	}{
		{`{"optimizer": "adam", "loss": ["sparse_categorical_crossentropy", "mse"], "loss_weights": [1, 0.25], "metrics": ["accuracy", ["mae", "mse"]]}`, ""},
		{`{"optimizer": "adam", "loss": "mse"}`, ""},
		{`{"optimizer": "adam", "loss": {"total": "mse"}}`, ""},
		{`{"optimizer": "adam", "loss": {"totl": "mse"}}`, `loss has key "totl", which names none of the model's outputs (same_sign, total)`},
		{`{"optimizer": "adam", "loss": ["mse"]}`, "loss has 1 entries for a model with 2 outputs"},
		{`{"optimizer": "adam", "loss": "mse", "loss_weights": {"total": -1}}`, `loss_weights of output "total" is -1`},
		{`{"optimizer": "adam", "loss": "mse", "loss_weights": [1, 0]}`, "null loss"},
		{`{"optimizer": "adam", "loss": ["mse", 3]}`, `loss of output "total"`},
		{`{"optimizer": "adam", "loss": "mse", "metrics": ["accuracy"]}`, "metrics has 1 entries"},
		{`{"optimizer": "adam", "loss": "mse", "metrics": {"total": ["nope"]}}`, `metrics of output "total"`},
	} {
		file := head + `"compile_config": ` + c.cc + "}"
		_, err := gokeras.ParseModelJSON([]byte(file))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.cc, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one containing %q", c.cc, err, c.err)
		}
	}
}

func TestCompileOutputsErrors(t *testing.T) {
	m, _, _, _, _ := twoByTwo(8, 1)
	ce := loss.SparseCategoricalCrossentropy{}
	cases := []struct {
		name string
		outs []gokeras.Output
		want string
	}{
		{"too few in a list", []gokeras.Output{{Loss: ce}}, "1 outputs for a model with 2 (same_sign, total)"},
		{"unknown name", []gokeras.Output{{Name: "sign", Loss: ce}}, `"sign" names none of the model's outputs (same_sign, total)`},
		{"mixed", []gokeras.Output{{Name: "same_sign", Loss: ce}, {Loss: loss.MSE{}}}, "name every output"},
		{"twice", []gokeras.Output{{Name: "total", Loss: ce}, {Name: "total", Loss: loss.MSE{}}}, "given twice"},
		{"no loss", []gokeras.Output{{}, {}}, "no output has a loss"},
		{"negative weight", []gokeras.Output{{Loss: ce, LossWeight: -1}, {Loss: loss.MSE{}}}, "non-negative"},
	}
	for _, c := range cases {
		if err := m.CompileOutputs(&optim.Adam{}, c.outs...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// Compile with one loss gives it to every output (Keras); its metrics
	// list would need one entry per output.
	if err := m.Compile(loss.MSE{}, &optim.Adam{}, &metric.MAE{}); err == nil || !strings.Contains(err.Error(), "CompileOutputs") {
		t.Errorf("Compile with metrics on a two-output model: %v", err)
	}
	if err := m.Compile(loss.MSE{}, &optim.Adam{}); err != nil {
		t.Fatal(err)
	}
	// Named, an output left out has no loss and takes no targets.
	if err := m.CompileOutputs(&optim.SGD{}, gokeras.Output{Name: "total", Loss: loss.MSE{}}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeightedMetrics(&metric.MAE{}); err == nil || !strings.Contains(err.Error(), "CompileOutputs") {
		t.Errorf("SetWeightedMetrics on a model compiled per output: %v", err)
	}
	_, xa, xb, _, yt := twoByTwo(8, 1)
	h, err := m.FitMulti(gokeras.List{xa, xb}, gokeras.Named{"total": yt}, gokeras.FitOptions{Verbose: train.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.History) != 1 || h.History["loss"] == nil {
		t.Errorf("logs %v, want only loss", h.History)
	}
}
