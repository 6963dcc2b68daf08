package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// einsumCases covers Keras's three forms (plain, left and right ellipsis),
// a bias on some of the output axes, a label shared by all three
// operands, two contracted labels and a label summed in the input alone.
var einsumCases = []struct {
	eq     string
	in     tensor.Shape
	out    []int
	bias   string
	kernel []int // Keras's kernel shape
}{
	{"ab,bc->ac", tensor.Shape{4}, []int{3}, "c", []int{4, 3}},
	{"abc,cd->abd", tensor.Shape{3, 5}, []int{-1, 4}, "d", []int{5, 4}},
	{"abc,cde->abde", tensor.Shape{3, 4}, []int{-1, 2, 5}, "de", []int{4, 2, 5}},
	{"...b,bc->...c", tensor.Shape{2, 3, 4}, []int{5}, "c", []int{4, 5}},
	{"...cb,bd->...cd", tensor.Shape{2, 3, 4}, []int{-1, 6}, "d", []int{4, 6}},
	{"abc...,cd->abd...", tensor.Shape{3, 4, 2, 5}, []int{-1, 6}, "bd", []int{4, 6}},
	{"ab...,bc->ac...", tensor.Shape{3, 2}, []int{5}, "c", []int{3, 5}},
	{"abc,bcd->ad", tensor.Shape{3, 4}, []int{6}, "", []int{3, 4, 6}},
	{"abc,cd->ad", tensor.Shape{3, 4}, []int{5}, "d", []int{4, 5}},
	{"abc,bcd->abd", tensor.Shape{3, 4}, []int{-1, 6}, "bd", []int{3, 4, 6}},
	{"abcd,cde->abe", tensor.Shape{2, 3, 4}, []int{-1, 5}, "", []int{3, 4, 5}},
}

// TestEinsumDenseMatchesNumPy: kernel shapes as Keras's analysis gives
// them, and outputs and gradients (of loss = sum(w * y)) against
// numpy.einsum.
func TestEinsumDenseMatchesNumPy(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 9))
	type tcase struct {
		Eq     string    `json:"eq"`
		X      []float32 `json:"x"`
		XShape []int     `json:"xshape"`
		K      []float32 `json:"k"`
		KShape []int     `json:"kshape"`
		B      []float32 `json:"b"`
		BShape []int     `json:"bshape"`
		W      []float32 `json:"w"`
	}
	var cases []tcase
	var layers []*nn.EinsumDense
	var outs, dxs, dks, dbs [][]float32
	var shapes []tensor.Shape
	for _, c := range einsumCases {
		l := &nn.EinsumDense{Equation: c.eq, PartialOutput: c.out, BiasAxes: c.bias, BiasInitializer: nn.RandomNormal(0, 1)}
		batch := 2
		x := tensor.New(append([]int{batch}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		y := runEncoding(t, l, x)
		if got := l.Params()[0].Value.Shape; !got.Equal(c.kernel) {
			t.Fatalf("%s: kernel shape %v, want %v", c.eq, got, c.kernel)
		}
		w := tensor.New(y.Shape...)
		for i := range w.Data {
			w.Data[i] = float32(r.NormFloat64())
		}
		dx := l.Backward(w)
		tc := tcase{Eq: c.eq, X: x.Data, XShape: x.Shape, K: l.Params()[0].Value.Data, KShape: l.Params()[0].Value.Shape, W: w.Data}
		var db []float32
		if c.bias != "" {
			tc.B, tc.BShape = l.Params()[1].Value.Data, l.Params()[1].Value.Shape
			db = append(db, l.Params()[1].Grad.Data...)
		}
		cases = append(cases, tc)
		layers = append(layers, l)
		outs = append(outs, append([]float32(nil), y.Data...))
		shapes = append(shapes, y.Shape.Clone())
		dxs = append(dxs, append([]float32(nil), dx.Data...))
		dks = append(dks, append([]float32(nil), l.Params()[0].Grad.Data...))
		dbs = append(dbs, db)
	}
	var want []struct {
		Y, DX, DK, DB []float64
		Shape         []int
	}
	pyref.Run(t, `
import json, sys
import numpy as np
out = []
for c in json.load(sys.stdin):
    x = np.array(c["x"], dtype="float64").reshape(c["xshape"])
    k = np.array(c["k"], dtype="float64").reshape(c["kshape"])
    y = np.einsum(c["eq"], x, k)
    if c["b"] is not None:
        y = y + np.array(c["b"], dtype="float64").reshape(c["bshape"])
    w = np.array(c["w"], dtype="float64").reshape(y.shape)
    ins, o = c["eq"].split("->")
    xs, ks = ins.split(",")
    # loss = sum(w*y); its gradients by einsum with the output's spec.
    if "..." in c["eq"]:
        import string
        free = [l for l in string.ascii_letters if l not in c["eq"]]
        n = x.ndim - len(xs.replace("...", ""))
        e = "".join(free[:n])
        xs, o = xs.replace("...", e), o.replace("...", e)
    dx = np.einsum(o + "," + ks + "->" + xs, w, k) if all(l in o + ks for l in xs) else np.einsum(o + "," + ks + "->" + "".join(l for l in xs if l in o + ks), w, k)
    if dx.shape != x.shape:
        dx = np.broadcast_to(np.expand_dims(dx, tuple(i for i, l in enumerate(xs) if l not in o + ks)), x.shape)
    dk = np.einsum(xs + "," + o + "->" + ks, x, w)
    db = []
    if c["b"] is not None:
        bs = np.array(c["bshape"])
        g = w.sum(axis=tuple(range(w.ndim - len(bs))))
        for a, d in enumerate(bs):
            if d == 1:
                g = g.sum(axis=a, keepdims=True)
        db = g.reshape(-1).tolist()
    out.append({"Shape": list(y.shape), "Y": y.reshape(-1).tolist(), "DX": np.asarray(dx).reshape(-1).tolist(), "DK": dk.reshape(-1).tolist(), "DB": db})
json.dump(out, sys.stdout)
`, cases, &want, "numpy")
	near := func(what string, got []float32, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
		}
		for i, v := range want {
			if math.Abs(float64(got[i])-v) > 1e-4*(1+math.Abs(v)) {
				t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], v)
			}
		}
	}
	for i, c := range einsumCases {
		if !shapes[i].Equal(want[i].Shape) {
			t.Fatalf("%s: output shape %v, want numpy.einsum's %v", c.eq, shapes[i], want[i].Shape)
		}
		near(c.eq+" output", outs[i], want[i].Y)
		near(c.eq+" input gradient", dxs[i], want[i].DX)
		near(c.eq+" kernel gradient", dks[i], want[i].DK)
		if c.bias != "" {
			near(c.eq+" bias gradient", dbs[i], want[i].DB)
		}
		_ = layers[i]
	}
}

