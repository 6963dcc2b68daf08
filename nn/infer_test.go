package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/tensor"
)

func randomTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// TestInferMatchesForward runs a conv net through Infer in chunks and
// through one Forward call: every output must have the same bits.
func TestInferMatchesForward(t *testing.T) {
	s := &Stack{}
	s.Add(
		&Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: Same, Activation: activation.ReLU, InputShape: tensor.Shape{12, 12, 3}},
		&MaxPooling2D{PoolSize: [2]int{2, 2}},
		&Conv2D{Filters: 24, KernelSize: [2]int{3, 3}, Padding: Same, NoBias: true}, // Winograd
		&BatchNormalization{},
		&Activation{Activation: activation.ReLU},
		&Dropout{Rate: 0.5},
		&Flatten{},
		&Dense{Units: 7, Activation: activation.Softmax},
	)
	if err := s.Build(nil, 3); err != nil {
		t.Fatal(err)
	}
	old := inferBudget
	defer func() { inferBudget = old }()
	inferBudget = 4 * 12 * 12 * 16 * 20 // chunks of 20 examples
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 20, 57, 100} {
		x := randomTensor(r, n, 12, 12, 3)
		want := s.Forward(x, false).Clone()
		got := s.Infer(x)
		if !got.Shape.Equal(want.Shape) {
			t.Fatalf("n=%d: Infer shape %v, Forward %v", n, got.Shape, want.Shape)
		}
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("n=%d: Infer[%d] = %v, Forward %v", n, i, got.Data[i], want.Data[i])
			}
		}
	}
	if c := s.inferChunk(); c != 20 {
		t.Errorf("inferChunk = %d, want 20", c)
	}
}

// TestMaxPoolInferenceMatchesTraining: the inference pool (the 2x2 fast
// path when it applies) gives the training pass's maxima, NaN included.
func TestMaxPoolInferenceMatchesTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		in   tensor.Shape
		pool [2]int
		pad  Padding
	}{
		{tensor.Shape{8, 8, 32}, [2]int{2, 2}, Valid},
		{tensor.Shape{7, 9, 16}, [2]int{2, 2}, Valid}, // odd sizes drop the last row and column
		{tensor.Shape{7, 9, 16}, [2]int{2, 2}, Same},
		{tensor.Shape{6, 6, 5}, [2]int{2, 2}, Valid},
		{tensor.Shape{9, 9, 8}, [2]int{3, 3}, Valid},
	} {
		x := randomTensor(r, append(tensor.Shape{3}, tc.in...)...)
		x.Data[7] = float32(math.NaN())
		x.Data[100] = float32(math.Inf(1))
		var outs [2]*tensor.Tensor
		for i, training := range []bool{true, false} {
			p := &MaxPooling2D{PoolSize: tc.pool, Padding: tc.pad}
			if err := p.Build(tc.in, nil); err != nil {
				t.Fatal(err)
			}
			outs[i] = p.Forward(x, training).Clone()
		}
		for i := range outs[0].Data {
			a, b := outs[0].Data[i], outs[1].Data[i]
			if math.Float32bits(a) != math.Float32bits(b) {
				t.Fatalf("%v pool %v %v: inference [%d] = %v, training %v", tc.in, tc.pool, tc.pad, i, b, a)
			}
		}
	}
}

// TestInferGraphChunks: a Functional model's chunk follows
// inferGraphBudget over the sum of its calls' outputs, and the chunked
// outputs have Forward's bits.
func TestInferGraphChunks(t *testing.T) {
	in := &InputLayer{Shape: tensor.Shape{6}}
	a := Call(&Dense{Units: 8, Activation: activation.ReLU}, in)
	b := Call(&Dense{Units: 8}, a)
	out := Call(&Dense{Units: 3}, Merge(&Add{}, a, b))
	s, err := NewGraph([]Symbolic{in}, []Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, n := range s.nodes {
		sum += n.shape.Size()
	}
	old := inferGraphBudget
	defer func() { inferGraphBudget = old }()
	inferGraphBudget = 4 * sum * 20
	if c := s.inferChunk(); c != 20 {
		t.Fatalf("inferChunk = %d, want 20 (%d floats of outputs a sample)", c, sum)
	}
	x := randomTensor(rand.New(rand.NewPCG(3, 4)), 57, 6)
	want := s.Forward(x, false).Clone()
	got := s.Infer(x)
	for i := range want.Data {
		if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
			t.Fatalf("Infer[%d] = %v, Forward %v", i, got.Data[i], want.Data[i])
		}
	}
}
