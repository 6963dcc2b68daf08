package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// kerasFansRef is compute_fans from keras/src/initializers/
// random_initializers.py, written out again for the tests.
func kerasFansRef(shape []int) (float64, float64) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return float64(shape[0]), float64(shape[0])
	case 2:
		return float64(shape[0]), float64(shape[1])
	}
	rf := 1
	for _, d := range shape[:len(shape)-2] {
		rf *= d
	}
	return float64(shape[len(shape)-2] * rf), float64(shape[len(shape)-1] * rf)
}

// truncStd is the standard deviation of a standard normal truncated to
// [-2, 2]: sqrt(1 - 2·2φ(2)/(Φ(2)-Φ(-2))), which Keras writes as
// 0.87962566103423978.
func truncStd() float64 {
	phi := math.Exp(-2) / math.Sqrt(2*math.Pi)
	mass := math.Erf(2 / math.Sqrt2)
	return math.Sqrt(1 - 4*phi/mass)
}

func TestTruncatedNormalConstant(t *testing.T) {
	if got := truncStd(); math.Abs(got-0.87962566103423978) > 1e-15 {
		t.Errorf("std of N(0,1) truncated at ±2 = %.17g, Keras uses 0.87962566103423978", got)
	}
}

// initMoments is what Keras's formulas say the values of an initializer
// have for a weight of the given shape: mean, standard deviation, and
// the interval they stay in (±Inf when unbounded); tail is the fraction
// of values expected beyond 2 standard deviations of the draw (normal:
// 4.55%, truncated: 0), -1 when not checked.
type initMoments struct{ mean, std, lo, hi, tail float64 }

func kerasMoments(i Initializer, shape []int) initMoments {
	inf := math.Inf(1)
	switch i.kind {
	case kindRandomNormal:
		return initMoments{i.a, i.b, -inf, inf, 1 - math.Erf(2/math.Sqrt2)}
	case kindTruncatedNormal:
		return initMoments{i.a, i.b * truncStd(), i.a - 2*i.b, i.a + 2*i.b, 0}
	case kindRandomUniform:
		return initMoments{(i.a + i.b) / 2, (i.b - i.a) / math.Sqrt(12), i.a, i.b, -1}
	}
	// VarianceScaling and its subclasses, Keras's arguments spelled out.
	scale, mode, dist := map[initKind]float64{kindGlorotUniform: 1, kindGlorotNormal: 1, kindHeNormal: 2, kindHeUniform: 2,
		kindLecunNormal: 1, kindLecunUniform: 1, kindVarianceScaling: i.a}[i.kind],
		map[initKind]FanMode{kindGlorotUniform: FanAvg, kindGlorotNormal: FanAvg, kindHeNormal: FanIn, kindHeUniform: FanIn,
			kindLecunNormal: FanIn, kindLecunUniform: FanIn, kindVarianceScaling: i.mode}[i.kind],
		map[initKind]Distribution{kindGlorotUniform: DistUniform, kindGlorotNormal: DistTruncatedNormal, kindHeNormal: DistTruncatedNormal,
			kindHeUniform: DistUniform, kindLecunNormal: DistTruncatedNormal, kindLecunUniform: DistUniform, kindVarianceScaling: i.dist}[i.kind]
	fi, fo := kerasFansRef(shape)
	n := map[FanMode]float64{FanIn: fi, FanOut: fo, FanAvg: (fi + fo) / 2}[mode]
	v := scale / math.Max(1, n)
	switch dist {
	case DistUniform:
		l := math.Sqrt(3 * v)
		return initMoments{0, math.Sqrt(v), -l, l, -1}
	case DistUntruncatedNormal:
		return initMoments{0, math.Sqrt(v), -inf, inf, 1 - math.Erf(2/math.Sqrt2)}
	}
	s := math.Sqrt(v) / 0.87962566103423978
	return initMoments{0, math.Sqrt(v), -2 * s, 2 * s, 0}
}

