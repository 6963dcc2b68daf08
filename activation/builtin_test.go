package activation

import (
	"math"
	"testing"
)

// TestBuiltinValues checks the Keras 3 built-ins added for issue 19 against
// float64 values computed with Python's math module from Keras's
// definitions (keras/src/activations/activations.py, and
// keras/src/backend/tensorflow/nn.py for hard_sigmoid = relu6(x+3)/6):
// at z = -5, -1, -0.1, 0, 0.5, 2, 7.
func TestBuiltinValues(t *testing.T) {
	zs := []float32{-5, -1, -0.1, 0, 0.5, 2, 7}
	for _, tc := range []struct {
		f    Func
		want []float64
	}{
		{ReLU6, []float64{0, 0, 0, 0, 0.5, 2, 6}},
		{SELU, []float64{-1.746253361, -1.111330738, -0.1673052726, 0, 0.5253504937, 2.101401975, 7.354906911}},
		{SiLU, []float64{-0.03346425462, -0.2689414214, -0.04750208125, 0, 0.3112296656, 1.761594156, 6.993622642}},
		{Softplus, []float64{0.006715348489, 0.3132616875, 0.6443966601, 0.6931471806, 0.9740769842, 2.126928011, 7.000911466}},
		{Softsign, []float64{-0.8333333333, -0.5, -0.09090909091, 0, 0.3333333333, 0.6666666667, 0.875}},
		{HardSigmoid, []float64{0, 0.3333333333, 0.4833333333, 0.5, 0.5833333333, 0.8333333333, 1}},
		{HardSiLU, []float64{0, -0.3333333333, -0.04833333333, 0, 0.2916666667, 1.666666667, 7}},
		{Mish, []float64{-0.03357623773, -0.3034014614, -0.05678857521, 0, 0.3752452113, 1.94395896, 6.99998838}},
		{Exponential, []float64{0.006737946999, 0.3678794412, 0.904837418, 1, 1.648721271, 7.389056099, 1096.633158}},
		{GELUApproximate, []float64{-2.291796197e-07, -0.1588080094, -0.04601724895, 0, 0.3457140098, 1.954597694, 7}},
	} {
		// Each value alone (the loops' tails) and all of them repeated
		// past 64 (the exp buffers' blocks).
		for i, z := range zs {
			y := make([]float32, 1)
			tc.f.Forward(y, []float32{z}, 1, 1)
			if !close32(y[0], tc.want[i]) {
				t.Errorf("%v(%v) = %v, want %.9g", tc.f, z, y[0], tc.want[i])
			}
		}
		z := make([]float32, 10*len(zs))
		for i := range z {
			z[i] = zs[i%len(zs)]
		}
		tc.f.Forward(z, z, 1, len(z)) // in place, as layers run it
		for i, v := range z {
			if !close32(v, tc.want[i%len(zs)]) {
				t.Errorf("%v in place at %d = %v, want %.9g", tc.f, i, v, tc.want[i%len(zs)])
				break
			}
		}
	}
}

// close32 allows float32 rounding of the computation: 3e-7 relative, and
// 1e-7 absolute near 0 (where SELU's expm1 and GELU's tail sit).
func close32(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 3e-7*math.Abs(want)+1e-7*math.Min(1, math.Abs(want)+1e-6)
}

func TestLogSoftmaxValues(t *testing.T) {
	// Hand value: row [1 2 3 -1] has log-sum-exp 3.419716646 (Python's math).
	z := []float32{1, 2, 3, -1, 1000, 1001, 1002, 998}
	want := []float64{-2.419716646, -1.419716646, -0.4197166463, -4.419716646}
	y := make([]float32, len(z))
	LogSoftmax.Forward(y, z, 2, 4)
	for i, v := range y {
		if w := want[i%4]; math.Abs(float64(v)-w) > 1e-6 {
			t.Errorf("log_softmax[%d] = %v, want %v", i, v, w)
		}
	}
	// It is the log of softmax.
	s := make([]float32, len(z))
	Softmax.Forward(s, z, 2, 4)
	for i := range s {
		if d := math.Abs(math.Log(float64(s[i])) - float64(y[i])); d > 1e-6 {
			t.Errorf("log_softmax[%d] = %v, log(softmax) %v", i, y[i], math.Log(float64(s[i])))
		}
	}
}

