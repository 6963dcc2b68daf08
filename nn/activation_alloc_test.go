package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/tensor"
)

// A Dense layer's forward and backward passes allocate nothing in steady
// state whatever its activation (sigmoid, tanh, elu and gelu once moved a
// stack buffer to the heap on every call).
func TestDenseActivationsAllocateNothing(t *testing.T) {
	for _, f := range activation.All() {
		if f.Widens() != 1 {
			continue // crelu is refused as a layer's own activation
		}
		d := &Dense{Units: 8, Activation: f}
		if err := d.Build(tensor.Shape{4}, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		x, dy := tensor.New(16, 4), tensor.New(16, 8)
		step := func() { d.Forward(x, true); d.Backward(dy) }
		step()
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("Dense with %v: %v allocations per step", f, a)
		}
	}
}
