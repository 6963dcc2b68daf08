package nn_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestIdentity follows keras/src/layers/core/identity.py: the output is
// the input and the gradient is the output's, unchanged, for any shape.
func TestIdentity(t *testing.T) {
	for _, in := range []tensor.Shape{{4}, {3, 2}, {4, 4, 3}} {
		l := &nn.Identity{}
		if err := l.Build(in, nil); err != nil {
			t.Fatal(err)
		}
		if out, err := l.OutputShape(in); err != nil || !out.Equal(in) {
			t.Errorf("OutputShape(%v) = %v, %v", in, out, err)
		}
		x := tensor.New(append(tensor.Shape{2}, in...)...)
		if l.Forward(x, true) != x || l.Forward(x, false) != x || l.Backward(x) != x {
			t.Errorf("%v: Forward or Backward did not return its argument", in)
		}
	}
	nntest.CheckGradients(t, &nn.Identity{}, tensor.Shape{3, 2}, nntest.GradOptions{})
	// Keras's Identity writes Layer's keys only.
	var cfg map[string]any
	json.Unmarshal([]byte(`{"name": "identity", "trainable": false, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}}`), &cfg)
	l, err := nn.FromConfig("Identity", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if l.LayerName() != "identity" || nn.IsTrainable(l) {
		t.Errorf("read %+v (trainable %v)", l, nn.IsTrainable(l))
	}
	roundTrip(t, l)
	roundTrip(t, &nn.Identity{Name: "id", InputShape: tensor.Shape{5}})
	// In a model it changes nothing: Dense → Identity → Dense computes
	// what Dense → Dense with the same weights does, forward and backward.
	build := func(mid ...nn.Layer) *nn.Stack {
		s := &nn.Stack{}
		s.Add(&nn.Dense{Units: 4, InputShape: tensor.Shape{3}})
		s.Add(mid...)
		s.Add(&nn.Dense{Units: 2})
		if err := s.Build(nil, 1); err != nil {
			t.Fatal(err)
		}
		return s
	}
	with, without := build(&nn.Identity{}), build()
	for i, l := range []int{0, 2} {
		for k, p := range with.Layers[l].Params() {
			copy(p.Value.Data, without.Layers[i].Params()[k].Value.Data)
		}
	}
	x := tensor.New(2, 3)
	for i := range x.Data {
		x.Data[i] = float32(i) - 2.5
	}
	var ys, gs []string
	for _, s := range []*nn.Stack{with, without} {
		y := s.Forward(x, true)
		ys = append(ys, fmt.Sprint(y.Data))
		s.Backward(y)
		gs = append(gs, fmt.Sprint(s.Layers[0].Params()[0].Grad.Data))
	}
	if ys[0] != ys[1] || gs[0] != gs[1] {
		t.Errorf("with Identity: y %s, first kernel's gradient %s; without: %s, %s", ys[0], gs[0], ys[1], gs[1])
	}
}
