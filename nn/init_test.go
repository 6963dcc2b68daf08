package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

func TestInitializerStatistics(t *testing.T) {
	const fanIn, fanOut, n = 300, 100, 200000
	tests := []struct {
		init     Initializer
		std, max float64 // expected standard deviation and bound on |value|
	}{
		// Uniform on ±limit has std limit/√3.
		{GlorotUniform, math.Sqrt(6.0/(fanIn+fanOut)) / math.Sqrt(3), math.Sqrt(6.0 / (fanIn + fanOut))},
		{HeUniform, math.Sqrt(6.0/fanIn) / math.Sqrt(3), math.Sqrt(6.0 / fanIn)},
		// Truncated normals are rescaled so the std is sqrt(scale); values stay within 2 of the untruncated std.
		{GlorotNormal, math.Sqrt(2.0 / (fanIn + fanOut)), 2 * math.Sqrt(2.0/(fanIn+fanOut)) / 0.87962566103423978},
		{HeNormal, math.Sqrt(2.0 / fanIn), 2 * math.Sqrt(2.0/fanIn) / 0.87962566103423978},
	}
	for _, tt := range tests {
		data := make([]float32, n)
		tt.init.fill(data, fanIn, fanOut, rand.New(rand.NewPCG(1, 2)))
		var s, sq, peak float64
		for _, v := range data {
			s += float64(v)
			sq += float64(v) * float64(v)
			peak = math.Max(peak, math.Abs(float64(v)))
		}
		mean := s / n
		std := math.Sqrt(sq/n - mean*mean)
		if math.Abs(mean) > 0.01*tt.std*10 || math.Abs(std-tt.std) > 0.01*tt.std {
			t.Errorf("%v: mean %v std %v, want 0 and %v", tt.init, mean, std, tt.std)
		}
		if peak > tt.max*(1+1e-6) {
			t.Errorf("%v: |value| reaches %v, bound %v", tt.init, peak, tt.max)
		}
	}
	ones := make([]float32, 3)
	Ones.fill(ones, 1, 1, nil)
	if ones[0] != 1 || ones[2] != 1 {
		t.Errorf("ones = %v", ones)
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	build := func(seed uint64) []float32 {
		s := &Stack{}
		s.Add(&Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, InputShape: []int{5, 5, 2}}, &Flatten{}, &Dense{Units: 4})
		if err := s.Build(nil, seed); err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range s.Params() {
			w = append(w, p.Value.Data...)
		}
		return w
	}
	a, b, c := build(3), build(3), build(4)
	same := func(x, y []float32) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Error("weights must depend on the seed and only on it")
	}
}

// A dirac-initialised "same" convolution passes its first input channels
// through unchanged and gives the remaining filters glorot weights.
func TestDiracPassesChannelsThrough(t *testing.T) {
	s := &Stack{}
	conv := &Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Padding: Same, KernelInitializer: Dirac, InputShape: []int{4, 5, 2}}
	s.Add(conv)
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 4, 5, 2)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	y := s.Forward(x, false)
	var third float64
	for p := 0; p < 2*4*5; p++ {
		for c := range 2 {
			if got, want := y.Data[p*3+c], x.Data[p*2+c]; got != want {
				t.Fatalf("pixel %d channel %d: %v, want the input's %v", p, c, got, want)
			}
		}
		third += math.Abs(float64(y.Data[p*3+2]))
	}
	if third == 0 {
		t.Error("filter 2 has no input channel to copy and must keep random weights")
	}
	k := conv.kernel.Value.Data // (3, 3, 2, 3), out fastest
	limit := float32(math.Sqrt(6.0 / (9*2 + 9*3)))
	for i := 2; i < len(k); i += 3 {
		if k[i] == 0 || k[i] > limit || k[i] < -limit {
			t.Fatalf("filter 2 weight %v is not glorot_uniform within ±%v", k[i], limit)
		}
	}
	// A bias has no centre tap: an error, not a panic.
	for _, l := range []Layer{
		&Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, BiasInitializer: Dirac, InputShape: []int{4, 4, 1}},
		&Dense{Units: 2, BiasInitializer: Dirac, InputShape: []int{3}},
	} {
		bad := &Stack{}
		bad.Add(l)
		if err := bad.Build(nil, 1); err == nil || !strings.Contains(err.Error(), "bias_initializer dirac") {
			t.Errorf("%s with a dirac bias: err = %v", l.Class(), err)
		}
	}
	if i, err := ParseInitializer("Dirac"); err != nil || i != Dirac {
		t.Errorf("ParseInitializer(Dirac) = %v, %v", i, err)
	}
}
