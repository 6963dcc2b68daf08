package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// layers1DTorchScript computes the 1-D pools and convolutions, outputs
// and gradients, with PyTorch in float64 from Keras-layout weights:
// max_pool1d on an input padded with -inf; avg_pool1d with
// count_include_pad=False when the padding is even (PyTorch pads both
// sides alike), else the padded sum divided by the padded count of ones
// (Keras's "same" averages over the steps inside the sequence only);
// conv_transpose1d(padding=0) cropped to Keras's window; conv1d with
// groups=channels for the depthwise step, then a 1-wide conv1d.
const layers1DTorchScript = `
import sys, json, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
out = []
for c in d:
    f64 = lambda v, s: torch.tensor(v, dtype=torch.float64).reshape(s)
    x = f64(c["x"], c["xshape"]).permute(0, 2, 1).contiguous().requires_grad_()
    ws = [f64(w, s).requires_grad_() for w, s in zip(c["w"] or [], c["wshape"] or [])]
    k, s, dil, (pl, pr) = c["k"], c["stride"], c["dilation"], c["pad"]
    kind = c["kind"]
    if kind == "MaxPooling1D":
        y = F.max_pool1d(F.pad(x, (pl, pr), value=float("-inf")), k, s)
    elif kind == "AveragePooling1D":
        if pl == pr:
            y = F.avg_pool1d(x, k, s, padding=pl, count_include_pad=False)
        else:
            ones = torch.ones_like(x)
            y = F.avg_pool1d(F.pad(x, (pl, pr)), k, s) / F.avg_pool1d(F.pad(ones, (pl, pr)), k, s)
    elif kind == "Conv1DTranspose":
        K = ws[0]  # (k, filters, channels)
        full = F.conv_transpose1d(x, K.permute(2, 1, 0), stride=s, dilation=dil)
        crop, n = c["crop"], c["out"]
        full = F.pad(full, (0, max(0, crop + n - full.shape[2])))
        y = full[:, :, crop:crop + n]
    else:
        K = ws[0]  # (k, channels, depth_multiplier)
        kk, C, dm = K.shape
        y = F.conv1d(F.pad(x, (pl, pr)), K.permute(1, 2, 0).reshape(C * dm, 1, kk), stride=s, dilation=dil, groups=C)
        if kind == "SeparableConv1D":
            y = F.conv1d(y, ws[1].permute(2, 1, 0))
    if c["bias"]:
        y = y + ws[-1].reshape(1, -1, 1)
    y = y.permute(0, 2, 1)
    y.backward(f64(c["dy"], y.shape))
    out.append({"y": y.detach().flatten().tolist(),
                "dx": x.grad.permute(0, 2, 1).flatten().tolist(),
                "dw": [w.grad.flatten().tolist() for w in ws]})
json.dump(out, sys.stdout)
`

type torch1DCase struct {
	Kind   string      `json:"kind"`
	X      []float32   `json:"x"`
	XShape []int       `json:"xshape"`
	W      [][]float32 `json:"w"`
	WShape [][]int     `json:"wshape"`
	K      int         `json:"k"`
	Stride int         `json:"stride"`
	Dil    int         `json:"dilation"`
	Pad    [2]int      `json:"pad"`  // steps padded before and after (pools, depthwise)
	Crop   int         `json:"crop"` // Conv1DTranspose: steps cropped at the start
	Out    int         `json:"out"`
	DY     []float32   `json:"dy"`
	Bias   bool        `json:"bias"`
}

