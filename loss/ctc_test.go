package loss

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// ctcBatch is n samples of T steps of C logits and labels padded to L.
func ctcBatch(r *rand.Rand, n, T, C, L int, labels [][]float32) (*tensor.Tensor, *tensor.Tensor) {
	p := tensor.New(n, T, C)
	for i := range p.Data {
		p.Data[i] = float32(r.NormFloat64() * 2)
	}
	y := tensor.New(n, L)
	for i, row := range labels {
		copy(y.Data[i*L:], row)
	}
	return p, y
}

// TestCTCAgainstTorch compares the per-sample losses, the reduced loss
// and its gradient with PyTorch's ctc_loss on log_softmax of the logits
// (blank 0, the label lengths Keras counts as the nonzero labels),
// reduced as Keras reduces: repeated labels (which need a blank between),
// an empty label sequence, and a full-length one.
func TestCTCAgainstTorch(t *testing.T) {
	const script = `
import json, sys
import torch
jobs = json.load(sys.stdin)
out = []
for c in jobs:
    n, T, C, L = c["n"], c["T"], c["C"], c["L"]
    x = torch.tensor(c["p"], dtype=torch.float64).reshape(n, T, C).requires_grad_()
    y = torch.tensor(c["y"], dtype=torch.int64).reshape(n, L)
    lengths = (y != 0).sum(dim=1)
    lp = torch.log_softmax(x, dim=2).transpose(0, 1)
    loss = torch.nn.functional.ctc_loss(lp, y, torch.full((n,), T, dtype=torch.int64), lengths, blank=0, reduction="none", zero_infinity=False)
    w = torch.tensor(c["w"], dtype=torch.float64) if c["w"] else torch.ones(n, dtype=torch.float64)
    red = c["reduction"]
    if red == "sum":
        total = (loss * w).sum()
    elif red == "mean_with_sample_weight":
        total = (loss * w).sum() / w.sum()
    else:
        total = (loss * w).sum() / n
    total.backward()
    out.append({"loss": total.item(), "values": loss.tolist(), "grad": x.grad.reshape(-1).tolist()})
print(json.dumps(out))
`
	type job struct {
		N, T, C, L int
		P, Y, W    []float32
		Reduction  string
	}
	type result struct {
		Loss   float64
		Values []float64
		Grad   []float64
	}
	r := rand.New(rand.NewPCG(1, 2))
	labels := [][]float32{{1, 2, 3, 0}, {2, 2, 0, 0}, {0, 0, 0, 0}, {3, 1, 3, 1}, {1, 1, 1, 0}}
	var jobs []map[string]any
	var js []job
	for _, red := range []Reduction{"", Sum, MeanWithSampleWeight} {
		for _, weighted := range []bool{false, true} {
			p, y := ctcBatch(r, 5, 7, 4, 4, labels)
			var w []float32
			if weighted {
				w = []float32{1, 0.5, 2, 0, 1.5}
			}
			rs := string(red)
			if rs == "" {
				rs = string(SumOverBatchSize)
			}
			jb := job{5, 7, 4, 4, p.Data, y.Data, w, rs}
			js = append(js, jb)
			jobs = append(jobs, map[string]any{"n": 5, "T": 7, "C": 4, "L": 4, "p": p.Data, "y": y.Data, "w": w, "reduction": rs})
		}
	}
	var want []result
	pyref.Run(t, script, jobs, &want, "torch")
	for k, jb := range js {
		l := CTC{Reduction: Reduction(jb.Reduction)}
		if jb.Reduction == string(SumOverBatchSize) {
			l.Reduction = ""
		}
		p := &tensor.Tensor{Shape: tensor.Shape{jb.N, jb.T, jb.C}, Data: jb.P}
		y := &tensor.Tensor{Shape: tensor.Shape{jb.N, jb.L}, Data: jb.Y}
		if err := l.CheckTargetValues(p.Shape, y); err != nil {
			t.Fatal(err)
		}
		g := tensor.New(p.Shape...)
		got := l.ComputeWeighted(p, y, jb.W, g)
		if math.Abs(got-want[k].Loss) > 1e-4*(1+math.Abs(want[k].Loss)) {
			t.Errorf("%s weighted %v: loss %v, torch %v", jb.Reduction, jb.W != nil, got, want[k].Loss)
		}
		vals, err := l.Values(p, y, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if math.Abs(float64(v)-want[k].Values[i]) > 1e-4*(1+want[k].Values[i]) {
				t.Errorf("sample %d: loss %v, torch %v", i, v, want[k].Values[i])
			}
		}
		for i, v := range g.Data {
			if math.Abs(float64(v)-want[k].Grad[i]) > 1e-5 {
				t.Fatalf("%s weighted %v: gradient[%d] %v, torch %v", jb.Reduction, jb.W != nil, i, v, want[k].Grad[i])
			}
		}
	}
}