// TestEinsumDenseGradients: finite differences, with an activation.
func TestEinsumDenseGradients(t *testing.T) {
	for _, c := range einsumCases {
		nntest.CheckGradients(t, &nn.EinsumDense{Equation: c.eq, PartialOutput: c.out, BiasAxes: c.bias, Activation: activation.Tanh}, c.in, nntest.GradOptions{})
	}
}

// TestEinsumDenseConfigAndRefusals: Keras's config round-trips; what
// Keras's analysis refuses (and diagonals) is an error; no allocation per
// step.
func TestEinsumDenseConfigAndRefusals(t *testing.T) {
	l := &nn.EinsumDense{Name: "proj", Equation: "abc,cde->abde", PartialOutput: []int{-1, 2, 5}, BiasAxes: "de", Activation: activation.ReLU}
	raw, _ := json.Marshal(nn.LayerConfig(l))
	var decoded map[string]any
	json.Unmarshal(raw, &decoded)
	back, err := nn.FromConfig("EinsumDense", decoded)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if again, _ := json.Marshal(nn.LayerConfig(back)); string(again) != string(raw) {
		t.Errorf("config after the round trip\n got %s\nwant %s", again, raw)
	}
	if !strings.Contains(string(raw), `"output_shape":[null,2,5]`) {
		t.Errorf("output_shape not as Keras writes it: %s", raw)
	}
	one, err := nn.FromConfig("EinsumDense", map[string]any{"equation": "ab,bc->ac", "output_shape": 4.0})
	if err != nil || one.(*nn.EinsumDense).PartialOutput[0] != 4 {
		t.Errorf("an integer output_shape: %v %v", one, err)
	}
	for _, c := range []struct {
		l    *nn.EinsumDense
		in   tensor.Shape
		want string
	}{
		{&nn.EinsumDense{Equation: "ab->b", PartialOutput: []int{3}}, tensor.Shape{2}, "is not of the form"},
		{&nn.EinsumDense{Equation: "aab,bc->ac", PartialOutput: []int{3}}, tensor.Shape{2, 2}, "diagonal"},
		{&nn.EinsumDense{Equation: "ab,bc->ac", PartialOutput: []int{3}, BiasAxes: "x"}, tensor.Shape{2}, "bias dimension"},
		{&nn.EinsumDense{Equation: "ab,bc->ad", PartialOutput: []int{3}}, tensor.Shape{2}, "in neither"},
		{&nn.EinsumDense{Equation: "abc,cd->abd", PartialOutput: []int{7, 4}}, tensor.Shape{3, 5}, "do not match"},
		{&nn.EinsumDense{Equation: "ab,bc->ac", PartialOutput: []int{-1}}, tensor.Shape{2}, "no size"},
		{&nn.EinsumDense{Equation: "ab,bc->bc", PartialOutput: []int{3}}, tensor.Shape{2}, "batch axis"},
		{&nn.EinsumDense{Equation: "abc,cd->ad", PartialOutput: []int{3}}, tensor.Shape{2}, "names 3 input axes"},
	} {
		if err := c.l.Build(c.in, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %v: err = %v, want %q", c.l.Equation, c.in, err, c.want)
		}
	}
	x := tensor.New(2, 3, 4)
	runEncoding(t, l, x)
	if a := testing.AllocsPerRun(10, func() { l.Backward(l.Forward(x, true)) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}
