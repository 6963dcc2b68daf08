package activation

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradients checks each activation's Backward against central finite
// differences of Forward, computed in float64 from float32 evaluations
// (tolerance 2e-3 relative, which float32 rounding at h=1e-2 allows).
func TestGradients(t *testing.T) {
	const rows, cols = 3, 5
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range All() {
		z := make([]float32, rows*cols)
		for i := range z {
			z[i] = float32(r.NormFloat64() * 2)
			// Keep clear of the kinks of relu-like functions.
			if math.Abs(float64(z[i])) < 0.05 {
				z[i] = 0.3
			}
		}
		w := make([]float32, rows*cols*f.Widens()) // loss = sum w*f(z)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		y := make([]float32, len(w))
		f.Forward(y, z, rows, cols)
		dz := make([]float32, len(z))
		f.Backward(dz, w, z, y, rows, cols)
		loss := func(z []float32) float64 {
			y := make([]float32, len(w))
			f.Forward(y, z, rows, cols)
			var s float64
			for i := range y {
				s += float64(w[i]) * float64(y[i])
			}
			return s
		}
		for i := range z {
			const h = 1e-2
			zp := append([]float32(nil), z...)
			zm := append([]float32(nil), z...)
			zp[i] += h
			zm[i] -= h
			num := (loss(zp) - loss(zm)) / (2 * h)
			if d := math.Abs(num - float64(dz[i])); d > 2e-3*(1+math.Abs(num)) {
				t.Errorf("%v: d/dz[%d] = %v, finite difference %v", f, i, dz[i], num)
			}
		}
	}
}

func TestSoftmaxStable(t *testing.T) {
	z := []float32{1000, 1001, 1002, -1000, 0, 1000}
	y := make([]float32, 6)
	Softmax.Forward(y, z, 2, 3)
	want := []float64{0.09003057, 0.24472847, 0.66524096, 0, 0, 1}
	for i := range y {
		if math.IsNaN(float64(y[i])) || math.Abs(float64(y[i])-want[i]) > 1e-6 {
			t.Errorf("softmax[%d] = %v, want %v", i, y[i], want[i])
		}
	}
}

func TestParse(t *testing.T) {
	for _, f := range All() {
		g, err := Parse(f.String())
		if err != nil || g != f {
			t.Errorf("Parse(%q) = %v, %v", f.String(), g, err)
		}
	}
	if f, err := Parse(""); err != nil || f != Linear {
		t.Errorf(`Parse("") = %v, %v; want linear`, f, err)
	}
}

// crelu is concatenate([relu(z), relu(-z)], axis=-1) per row (Keras's
// activations.crelu), NaN staying NaN in both halves; its gradient is
// checked with the others in TestGradients.
func TestCReLU(t *testing.T) {
	z := []float32{1.5, -2, 0, float32(math.NaN()), 3, -0.5}
	y := make([]float32, 12)
	CReLU.Forward(y, z, 2, 3)
	want := []float32{1.5, 0, 0, 0, 2, 0, float32(math.NaN()), 3, 0, float32(math.NaN()), 0, 0.5}
	for i := range want {
		if y[i] != want[i] && !(math.IsNaN(float64(y[i])) && math.IsNaN(float64(want[i]))) {
			t.Errorf("crelu output %d = %v, want %v (all %v)", i, y[i], want[i], y)
		}
	}
	if CReLU.Widens() != 2 || ReLU.Widens() != 1 {
		t.Error("Widens: crelu 2, others 1")
	}
}

func TestKnownValues(t *testing.T) {
	tests := []struct {
		f    Func
		z, y float32
	}{
		{ReLU, -2, 0}, {ReLU, 3, 3}, {Sigmoid, 0, 0.5}, {Tanh, 0, 0},
		{LeakyReLU, -1, -0.2}, {ELU, -1, float32(math.Expm1(-1))},
		{GELU, 1, 0.8413447}, {Linear, -7, -7},
	}
	for _, tt := range tests {
		y := make([]float32, 1)
		tt.f.Forward(y, []float32{tt.z}, 1, 1)
		if math.Abs(float64(y[0]-tt.y)) > 1e-6 {
			t.Errorf("%v(%v) = %v, want %v", tt.f, tt.z, y[0], tt.y)
		}
	}
}
