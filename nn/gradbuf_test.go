package nn_test

import (
	"math"
	"slices"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// resBlocks is a small ResNet-like graph with everything that moves
// gradient buffers around: fan-out into a skip connection, Add and
// Concatenate, a layer called twice, a Flatten (whose gradient is a view
// of its output's) and layers whose input needs no gradient.
func resBlocks(t *testing.T, seed uint64) *nn.Stack {
	t.Helper()
	relu := activation.ReLU
	in := &nn.InputLayer{Shape: tensor.Shape{8, 8, 3}}
	x := nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, in)
	x = nn.Call(&nn.BatchNormalization{}, x)
	x = nn.Call(&nn.Activation{Activation: relu}, x)
	shared := &nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}
	for range 2 {
		y := nn.Call(shared, x)
		y = nn.Call(&nn.BatchNormalization{}, y)
		y = nn.Call(&nn.ReLU{}, y)
		y = nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, y)
		x = nn.Call(&nn.Activation{Activation: relu}, nn.Merge(&nn.Add{}, x, y))
	}
	a := nn.Call(&nn.MaxPooling2D{}, x)
	b := nn.Call(&nn.AveragePooling2D{}, x)
	x = nn.Merge(&nn.Concatenate{}, a, b)
	x = nn.Call(&nn.Flatten{}, x)
	x = nn.Call(&nn.Dropout{Rate: 0.25}, x)
	out := nn.Call(&nn.Dense{Units: 5}, x)
	g, err := nn.NewGraph([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Build(nil, seed); err != nil {
		t.Fatal(err)
	}
	return g
}

// Lending shared gradient buffers changes no bit of any gradient, over
// steps that update the weights and change the batch size, against the
// same model with every layer keeping its own buffers.
func TestSharedGradBuffersBitIdentical(t *testing.T) {
	shared, private := resBlocks(t, 7), resBlocks(t, 7)
	private.SetPrivateGrads(true)
	for step, batch := range []int{6, 6, 4, 6, 2, 6} {
		x := randomInput(uint64(10+step), batch, 8, 8, 3)
		dy := randomInput(uint64(20+step), batch, 5)
		var ys [2][]float32
		for i, s := range []*nn.Stack{shared, private} {
			ys[i] = slices.Clone(s.Forward(x, true).Data)
			s.Backward(dy)
		}
		if !slices.Equal(ys[0], ys[1]) {
			t.Fatalf("step %d: outputs differ", step)
		}
		ps, pp := shared.Params(), private.Params()
		for i := range ps {
			if ps[i].Grad == nil {
				continue
			}
			if !slices.EqualFunc(ps[i].Grad.Data, pp[i].Grad.Data, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
				t.Fatalf("step %d: gradient of %s (weight %d) differs", step, ps[i].Name, i)
			}
			// A plain SGD step, so that later steps run on new weights.
			for j, g := range ps[i].Grad.Data {
				ps[i].Value.Data[j] -= 0.05 * g
				pp[i].Value.Data[j] -= 0.05 * g
			}
		}
	}
	// The shared buffers are fewer than the layers that write input
	// gradients: the widest few gradients, not one per call.
	const widest = 6 * 8 * 8 * 4
	if got := shared.SharedGradFloats(); got > 6*widest {
		t.Errorf("shared gradient buffers hold %d floats, want at most %d (6 of the widest)", got, 6*widest)
	}
}

// Lending buffers allocates nothing per step once they exist.
func TestSharedGradBuffersStepAllocs(t *testing.T) {
	g := resBlocks(t, 3)
	x := randomInput(4, 6, 8, 8, 3)
	dy := randomInput(5, 6, 5)
	step := func() { g.Forward(x, true); g.Backward(dy) }
	step()
	if a := testing.AllocsPerRun(10, step); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}