// TestInitializerMoments draws every random initializer for weights of
// several shapes (a Dense kernel, Conv2D kernels, a bias, a PReLU alpha
// of rank 3) and compares the sample mean and variance with Keras's
// formulas, within 5 standard errors, and the values with the bounds.
func TestInitializerMoments(t *testing.T) {
	inits := []Initializer{
		GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform,
		RandomNormal(0, 0.05), RandomNormal(1.5, 0.3), TruncatedNormal(0, 0.05), TruncatedNormal(-2, 0.7),
		RandomUniform(-0.05, 0.05), RandomUniform(1, 4),
		VarianceScaling(1, FanIn, DistTruncatedNormal), VarianceScaling(0.5, FanOut, DistUntruncatedNormal),
		VarianceScaling(3, FanAvg, DistUniform), VarianceScaling(2, FanOut, "Normal"), VarianceScaling(0.1, FanIn, DistUntruncatedNormal),
	}
	type weight struct {
		name  string
		shape []int
		fill  func(i Initializer, data []float32, rng *rand.Rand)
	}
	weights := []weight{
		{"dense kernel", []int{300, 200}, func(i Initializer, d []float32, rng *rand.Rand) { i.fillKernel(d, 1, 1, 300, 200, rng) }},
		{"conv kernel", []int{3, 3, 64, 96}, func(i Initializer, d []float32, rng *rand.Rand) { i.fillKernel(d, 3, 3, 64, 96, rng) }},
		{"conv kernel 5x1", []int{5, 1, 200, 60}, func(i Initializer, d []float32, rng *rand.Rand) { i.fillKernel(d, 5, 1, 200, 60, rng) }},
		{"bias", []int{60000}, func(i Initializer, d []float32, rng *rand.Rand) { i.fill(d, 60000, 60000, rng) }},
		{"rank 3", []int{30, 40, 50}, func(i Initializer, d []float32, rng *rand.Rand) { i.fillShape(d, []int{30, 40, 50}, rng) }},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, w := range weights {
		n := 1
		for _, d := range w.shape {
			n *= d
		}
		data := make([]float32, n)
		for _, init := range inits {
			want := kerasMoments(init, w.shape)
			w.fill(init, data, rng)
			var s, sq, lo, hi float64
			lo, hi = math.Inf(1), math.Inf(-1)
			tail := 0
			for _, v := range data {
				x := float64(v)
				s += x
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			mean := s / float64(n)
			drawStd := want.std
			if init.kind == kindTruncatedNormal {
				drawStd = init.b
			} else if want.tail == 0 {
				drawStd = want.std / 0.87962566103423978
			}
			for _, v := range data {
				d := float64(v) - mean
				sq += d * d
				if math.Abs(float64(v)-want.mean) > 2*drawStd {
					tail++
				}
			}
			variance := sq / float64(n-1)
			// Standard errors: of the mean σ/√n; of the variance
			// σ²·√(2/n) for a normal, less for the others.
			if se := want.std / math.Sqrt(float64(n)); math.Abs(mean-want.mean) > 5*se+1e-6*math.Abs(want.mean) {
				t.Errorf("%s %v: mean %.6g, Keras %.6g (standard error %.2g)", w.name, init, mean, want.mean, se)
			}
			wv := want.std * want.std
			if se := wv * math.Sqrt(2/float64(n)); math.Abs(variance-wv) > 5*se {
				t.Errorf("%s %v: variance %.6g, Keras %.6g (standard error %.2g)", w.name, init, variance, wv, se)
			}
			slack := 1e-6 * (math.Abs(want.mean) + want.std)
			if lo < want.lo-slack || hi > want.hi+slack {
				t.Errorf("%s %v: values in [%.6g, %.6g], Keras's bounds [%.6g, %.6g]", w.name, init, lo, hi, want.lo, want.hi)
			}
			switch frac := float64(tail) / float64(n); {
			case want.tail == 0 && tail > 0:
				t.Errorf("%s %v: %d values beyond the truncation", w.name, init, tail)
			case want.tail > 0 && math.Abs(frac-want.tail) > 5*math.Sqrt(want.tail*(1-want.tail)/float64(n)):
				t.Errorf("%s %v: %.4f of the values beyond 2σ, a normal has %.4f", w.name, init, frac, want.tail)
			}
		}
	}
}

func TestInitializerConstants(t *testing.T) {
	for _, tt := range []struct {
		init Initializer
		want float32
	}{{Zeros, 0}, {Ones, 1}, {Constant(0.25), 0.25}, {Constant(-3), -3}, {Constant(0), 0}} {
		data := []float32{7, 7, 7, 7, 7, 7}
		tt.init.fillKernel(data, 1, 1, 2, 3, nil)
		for _, v := range data {
			if v != tt.want {
				t.Errorf("%v: %v, want all %v", tt.init, data, tt.want)
				break
			}
		}
	}
	// A Dense layer's bias from Constant.
	d := &Dense{Units: 3, BiasInitializer: Constant(0.5), InputShape: []int{2}}
	s := &Stack{}
	s.Add(d)
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	if b := d.bias.Value.Data; b[0] != 0.5 || b[2] != 0.5 {
		t.Errorf("bias %v, want 0.5s", b)
	}
}

// orthonormal checks that the rows×cols matrix w has orthonormal columns
// (rows >= cols) or rows (rows < cols), times gain: WᵀW or WWᵀ = gain²·I.
func orthonormal(t *testing.T, what string, w []float32, rows, cols int, gain float64) {
	t.Helper()
	n, long := min(rows, cols), max(rows, cols)
	at := func(a, k int) float64 { // element k of column (or row) a
		if rows >= cols {
			return float64(w[k*cols+a])
		}
		return float64(w[a*cols+k])
	}
	worst := 0.0
	for a := range n {
		for b := range n {
			dot := 0.0
			for k := range long {
				dot += at(a, k) * at(b, k)
			}
			want := 0.0
			if a == b {
				want = gain * gain
			}
			worst = math.Max(worst, math.Abs(dot-want))
		}
	}
	if worst > 1e-5*gain*gain {
		t.Errorf("%s: orthogonality off by %.2g", what, worst)
	}
}

func TestOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []struct {
		shape []int
		gain  float64
	}{
		{[]int{64, 64}, 1}, {[]int{100, 30}, 1}, {[]int{30, 100}, 2.5}, {[]int{1, 7}, 1}, {[]int{7, 1}, 0.5},
		{[]int{3, 3, 16, 32}, 1}, {[]int{3, 3, 4, 64}, 1.5}, {[]int{2, 5, 6}, 1},
	} {
		n := 1
		for _, d := range tt.shape {
			n *= d
		}
		rows, cols := n/tt.shape[len(tt.shape)-1], tt.shape[len(tt.shape)-1]
		data := make([]float32, n)
		init := Orthogonal(tt.gain)
		switch len(tt.shape) {
		case 2:
			init.fill(data, rows, cols, rng)
		case 4:
			init.fillKernel(data, tt.shape[0], tt.shape[1], tt.shape[2], tt.shape[3], rng)
		default:
			init.fillShape(data, tt.shape, rng)
		}
		orthonormal(t, init.String()+" "+tensor.Shape(tt.shape).String(), data, rows, cols, tt.gain)
	}
	// Through the layers.
	dense := &Dense{Units: 6, KernelInitializer: Orthogonal(1), InputShape: []int{10}}
	conv := &Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, KernelInitializer: Orthogonal(2), InputShape: []int{5, 5, 3}}
	for _, l := range []Layer{dense, conv} {
		s := &Stack{}
		s.Add(l)
		if err := s.Build(nil, 9); err != nil {
			t.Fatal(err)
		}
	}
	orthonormal(t, "Dense kernel", dense.kernel.Value.Data, 10, 6, 1)
	orthonormal(t, "Conv2D kernel", conv.kernel.Value.Data, 27, 8, 2)
}

