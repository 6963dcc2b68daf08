package train

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestBetaRand compares betaRand's draws with gonum's Beta CDF by the
// Kolmogorov-Smirnov statistic (seeded, so the same draws every run; the
// bound is the 1% critical value), and checks that tiny shapes give 0 or
// 1 in equal parts, never NaN.
func TestBetaRand(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 20000
	for _, ab := range [][2]float64{{0.2, 0.2}, {0.5, 0.5}, {1, 1}, {2.5, 2.5}, {0.3, 2}, {4, 1.5}} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = betaRand(r, ab[0], ab[1])
		}
		sort.Float64s(xs)
		ref := distuv.Beta{Alpha: ab[0], Beta: ab[1]}
		var d float64
		for i, x := range xs {
			c := ref.CDF(x)
			d = max(d, math.Abs(c-float64(i)/n), math.Abs(float64(i+1)/n-c))
		}
		if limit := 1.63 / math.Sqrt(n); d > limit {
			t.Errorf("Beta(%v, %v): KS statistic %.4f > %.4f", ab[0], ab[1], d, limit)
		}
	}
	ones := 0
	for range n {
		v := betaRand(r, 1e-6, 1e-6)
		if math.IsNaN(v) || (v > 1e-3 && v < 1-1e-3) {
			t.Fatalf("Beta(1e-6, 1e-6) drew %v; want 0 or 1", v)
		}
		if v > 0.5 {
			ones++
		}
	}
	if f := float64(ones) / n; math.Abs(f-0.5) > 0.02 {
		t.Errorf("Beta(1e-6, 1e-6): %.3f of draws near 1, want 0.5", f)
	}
}

// TestMixUpBlends checks one batch by hand: every sample is λ of itself
// and 1-λ of its partner, with one λ for the batch, and over many batches
// λ averages 1/2 (Beta(α, α) is symmetric).
func TestMixUpBlends(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m := &MixUp{}
	x := tensor.New(8, 3, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	orig := slices.Clone(x.Data)
	perm := []int{3, 0, 1, 2, 7, 6, 5, 4}
	own := make([]float32, 8)
	m.Mix(r, x, perm, own)
	for i, j := range perm {
		if own[i] != own[0] {
			t.Fatalf("own %v: MixUp draws one λ per batch", own)
		}
		for k := range 6 {
			want := own[i]*orig[i*6+k] + (1-own[i])*orig[j*6+k]
			if got := x.Data[i*6+k]; math.Abs(float64(got-want)) > 1e-5 {
				t.Fatalf("x[%d][%d] = %v, want %v (λ %v, partner %d)", i, k, got, want, own[i], j)
			}
		}
	}
	var sum float64
	for range 4000 {
		m.Mix(r, x, perm, own)
		sum += float64(own[0])
	}
	if mean := sum / 4000; math.Abs(mean-0.5) > 0.03 {
		t.Errorf("MixUp λ averages %.3f over 4000 batches, want 0.5", mean)
	}
}

// TestCutMixMaskNumPy checks the box and label weight against NumPy
// running Keras's formulas (cut_mix.py: _compute_crop_bounds,
// _generate_batch_mask) on the same draws, for square and non-square
// images, including boxes that cover all or none of the image or whose
// edges fall on pixel coordinates.
func TestCutMixMaskNumPy(t *testing.T) {
	type job struct {
		H, W        int
		Lam, UX, UY float64
	}
	type result struct {
		Mask [][]int
		Own  float64
	}
	r := rand.New(rand.NewPCG(7, 8))
	var jobs []job
	for _, hw := range [][2]int{{8, 8}, {5, 9}, {32, 32}} {
		for range 20 {
			jobs = append(jobs, job{hw[0], hw[1], r.Float64(), r.Float64(), r.Float64()})
		}
		// Whole, empty and half-sided boxes; 0.75 gives sides of exactly
		// half the image, so edges on pixel coordinates.
		jobs = append(jobs, job{hw[0], hw[1], 0, 0.3, 0.7}, job{hw[0], hw[1], 1, 0.5, 0.5}, job{hw[0], hw[1], 0.5, 1, 0},
			job{hw[0], hw[1], 0.75, 0, 0}, job{hw[0], hw[1], 0.75, 1, 1})
	}
	const script = `
import json, sys
import numpy as np
out = []
for j in json.load(sys.stdin):
    h, w = j["H"], j["W"]
    ratio = np.sqrt(1.0 - j["Lam"])
    cw, chh = ratio * w, ratio * h
    x0 = j["UX"] * (w - cw); x1 = x0 + cw
    y0 = j["UY"] * (h - chh); y1 = y0 + chh
    gy, gx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    mask = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)
    out.append({"Mask": mask.astype(int).tolist(), "Own": float(1.0 - (x1 - x0) * (y1 - y0) / (w * h))})
print(json.dumps(out))
`
	var want []result
	pyref.Run(t, script, jobs, &want, "numpy")
	for n, j := range jobs {
		b := cutBox(j.H, j.W, j.Lam, j.UX, j.UY)
		dst, src := make([]float32, j.H*j.W*2), make([]float32, j.H*j.W*2)
		for i := range src {
			src[i] = 1
		}
		b.paste(dst, src, j.H, j.W, 2)
		for y := range j.H {
			for x := range j.W {
				for c := range 2 {
					if got := int(dst[(y*j.W+x)*2+c]); got != want[n].Mask[y][x] {
						t.Fatalf("job %+v: pixel (%d, %d) channel %d pasted %d, NumPy's mask %d", j, y, x, c, got, want[n].Mask[y][x])
					}
				}
			}
		}
		if own := 1 - (b.x1-b.x0)*(b.y1-b.y0)/float64(j.W*j.H); math.Abs(own-want[n].Own) > 1e-12 {
			t.Errorf("job %+v: own share %v, NumPy %v", j, own, want[n].Own)
		}
	}
}

// TestCutMixPastes checks a CutMix batch: each image is its own outside
// one box and its partner's inside it, and keeps about the share of its
// label that the box leaves (the share is the box's real-valued area, the
// pasted pixels its integer approximation).
func TestCutMixPastes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, h, w, ch = 64, 12, 10, 3
	x := tensor.New(n, h, w, ch)
	for i := range n {
		for k := range h * w * ch {
			x.Data[i*h*w*ch+k] = float32(i + 1)
		}
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = (i + 5) % n
	}
	own := make([]float32, n)
	c := &CutMix{}
	if err := c.Check(x.Shape[1:]); err != nil {
		t.Fatal(err)
	}
	c.Mix(r, x, perm, own)
	var sum float64
	for i, j := range perm {
		img := x.Data[i*h*w*ch : (i+1)*h*w*ch]
		pasted := 0
		for _, v := range img {
			switch v {
			case float32(j + 1):
				pasted++
			case float32(i + 1):
			default:
				t.Fatalf("image %d has value %v, neither its own nor image %d's", i, v, j)
			}
		}
		if share := 1 - float64(pasted)/float64(h*w*ch); math.Abs(share-float64(own[i])) > float64(2*(h+w))/float64(h*w)+1e-6 {
			t.Errorf("image %d: %d of %d values pasted, but its own share is %v", i, pasted, h*w*ch, own[i])
		}
		sum += float64(own[i])
	}
	if mean := sum / n; mean < 0.3 || mean > 0.7 {
		t.Errorf("own shares average %v, want about 0.5", mean)
	}
}

