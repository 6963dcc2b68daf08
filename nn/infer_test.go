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
// whole: every output must have the same bits. Infer folds the batch norm
// into the convolution before it, so against Forward(x, false) the
// outputs agree to rounding.
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
		ref := s.Forward(x, false).Clone()
		want := s.inferForward(x).Clone()
		got := s.Infer(x)
		if !got.Shape.Equal(want.Shape) {
			t.Fatalf("n=%d: Infer shape %v, whole %v", n, got.Shape, want.Shape)
		}
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("n=%d: Infer[%d] = %v, whole %v", n, i, got.Data[i], want.Data[i])
			}
			if d := math.Abs(float64(got.Data[i] - ref.Data[i])); d > 1e-5 {
				t.Fatalf("n=%d: Infer[%d] = %v, Forward %v", n, i, got.Data[i], ref.Data[i])
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

// TestInferFoldsBatchNorm: Infer runs a convolution and the batch norm
// after it (and a ReLU after that) as one folded convolution (with a bias
// and without, Winograd and pointwise, behind a residual Add) and gives
// Forward(x, false)'s
// outputs to rounding; a weight changed between calls takes effect; a
// convolution whose output another layer also reads is not folded.
func TestInferFoldsBatchNorm(t *testing.T) {
	in := &InputLayer{Shape: tensor.Shape{10, 10, 3}}
	c1 := &Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Padding: Same}               // Winograd, bias
	c2 := &Conv2D{Filters: 8, KernelSize: [2]int{1, 1}, Padding: Same, NoBias: true} // pointwise, no bias
	c3 := &Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: Same}
	bn1, bn2, bn3 := &BatchNormalization{}, &BatchNormalization{}, &BatchNormalization{}
	a := Call(&Activation{Activation: activation.ReLU}, Call(bn1, Call(c1, in)))
	conv2 := Call(c2, a)
	b := Call(bn2, conv2)
	sum := Merge(&Add{}, a, b)
	shared := Call(c3, sum)
	// c3's output feeds both bn3 and the flatten: no fold there.
	out := Call(&Dense{Units: 4}, Call(&Flatten{}, Merge(&Concatenate{}, Call(bn3, shared), shared)))
	s, err := NewGraph([]Symbolic{in}, []Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Build(nil, 5); err != nil {
		t.Fatal(err)
	}
	folds, skipped := 0, 0
	for _, n := range s.nodes {
		if n.foldBN != nil {
			folds++
			if n.run != c1 && n.run != c2 {
				t.Errorf("folded %s", n.run.LayerName())
			}
			// c1's batch norm is read only by a ReLU: folded too.
			if n.foldReLU != (n.run == c1) {
				t.Errorf("%s: foldReLU %v", n.run.LayerName(), n.foldReLU)
			}
		}
		if n.folded {
			skipped++
		}
	}
	if folds != 2 || skipped != 3 {
		t.Fatalf("%d folds skipping %d calls, want 2 (c1 → bn1 → ReLU, c2 → bn2) skipping 3", folds, skipped)
	}
	r := rand.New(rand.NewPCG(7, 8))
	stats := func() {
		for _, bn := range []*BatchNormalization{bn1, bn2, bn3} {
			for i := range bn.gamma.Value.Data {
				bn.gamma.Value.Data[i] = float32(0.5 + r.Float64())
				bn.beta.Value.Data[i] = float32(r.NormFloat64())
				bn.movingMean.Value.Data[i] = float32(r.NormFloat64())
				bn.movingVar.Value.Data[i] = float32(0.2 + r.Float64())
			}
		}
	}
	check := func(what string) {
		x := randomTensor(r, 6, 10, 10, 3)
		want := s.Forward(x, false).Clone()
		got := s.Infer(x)
		for i := range want.Data {
			if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-4*(1+math.Abs(float64(want.Data[i]))) {
				t.Fatalf("%s: Infer[%d] = %v, Forward %v", what, i, got.Data[i], want.Data[i])
			}
		}
	}
	stats()
	check("first")
	stats() // new statistics and weights between calls
	for i := range c1.kernel.Value.Data {
		c1.kernel.Value.Data[i] *= -1.5
	}
	check("after a change")
}
