package loss

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// circleBatch returns n unit embeddings of dimension dim and labels from
// classes; the labels of the first and last sample are unique (no
// positive pair), so that the mask-aware mean matters.
func circleBatch(r *rand.Rand, n, dim, classes int) (*tensor.Tensor, *tensor.Tensor) {
	p, y := tensor.New(n, dim), tensor.New(n)
	for i := range n {
		var norm float64
		row := p.Data[i*dim : (i+1)*dim]
		for k := range row {
			row[k] = float32(r.NormFloat64())
			norm += float64(row[k]) * float64(row[k])
		}
		for k := range row {
			row[k] /= float32(math.Sqrt(norm))
		}
		y.Data[i] = float32(r.IntN(classes))
	}
	y.Data[0], y.Data[n-1] = 100, 101
	return p, y
}

// TestCircleAgainstTorch compares the reduced loss, the per-sample values
// and the gradient with PyTorch's autograd of Keras's circle function
// (keras/src/losses/losses.py, transcribed independently of the Go code:
// the weights are not detached) and apply_mask's reduction.
func TestCircleAgainstTorch(t *testing.T) {
	const script = `
import json, sys
import torch
req = json.load(sys.stdin)
out = []
for c in req:
    p = torch.tensor(c["p"], dtype=torch.float64).reshape(c["n"], c["dim"]).requires_grad_(True)
    y = torch.tensor(c["y"], dtype=torch.float64).to(torch.int32)
    gamma, m = c["gamma"], c["margin"]
    d = torch.clamp(1 - p @ p.T, min=0.0)
    same = y[:, None] == y[None, :]
    pos = same & ~torch.eye(c["n"], dtype=torch.bool) if c["remove_diagonal"] else same
    neg = ~same
    pw = torch.clamp((m + d) * pos, min=0.0)
    nw = torch.clamp((1 + m - d) * neg, min=0.0)
    pa = -gamma * pw * (m - d)
    na = gamma * nw * ((1 - m) - d)
    ninf = torch.tensor(float("-inf"), dtype=torch.float64)
    pl = torch.logsumexp(torch.where(pos, pa, ninf), dim=1)
    nl = torch.logsumexp(torch.where(neg, na, ninf), dim=1)
    loss = torch.nn.functional.softplus(pl + nl)
    loss = torch.where(torch.isfinite(loss), loss, torch.zeros_like(loss))
    mask = (loss.float() > 0).double()
    w = torch.tensor(c["w"], dtype=torch.float64) if c["w"] is not None else torch.ones(c["n"], dtype=torch.float64)
    red = c["reduction"]
    if red == "sum_over_batch_size":
        total = (loss * w * mask).sum() / (mask.sum() + 1e-7)
    elif red == "sum":
        total = (loss * w * mask).sum()
    elif red == "mean":
        total = (loss * w * mask).sum() / c["n"]
    else:
        s = (w * mask).sum()
        total = (loss * w * mask).sum() / s if s != 0 else (loss * 0).sum()
    total.backward()
    out.append({"loss": total.item(), "values": (loss * w).tolist(), "grad": p.grad.reshape(-1).tolist()})
print(json.dumps(out))
`
	type job struct {
		N              int       `json:"n"`
		Dim            int       `json:"dim"`
		P              []float32 `json:"p"`
		Y              []float32 `json:"y"`
		W              []float32 `json:"w"`
		Gamma          float64   `json:"gamma"`
		Margin         float64   `json:"margin"`
		RemoveDiagonal bool      `json:"remove_diagonal"`
		Reduction      string    `json:"reduction"`
	}
	type result struct {
		Loss   float64
		Values []float64
		Grad   []float64
	}
	r := rand.New(rand.NewPCG(1, 2))
	var jobs []job
	var losses []Circle
	for _, red := range []Reduction{"", Sum, Mean, MeanWithSampleWeight} {
		for _, weighted := range []bool{false, true} {
			for _, gm := range [][2]float64{{CircleGamma, CircleMargin}, {16, 0.25}} {
				for _, keep := range []bool{false, true} {
					p, y := circleBatch(r, 9, 5, 3)
					var w []float32
					if weighted {
						w = make([]float32, 9)
						for i := range w {
							w[i] = float32(r.IntN(3))
						}
					}
					l := Circle{Reduction: red, KeepDiagonal: keep}
					if gm[0] != CircleGamma {
						l.Gamma, l.Margin = Float(gm[0]), Float(gm[1])
					}
					rs := string(red)
					if rs == "" {
						rs = string(SumOverBatchSize)
					}
					jobs = append(jobs, job{9, 5, p.Data, y.Data, w, gm[0], gm[1], !keep, rs})
					losses = append(losses, l)
				}
			}
		}
	}
	var want []result
	pyref.Run(t, script, jobs, &want, "torch")
	for k, jb := range jobs {
		l := losses[k]
		p := &tensor.Tensor{Shape: tensor.Shape{jb.N, jb.Dim}, Data: jb.P}
		y := &tensor.Tensor{Shape: tensor.Shape{jb.N}, Data: jb.Y}
		g := tensor.New(jb.N, jb.Dim)
		got := l.ComputeWeighted(p, y, jb.W, g)
		if d := math.Abs(got - want[k].Loss); d > 1e-5*(1+math.Abs(want[k].Loss)) {
			t.Errorf("%+v: loss %v, torch %v", l, got, want[k].Loss)
		}
		for i, v := range g.Data {
			if d := math.Abs(float64(v) - want[k].Grad[i]); d > 1e-4*(1+math.Abs(want[k].Grad[i])) {
				t.Errorf("%+v: grad[%d] %v, torch %v", l, i, v, want[k].Grad[i])
				break
			}
		}
		vals, err := l.Values(p, y, jb.W, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if d := math.Abs(float64(v) - want[k].Values[i]); d > 1e-4*(1+math.Abs(want[k].Values[i])) {
				t.Errorf("%+v: value[%d] %v, torch %v", l, i, v, want[k].Values[i])
				break
			}
		}
	}
}