// TestCTCGradient checks the gradient by central differences.
func TestCTCGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p, y := ctcBatch(r, 3, 6, 3, 3, [][]float32{{1, 2, 0}, {2, 2, 1}, {0, 0, 0}})
	w := []float32{1, 2, 0.5}
	g := tensor.New(p.Shape...)
	l := CTC{}
	l.ComputeWeighted(p, y, w, g)
	for i := range p.Data {
		old := p.Data[i]
		const h = 1e-2
		p.Data[i] = old + h
		lp := l.ComputeWeighted(p, y, w, nil)
		p.Data[i] = old - h
		lm := l.ComputeWeighted(p, y, w, nil)
		p.Data[i] = old
		num := (lp - lm) / (2 * h)
		if math.Abs(num-float64(g.Data[i])) > 1e-2*(math.Abs(num)+1e-2) {
			t.Errorf("d/dp[%d] = %v, finite difference %v", i, g.Data[i], num)
		}
	}
}

// TestCTCExact: with T equal to the labels' length and no repeats there is
// one path, so the loss is the sum of its -log-probabilities; labels that
// cannot fit give +Inf and a zero gradient; bad labels are refused.
func TestCTCExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p, y := ctcBatch(r, 2, 3, 4, 3, [][]float32{{1, 3, 2}, {2, 2, 2}})
	g := tensor.New(p.Shape...)
	want := 0.0
	for t, c := range []int{1, 3, 2} {
		row := p.Data[t*4 : (t+1)*4]
		s := 0.0
		for _, v := range row {
			s += math.Exp(float64(v))
		}
		want -= float64(row[c]) - math.Log(s)
	}
	vals, err := (CTC{}).Values(p, y, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(vals[0])-want) > 1e-5*want {
		t.Errorf("single path: loss %v, want %v", vals[0], want)
	}
	if !math.IsInf(float64(vals[1]), 1) {
		t.Errorf("2,2,2 in 3 steps: loss %v, want +Inf", vals[1])
	}
	(CTC{Reduction: Sum}).Compute(p, y, g)
	for _, v := range g.Data[12:] {
		if v != 0 {
			t.Fatalf("the impossible sample has gradient %v", g.Data[12:])
		}
	}
	for _, c := range []struct {
		y    []float32
		want string
	}{
		{[]float32{1, 0, 2}, "after a 0"},
		{[]float32{1, 4, 0}, "not a class from 1 to 3"},
		{[]float32{1.5, 0, 0}, "not a class"},
		{[]float32{-1, 0, 0}, "not a class"},
	} {
		yy := &tensor.Tensor{Shape: tensor.Shape{1, 3}, Data: c.y}
		if err := (CTC{}).CheckTargetValues(tensor.Shape{1, 3, 4}, yy); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("labels %v: %v, want %q", c.y, err, c.want)
		}
	}
	for _, c := range []struct{ pred, target tensor.Shape }{
		{tensor.Shape{2, 3}, tensor.Shape{2, 3}},
		{tensor.Shape{2, 3, 1}, tensor.Shape{2, 3}},
		{tensor.Shape{2, 3, 4}, tensor.Shape{3, 3}},
		{tensor.Shape{2, 3, 4}, tensor.Shape{2, 3, 1}},
	} {
		if err := (CTC{}).Check(c.pred, c.target); err == nil {
			t.Errorf("Check(%v, %v): no error", c.pred, c.target)
		}
	}
}

