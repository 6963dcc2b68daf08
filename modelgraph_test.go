package gokeras_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
)

func callsString(calls []gokeras.LayerCall) string {
	var b strings.Builder
	for i, c := range calls {
		fmt.Fprintf(&b, "%d %s %s %v %v\n", i, c.Name, c.Class, c.OutputShape, c.Inputs)
	}
	return b.String()
}

// A block with a skip connection and a layer called twice: every call is
// listed after the calls it takes, the shared layer once per call.
func TestLayerCallsFunctional(t *testing.T) {
	in := gokeras.Input(4)
	d := &nn.Dense{Name: "d", Units: 4}
	h := nn.Call(d, in)
	h2 := nn.Call(d, h)
	out := nn.Call(&nn.Dense{Name: "head", Units: 2}, nn.Merge(&nn.Add{Name: "skip"}, h2, in))
	m := functional(t, "functional", in, out)
	calls, err := m.LayerCalls()
	if err != nil {
		t.Fatal(err)
	}
	want := `0 input_layer InputLayer [-1 4] []
1 d Dense [-1 4] [0]
2 d Dense [-1 4] [1]
3 skip Add [-1 4] [2 0]
4 head Dense [-1 2] [3]
`
	if got := callsString(calls); got != want {
		t.Errorf("calls:\n%swant:\n%s", got, want)
	}
}

func TestLayerCallsSequential(t *testing.T) {
	m := gokeras.NewSequential(gokeras.Input(3), &nn.Dense{Units: 5}, &nn.Dense{Units: 1})
	calls, err := m.LayerCalls()
	if err != nil {
		t.Fatal(err)
	}
	want := `0 input_layer InputLayer [-1 3] []
1 dense Dense [-1 5] [0]
2 dense_1 Dense [-1 1] [1]
`
	if got := callsString(calls); got != want {
		t.Errorf("calls:\n%swant:\n%s", got, want)
	}
	_, err = gokeras.NewSequential(&nn.Dense{Units: 1}).LayerCalls()
	if err == nil || !strings.Contains(err.Error(), "input shape is unknown") {
		t.Errorf("model without an input shape: got %v", err)
	}
}