// TestMixerChecks: bad settings and inputs are refused with what to do.
func TestMixerChecks(t *testing.T) {
	img := tensor.Shape{8, 8, 3}
	for _, tt := range []struct {
		m    Mixer
		row  tensor.Shape
		want string
	}{
		{&MixUp{Alpha: -1}, img, "alpha -1 must be positive"},
		{&MixUp{Alpha: math.Inf(1)}, img, "must be positive"},
		{&MixUp{Alpha: math.NaN()}, img, "must be positive"},
		{&CutMix{Factor: []float64{1.5}}, img, "factor [1.5] must be"},
		{&CutMix{Factor: []float64{0.6, 0.2}}, img, "range [lo, hi]"},
		{&CutMix{Factor: []float64{0, 0.5, 1}}, img, "must be one number"},
		{&CutMix{}, tensor.Shape{8}, "boxes between images (N, H, W, C)"},
	} {
		err := tt.m.Check(tt.row)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v on %v: %v, want an error with %q", tt.m.Name(), tt.m, tt.row, err, tt.want)
		}
	}
	if err := (&MixUp{}).Check(tensor.Shape{4}); err != nil {
		t.Errorf("MixUp blends any inputs: %v", err)
	}
}

// TestOneHotBlend checks the sparse labels' blend by hand: one-hot rows
// weighted by the shares, and the dominant labels (lower class on a tie).
func TestOneHotBlend(t *testing.T) {
	mx := &mixing{perm: []int{1, 0, 2, 3}, own: []float32{0.75, 0.5, 0.2, 0.5}, shape: tensor.Shape{4, 3}}
	y := &tensor.Tensor{Shape: tensor.Shape{4}, Data: []float32{2, 0, 1, 1}}
	dense, dom := mx.oneHot(y)
	want := []float32{
		0.25, 0, 0.75, // 0.75 of class 2, 0.25 of sample 1's class 0
		0.5, 0, 0.5, // a tie: the dominant label is class 0
		0, 1, 0, // paired with itself
		0, 1, 0,
	}
	if !slices.Equal(dense.Data, want) {
		t.Errorf("blended rows %v, want %v", dense.Data, want)
	}
	if want := []float32{2, 0, 1, 1}; !slices.Equal(dom.Data, want) {
		t.Errorf("dominant labels %v, want %v", dom.Data, want)
	}
}