func TestCTCConfig(t *testing.T) {
	l, err := FromConfig("CTC", map[string]any{"name": "ctc", "reduction": "sum_over_batch_size", "dtype": nil})
	if err != nil || l != (CTC{}) {
		t.Fatalf("Keras's default config: %#v, %v", l, err)
	}
	if _, _, ok := Config(l); ok {
		t.Error("the default CTC writes a config; want its name alone")
	}
	class, cfg, ok := Config(CTC{Reduction: Sum})
	if !ok || class != "CTC" {
		t.Fatalf("Config = %q, %v", class, ok)
	}
	if back, err := FromConfig(class, cfg); err != nil || back != (CTC{Reduction: Sum}) {
		t.Errorf("round trip: %v, %v", back, err)
	}
	if l, err := Parse("ctc"); err != nil || l != (CTC{}) {
		t.Errorf("Parse(ctc) = %v, %v", l, err)
	}
}

func TestCTCAllocatesNothing(t *testing.T) {
	p, y := ctcBatch(rand.New(rand.NewPCG(7, 8)), 8, 20, 5, 6, [][]float32{{1, 2, 3}, {4, 4}, {1}})
	g := tensor.New(p.Shape...)
	(CTC{}).Compute(p, y, g)
	if a := testing.AllocsPerRun(5, func() { (CTC{}).Compute(p, y, g) }); a != 0 {
		t.Errorf("CTC allocates %v times per batch, want 0", a)
	}
}

// TestCTCGreedyDecode: per-step argmax, repeats merged unless kept (a
// blank between two equal labels keeps both), blanks dropped, lengths cut
// the steps, and TensorFlow's score, minus the sum of the steps' largest
// logits.
func TestCTCGreedyDecode(t *testing.T) {
	// Sample 0 reads 1 1 0 1 2 2 0: [1 1 2] merged, [1 1 1 2 2] kept.
	steps := [][]int{{1, 1, 0, 1, 2, 2, 0}, {0, 0, 3, 3, 3, 0, 2}}
	p := tensor.New(2, 7, 4)
	want := []float64{0, 0}
	for i, s := range steps {
		for t, c := range s {
			for k := range 4 {
				p.Data[(i*7+t)*4+k] = float32(k) * 0.01
			}
			p.Data[(i*7+t)*4+c] = 1 + float32(t)*0.1
			want[i] -= float64(float32(1 + float32(t)*0.1))
		}
	}
	dec, scores, err := CTCGreedyDecode(p, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dec[0], []int{1, 1, 2}) || !slices.Equal(dec[1], []int{3, 2}) {
		t.Errorf("decoded %v, want [1 1 2] and [3 2]", dec)
	}
	for i := range want {
		if math.Abs(scores[i]-want[i]) > 1e-6 {
			t.Errorf("score %d: %v, want %v", i, scores[i], want[i])
		}
	}
	dec, _, _ = CTCGreedyDecode(p, []int{3, 7}, true)
	if !slices.Equal(dec[0], []int{1, 1}) || !slices.Equal(dec[1], []int{3, 3, 3, 2}) {
		t.Errorf("with lengths [3 7] and repeats kept: %v", dec)
	}
	for _, c := range []struct {
		p       *tensor.Tensor
		lengths []int
	}{
		{tensor.New(2, 7), nil},
		{p, []int{1}},
		{p, []int{8, 1}},
		{p, []int{-1, 1}},
	} {
		if _, _, err := CTCGreedyDecode(c.p, c.lengths, false); err == nil {
			t.Errorf("shape %v lengths %v: no error", c.p.Shape, c.lengths)
		}
	}
}
