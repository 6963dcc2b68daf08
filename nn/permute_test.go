package nn_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestPermuteKnown follows keras/src/layers/reshaping/permute.py: output
// axis a (after the batch) is input axis Dims[a], counted from 1, which
// is ops.transpose(x, (0,) + dims). Each output value is looked up
// directly by that definition: its position o maps to the input position
// whose axis Dims[a]−1 is o[a].
func TestPermuteKnown(t *testing.T) {
	// Keras's docstring example: (10, 64) with (2, 1) is (64, 10).
	if out, err := (&nn.Permute{Dims: []int{2, 1}}).OutputShape(tensor.Shape{10, 64}); err != nil || !out.Equal(tensor.Shape{64, 10}) {
		t.Errorf("Keras's example: %v, %v; want (64, 10)", out, err)
	}
	// A 2x3 transpose written out by hand.
	x := &tensor.Tensor{Shape: tensor.Shape{1, 2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}
	y := runLayer(t, &nn.Permute{Dims: []int{2, 1}}, x)
	if !y.Shape.Equal(tensor.Shape{1, 3, 2}) || fmt.Sprint(y.Data) != "[1 4 2 5 3 6]" {
		t.Errorf("transpose: %v %v, want (1, 3, 2) [1 4 2 5 3 6]", y.Shape, y.Data)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		in   tensor.Shape
		dims []int
	}{
		{tensor.Shape{2, 3, 4}, []int{3, 1, 2}},
		{tensor.Shape{2, 3, 4}, []int{2, 3, 1}},
		{tensor.Shape{2, 3, 4}, []int{1, 3, 2}},
		{tensor.Shape{3, 1, 2, 5}, []int{4, 2, 1, 3}},
	} {
		x := tensor.New(append(tensor.Shape{2}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(r.IntN(1000))
		}
		y := runLayer(t, &nn.Permute{Dims: c.dims}, x)
		out := make(tensor.Shape, len(c.in))
		for a, d := range c.dims {
			out[a] = c.in[d-1]
		}
		if !y.Shape[1:].Equal(out) {
			t.Fatalf("%v by %v: output %v, want %v", c.in, c.dims, y.Shape[1:], out)
		}
		m := c.in.Size()
		o := make([]int, len(out))
		for b := range 2 {
			for k := range m {
				// o = the output position of offset k; idx its input position.
				rem := k
				for a := len(out) - 1; a >= 0; a-- {
					o[a], rem = rem%out[a], rem/out[a]
				}
				off := 0
				for ax := range c.in {
					var v int
					for a, d := range c.dims {
						if d-1 == ax {
							v = o[a]
						}
					}
					off = off*c.in[ax] + v
				}
				if got, want := y.Data[b*m+k], x.Data[b*m+off]; got != want {
					t.Fatalf("%v by %v: y[%d] at %v = %v, want x[%d] = %v", c.in, c.dims, b, o, got, off, want)
				}
			}
		}
	}
	// (1, 2, ..., n) is the identity: the input itself.
	l := &nn.Permute{Dims: []int{1, 2}}
	if err := l.Build(tensor.Shape{2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	if x := tensor.New(4, 2, 3); l.Forward(x, true) != x {
		t.Errorf("dims (1, 2): the output is not the input")
	}
}

func TestPermuteGradients(t *testing.T) {
	nntest.CheckGradients(t, &nn.Permute{Dims: []int{3, 1, 2}}, tensor.Shape{2, 3, 4}, nntest.GradOptions{Batch: 2, MaxChecks: 200})
}

func TestPermuteConfig(t *testing.T) {
	var cfg map[string]any
	json.Unmarshal([]byte(`{"name": "permute", "trainable": true, "dtype": "float32", "dims": [3, 1, 2]}`), &cfg)
	l, err := nn.FromConfig("Permute", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.(*nn.Permute); fmt.Sprint(p.Dims) != "[3 1 2]" || p.Name != "permute" {
		t.Errorf("read %+v", p)
	}
	roundTrip(t, l)
	roundTrip(t, &nn.Permute{Name: "p", Dims: []int{2, 1}, InputShape: tensor.Shape{3, 4}})
	for _, c := range []struct {
		dims []int
		in   tensor.Shape
		want string
	}{
		{nil, tensor.Shape{3, 4}, "dims is empty"},
		{[]int{0, 1}, tensor.Shape{3, 4}, "not a permutation of 1..2"},
		{[]int{1, 1}, tensor.Shape{3, 4}, "not a permutation of 1..2"},
		{[]int{2, 3}, tensor.Shape{3, 4}, "not a permutation of 1..2"},
		{[]int{2, 1}, tensor.Shape{3, 4, 5}, "has 3 axes besides the batch but dims [2 1] orders 2"},
	} {
		if _, err := (&nn.Permute{Dims: c.dims}).OutputShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dims %v on %v: err = %v, want %q", c.dims, c.in, err, c.want)
		}
	}
	json.Unmarshal([]byte(`{"name": "p", "dims": "21"}`), &cfg)
	if _, err := nn.FromConfig("Permute", cfg); err == nil || !strings.Contains(err.Error(), "a list of integers") {
		t.Errorf(`dims "21": err = %v`, err)
	}
}

func TestPermuteNoAllocs(t *testing.T) {
	checkNoAllocs(t, &nn.Permute{Dims: []int{3, 1, 2}}, tensor.Shape{5, 4, 3})
}
