package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// convTorchScript computes Conv2DTranspose, DepthwiseConv2D and
// SeparableConv2D outputs and gradients with PyTorch in float64, from
// Keras-layout weights: the transposed convolution as
// conv_transpose2d(padding=0) cropped to Keras's window (zero-extended on
// the bottom/right when the window runs past it); the depthwise one as
// conv2d with groups=channels on an explicitly padded input; the
// separable one as that followed by a 1x1 conv2d.
const convTorchScript = `
import sys, json, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
out = []
for c in d:
    f64 = lambda v, s: torch.tensor(v, dtype=torch.float64).reshape(s)
    x = f64(c["x"], c["xshape"]).permute(0, 3, 1, 2).contiguous().requires_grad_()
    ws = [f64(w, s).requires_grad_() for w, s in zip(c["w"], c["wshape"])]
    K = ws[0]
    if c["kind"] == "Conv2DTranspose":
        full = F.conv_transpose2d(x, K.permute(3, 2, 0, 1), stride=c["stride"], dilation=c["dilation"])
        (pt, pl), (oh, ow) = c["crop"], c["out"]
        full = F.pad(full, (0, max(0, pl + ow - full.shape[3]), 0, max(0, pt + oh - full.shape[2])))
        y = full[:, :, pt:pt + oh, pl:pl + ow]
    else:
        kh, kw, C, dm = K.shape
        y = F.conv2d(F.pad(x, c["pad"]), K.permute(2, 3, 0, 1).reshape(C * dm, 1, kh, kw), stride=c["stride"], dilation=c["dilation"], groups=C)
        if c["kind"] == "SeparableConv2D":
            y = F.conv2d(y, ws[1].permute(3, 2, 0, 1))
    if c["bias"]:
        y = y + ws[-1].reshape(1, -1, 1, 1)
    y = y.permute(0, 2, 3, 1)
    y.backward(f64(c["dy"], y.shape))
    out.append({"y": y.detach().flatten().tolist(),
                "dx": x.grad.permute(0, 2, 3, 1).flatten().tolist(),
                "dw": [w.grad.flatten().tolist() for w in ws]})
json.dump(out, sys.stdout)
`

type convTorchCase struct {
	Kind   string      `json:"kind"`
	X      []float32   `json:"x"`
	XShape []int       `json:"xshape"`
	W      [][]float32 `json:"w"`
	WShape [][]int     `json:"wshape"`
	Stride [2]int      `json:"stride"`
	Dil    [2]int      `json:"dilation"`
	Crop   [2]int      `json:"crop"` // Conv2DTranspose: cells cropped at the top and left
	Out    [2]int      `json:"out"`
	Pad    [4]int      `json:"pad"` // depthwise: left, right, top, bottom
	DY     []float32   `json:"dy"`
	Bias   bool        `json:"bias"`
}

// tfSamePad is TensorFlow's "same" padding for a convolution from in to
// ceil(in/s) cells: the total and the part before the first cell.
func tfSamePad(in, k, s int) (total, before int) {
	out := (in + s - 1) / s
	total = max(0, (out-1)*s+k-in)
	return total, total / 2
}

