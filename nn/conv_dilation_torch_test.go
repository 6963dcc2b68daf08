package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// dilGroupTorchScript computes Conv2D and Conv1D outputs and gradients
// with PyTorch in float64 (torch.nn.functional.conv2d / conv1d with
// dilation= and groups=) from Keras-layout weights. Padding is applied
// explicitly with F.pad: "same" as TensorFlow splits it (out =
// ceil(in/stride), total = max(0, (out-1)*stride + (k-1)*dilation + 1 -
// in), the smaller half first), "causal" as (k-1)*dilation zeros on the
// left (keras conv1d.py). The loss is sum(dy * y).
const dilGroupTorchScript = `
import sys, json, torch
import torch.nn.functional as F
def same(n, k, s, d):
    out = -(-n // s)
    total = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
    return total // 2, total - total // 2
res = []
for c in json.load(sys.stdin):
    t = lambda v, s: torch.tensor(v, dtype=torch.float64).reshape(s)
    xs, ks = c["xshape"], c["kshape"]
    x = t(c["x"], xs).requires_grad_()
    k = t(c["k"], ks).requires_grad_()
    b = t(c["b"], [ks[-1]]).requires_grad_() if c["b"] else None
    s, d, g = c["strides"], c["dilation"], c["groups"]
    if len(xs) == 3:   # Conv1D: (n, steps, ch) -> (n, ch, steps); kernel (k, cg, f) -> (f, cg, k)
        xi, w = x.permute(0, 2, 1), k.permute(2, 1, 0)
        if c["padding"] == "causal":
            xi = F.pad(xi, ((ks[0] - 1) * d[0], 0))
        elif c["padding"] == "same":
            xi = F.pad(xi, same(xs[1], ks[0], s[0], d[0]))
        y = F.conv1d(xi, w, b, stride=s[0], dilation=d[0], groups=g).permute(0, 2, 1)
    else:              # Conv2D: NHWC -> NCHW; kernel (kh, kw, cg, f) -> (f, cg, kh, kw)
        xi, w = x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1)
        if c["padding"] == "same":
            xi = F.pad(xi, same(xs[2], ks[1], s[1], d[1]) + same(xs[1], ks[0], s[0], d[0]))
        y = F.conv2d(xi, w, b, stride=s, dilation=d, groups=g).permute(0, 2, 3, 1)
    if c["act"] == "tanh":
        y = torch.tanh(y)
    dy = t(c["dy"], list(y.shape))
    (y * dy).sum().backward()
    flat = lambda v: v.detach().reshape(-1).tolist()
    res.append({"yshape": list(y.shape), "y": flat(y), "dx": flat(x.grad), "dk": flat(k.grad),
                "db": flat(b.grad) if b is not None else []})
print(json.dumps(res))
`

