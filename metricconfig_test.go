package gokeras_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestMetricObjectsSaved: metrics with settings go into compile_config as
// Keras metric objects ({"class_name": "AUC", "config": {...}}), metrics
// given by name as their name, and both come back from ParseModelJSON.
func TestMetricObjectsSaved(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 1, Activation: activation.Sigmoid, InputShape: tensor.Shape{3}})
	prec, err := metric.Parse("precision")
	if err != nil {
		t.Fatal(err)
	}
	ms := []metric.Metric{&metric.AUC{Curve: "PR", NumThresholds: 50}, prec, &metric.Recall{Threshold: new(0.3), LogName: "recall_at_0.3"}}
	if err := m.Compile(loss.BinaryCrossentropy{}, &optim.Adam{}, ms...); err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"class_name": "AUC"`, `"curve": "PR"`, `"num_thresholds": 50`, `"precision"`, `"name": "recall_at_0.3"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("model file lacks %s:\n%s", want, js)
		}
	}
	spec, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	got := spec.Model.Metrics()
	if len(got) != len(ms) {
		t.Fatalf("read back %d metrics, want %d", len(got), len(ms))
	}
	for i := range ms {
		want, _ := metric.Fresh(ms[i])
		back, _ := metric.Fresh(got[i])
		if !reflect.DeepEqual(want, back) {
			t.Errorf("metric %d: read back %#v, want %#v", i, back, want)
		}
	}
}

// TestMetricObjectErrors: unknown keys in a metric object or its config,
// and settings gokeras lacks, are errors that name them.
func TestMetricObjectErrors(t *testing.T) {
	model := func(metrics string) string {
		return `{"class_name": "Sequential", "config": {"name": "s", "layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "input_layer"}},
  {"class_name": "Dense", "config": {"name": "dense", "units": 1, "activation": "sigmoid"}}]},
 "compile_config": {"optimizer": "adam", "loss": "binary_crossentropy", "metrics": ` + metrics + `}}`
	}
	cases := []struct{ metrics, want string }{
		{`[{"module": "keras.metrics", "class_name": "AUC", "config": {"name": "auc", "curve": "PR", "bogus": 1}, "registered_name": null}]`, `unknown key "bogus"`},
		{`[{"class_name": "AUC", "config": {}, "extra": 1}]`, `unknown key "extra"`},
		{`[{"class_name": "Precision", "config": {"thresholds": [0.3, 0.6]}}]`, "give one threshold"},
		{`[{"class_name": "MeanIoU", "config": {"name": "miou"}}]`, "num_classes is required"},
		{`[{"class_name": "Sum", "config": {}}]`, `unknown metric class "Sum"`},
		{`["rmse"]`, `unknown metric "rmse"`},
		{`[3]`, "must hold metric names"},
	}
	for _, c := range cases {
		_, err := gokeras.ParseModelJSON([]byte(model(c.metrics)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("metrics %s: got %v, want an error with %q", c.metrics, err, c.want)
		}
	}
	spec, err := gokeras.ParseModelJSON([]byte(model(`["auc", "AUC", {"class_name": "MeanIoU", "config": {"name": "miou", "num_classes": 2, "dtype": "int"}}]`)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mt := range spec.Model.Metrics() {
		names = append(names, mt.Name())
	}
	if strings.Join(names, ",") != "auc,AUC,miou" {
		t.Errorf("metric names %v, want auc, AUC, miou (Keras logs a metric under the name it was given)", names)
	}
}

// TestEvaluateAUC: "auc" in compile logs Keras's AUC under "auc"; with
// predictions that rank every positive above every negative it is 1.
func TestEvaluateAUC(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 1, Activation: activation.Sigmoid, InputShape: tensor.Shape{1}})
	if err := m.CompileNamed("binary_crossentropy", "adam", "auc", "precision", "recall"); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice([]float32{-3, -2, -1, 1, 2, 3}, 6, 1)
	y, _ := tensor.FromSlice([]float32{0, 0, 0, 1, 1, 1}, 6, 1)
	if _, err := m.Predict(x, 6); err != nil {
		t.Fatal(err)
	}
	// A positive weight: larger x scores higher.
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	ws[0].Data[0], ws[1].Data[0] = 4, 0
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	logs, err := m.Evaluate(x, y, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"auc", "precision", "recall"} {
		if v, ok := logs[k]; !ok || math.Abs(v-1) > 1e-6 {
			t.Errorf("logs[%q] = %v (present %v), want 1", k, v, ok)
		}
	}
}
