package nn_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestAdaptivePoolingValues: 5 columns into 3 bins are [0,2), [1,4) and
// [3,5) (floor(i*5/3) to ceil((i+1)*5/3)), so the bins overlap.
func TestAdaptivePoolingValues(t *testing.T) {
	x := &tensor.Tensor{Shape: tensor.Shape{1, 1, 5, 1}, Data: []float32{1, 5, 2, 3, 4}}
	avg := runLayer(t, &nn.AdaptiveAveragePooling2D{OutputSize: [2]int{1, 3}}, x)
	closeToAll(t, "average", avg.Data, []float64{3, 10.0 / 3, 3.5}, 1e-6)
	mp := &nn.AdaptiveMaxPooling2D{OutputSize: [2]int{1, 3}}
	mx := runLayer(t, mp, x)
	closeToAll(t, "max", mx.Data, []float64{5, 5, 4}, 0)
	// Column 1 is the maximum of two bins: it gets both gradients.
	dx := mp.Backward(&tensor.Tensor{Shape: tensor.Shape{1, 1, 3, 1}, Data: []float32{1, 10, 100}})
	closeToAll(t, "max gradient", dx.Data, []float64{0, 11, 0, 0, 100}, 0)
	// An output larger than the input repeats its rows.
	up := runLayer(t, &nn.AdaptiveAveragePooling1D{OutputSize: 4}, &tensor.Tensor{Shape: tensor.Shape{1, 2, 1}, Data: []float32{1, 3}})
	closeToAll(t, "1-D up", up.Data, []float64{1, 1, 3, 3}, 0)
}

// TestAdaptivePoolingTorch compares outputs and input gradients with
// PyTorch's adaptive_avg_pool2d and adaptive_max_pool2d, Keras's
// reference for these layers, on sizes that divide and sizes that do not.
func TestAdaptivePoolingTorch(t *testing.T) {
	type pcase struct {
		H, W, C, OH, OW int
		X, DY           []float32
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var cases []pcase
	for _, s := range [][5]int{{8, 8, 3, 4, 4}, {7, 5, 2, 3, 2}, {6, 9, 4, 4, 5}, {3, 4, 2, 5, 7}, {5, 5, 1, 1, 1}} {
		c := pcase{H: s[0], W: s[1], C: s[2], OH: s[3], OW: s[4]}
		c.X = make([]float32, 2*c.H*c.W*c.C)
		c.DY = make([]float32, 2*c.OH*c.OW*c.C)
		for i := range c.X {
			c.X[i] = float32(rng.NormFloat64())
		}
		for i := range c.DY {
			c.DY[i] = float32(rng.NormFloat64())
		}
		cases = append(cases, c)
	}
	var want []struct{ Avg, AvgDX, Max, MaxDX []float64 }
	torchReference(t, `
import json, sys
import torch
out = []
for c in json.load(sys.stdin):
    shape = (2, c["H"], c["W"], c["C"])
    r = {}
    for kind, f in (("Avg", torch.nn.functional.adaptive_avg_pool2d), ("Max", torch.nn.functional.adaptive_max_pool2d)):
        x = torch.tensor(c["X"], dtype=torch.float32).reshape(shape).permute(0, 3, 1, 2).clone().requires_grad_()
        dy = torch.tensor(c["DY"], dtype=torch.float32).reshape(2, c["OH"], c["OW"], c["C"]).permute(0, 3, 1, 2)
        y = f(x, (c["OH"], c["OW"]))
        y.backward(dy)
        r[kind] = y.detach().permute(0, 2, 3, 1).reshape(-1).tolist()
        r[kind + "DX"] = x.grad.permute(0, 2, 3, 1).reshape(-1).tolist()
    out.append(r)
print(json.dumps(out))
`, cases, &want)
	for i, c := range cases {
		name := fmt.Sprintf("%dx%dx%d to %dx%d", c.H, c.W, c.C, c.OH, c.OW)
		x := &tensor.Tensor{Shape: tensor.Shape{2, c.H, c.W, c.C}, Data: c.X}
		dy := &tensor.Tensor{Shape: tensor.Shape{2, c.OH, c.OW, c.C}, Data: c.DY}
		avg := &nn.AdaptiveAveragePooling2D{OutputSize: [2]int{c.OH, c.OW}}
		closeToAll(t, name+" average", runLayer(t, avg, x).Data, want[i].Avg, 1e-6)
		closeToAll(t, name+" average dx", avg.Backward(dy).Data, want[i].AvgDX, 1e-6)
		mx := &nn.AdaptiveMaxPooling2D{OutputSize: [2]int{c.OH, c.OW}}
		closeToAll(t, name+" max", runLayer(t, mx, x).Data, want[i].Max, 0)
		closeToAll(t, name+" max dx", mx.Backward(dy).Data, want[i].MaxDX, 1e-6)
	}
}

func TestAdaptivePoolingGradients(t *testing.T) {
	for _, c := range []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.AdaptiveAveragePooling2D{OutputSize: [2]int{3, 2}}, tensor.Shape{7, 5, 2}},
		{&nn.AdaptiveAveragePooling2D{OutputSize: [2]int{4, 4}}, tensor.Shape{3, 2, 1}},
		{&nn.AdaptiveMaxPooling2D{OutputSize: [2]int{3, 2}}, tensor.Shape{7, 5, 2}},
		{&nn.AdaptiveAveragePooling1D{OutputSize: 3}, tensor.Shape{7, 2}},
		{&nn.AdaptiveMaxPooling1D{OutputSize: 3}, tensor.Shape{7, 2}},
	} {
		nntest.CheckGradients(t, c.l, c.in, nntest.GradOptions{Input: distinct})
	}
}

