package nn_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestRepeatVectorKnown follows keras/src/layers/reshaping/
// repeat_vector.py: (batch, features) becomes (batch, n, features), each
// row a copy of the sample; the gradient of a feature is the sum of its
// n copies' gradients.
func TestRepeatVectorKnown(t *testing.T) {
	l := &nn.RepeatVector{N: 3}
	x := &tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{1, 2, 3, 4}}
	y := runLayer(t, l, x)
	if !y.Shape.Equal(tensor.Shape{2, 3, 2}) || fmt.Sprint(y.Data) != "[1 2 1 2 1 2 3 4 3 4 3 4]" {
		t.Errorf("forward: %v %v, want (2, 3, 2) [1 2 1 2 1 2 3 4 3 4 3 4]", y.Shape, y.Data)
	}
	dy := &tensor.Tensor{Shape: tensor.Shape{2, 3, 2}, Data: []float32{1, 10, 2, 20, 3, 30, -1, 0, -2, 0, -3, 5}}
	if dx := l.Backward(dy); fmt.Sprint(dx.Data) != "[6 60 -6 5]" || !dx.Shape.Equal(tensor.Shape{2, 2}) {
		t.Errorf("backward: %v %v, want (2, 2) [6 60 -6 5]", dx.Shape, dx.Data)
	}
	// Keras's docstring example: (32,) repeated 3 times is (3, 32).
	if out, err := (&nn.RepeatVector{N: 3}).OutputShape(tensor.Shape{32}); err != nil || !out.Equal(tensor.Shape{3, 32}) {
		t.Errorf("Keras's example: %v, %v", out, err)
	}
}

func TestRepeatVectorGradients(t *testing.T) {
	nntest.CheckGradients(t, &nn.RepeatVector{N: 4}, tensor.Shape{5}, nntest.GradOptions{Batch: 3, MaxChecks: 200})
}

func TestRepeatVectorConfig(t *testing.T) {
	var cfg map[string]any
	json.Unmarshal([]byte(`{"name": "repeat_vector", "trainable": true, "dtype": "float32", "n": 7}`), &cfg)
	l, err := nn.FromConfig("RepeatVector", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := l.(*nn.RepeatVector); r.N != 7 || r.Name != "repeat_vector" {
		t.Errorf("read %+v", r)
	}
	roundTrip(t, l)
	roundTrip(t, &nn.RepeatVector{Name: "r", N: 2, InputShape: tensor.Shape{8}})
	for _, c := range []struct {
		l    *nn.RepeatVector
		in   tensor.Shape
		want string
	}{
		{&nn.RepeatVector{}, tensor.Shape{4}, "n is 0; give the number of repeats"},
		{&nn.RepeatVector{N: -2}, tensor.Shape{4}, "n is -2"},
		{&nn.RepeatVector{N: 2}, tensor.Shape{2, 3}, "add a Flatten before it"},
		{&nn.RepeatVector{N: 1 << 40}, tensor.Shape{1 << 20}, "more than 2^50"},
	} {
		if _, err := c.l.OutputShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %v: err = %v, want %q", c.l, c.in, err, c.want)
		}
	}
	json.Unmarshal([]byte(`{"name": "r", "n": 2.5}`), &cfg)
	if _, err := nn.FromConfig("RepeatVector", cfg); err == nil {
		t.Errorf("n 2.5: no error")
	}
}

func TestRepeatVectorNoAllocs(t *testing.T) {
	checkNoAllocs(t, &nn.RepeatVector{N: 3}, tensor.Shape{6})
}