// TestOrthogonalIsSignCorrectedQ: for the Gaussian draw A (tall, m×n),
// Keras's result W = Q·sign(diag R) satisfies A = W·(WᵀA) with WᵀA upper
// triangular with a positive diagonal: W is the unique Q factor of A
// whose R has a positive diagonal, whatever QR routine computed it. For
// a wide weight W is its transpose.
func TestOrthogonalIsSignCorrectedQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tt := range []struct{ rows, cols int }{{12, 5}, {5, 12}, {9, 9}} {
		m, n := max(tt.rows, tt.cols), min(tt.rows, tt.cols)
		a := make([]float64, m*n)
		for k := range a {
			a[k] = rng.NormFloat64()
		}
		w := make([]float32, m*n)
		orthogonalFromGaussian(w, append([]float64(nil), a...), tt.rows, tt.cols, 1)
		q := func(r, c int) float64 { // Q (m×n) before any transpose
			if tt.rows >= tt.cols {
				return float64(w[r*n+c])
			}
			return float64(w[c*m+r])
		}
		for i := range n {
			for j := range n {
				r := 0.0 // (QᵀA)[i][j]
				for k := range m {
					r += q(k, i) * a[k*n+j]
				}
				switch {
				case i > j && math.Abs(r) > 1e-5:
					t.Errorf("%dx%d: R[%d][%d] = %.3g below the diagonal", tt.rows, tt.cols, i, j, r)
				case i == j && r <= 0:
					t.Errorf("%dx%d: R[%d][%d] = %.3g, want a positive diagonal", tt.rows, tt.cols, i, j, r)
				}
			}
		}
	}
}

// numpyRun runs script under /usr/bin/python3 with NumPy, in as JSON on
// stdin, its JSON stdout decoded into out; it skips without NumPy.
func numpyRun(t *testing.T, script string, in, out any) {
	t.Helper()
	pyref.Run(t, script, in, out, "numpy")
}

// Keras's Orthogonal.__call__ after its random.normal draw, in NumPy
// (ops.qr is NumPy's reduced QR on the NumPy backend).
const kerasOrthogonalNumPy = `
import json, sys
import numpy as np
cases = json.load(sys.stdin)
out = []
for c in cases:
    rows, cols = c["rows"], c["cols"]
    a = np.array(c["a"], dtype=np.float64).reshape(max(rows, cols), min(rows, cols))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    out.append((c["gain"] * q).reshape(-1).tolist())
json.dump(out, sys.stdout)
`

