package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

func TestPatchWhiteningGradient(t *testing.T) {
	nntest.CheckGradients(t, &nn.PatchWhitening{}, tensor.Shape{5, 4, 3}, nntest.GradOptions{})
	nntest.CheckGradients(t, &nn.PatchWhitening{Padding: nn.Same}, tensor.Shape{4, 5, 2}, nntest.GradOptions{})
}

// TestPatchWhiteningAdapt adapts the layer to smooth random images (strongly
// correlated neighbours, channel means far from zero): afterwards the
// first half of the outputs must have zero mean and identity covariance,
// the second half must be their negation, and only the bias is trained.
func TestPatchWhiteningAdapt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, h, w, c = 400, 6, 7, 3
	x := tensor.New(n, h, w, c)
	for i := 0; i < n; i++ {
		for y := 0; y < h; y++ {
			base := r.NormFloat64()
			for xx := 0; xx < w; xx++ {
				base += 0.3 * r.NormFloat64()
				for ch := 0; ch < c; ch++ {
					x.Data[((i*h+y)*w+xx)*c+ch] = float32(0.5 + 0.2*float64(ch) + base + 0.1*r.NormFloat64())
				}
			}
		}
	}
	p := &nn.PatchWhitening{Epsilon: 1e-9}
	if err := p.Build(tensor.Shape{h, w, c}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	if err := p.Adapt(x); err != nil {
		t.Fatal(err)
	}
	out := p.Forward(x, false)
	if want := (tensor.Shape{n, h - 1, w - 1, 24}); !out.Shape.Equal(want) {
		t.Fatalf("output shape %v, want %v", out.Shape, want)
	}
	const d = 12
	rows := len(out.Data) / (2 * d)
	var mean [d]float64
	var cov [d][d]float64
	for k := range rows {
		o := out.Data[k*2*d : (k+1)*2*d]
		for i := range d {
			if o[d+i] != -o[i] {
				t.Fatalf("row %d: filter %d gives %v, its negation %v", k, i, o[i], o[d+i])
			}
			mean[i] += float64(o[i])
			for j := range d {
				cov[i][j] += float64(o[i]) * float64(o[j])
			}
		}
	}
	for i := range d {
		if m := mean[i] / float64(rows); math.Abs(m) > 1e-3 {
			t.Errorf("output %d has mean %v, want 0", i, m)
		}
		for j := range d {
			want := 0.0
			if i == j {
				want = 1
			}
			if got := cov[i][j] / float64(rows); math.Abs(got-want) > 2e-3 {
				t.Errorf("output covariance [%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	var trainable []string
	for _, q := range p.Params() {
		if q.Trainable() {
			trainable = append(trainable, q.Name)
		}
	}
	if len(trainable) != 1 || trainable[0] != "bias" {
		t.Errorf("trainable weights %v, want [bias]", trainable)
	}
	if err := p.Adapt(tensor.New(3, 4, 4, 3)); err == nil {
		t.Error("Adapt to images of the wrong size: no error")
	}
}