// TestCircleGradient checks the gradient by central differences, on
// embeddings that are not normalised (the loss does not normalise them
// either, and a clamp at d = 0 is far).
func TestCircleGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, l := range []Circle{{}, {KeepDiagonal: true, Gamma: Float(8), Margin: Float(0.3)}, {Reduction: Sum}} {
		p, y := circleBatch(r, 8, 4, 2)
		for i := range p.Data {
			p.Data[i] *= 0.9
		}
		w := []float32{1, 2, 0.5, 1, 3, 1, 1, 2}
		g := tensor.New(p.Shape...)
		l.ComputeWeighted(p, y, w, g)
		for i := range p.Data {
			old := p.Data[i]
			const h = 1e-3
			p.Data[i] = old + h
			lp := l.ComputeWeighted(p, y, w, nil)
			p.Data[i] = old - h
			lm := l.ComputeWeighted(p, y, w, nil)
			p.Data[i] = old
			num := (lp - lm) / (2 * h)
			if math.Abs(num-float64(g.Data[i])) > 2e-2*(math.Abs(num)+1e-2) {
				t.Errorf("%+v: d/dp[%d] = %v, finite difference %v", l, i, g.Data[i], num)
			}
		}
	}
}

// TestCircleEdges: a batch of one label has no negative pairs, a batch of
// distinct labels no positive ones: the loss is 0 and so is its gradient.
func TestCircleEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p, _ := circleBatch(r, 4, 3, 1)
	for _, labels := range [][]float32{{1, 1, 1, 1}, {1, 2, 3, 4}} {
		y := &tensor.Tensor{Shape: tensor.Shape{4}, Data: labels}
		g := tensor.New(4, 3)
		if v := (Circle{}).Compute(p, y, g); v != 0 {
			t.Errorf("labels %v: loss %v, want 0", labels, v)
		}
		for _, v := range g.Data {
			if v != 0 {
				t.Fatalf("labels %v: gradient %v, want 0", labels, g.Data)
			}
		}
	}
	if err := (Circle{}).Check(tensor.Shape{4, 3, 2}, tensor.Shape{4}); err == nil {
		t.Error("embeddings of rank 3: no error")
	}
	if err := (Circle{}).Check(tensor.Shape{4, 3}, tensor.Shape{4, 3}); err == nil {
		t.Error("one-hot targets: no error")
	}
	if err := (Circle{Gamma: Float(0)}).Check(tensor.Shape{4, 3}, tensor.Shape{4}); err == nil {
		t.Error("gamma 0: no error")
	}
}

func TestCircleConfig(t *testing.T) {
	l, err := FromConfig("Circle", map[string]any{"name": "circle", "reduction": "sum_over_batch_size", "gamma": 80.0, "margin": 0.4, "remove_diagonal": true, "dtype": nil})
	if err != nil || l != (Circle{}) {
		t.Fatalf("Keras's default config: %#v, %v", l, err)
	}
	if _, _, ok := Config(l); ok {
		t.Error("the default Circle writes a config; want its name alone")
	}
	custom := Circle{Gamma: Float(32), Margin: Float(0.25), KeepDiagonal: true, Reduction: Sum}
	class, cfg, ok := Config(custom)
	if !ok || class != "Circle" {
		t.Fatalf("Config(%+v) = %q, %v", custom, class, ok)
	}
	back, err := FromConfig(class, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := back.(Circle); *c.Gamma != 32 || *c.Margin != 0.25 || !c.KeepDiagonal || c.Reduction != Sum {
		t.Errorf("round trip: %+v", back)
	}
	if _, err := FromConfig("Circle", map[string]any{"gamma": -1.0}); err == nil {
		t.Error("gamma -1: no error")
	}
	if l, err := Parse("circle"); err != nil || l != (Circle{}) {
		t.Errorf("Parse(circle) = %v, %v", l, err)
	}
}

func TestCircleAllocatesNothing(t *testing.T) {
	p, y := circleBatch(rand.New(rand.NewPCG(7, 8)), 32, 16, 4)
	g := tensor.New(p.Shape...)
	if a := testing.AllocsPerRun(5, func() { (Circle{}).Compute(p, y, g) }); a != 0 {
		t.Errorf("Circle allocates %v times per batch, want 0", a)
	}
}