func TestOrthogonalNumPy(t *testing.T) {
	type tc struct {
		Rows int       `json:"rows"`
		Cols int       `json:"cols"`
		Gain float64   `json:"gain"`
		A    []float64 `json:"a"`
	}
	var cases []tc
	var got [][]float32
	for _, c := range []struct {
		shape []int
		gain  float64
		seed  int64
	}{{[]int{6, 6}, 1, 1}, {[]int{20, 7}, 1.5, 2}, {[]int{4, 11}, 1, 3}, {[]int{3, 3, 2, 5}, 2, 4}, {[]int{1, 1, 3, 16}, 1, 5}} {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		cols := c.shape[len(c.shape)-1]
		rows := n / cols
		// The seeded initializer's draws, reproduced: its own generator,
		// max(rows, cols)×min(rows, cols) standard normals, row-major.
		rng := rand.New(rand.NewPCG(uint64(c.seed), seedStream))
		a := make([]float64, n)
		for k := range a {
			a[k] = rng.NormFloat64()
		}
		cases = append(cases, tc{rows, cols, c.gain, a})
		w := make([]float32, n)
		Orthogonal(c.gain).WithSeed(c.seed).fillShape(w, c.shape, rand.New(rand.NewPCG(99, 99)))
		got = append(got, w)
	}
	var want [][]float64
	numpyRun(t, kerasOrthogonalNumPy, cases, &want)
	for k := range cases {
		for j := range want[k] {
			if math.Abs(float64(got[k][j])-want[k][j]) > 1e-5 {
				t.Errorf("case %d (%dx%d): value %d = %v, NumPy %v", k, cases[k].Rows, cases[k].Cols, j, got[k][j], want[k][j])
				break
			}
		}
	}
}

func TestIdentityMatrix(t *testing.T) {
	for _, tt := range []struct {
		in, out int
		gain    float64
	}{{3, 3, 1}, {3, 5, 2}, {5, 3, 0.5}} {
		d := &Dense{Units: tt.out, KernelInitializer: IdentityMatrix(tt.gain), InputShape: []int{tt.in}}
		s := &Stack{}
		s.Add(d)
		if err := s.Build(nil, 1); err != nil {
			t.Fatal(err)
		}
		for r := range tt.in {
			for c := range tt.out {
				want := float32(0)
				if r == c {
					want = float32(tt.gain)
				}
				if got := d.kernel.Value.Data[r*tt.out+c]; got != want {
					t.Errorf("%dx%d gain %v: kernel[%d][%d] = %v, want %v", tt.in, tt.out, tt.gain, r, c, got, want)
				}
			}
		}
	}
}