// TestConvVariantsMatchTorch compares the outputs and the input and
// weight gradients of the three layers with PyTorch's, strided, dilated
// and padded both ways. The transposed
// convolution's crop is worked out independently of the layer: Keras's
// Conv2DTranspose is the gradient of the TensorFlow convolution from its
// output (size O, from the hand-checked OutputShape table) back to its
// input (size I), whose "same" padding before the first cell is
// max(0, (I-1)*s + k - O)/2 and "valid" 0.
func TestConvVariantsMatchTorch(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	type tc struct {
		l  nn.Layer
		in tensor.Shape
	}
	cases := []tc{
		{&nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{4, 3, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}}, tensor.Shape{3, 4, 3}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, Strides: [2]int{3, 3}}, tensor.Shape{3, 3, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, OutputPadding: op2(1, 0)}, tensor.Shape{3, 3, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{4, 3}, Strides: [2]int{3, 3}, Padding: nn.Same, OutputPadding: op2(2, 1)}, tensor.Shape{3, 4, 2}},
		{&nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, OutputPadding: op2(0, 1), NoBias: true}, tensor.Shape{4, 4, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 3}, Padding: nn.Same}, tensor.Shape{4, 5, 3}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, Strides: [2]int{2, 2}, Padding: nn.Same, OutputPadding: op2(1, 0)}, tensor.Shape{3, 3, 2}},
		{&nn.Conv2DTranspose{Filters: 4, KernelSize: [2]int{1, 1}}, tensor.Shape{3, 3, 2}},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, Padding: nn.Same}, tensor.Shape{5, 6, 3}},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}, Strides: [2]int{2, 2}, DepthMultiplier: 2}, tensor.Shape{6, 5, 3}},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{2, 2}, Strides: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 3, NoBias: true}, tensor.Shape{7, 5, 2}},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{4, 4}, Strides: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{6, 7, 18}},
		{&nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{5, 5, 3}},
		{&nn.SeparableConv2D{Filters: 3, KernelSize: [2]int{2, 3}, Strides: [2]int{2, 2}, NoBias: true}, tensor.Shape{6, 7, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 2}, DilationRate: [2]int{2, 3}}, tensor.Shape{3, 4, 2}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 4}, DilationRate: [2]int{2, 2}, Padding: nn.Same}, tensor.Shape{4, 5, 3}},
		{&nn.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 3}, DilationRate: [2]int{3, 2}, Padding: nn.Same, OutputPadding: op2(0, 0)}, tensor.Shape{4, 4, 2}},
		{&nn.DepthwiseConv2D{KernelSize: [2]int{3, 2}, DilationRate: [2]int{2, 3}, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{6, 7, 3}},
		{&nn.SeparableConv2D{Filters: 3, KernelSize: [2]int{2, 3}, DilationRate: [2]int{3, 2}}, tensor.Shape{6, 7, 2}},
	}
	var in []convTorchCase
	var dxs, ys [][]float32
	var grads [][][]float32
	for _, c := range cases {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(3, 4))); err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		out, _ := c.l.OutputShape(c.in)
		const n = 2
		x := tensor.New(append(tensor.Shape{n}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		dy := tensor.New(append(tensor.Shape{n}, out...)...)
		for i := range dy.Data {
			dy.Data[i] = float32(r.NormFloat64())
		}
		tcase := convTorchCase{Kind: c.l.Class(), X: x.Data, XShape: x.Shape, DY: dy.Data, Out: [2]int{out[0], out[1]}}
		for _, p := range c.l.Params() {
			for i := range p.Value.Data {
				p.Value.Data[i] = float32(r.NormFloat64() * 0.5)
			}
			tcase.W = append(tcase.W, append([]float32(nil), p.Value.Data...))
			tcase.WShape = append(tcase.WShape, p.Value.Shape)
			tcase.Bias = p.Name == "bias"
		}
		var k, s, d [2]int
		var pad nn.Padding
		switch l := c.l.(type) {
		case *nn.Conv2DTranspose:
			k, s, d, pad = l.KernelSize, l.Strides, l.DilationRate, l.Padding
		case *nn.DepthwiseConv2D:
			k, s, d, pad = l.KernelSize, l.Strides, l.DilationRate, l.Padding
		case *nn.SeparableConv2D:
			k, s, d, pad = l.KernelSize, l.Strides, l.DilationRate, l.Padding
		}
		if s == [2]int{} {
			s = [2]int{1, 1}
		}
		if d == [2]int{} {
			d = [2]int{1, 1}
		}
		tcase.Stride, tcase.Dil = s, d
		for a := range 2 {
			k[a] = (k[a]-1)*d[a] + 1 // the dilated kernel's span
		}
		if pad == nn.Same {
			if tcase.Kind == "Conv2DTranspose" {
				for a := range 2 {
					tcase.Crop[a] = max(0, (c.in[a]-1)*s[a]+k[a]-out[a]) / 2
				}
			} else {
				th, bh := tfSamePad(c.in[0], k[0], s[0])
				tw, bw := tfSamePad(c.in[1], k[1], s[1])
				tcase.Pad = [4]int{bw, tw - bw, bh, th - bh}
			}
		}
		y := c.l.Forward(x, true)
		ys = append(ys, append([]float32(nil), y.Data...))
		dx := c.l.Backward(dy)
		dxs = append(dxs, append([]float32(nil), dx.Data...))
		var g [][]float32
		for _, p := range c.l.Params() {
			g = append(g, append([]float32(nil), p.Grad.Data...))
		}
		grads = append(grads, g)
		in = append(in, tcase)
	}
	var ref []struct {
		Y  []float64   `json:"y"`
		DX []float64   `json:"dx"`
		DW [][]float64 `json:"dw"`
	}
	torchReference(t, convTorchScript, in, &ref)
	if len(ref) != len(cases) {
		t.Fatalf("PyTorch returned %d results for %d cases", len(ref), len(cases))
	}
	near := func(what string, got []float32, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d values, PyTorch %d", what, len(got), len(want))
			return
		}
		for i, w := range want {
			if math.Abs(float64(got[i])-w) > 1e-4*(1+math.Abs(w)) {
				t.Errorf("%s[%d] = %v, PyTorch %v", what, i, got[i], w)
				return
			}
		}
	}
	for i, c := range cases {
		name := fmt.Sprintf("case %d %s %+v", i, c.l.Class(), in[i].Stride)
		near(name+" y", ys[i], ref[i].Y)
		near(name+" dx", dxs[i], ref[i].DX)
		for j, p := range c.l.Params() {
			near(name+" d"+p.Name, grads[i][j], ref[i].DW[j])
		}
	}
}
