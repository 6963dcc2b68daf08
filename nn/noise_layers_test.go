package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// noiseLayers returns one of each noise layer of this package's issue-19
// slice, with the input shape each is tried on.
func noiseLayers() []struct {
	l  nn.Layer
	in tensor.Shape
} {
	return []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.SpatialDropout2D{Rate: 0.3}, tensor.Shape{4, 3, 5}},
		{&nn.GaussianNoise{Stddev: 0.5}, tensor.Shape{3, 4}},
		{&nn.GaussianDropout{Rate: 0.3}, tensor.Shape{12}},
		{&nn.AlphaDropout{Rate: 0.2}, tensor.Shape{2, 6}},
	}
}

// TestNoiseLayersInferenceIdentity: at inference (and with a zero rate)
// each returns its input itself, and Backward passes dy through.
func TestNoiseLayersInferenceIdentity(t *testing.T) {
	for _, c := range noiseLayers() {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(append(tensor.Shape{2}, c.in...)...)
		if y := c.l.Forward(x, false); y != x {
			t.Errorf("%s: inference output is not the input", c.l.Class())
		}
		if dx := c.l.Backward(x); dx != x {
			t.Errorf("%s: inference Backward is not the identity", c.l.Class())
		}
	}
	for _, l := range []nn.Layer{&nn.SpatialDropout2D{}, &nn.GaussianNoise{}, &nn.GaussianDropout{}, &nn.AlphaDropout{}} {
		if err := l.Build(tensor.Shape{2, 2, 2}, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(1, 2, 2, 2)
		if y := l.Forward(x, true); y != x {
			t.Errorf("%s with its zero value: training output is not the input", l.Class())
		}
	}
}

// TestNoiseLayersGradients checks the training-mode gradients with the
// noise replayed (Reseed before every forward pass).
func TestNoiseLayersGradients(t *testing.T) {
	for _, c := range noiseLayers() {
		rs := c.l.(reseeder)
		nntest.CheckGradients(t, c.l, c.in, nntest.GradOptions{Batch: 3, Training: true, BeforeForward: func() { rs.Reseed(4, 5) }})
	}
}

// TestNoiseLayersReseed: the same Reseed gives the same noise; another
// gives other noise.
func TestNoiseLayersReseed(t *testing.T) {
	for _, c := range noiseLayers() {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(append(tensor.Shape{4}, c.in...)...)
		x.Fill(1)
		rs := c.l.(reseeder)
		rs.Reseed(7, 8)
		a := c.l.Forward(x, true).Clone()
		rs.Reseed(7, 8)
		b := c.l.Forward(x, true).Clone()
		rs.Reseed(9, 8)
		d := c.l.Forward(x, true)
		same, diff := true, false
		for i := range a.Data {
			same = same && a.Data[i] == b.Data[i]
			diff = diff || a.Data[i] != d.Data[i]
		}
		if !same || !diff {
			t.Errorf("%s: same seed same noise %v, other seed other noise %v", c.l.Class(), same, diff)
		}
	}
}

// TestSpatialDropout2DDropsChannels: within an example a channel is
// dropped at every position or kept (times 1/(1-rate)) at every position,
// and about rate of the channels are dropped.
func TestSpatialDropout2DDropsChannels(t *testing.T) {
	l := &nn.SpatialDropout2D{Rate: 0.25}
	const n, h, w, c = 50, 3, 2, 16
	if err := l.Build(tensor.Shape{h, w, c}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(n, h, w, c)
	x.Fill(2)
	y := l.Forward(x, true)
	dropped := 0
	for e := range n {
		for ch := range c {
			first := y.Data[e*h*w*c+ch]
			if first != 0 && first != 2/0.75 {
				t.Fatalf("example %d channel %d: %v, want 0 or %v", e, ch, first, 2/0.75)
			}
			for p := range h * w {
				if v := y.Data[e*h*w*c+p*c+ch]; v != first {
					t.Fatalf("example %d channel %d: position %d is %v, position 0 %v", e, ch, p, v, first)
				}
			}
			if first == 0 {
				dropped++
			}
		}
	}
	// 800 channels, Binomial(800, 0.25): mean 200, sd 12.2.
	if dropped < 150 || dropped > 250 {
		t.Errorf("%d of %d channels dropped, want about 200", dropped, n*c)
	}
}

// moments returns the mean and variance of v.
func moments(v []float32) (mean, variance float64) {
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, variance / float64(len(v))
}

// TestGaussianNoiseAndDropoutMoments: GaussianNoise adds N(0, stddev²);
// GaussianDropout multiplies by N(1, rate/(1-rate)) (Keras's stddev
// sqrt(rate/(1-rate))); over 40,000 draws the sample moments are within a
// few standard errors.
func TestGaussianNoiseAndDropoutMoments(t *testing.T) {
	const n = 40000
	x := tensor.New(n, 1)
	x.Fill(3)
	gn := &nn.GaussianNoise{Stddev: 0.2}
	if err := gn.Build(tensor.Shape{1}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	m, v := moments(gn.Forward(x, true).Data)
	if math.Abs(m-3) > 0.005 || math.Abs(v-0.04) > 0.002 {
		t.Errorf("GaussianNoise(0.2) of 3: mean %v variance %v, want 3 and 0.04", m, v)
	}
	gd := &nn.GaussianDropout{Rate: 0.2}
	if err := gd.Build(tensor.Shape{1}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	m, v = moments(gd.Forward(x, true).Data)
	// y = 3*N(1, 0.25): mean 3, variance 9*0.25.
	if math.Abs(m-3) > 0.04 || math.Abs(v-2.25) > 0.1 {
		t.Errorf("GaussianDropout(0.2) of 3: mean %v variance %v, want 3 and 2.25", m, v)
	}
}

// TestAlphaDropoutValues: with rate 0.2, Keras's alpha' = -1.7580993408,
// a = 0.8789035834 and b = 0.3090399621 (worked out in Python from
// alpha_dropout.py's formulas); a kept x becomes a*x+b and a dropped one
// a*alpha'+b = -1.2361598486. For N(0,1) input the mean and variance stay
// 0 and 1, the point of the layer.
func TestAlphaDropoutValues(t *testing.T) {
	const a, b, dropped = 0.8789035834435328, 0.30903996214409446, -1.2361598485763778
	l := &nn.AlphaDropout{Rate: 0.2}
	const n = 40000
	if err := l.Build(tensor.Shape{1}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(n, 1)
	r := rand.New(rand.NewPCG(3, 3))
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := l.Forward(x, true)
	drops := 0
	for i, v := range y.Data {
		if math.Abs(float64(v)-dropped) < 1e-6 {
			drops++
			continue
		}
		if want := a*float64(x.Data[i]) + b; math.Abs(float64(v)-want) > 1e-6 {
			t.Fatalf("value %d: %v from %v, want a*x+b = %v or %v", i, v, x.Data[i], want, dropped)
		}
	}
	if f := float64(drops) / n; math.Abs(f-0.2) > 0.01 {
		t.Errorf("dropped fraction %v, want 0.2", f)
	}
	m, v := moments(y.Data)
	if math.Abs(m) > 0.02 || math.Abs(v-1) > 0.03 {
		t.Errorf("mean %v variance %v, want 0 and 1", m, v)
	}
}

// TestNormAndNoiseLayersNoAllocs: after a warm-up, a training step
// (Forward and Backward) of each new layer allocates nothing.
func TestNormAndNoiseLayersNoAllocs(t *testing.T) {
	cases := noiseLayers()
	for _, l := range []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.LayerNormalization{}, tensor.Shape{4, 6}},
		{&nn.GroupNormalization{Groups: 3}, tensor.Shape{3, 3, 6}},
		{&nn.UnitNormalization{}, tensor.Shape{5}},
	} {
		cases = append(cases, l)
	}
	for _, c := range cases {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(append(tensor.Shape{8}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(i%7) - 3
		}
		step := func() {
			y := c.l.Forward(x, true)
			c.l.Backward(y)
		}
		step()
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("%s: %v allocations per step", c.l.Class(), a)
		}
	}
}