// TestLayers1DMatchTorch compares the 1-D pools and convolutions, output,
// input gradient and weight gradients, with PyTorch's. Paddings are
// worked out here: TensorFlow's "same" (tfSamePad) for the pools and the
// depthwise step; for the transposed convolution, as in
// TestConvVariantsMatchTorch, the gradient of the TensorFlow convolution
// from its output (O steps, checked by hand in
// TestConv1DTransposeOutputShape) back to its input (I steps), whose
// "same" padding before the first step is max(0, (I-1)*s + span - O)/2.
func TestLayers1DMatchTorch(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.MaxPooling1D{}, tensor.Shape{9, 3}},
		{&nn.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same}, tensor.Shape{8, 2}},
		{&nn.MaxPooling1D{PoolSize: 4, Strides: 1, Padding: nn.Same}, tensor.Shape{6, 2}},
		{&nn.AveragePooling1D{PoolSize: 3, Strides: 1}, tensor.Shape{7, 2}},
		{&nn.AveragePooling1D{PoolSize: 3, Strides: 1, Padding: nn.Same}, tensor.Shape{7, 3}}, // pads 1 and 1
		{&nn.AveragePooling1D{PoolSize: 4, Strides: 3, Padding: nn.Same}, tensor.Shape{7, 2}}, // pads 1 and 2
		{&nn.AveragePooling1D{Padding: nn.Same}, tensor.Shape{7, 2}},                          // pads 0 and 1
		{&nn.Conv1DTranspose{Filters: 3, KernelSize: 3, Strides: 2, Padding: nn.Same}, tensor.Shape{4, 2}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, Strides: 2}, tensor.Shape{4, 3}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 2, Strides: 3}, tensor.Shape{3, 2}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 4, Strides: 3, Padding: nn.Same, OutputPadding: op1(2)}, tensor.Shape{3, 2}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, Strides: 2, OutputPadding: op1(1), NoBias: true}, tensor.Shape{3, 2}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, DilationRate: 2, Padding: nn.Same}, tensor.Shape{5, 3}},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 2, DilationRate: 3, Padding: nn.Same, OutputPadding: op1(0)}, tensor.Shape{4, 2}},
		{&nn.DepthwiseConv1D{KernelSize: 3, Padding: nn.Same}, tensor.Shape{6, 3}},
		{&nn.DepthwiseConv1D{KernelSize: 2, Strides: 2, DepthMultiplier: 2}, tensor.Shape{7, 3}},
		{&nn.DepthwiseConv1D{KernelSize: 2, Strides: 3, Padding: nn.Same, DepthMultiplier: 3, NoBias: true}, tensor.Shape{8, 2}},
		{&nn.DepthwiseConv1D{KernelSize: 3, DilationRate: 2, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{7, 2}},
		{&nn.SeparableConv1D{Filters: 4, KernelSize: 3, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{6, 3}},
		{&nn.SeparableConv1D{Filters: 3, KernelSize: 2, Strides: 2, NoBias: true}, tensor.Shape{7, 2}},
		{&nn.SeparableConv1D{Filters: 3, KernelSize: 3, DilationRate: 3}, tensor.Shape{9, 2}},
	}
	var in []torch1DCase
	var ys, dxs [][]float32
	var grads [][][]float32
	for _, c := range cases {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(3, 4))); err != nil {
			t.Fatalf("%s: %v", c.l.Class(), err)
		}
		out, err := c.l.OutputShape(c.in)
		if err != nil {
			t.Fatal(err)
		}
		const n = 2
		x := convInput(r, append(tensor.Shape{n}, c.in...))
		dy := convInput(r, append(tensor.Shape{n}, out...))
		tc := torch1DCase{Kind: c.l.Class(), X: x.Data, XShape: x.Shape, DY: dy.Data, Out: out[0], Stride: 1, Dil: 1}
		for _, p := range c.l.Params() {
			for i := range p.Value.Data {
				p.Value.Data[i] = float32(r.NormFloat64() * 0.5)
			}
			tc.W = append(tc.W, append([]float32(nil), p.Value.Data...))
			tc.WShape = append(tc.WShape, p.Value.Shape)
			tc.Bias = p.Name == "bias"
		}
		var pad nn.Padding
		switch l := c.l.(type) {
		case *nn.MaxPooling1D:
			tc.K, tc.Stride, pad = max(l.PoolSize, 2), l.Strides, l.Padding
			if tc.Stride == 0 {
				tc.Stride = tc.K
			}
		case *nn.AveragePooling1D:
			tc.K, tc.Stride, pad = max(l.PoolSize, 2), l.Strides, l.Padding
			if tc.Stride == 0 {
				tc.Stride = tc.K
			}
		case *nn.Conv1DTranspose:
			tc.K, tc.Stride, tc.Dil, pad = l.KernelSize, max(l.Strides, 1), max(l.DilationRate, 1), l.Padding
		case *nn.DepthwiseConv1D:
			tc.K, tc.Stride, tc.Dil, pad = l.KernelSize, max(l.Strides, 1), max(l.DilationRate, 1), l.Padding
		case *nn.SeparableConv1D:
			tc.K, tc.Stride, tc.Dil, pad = l.KernelSize, max(l.Strides, 1), max(l.DilationRate, 1), l.Padding
		}
		span := (tc.K-1)*tc.Dil + 1
		if pad == nn.Same {
			if tc.Kind == "Conv1DTranspose" {
				tc.Crop = max(0, (c.in[0]-1)*tc.Stride+span-out[0]) / 2
			} else {
				total, before := tfSamePad(c.in[0], span, tc.Stride)
				tc.Pad = [2]int{before, total - before}
			}
		}
		y := c.l.Forward(x, true)
		ys = append(ys, append([]float32(nil), y.Data...))
		dxs = append(dxs, append([]float32(nil), c.l.Backward(dy).Data...))
		var g [][]float32
		for _, p := range c.l.Params() {
			g = append(g, append([]float32(nil), p.Grad.Data...))
		}
		grads = append(grads, g)
		in = append(in, tc)
	}
	var ref []struct {
		Y  []float64   `json:"y"`
		DX []float64   `json:"dx"`
		DW [][]float64 `json:"dw"`
	}
	torchReference(t, layers1DTorchScript, in, &ref)
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
		name := fmt.Sprintf("case %d %s %v", i, c.l.Class(), c.in)
		near(name+" output", ys[i], ref[i].Y)
		near(name+" input gradient", dxs[i], ref[i].DX)
		if len(ref[i].DW) != len(grads[i]) {
			t.Errorf("%s: %d weight gradients, PyTorch %d", name, len(grads[i]), len(ref[i].DW))
			continue
		}
		for j := range grads[i] {
			near(fmt.Sprintf("%s weight %d gradient", name, j), grads[i][j], ref[i].DW[j])
		}
	}
}