// TestInitializerShapeErrors: where Keras raises (Orthogonal needs rank
// 2, Identity exactly 2) and where dirac has no meaning, Build fails
// with a message, not a panic.
func TestInitializerShapeErrors(t *testing.T) {
	for _, tt := range []struct {
		l    Layer
		in   tensor.Shape
		want string
	}{
		{&Dense{Units: 2, BiasInitializer: Orthogonal(1)}, tensor.Shape{3}, "bias_initializer orthogonal(gain=1) needs a weight of rank 2"},
		{&Dense{Units: 2, BiasInitializer: IdentityMatrix(1)}, tensor.Shape{3}, "bias_initializer identity(gain=1) needs a 2-D weight"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, BiasInitializer: Orthogonal(1)}, tensor.Shape{4, 4, 1}, "bias_initializer orthogonal"},
		{&PReLU{AlphaInitializer: Orthogonal(1)}, tensor.Shape{4}, "alpha_initializer orthogonal(gain=1) needs a weight of rank 2"},
		{&PReLU{AlphaInitializer: IdentityMatrix(1)}, tensor.Shape{2, 3, 4}, "alpha_initializer identity(gain=1) needs a 2-D weight"},
		{&PReLU{AlphaInitializer: Dirac}, tensor.Shape{2, 3}, "alpha_initializer dirac only applies to kernels"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{1, 1}, KernelInitializer: IdentityMatrix(1)}, tensor.Shape{4, 4, 2}, "kernel_initializer identity(gain=1) needs a 2-D weight such as a Dense kernel (Keras: \"Identity matrix initializer can only be used for 2D matrices\"), this one has rank 4"},
		{&Conv1D{Filters: 2, KernelSize: 3, KernelInitializer: IdentityMatrix(1)}, tensor.Shape{8, 2}, "this one has rank 3"},
		{&Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, KernelInitializer: IdentityMatrix(1)}, tensor.Shape{4, 4, 2}, "kernel_initializer identity(gain=1) needs a 2-D weight"},
		{&DepthwiseConv2D{KernelSize: [2]int{3, 3}, DepthwiseInitializer: IdentityMatrix(1)}, tensor.Shape{4, 4, 2}, "depthwise_initializer identity(gain=1) needs a 2-D weight"},
		{&SeparableConv2D{Filters: 2, KernelSize: [2]int{3, 3}, PointwiseInitializer: IdentityMatrix(1)}, tensor.Shape{4, 4, 2}, "pointwise_initializer identity(gain=1) needs a 2-D weight"},
		{&SeparableConv2D{Filters: 2, KernelSize: [2]int{3, 3}, DepthwiseInitializer: IdentityMatrix(1)}, tensor.Shape{4, 4, 2}, "depthwise_initializer identity(gain=1) needs a 2-D weight"},
	} {
		err := tt.l.Build(tt.in, rand.New(rand.NewPCG(1, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s on %v: err = %v, want %q", tt.l.Class(), tt.in, err, tt.want)
		}
	}
	// A PReLU alpha of rank 2 or 3 takes them, with Keras's flattening.
	p := &PReLU{AlphaInitializer: Orthogonal(1)}
	if err := p.Build(tensor.Shape{3, 4, 5}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	orthonormal(t, "PReLU alpha (3, 4, 5)", p.alpha.Value.Data, 12, 5, 1)
	p = &PReLU{AlphaInitializer: IdentityMatrix(3)}
	if err := p.Build(tensor.Shape{2, 2}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	if got := p.alpha.Value.Data; !reflect.DeepEqual(got, []float32{3, 0, 0, 3}) {
		t.Errorf("PReLU identity alpha = %v, want 3·I", got)
	}
}

// TestInitializerSeed: a seeded initializer draws the same values
// whatever the model's seed (and in every layer it initialises, as a
// Keras initializer seeded with an integer does); unseeded, the model's
// seed decides.
func TestInitializerSeed(t *testing.T) {
	kernel := func(init Initializer, modelSeed uint64) []float32 {
		d := &Dense{Units: 5, KernelInitializer: init, InputShape: []int{7}}
		s := &Stack{}
		s.Add(d)
		if err := s.Build(nil, modelSeed); err != nil {
			t.Fatal(err)
		}
		return d.kernel.Value.Data
	}
	for _, init := range []Initializer{GlorotUniform, HeNormal, LecunUniform, RandomNormal(0, 1), RandomUniform(-1, 1),
		TruncatedNormal(0, 1), VarianceScaling(2, FanOut, DistUntruncatedNormal), Orthogonal(1)} {
		a, b := kernel(init.WithSeed(42), 1), kernel(init.WithSeed(42), 2)
		c := kernel(init.WithSeed(43), 1)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%v seeded: the model's seed changed the values", init)
		}
		if reflect.DeepEqual(a, c) {
			t.Errorf("%v: seeds 42 and 43 drew the same values", init)
		}
		if reflect.DeepEqual(kernel(init, 1), kernel(init, 2)) {
			t.Errorf("%v unseeded: the model's seed did not change the values", init)
		}
		if s, ok := init.WithSeed(-5).Seed(); !ok || s != -5 {
			t.Errorf("%v.WithSeed(-5).Seed() = %v, %v", init, s, ok)
		}
		if init.WithSeed(1) == init || init.WithSeed(1) != init.WithSeed(1) {
			t.Errorf("%v: == must see the seed", init)
		}
	}
	for _, init := range []Initializer{Zeros, Ones, Constant(2), IdentityMatrix(1), Dirac, InitDefault} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v.WithSeed: no panic; Keras's %v takes no seed", init, init)
				}
			}()
			init.WithSeed(1)
		}()
	}
}

