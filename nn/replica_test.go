package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestReplica: a replica runs inference with the same bits on the same
// weight tensors, with its own buffers, and stops sharing once the model
// is built with new weights. A layer that is not registered cannot be replicated.
func TestReplica(t *testing.T) {
	var s nn.Stack
	s.Add(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activation.ReLU},
		&nn.BatchNormalization{}, &nn.MaxPooling2D{}, &nn.Dropout{Rate: 0.5}, &nn.Flatten{},
		&nn.Dense{Units: 3, Activation: activation.Softmax})
	if err := s.Build(tensor.Shape{8, 8, 2}, 7); err != nil {
		t.Fatal(err)
	}
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if !r.SharesWeights(&s) {
		t.Fatal("a fresh replica does not share the weights")
	}
	x := tensor.New(5, 8, 8, 2)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	want := append([]float32(nil), s.Forward(x, false).Data...)
	got := r.Forward(x, false)
	if &got.Data[0] == &s.Forward(x, false).Data[0] {
		t.Fatal("the replica returns the model's own output buffer")
	}
	for i := range want {
		if math.Float32bits(got.Data[i]) != math.Float32bits(want[i]) {
			t.Fatalf("output %d: replica %v, model %v", i, got.Data[i], want[i])
		}
	}
	// Weights changed in place are seen by the replica.
	s.Params()[0].Value.Data[0] += 1
	want = append(want[:0], s.Forward(x, false).Data...)
	if g := r.Forward(x, false).Data; g[0] != want[0] {
		t.Fatalf("after a weight change: replica %v, model %v", g[0], want[0])
	}
	// Built again for the same input, the layers keep their weights (as a
	// built Keras layer does), and the replica still runs on them; built
	// for another input, Dense needs a new kernel and the replica is stale.
	if err := s.Build(tensor.Shape{8, 8, 2}, 7); err != nil {
		t.Fatal(err)
	}
	if !r.SharesWeights(&s) {
		t.Fatal("rebuilding for the same input replaced the weights")
	}
	if err := s.Build(tensor.Shape{10, 10, 2}, 7); err != nil {
		t.Fatal(err)
	}
	if r.SharesWeights(&s) {
		t.Fatal("the replica still claims to share weights after the model was rebuilt for another input")
	}
	var c nn.Stack
	c.Add(&unregistered{})
	if err := c.Build(tensor.Shape{3}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replica(); err == nil {
		t.Fatal("a replica of an unregistered layer")
	}
}

// unregistered is a custom layer the registry does not know.
type unregistered struct{ name string }

func (u *unregistered) LayerName() string                                 { return u.name }
func (u *unregistered) SetLayerName(s string)                             { u.name = s }
func (u *unregistered) Class() string                                     { return "MyLayer" }
func (u *unregistered) OutputShape(in tensor.Shape) (tensor.Shape, error) { return in, nil }
func (u *unregistered) Build(in tensor.Shape, _ *rand.Rand) error         { return nil }
func (u *unregistered) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor   { return x }
func (u *unregistered) Backward(dy *tensor.Tensor) *tensor.Tensor         { return dy }
func (u *unregistered) Params() []*nn.Param                               { return nil }
func (u *unregistered) Config() map[string]any                            { return map[string]any{"name": u.name} }