// TestAdaptivePoolingNoAllocs: after a warm-up a training step allocates
// nothing.
func TestAdaptivePoolingNoAllocs(t *testing.T) {
	for _, c := range []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.AdaptiveAveragePooling2D{OutputSize: [2]int{3, 3}}, tensor.Shape{8, 7, 4}},
		{&nn.AdaptiveMaxPooling2D{OutputSize: [2]int{3, 3}}, tensor.Shape{8, 7, 4}},
		{&nn.AdaptiveMaxPooling1D{OutputSize: 3}, tensor.Shape{8, 4}},
		{&nn.RMSNormalization{}, tensor.Shape{5}},
	} {
		if err := c.l.Build(c.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(append(tensor.Shape{4}, c.in...)...)
		for i := range x.Data {
			x.Data[i] = float32(i%7) - 3
		}
		step := func() { c.l.Backward(c.l.Forward(x, true)) }
		step()
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("%s: %v allocations per step", c.l.Class(), a)
		}
	}
}

// TestAdaptivePoolingConfig: configs read back; output_size is required
// and must be positive; the 1-D layers take one integer.
func TestAdaptivePoolingConfig(t *testing.T) {
	for _, l := range []nn.Layer{
		&nn.AdaptiveAveragePooling2D{Name: "a", OutputSize: [2]int{7, 5}},
		&nn.AdaptiveMaxPooling2D{Name: "m", OutputSize: [2]int{2, 2}},
		&nn.AdaptiveAveragePooling1D{Name: "a1", OutputSize: 8},
		&nn.AdaptiveMaxPooling1D{Name: "m1", OutputSize: 3},
	} {
		back, err := nn.FromConfig(l.Class(), viaJSON(t, nn.LayerConfig(l)))
		if err != nil {
			t.Errorf("%s: %v", l.Class(), err)
			continue
		}
		if a, b := jsonOf(t, nn.LayerConfig(l)), jsonOf(t, nn.LayerConfig(back)); a != b {
			t.Errorf("%s: config %s reads back as %s", l.Class(), a, b)
		}
	}
	// Keras writes output_size as an integer or a list.
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"AdaptiveAveragePooling2D", map[string]any{"output_size": 4.0}, `"output_size":[4,4]`},
		{"AdaptiveMaxPooling2D", map[string]any{"output_size": []any{3.0, 2.0}}, `"output_size":[3,2]`},
		{"AdaptiveMaxPooling1D", map[string]any{"output_size": []any{5.0}}, `"output_size":5`},
	} {
		l, err := nn.FromConfig(c.class, c.cfg)
		if err != nil {
			t.Errorf("%s %v: %v", c.class, c.cfg, err)
			continue
		}
		if got := jsonOf(t, nn.LayerConfig(l)); !strings.Contains(got, c.want) {
			t.Errorf("%s %v: config %s, want %s", c.class, c.cfg, got, c.want)
		}
	}
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"AdaptiveAveragePooling2D", map[string]any{}, "output_size is missing"},
		{"AdaptiveMaxPooling2D", map[string]any{"output_size": []any{0.0, 2.0}}, "output_size must be positive"},
		{"AdaptiveMaxPooling2D", map[string]any{"output_size": []any{1.0, 2.0, 3.0}}, "an integer or a list of 2"},
		{"AdaptiveAveragePooling1D", map[string]any{"output_size": []any{2.0, 2.0}}, "an integer or a list of 1"},
		{"AdaptiveAveragePooling2D", map[string]any{"output_size": 2.0, "data_format": "channels_first"}, `data_format="channels_first" is not implemented`},
	} {
		if _, err := nn.FromConfig(c.class, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err = %v, want %q", c.class, c.cfg, err, c.want)
		}
	}
	for _, c := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.AdaptiveAveragePooling2D{OutputSize: [2]int{2, 2}}, tensor.Shape{8, 3}, "takes (batch, height, width, channels)"},
		{&nn.AdaptiveMaxPooling2D{}, tensor.Shape{4, 4, 3}, "needs a positive height and width"},
		{&nn.AdaptiveMaxPooling2D{OutputSize: [2]int{1 << 30, 1 << 30}}, tensor.Shape{4, 4, 3}, "more than AdaptiveMaxPooling2D allows"},
		{&nn.AdaptiveAveragePooling1D{}, tensor.Shape{8, 3}, "needs a positive number of output steps"},
		{&nn.AdaptiveMaxPooling1D{OutputSize: 2}, tensor.Shape{8, 3, 1}, "takes (batch, steps, channels)"},
	} {
		if _, err := c.l.OutputShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %v: err = %v, want %q", c.l.Class(), c.in, err, c.want)
		}
	}
}