// mixModel is a small CNN classifier on 8x8x3 images with 4 classes and
// data it can learn (the class is which quadrant is bright).
func mixModel(t testing.TB, l loss.Loss, last activation.Func) (*Model, *tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	net := &nn.Stack{}
	net.Add(
		&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{8, 8, 3}},
		&nn.Flatten{},
		&nn.Dense{Units: 4, Activation: last},
	)
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: l, Optimizer: &optim.Adam{LR: 0.01}, Metrics: []metric.Metric{&metric.Accuracy{}}}
	r := rand.New(rand.NewPCG(11, 12))
	const n = 256
	x, y := tensor.New(n, 8, 8, 3), tensor.New(n)
	for i := range n {
		c := r.IntN(4)
		y.Data[i] = float32(c)
		for p := range 64 {
			v := 0.2 * r.Float32()
			if (p/8 >= 4) == (c >= 2) && (p%8 >= 4) == (c%2 == 1) {
				v += 0.8
			}
			for k := range 3 {
				x.Data[(i*64+p)*3+k] = v
			}
		}
	}
	return m, x, y
}

// TestFitMixUpCutMix trains with each mixer: the runs are repeatable, a
// run resumed at an epoch boundary matches an uninterrupted one bit for
// bit, mixing changes the training, and the model still learns.
func TestFitMixUpCutMix(t *testing.T) {
	mixers := map[string]func() Mixer{
		"MixUp":  func() Mixer { return &MixUp{Alpha: 0.4} },
		"CutMix": func() Mixer { return &CutMix{} },
	}
	for name, mk := range mixers {
		t.Run(name, func(t *testing.T) {
			run := func(mixer Mixer, epochs, initial int, m *Model) *History {
				_, x, y := mixModel(t, nil, activation.Linear)
				h, err := Fit(context.Background(), m, x, y, Options{Epochs: epochs, InitialEpoch: initial, BatchSize: 32, Seed: 3, Mix: mixer, Out: io.Discard, Verbose: Silent})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			fresh := func() *Model {
				m, _, _ := mixModel(t, loss.SparseCategoricalCrossentropy{LabelSmoothing: 0.1}, activation.Softmax)
				return m
			}
			a, b := fresh(), fresh()
			ha := run(mk(), 6, 0, a)
			run(mk(), 6, 0, b)
			if !slices.Equal(flat(a.values), flat(b.values)) {
				t.Fatal("two seeded runs with the same mixer differ")
			}
			c := fresh()
			run(mk(), 3, 0, c)
			run(mk(), 6, 3, c)
			if !slices.Equal(flat(a.values), flat(c.values)) {
				t.Error("a run resumed after epoch 3 differs from an uninterrupted one")
			}
			plain := fresh()
			run(nil, 6, 0, plain)
			if slices.Equal(flat(a.values), flat(plain.values)) {
				t.Error("mixing changed nothing")
			}
			_, x, y := mixModel(t, nil, activation.Linear)
			logs, err := Evaluate(a, x, y, 64)
			if err != nil {
				t.Fatal(err)
			}
			if acc := logs["accuracy"]; acc < 0.9 {
				t.Errorf("accuracy %v after 6 epochs with %s, want >= 0.9 (training loss %v)", acc, name, ha.History["loss"])
			}
		})
	}
}

// TestMixedSparseIsOneHot: training with sparse labels under a mixer takes
// the same step as training on the blended one-hot rows with categorical
// cross-entropy (what a Keras user writes), on the fused softmax path and
// on logits, with sample weights.
func TestMixedSparseIsOneHot(t *testing.T) {
	for _, fromLogits := range []bool{false, true} {
		last := activation.Softmax
		if fromLogits {
			last = activation.Linear
		}
		sparse, x, y := mixModel(t, loss.SparseCategoricalCrossentropy{FromLogits: fromLogits, LabelSmoothing: 0.1}, last)
		dense, _, _ := mixModel(t, loss.CategoricalCrossentropy{FromLogits: fromLogits, LabelSmoothing: 0.1}, last)
		x, y = &tensor.Tensor{Shape: tensor.Shape{32, 8, 8, 3}, Data: x.Data[:32*192]}, &tensor.Tensor{Shape: tensor.Shape{32}, Data: y.Data[:32]}
		w := make([]float32, 32)
		for i := range w {
			w[i] = float32(1 + i%3)
		}
		for _, m := range []*Model{sparse, dense} {
			m.gather()
			m.fuseKnown = false
		}
		mx, err := newMixing(sparse, &MixUp{}, x, 1)
		if err != nil {
			t.Fatal(err)
		}
		xs := tensor.New(x.Shape...)
		copy(xs.Data, x.Data)
		ls := mx.step(sparse, 0, 0, xs, y, w)
		// The same blend by hand: the mixer's pairing and shares.
		onehot := tensor.New(32, 4)
		for i, j := range mx.perm {
			onehot.Data[i*4+int(y.Data[i])] += mx.own[i]
			onehot.Data[i*4+int(y.Data[j])] += 1 - mx.own[i]
		}
		ld := dense.step(xs, onehot, w)
		if math.Abs(ls-ld) > 1e-6*math.Abs(ld) {
			t.Errorf("from_logits %v: loss %v with sparse labels, %v on one-hot rows", fromLogits, ls, ld)
		}
		for i := range sparse.values {
			a, b := sparse.values[i].Data, dense.values[i].Data
			for k := range a {
				if math.Abs(float64(a[k]-b[k])) > 1e-6 {
					t.Fatalf("from_logits %v: weight %s[%d] %v after the sparse step, %v after the one-hot one", fromLogits, sparse.names[i], k, a[k], b[k])
				}
			}
		}
	}
}

// TestMixedDenseTargets: dense targets blend as the inputs do.
func TestMixedDenseTargets(t *testing.T) {
	m, x, y := mixModel(t, loss.CategoricalCrossentropy{}, activation.Softmax)
	onehot := tensor.New(x.Shape[0], 4)
	for i, c := range y.Data {
		onehot.Data[i*4+int(c)] = 1
	}
	mx, err := newMixing(m, &MixUp{}, x, 1)
	if err != nil {
		t.Fatal(err)
	}
	orig := slices.Clone(onehot.Data)
	yt, ym := mx.mix(0, 0, x, onehot, m.Net.OutputShape())
	if yt != onehot || ym != onehot {
		t.Fatal("dense targets are blended in place")
	}
	for i, j := range mx.perm {
		for k := range 4 {
			want := mx.own[i]*orig[i*4+k] + (1-mx.own[i])*orig[j*4+k]
			if got := onehot.Data[i*4+k]; math.Abs(float64(got-want)) > 1e-6 {
				t.Fatalf("target %d,%d = %v, want %v", i, k, got, want)
			}
		}
	}
}

// TestMixedStepAllocatesNothing: a mixed step reuses its buffers.
func TestMixedStepAllocatesNothing(t *testing.T) {
	for _, mixer := range []Mixer{&MixUp{}, &CutMix{}} {
		m, x, y := mixModel(t, loss.SparseCategoricalCrossentropy{LabelSmoothing: 0.1}, activation.Softmax)
		m.gather()
		x, y = &tensor.Tensor{Shape: tensor.Shape{32, 8, 8, 3}, Data: x.Data[:32*192]}, &tensor.Tensor{Shape: tensor.Shape{32}, Data: y.Data[:32]}
		mx, err := newMixing(m, mixer, x, 1)
		if err != nil {
			t.Fatal(err)
		}
		s := 0
		mx.step(m, 0, s, x, y, nil)
		if a := testing.AllocsPerRun(5, func() { s++; mx.step(m, 0, s, x, y, nil) }); a != 0 {
			t.Errorf("%s: a mixed step allocates %v times once warm, want 0", mixer.Name(), a)
		}
	}
}

// TestFitMixRefuses: a mixer on a model it cannot serve is an error
// before training starts.
func TestFitMixRefuses(t *testing.T) {
	m, x, y := mixModel(t, loss.SparseCategoricalCrossentropy{}, activation.Softmax)
	before := flat(func() []*tensor.Tensor { m.gather(); return m.values }())
	flatX := &tensor.Tensor{Shape: tensor.Shape{x.Shape[0], 192}, Data: x.Data}
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: 4, Activation: activation.Softmax, InputShape: tensor.Shape{192}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	flatM := &Model{Net: net, Loss: loss.SparseCategoricalCrossentropy{}, Optimizer: &optim.SGD{}}
	for _, tt := range []struct {
		m    *Model
		x    *tensor.Tensor
		mix  Mixer
		want string
	}{
		{flatM, flatX, &CutMix{}, "CutMix pastes boxes between images"},
		{m, x, &MixUp{Alpha: -2}, "MixUp alpha -2"},
	} {
		_, err := Fit(context.Background(), tt.m, tt.x, y, Options{Mix: tt.mix, Out: io.Discard, Verbose: Silent})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.mix.Name(), err, tt.want)
		}
	}
	if !slices.Equal(before, flat(m.values)) {
		t.Error("a refused Fit changed the weights")
	}
}