func TestParseInitializerNames(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  Initializer
	}{
		{[]string{"glorot_uniform", "GlorotUniform"}, GlorotUniform},
		{[]string{"glorot_normal", "GlorotNormal"}, GlorotNormal},
		{[]string{"he_normal", "HeNormal"}, HeNormal},
		{[]string{"he_uniform", "HeUniform"}, HeUniform},
		{[]string{"lecun_normal", "LecunNormal"}, LecunNormal},
		{[]string{"lecun_uniform", "LecunUniform"}, LecunUniform},
		{[]string{"zeros", "Zeros", "zero"}, Zeros},
		{[]string{"ones", "Ones", "one"}, Ones},
		{[]string{"constant", "Constant"}, Constant(0)},
		{[]string{"random_normal", "RandomNormal", "normal"}, RandomNormal(0, 0.05)},
		{[]string{"random_uniform", "RandomUniform", "uniform"}, RandomUniform(-0.05, 0.05)},
		{[]string{"truncated_normal", "TruncatedNormal"}, TruncatedNormal(0, 0.05)},
		{[]string{"variance_scaling", "VarianceScaling"}, VarianceScaling(1, FanIn, DistTruncatedNormal)},
		{[]string{"orthogonal", "Orthogonal", "OrthogonalInitializer", "orthogonal_initializer"}, Orthogonal(1)},
		{[]string{"identity", "Identity", "IdentityInitializer"}, IdentityMatrix(1)},
		{[]string{"dirac", "Dirac"}, Dirac},
		{[]string{"default"}, InitDefault},
	} {
		for _, n := range tt.names {
			if got, err := ParseInitializer(n); err != nil || got != tt.want {
				t.Errorf("ParseInitializer(%q) = %v, %v; want %v", n, got, err, tt.want)
			}
		}
		if tt.want != InitDefault && !strings.HasPrefix(tt.want.String(), tt.names[0]) {
			t.Errorf("%v.String() does not start with %q", tt.want, tt.names[0])
		}
	}
	for _, bad := range []string{"he", "Glorot_Uniform", "xavier", ""} {
		if _, err := ParseInitializer(bad); err == nil || !strings.Contains(err.Error(), "variance_scaling") {
			t.Errorf("ParseInitializer(%q): err = %v, want the list of names", bad, err)
		}
	}
	if got := VarianceScaling(2, FanAvg, DistUniform).WithSeed(3).String(); got != "variance_scaling(scale=2, mode=fan_avg, distribution=uniform, seed=3)" {
		t.Errorf("String() = %q", got)
	}
}

// jsonRoundTrip is v written as JSON and read back, as a model file
// stores it.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInitializerConfigs: Config writes what Keras 3's
// serialize_keras_object writes (the get_config of each class in
// keras/src/initializers/), and reading it back gives the same
// initializer.
func TestInitializerConfigs(t *testing.T) {
	obj := func(class string, cfg map[string]any) map[string]any {
		return map[string]any{"module": "keras.initializers", "class_name": class, "config": cfg, "registered_name": nil}
	}
	for _, tt := range []struct {
		init Initializer
		want map[string]any
	}{
		{GlorotUniform, obj("GlorotUniform", map[string]any{"seed": nil})},
		{GlorotNormal.WithSeed(7), obj("GlorotNormal", map[string]any{"seed": 7})},
		{HeNormal, obj("HeNormal", map[string]any{"seed": nil})},
		{HeUniform, obj("HeUniform", map[string]any{"seed": nil})},
		{LecunNormal, obj("LecunNormal", map[string]any{"seed": nil})},
		{LecunUniform.WithSeed(-1), obj("LecunUniform", map[string]any{"seed": -1})},
		{Zeros, obj("Zeros", map[string]any{})},
		{Ones, obj("Ones", map[string]any{})},
		{Constant(0.3), obj("Constant", map[string]any{"value": 0.3})},
		{RandomNormal(0.1, 2), obj("RandomNormal", map[string]any{"seed": nil, "mean": 0.1, "stddev": 2})},
		{TruncatedNormal(0, 0.05).WithSeed(1), obj("TruncatedNormal", map[string]any{"seed": 1, "mean": 0, "stddev": 0.05})},
		{RandomUniform(-1, 3), obj("RandomUniform", map[string]any{"seed": nil, "minval": -1, "maxval": 3})},
		{VarianceScaling(2, FanOut, DistUntruncatedNormal), obj("VarianceScaling", map[string]any{"seed": nil, "scale": 2, "mode": "fan_out", "distribution": "untruncated_normal"})},
		{VarianceScaling(1, FanAvg, "NORMAL"), obj("VarianceScaling", map[string]any{"seed": nil, "scale": 1, "mode": "fan_avg", "distribution": "truncated_normal"})},
		{Orthogonal(1.5).WithSeed(9), obj("Orthogonal", map[string]any{"seed": 9, "gain": 1.5})},
		{IdentityMatrix(2), obj("Identity", map[string]any{"gain": 2})},
		{Dirac, obj("Dirac", map[string]any{})},
	} {
		got := jsonRoundTrip(t, tt.init.Config())
		if want := jsonRoundTrip(t, tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("%v.Config() = %v, Keras writes %v", tt.init, got, want)
		}
		back, err := InitializerFromConfig(got)
		if err != nil || back != tt.init {
			t.Errorf("%v: read back as %v, %v", tt.init, back, err)
		}
	}
	if InitDefault.Config() != nil {
		t.Error("InitDefault has no config of its own")
	}
}