// TestExponentialRange: exp overflows to +Inf and underflows to 0 as
// TensorFlow's does, though the vectorised exp clamps its input.
func TestExponentialRange(t *testing.T) {
	z := []float32{89, -104, float32(math.Inf(1)), float32(math.Inf(-1)), -90, 88, 1}
	y := make([]float32, len(z))
	Exponential.Forward(y, z, 1, len(z))
	for i, v := range z {
		want := float32(math.Exp(float64(v)))
		if !(y[i] == want || math.Abs(float64(y[i]-want)) <= 3e-7*math.Abs(float64(want))) {
			t.Errorf("exp(%v) = %v, want %v", v, y[i], want)
		}
	}
}

// TestAliases: Keras's other names parse, and a Func writes back the name
// Keras's serialize writes (the function's __name__).
func TestAliases(t *testing.T) {
	for s, want := range map[string]Func{"swish": SiLU, "silu": SiLU, "hard_swish": HardSiLU, "hard_silu": HardSiLU} {
		if f, err := Parse(s); err != nil || f != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", s, f, err, want)
		}
	}
	if SiLU.String() != "silu" || HardSiLU.String() != "hard_silu" {
		t.Errorf("names %q %q", SiLU, HardSiLU)
	}
	if _, err := Register(Custom{Name: "swish", Forward: func(_, _ []float32, _, _ int) {}, Backward: func(_, _, _, _ []float32, _, _ int) {}}); err == nil {
		t.Error("Register(swish) succeeded; an alias is taken")
	}
}

// TestBuiltinKinks: the derivative at and beyond each breakpoint, where
// finite differences cannot look: TensorFlow's Relu6Grad passes the
// gradient only strictly inside (0, 6), hard_sigmoid's only inside
// (-3, 3), and hard_silu's is 0 below -3, 1 above 3, (2z+3)/6 between.
func TestBuiltinKinks(t *testing.T) {
	for _, tc := range []struct {
		f    Func
		z    []float32
		want []float32
	}{
		{ReLU6, []float32{-1, 0, 3, 6, 7}, []float32{0, 0, 1, 0, 0}},
		{HardSigmoid, []float32{-4, -3, 0, 3, 4}, []float32{0, 0, 1.0 / 6, 0, 0}},
		{HardSiLU, []float32{-4, -3, 0, 1.5, 3, 4}, []float32{0, 0, 0.5, 1, 1, 1}},
	} {
		y := make([]float32, len(tc.z))
		tc.f.Forward(y, tc.z, 1, len(y))
		dy := make([]float32, len(y))
		for i := range dy {
			dy[i] = 1
		}
		dz := make([]float32, len(y))
		tc.f.Backward(dz, dy, tc.z, y, 1, len(y))
		for i := range dz {
			if math.Abs(float64(dz[i]-tc.want[i])) > 1e-7 {
				t.Errorf("%v'(%v) = %v, want %v", tc.f, tc.z[i], dz[i], tc.want[i])
			}
		}
	}
}

// TestBuiltinInfinities: the limits at ±Inf (the exp's clamp leaves
// softplus(-Inf) at the smallest normal float, as sigmoid's).
func TestBuiltinInfinities(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		f        Func
		pos, neg float32
	}{
		{ReLU6, 6, 0},
		{HardSigmoid, 1, 0},
		{Softplus, inf, 0},
		{Exponential, inf, 0},
		{SELU, inf, -seluScaleAlpha},
	} {
		z := make([]float32, 80)
		z[3], z[70] = inf, -inf
		y := make([]float32, len(z))
		tc.f.Forward(y, z, 1, len(z))
		if y[3] != tc.pos || math.Abs(float64(y[70]-tc.neg)) > 1.2e-38 {
			t.Errorf("%s(+Inf, -Inf) = %v, %v, want %v, %v", tc.f, y[3], y[70], tc.pos, tc.neg)
		}
	}
}

const seluScaleAlpha = float32(1.0507009873554804934193349852946 * 1.6732632423543772848170429916717)