// TestConvDilationGroupsMatchTorch checks Conv2D and Conv1D with dilation
// and groups (and strides, same/valid/causal padding) against PyTorch:
// outputs, input gradients and kernel and bias gradients. It skips when
// /usr/bin/python3 has no torch (Debian's python3-torch).
func TestConvDilationGroupsMatchTorch(t *testing.T) {
	type tcase struct {
		name  string
		layer nn.Layer
		in    tensor.Shape
		pad   string
		s, d  []int
		g     int
		act   string
	}
	cases := []tcase{
		{"c2_dil2_valid", &nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}}, tensor.Shape{9, 8, 3}, "valid", []int{1, 1}, []int{2, 2}, 1, ""},
		{"c2_dil3x2_same", &nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 2}, DilationRate: [2]int{3, 2}, Padding: nn.Same}, tensor.Shape{7, 8, 2}, "same", []int{1, 1}, []int{3, 2}, 1, ""},
		{"c2_g2_s2_same_tanh", &nn.Conv2D{Filters: 6, KernelSize: [2]int{3, 3}, Groups: 2, Strides: [2]int{2, 2}, Padding: nn.Same, Activation: activation.Tanh}, tensor.Shape{7, 6, 4}, "same", []int{2, 2}, []int{1, 1}, 2, "tanh"},
		{"c2_g4_dil2_same", &nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Groups: 4, DilationRate: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{6, 7, 8}, "same", []int{1, 1}, []int{2, 2}, 4, ""},
		{"c2_g4_3x3_16ch", &nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Groups: 4, Padding: nn.Same, NoBias: true}, tensor.Shape{6, 6, 16}, "same", []int{1, 1}, []int{1, 1}, 4, ""},
		{"c2_g2_1x1", &nn.Conv2D{Filters: 4, KernelSize: [2]int{1, 1}, Groups: 2}, tensor.Shape{3, 4, 6}, "valid", []int{1, 1}, []int{1, 1}, 2, ""},
		{"c1_causal_dil2", &nn.Conv1D{Filters: 3, KernelSize: 3, DilationRate: 2, Causal: true}, tensor.Shape{11, 2}, "causal", []int{1}, []int{2}, 1, ""},
		{"c1_causal_s2", &nn.Conv1D{Filters: 2, KernelSize: 4, Strides: 2, Causal: true}, tensor.Shape{9, 3}, "causal", []int{2}, []int{1}, 1, ""},
		{"c1_same_g2_dil3", &nn.Conv1D{Filters: 4, KernelSize: 3, Groups: 2, DilationRate: 3, Padding: nn.Same}, tensor.Shape{10, 4}, "same", []int{1}, []int{3}, 2, ""},
		{"c1_valid_g4_tanh", &nn.Conv1D{Filters: 8, KernelSize: 2, Groups: 4, Activation: activation.Tanh}, tensor.Shape{7, 4}, "valid", []int{1}, []int{1}, 4, "tanh"},
		{"c1_same_s3", &nn.Conv1D{Filters: 2, KernelSize: 5, Strides: 3, Padding: nn.Same}, tensor.Shape{10, 2}, "same", []int{3}, []int{1}, 1, ""},
	}
	r := rand.New(rand.NewPCG(17, 18))
	type got struct{ y, dx, dk, db []float32 }
	var ins []map[string]any
	var gots []got
	for _, c := range cases {
		if err := c.layer.Build(c.in, rand.New(rand.NewPCG(2, 3))); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ps := c.layer.Params()
		for _, p := range ps {
			for i := range p.Value.Data {
				p.Value.Data[i] = float32(r.NormFloat64() * 0.5)
			}
		}
		x := convInput(r, append(tensor.Shape{2}, c.in...))
		y := c.layer.Forward(x, true)
		dy := convInput(r, y.Shape)
		dx := c.layer.Backward(dy)
		g := got{y: append([]float32(nil), y.Data...), dx: append([]float32(nil), dx.Data...), dk: append([]float32(nil), ps[0].Grad.Data...)}
		var b []float32
		if len(ps) > 1 {
			b, g.db = ps[1].Value.Data, append([]float32(nil), ps[1].Grad.Data...)
		}
		gots = append(gots, g)
		ins = append(ins, map[string]any{"xshape": x.Shape, "x": x.Data, "kshape": ps[0].Value.Shape, "k": ps[0].Value.Data,
			"b": b, "strides": c.s, "dilation": c.d, "groups": c.g, "padding": c.pad, "act": c.act, "dy": dy.Data})
	}
	var want []struct {
		YShape        []int
		Y, DX, DK, DB []float64
	}
	torchReference(t, dilGroupTorchScript, ins, &want)
	if len(want) != len(cases) {
		t.Fatalf("%d results for %d cases", len(want), len(cases))
	}
	for i, c := range cases {
		w, g := want[i], gots[i]
		if !tensor.Shape(w.YShape[1:]).Equal(mustOut(t, c.layer, c.in)) {
			t.Errorf("%s: torch output shape %v, gokeras %v", c.name, w.YShape, mustOut(t, c.layer, c.in))
			continue
		}
		for _, v := range []struct {
			what string
			got  []float32
			want []float64
		}{{"y", g.y, w.Y}, {"dx", g.dx, w.DX}, {"dkernel", g.dk, w.DK}, {"dbias", g.db, w.DB}} {
			if len(v.got) != len(v.want) {
				t.Errorf("%s %s: %d values, torch %d", c.name, v.what, len(v.got), len(v.want))
				continue
			}
			for j := range v.want {
				if d := math.Abs(float64(v.got[j]) - v.want[j]); d > 1e-4*(1+math.Abs(v.want[j])) {
					t.Errorf("%s %s[%d] = %v, torch %v", c.name, v.what, j, v.got[j], v.want[j])
					break
				}
			}
		}
	}
}

func mustOut(t *testing.T, l nn.Layer, in tensor.Shape) tensor.Shape {
	t.Helper()
	out, err := l.OutputShape(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