// TestInitializerConfigSpellings: the spellings Keras 2 and 3 files use.
func TestInitializerConfigSpellings(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Initializer
	}{
		{`null`, InitDefault},
		{`"he_normal"`, HeNormal},
		{`"VarianceScaling"`, VarianceScaling(1, FanIn, DistTruncatedNormal)},
		{`{"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": null}, "registered_name": null}`, HeNormal},
		{`{"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 12}, "registered_name": null}`, HeNormal.WithSeed(12)},
		{`{"module": "keras.src.initializers.random_initializers", "class_name": "HeNormal", "config": {}, "registered_name": "HeNormal"}`, HeNormal},
		// Keras 2 (tf.keras 2.x): no module.
		{`{"class_name": "GlorotUniform", "config": {"seed": null}}`, GlorotUniform},
		{`{"class_name": "Zeros", "config": {}}`, Zeros},
		{`{"class_name": "Zeros"}`, Zeros},
		// Keras 2.0-2.2 wrote glorot_uniform and he_normal as VarianceScaling,
		// "normal" meaning the truncated normal.
		{`{"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}`, VarianceScaling(1, FanAvg, DistUniform)},
		{`{"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_in", "distribution": "normal", "seed": null}}`, VarianceScaling(2, FanIn, DistTruncatedNormal)},
		{`{"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_in", "distribution": "Uniform"}}`, VarianceScaling(2, FanIn, DistUniform)},
		{`{"class_name": "VarianceScaling", "config": {}}`, VarianceScaling(1, FanIn, DistTruncatedNormal)},
		{`{"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.02, "seed": null}}`, RandomNormal(0, 0.02)},
		{`{"class_name": "RandomUniform", "config": {"minval": -0.1, "maxval": 0.1, "seed": 5}}`, RandomUniform(-0.1, 0.1).WithSeed(5)},
		{`{"class_name": "TruncatedNormal", "config": {"stddev": 1}}`, TruncatedNormal(0, 1)},
		{`{"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}}`, Orthogonal(1)},
		{`{"class_name": "OrthogonalInitializer", "config": {"gain": 0.5, "seed": null}}`, Orthogonal(0.5)},
		{`{"class_name": "Identity", "config": {"gain": 1.0}}`, IdentityMatrix(1)},
		{`{"class_name": "Constant", "config": {"value": 0.1}}`, Constant(0.1)},
		// TF 1's tf.keras wrote the dtype.
		{`{"class_name": "Zeros", "config": {"dtype": "float32"}}`, Zeros},
		{`{"class_name": "glorot_uniform", "config": {"seed": null, "dtype": "float32"}}`, GlorotUniform},
	} {
		var v any
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := InitializerFromConfig(v)
		if err != nil || got != tt.want {
			t.Errorf("%s: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestInitializerConfigErrors: every key is checked, with Keras's
// constructor checks.
func TestInitializerConfigErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"xavier"`, `unknown initializer "xavier"`},
		{`3`, "neither a name nor an object"},
		{`{"config": {}}`, "has no class name"},
		{`{"class_name": "Xavier", "config": {}}`, `unknown initializer "Xavier"`},
		{`{"class_name": "default", "config": {}}`, `unknown initializer class "default"`},
		{`{"class_name": "HeNormal", "config": {"seed": null, "scale": 2.0}}`, `HeNormal takes no "scale"; it takes seed`},
		{`{"class_name": "Zeros", "config": {"seed": 1}}`, `Zeros takes no "seed"`},
		{`{"class_name": "Identity", "config": {"gain": 1, "seed": 1}}`, `Identity takes no "seed"; it takes gain`},
		{`{"class_name": "RandomNormal", "config": {"mean": 0, "stdev": 1}}`, `RandomNormal takes no "stdev"; it takes mean, seed, stddev`},
		{`{"class_name": "RandomNormal", "config": {"stddev": -1}}`, `"stddev" is -1`},
		{`{"class_name": "RandomUniform", "config": {"minval": 1, "maxval": 0}}`, `"maxval" 0 is below "minval" 1`},
		{`{"class_name": "VarianceScaling", "config": {"scale": 0}}`, "scale is 0; it must be a positive number"},
		{`{"class_name": "VarianceScaling", "config": {"scale": -2}}`, "scale is -2"},
		{`{"class_name": "VarianceScaling", "config": {"mode": "fan_sum"}}`, `mode is "fan_sum"; use fan_in, fan_out or fan_avg`},
		{`{"class_name": "VarianceScaling", "config": {"mode": "FAN_IN"}}`, `mode is "FAN_IN"`},
		{`{"class_name": "VarianceScaling", "config": {"distribution": "poisson"}}`, `distribution is "poisson"; use truncated_normal`},
		{`{"class_name": "VarianceScaling", "config": {"scale": "big"}}`, `"scale" is big; want a number`},
		{`{"class_name": "HeNormal", "config": {"seed": 1.5}}`, `"seed" is 1.5; want an integer`},
		{`{"class_name": "HeNormal", "config": {"seed": {"class_name": "SeedGenerator", "config": {"seed": 1}}}}`, "SeedGenerator"},
		{`{"class_name": "Constant", "config": {"value": [1, 2]}}`, `"value" is [1 2]; want a number`},
		{`{"class_name": "Zeros", "config": {"dtype": "float64"}}`, `"dtype" is "float64"`},
		{`{"class_name": "HeNormal", "config": [1]}`, "config is [1]"},
		{`{"class_name": "HeNormal", "config": {}, "shared": true}`, `unknown key "shared"`},
		{`{"module": "my_inits", "class_name": "HeNormal", "config": {}}`, `module "my_inits" is a custom class`},
		{`{"class_name": "HeNormal", "config": {}, "registered_name": "Custom>HeNormal"}`, "is a custom class"},
	} {
		var v any
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := InitializerFromConfig(v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, err = %v; want an error containing %q", tt.in, got, err, tt.want)
		}
	}
}

// TestInitializerLayerConfigs: layers read any initializer and write it
// back as Keras does; the fixed ones accept an equal Constant.
func TestInitializerLayerConfigs(t *testing.T) {
	vs := map[string]any{"module": "keras.initializers", "class_name": "VarianceScaling",
		"config": map[string]any{"seed": 3.0, "scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}, "registered_name": nil}
	l, err := FromConfig("Dense", map[string]any{"units": 4.0, "kernel_initializer": vs, "bias_initializer": "random_normal"})
	if err != nil {
		t.Fatal(err)
	}
	d := l.(*Dense)
	if d.KernelInitializer != VarianceScaling(2, FanAvg, DistUniform).WithSeed(3) || d.BiasInitializer != RandomNormal(0, 0.05) {
		t.Errorf("read %v and %v", d.KernelInitializer, d.BiasInitializer)
	}
	cfg := jsonRoundTrip(t, d.Config()).(map[string]any)
	if want := jsonRoundTrip(t, vs); !reflect.DeepEqual(cfg["kernel_initializer"], want) {
		t.Errorf("kernel_initializer written as %v, want %v", cfg["kernel_initializer"], want)
	}
	if want := jsonRoundTrip(t, RandomNormal(0, 0.05).Config()); !reflect.DeepEqual(cfg["bias_initializer"], want) {
		t.Errorf("bias_initializer written as %v", cfg["bias_initializer"])
	}
	for _, tt := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"units": 4.0, "kernel_initializer": map[string]any{"class_name": "VarianceScaling", "config": map[string]any{"scale": 0.0}}}, "kernel_initializer: initializer VarianceScaling config: VarianceScaling scale is 0"},
		{map[string]any{"units": 4.0, "bias_initializer": "glorot"}, `bias_initializer: unknown initializer "glorot"`},
	} {
		if _, err := FromConfig("Dense", tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.cfg, err, tt.want)
		}
	}
	ok := map[string]any{"gamma_initializer": map[string]any{"class_name": "Constant", "config": map[string]any{"value": 1.0}},
		"beta_initializer": map[string]any{"class_name": "Constant", "config": map[string]any{"value": 0.0}}}
	if _, err := FromConfig("BatchNormalization", ok); err != nil {
		t.Errorf("BatchNormalization with Constant(1) gamma and Constant(0) beta: %v", err)
	}
	bad := map[string]any{"gamma_initializer": map[string]any{"class_name": "Constant", "config": map[string]any{"value": 2.0}}}
	if _, err := FromConfig("BatchNormalization", bad); err == nil || !strings.Contains(err.Error(), "gokeras initialises it with ones") {
		t.Errorf("BatchNormalization with Constant(2) gamma: err = %v", err)
	}
}

// TestBiasFans: a bias of n units has Keras's fans (n, n), whatever the
// kernel's (compute_fans of shape (units,)).
func TestBiasFans(t *testing.T) {
	init := VarianceScaling(1, FanIn, DistUniform)
	d := &Dense{Units: 50, BiasInitializer: init}
	c := &Conv2D{Filters: 50, KernelSize: [2]int{3, 3}, BiasInitializer: init}
	for _, tt := range []struct {
		l    Layer
		in   tensor.Shape
		bias func() []float32
	}{
		// Fans (5000, 50) would bound the values by sqrt(3/5000) = 0.024.
		{d, tensor.Shape{5000}, func() []float32 { return d.bias.Value.Data }},
		// Fans (3*3*500, 3*3*50) would bound them by 0.026.
		{c, tensor.Shape{3, 3, 500}, func() []float32 { return c.bias.Value.Data }},
	} {
		if err := tt.l.Build(tt.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		limit := math.Sqrt(3.0 / 50)
		peak := 0.0
		for _, v := range tt.bias() {
			peak = math.Max(peak, math.Abs(float64(v)))
		}
		if peak > limit || peak < limit/2 {
			t.Errorf("%s bias values reach %v; with fan_in 50 they spread up to %v", tt.l.Class(), peak, limit)
		}
	}
}
