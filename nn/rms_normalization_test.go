package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestRMSNormalizationValues: (3, 4) has mean square 12.5, so with
// Keras's epsilon 1e-6 the row becomes (3, 4)/sqrt(12.500001); the scale
// multiplies per channel, and a zero row stays zero.
func TestRMSNormalizationValues(t *testing.T) {
	l := &nn.RMSNormalization{}
	x := &tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{3, 4, 0, 0}}
	y := runLayer(t, l, x)
	r := 1 / math.Sqrt(12.5+1e-6)
	closeToAll(t, "rows", y.Data, []float64{3 * r, 4 * r, 0, 0}, 1e-6)
	ps := l.Params()
	if len(ps) != 1 || ps[0].Name != "scale" || ps[0].Value.Data[0] != 1 {
		t.Fatalf("params %v, want scale initialised to ones", ps)
	}
	copy(ps[0].Value.Data, []float32{2, -1})
	y = l.Forward(x, false)
	closeToAll(t, "scaled", y.Data, []float64{6 * r, -4 * r, 0, 0}, 1e-6)
}

// TestRMSNormalizationNumPy compares the output and the input and scale
// gradients of a random batch with NumPy's float64 evaluation of Keras's
// formula and its derivative written out independently.
func TestRMSNormalizationNumPy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const rows, cols = 5, 7
	x := tensor.New(rows, cols)
	dy := tensor.New(rows, cols)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64()*2 + 0.5)
		dy.Data[i] = float32(rng.NormFloat64())
	}
	l := &nn.RMSNormalization{Epsilon: 1e-3}
	runLayer(t, l, x)
	scale := l.Params()[0].Value.Data
	for i := range scale {
		scale[i] = float32(rng.NormFloat64())
	}
	y := l.Forward(x, true).Clone()
	dx := l.Backward(dy)
	var want struct{ Y, DX, DScale []float64 }
	numpyReference(t, `
import json, sys
import numpy as np
d = json.load(sys.stdin)
x = np.array(d["x"], dtype=np.float64).reshape(d["rows"], d["cols"])
dy = np.array(d["dy"], dtype=np.float64).reshape(x.shape)
g = np.array(d["scale"], dtype=np.float64)
eps = d["eps"]
ms = np.mean(x * x, axis=-1, keepdims=True)
r = 1 / np.sqrt(ms + eps)
y = x * r * g
# d y_j / d x_k = g_j (r δ_jk - x_j x_k r^3 / n)
dh = dy * g
dx = r * dh - x * r**3 * np.sum(dh * x, axis=-1, keepdims=True) / x.shape[1]
dscale = np.sum(dy * x * r, axis=0)
print(json.dumps({"Y": y.ravel().tolist(), "DX": dx.ravel().tolist(), "DScale": dscale.tolist()}))
`, map[string]any{"x": x.Data, "dy": dy.Data, "scale": scale, "eps": 1e-3, "rows": rows, "cols": cols}, &want)
	closeToAll(t, "y", y.Data, want.Y, 1e-5)
	closeToAll(t, "dx", dx.Data, want.DX, 1e-5)
	closeToAll(t, "dscale", l.Params()[0].Grad.Data, want.DScale, 1e-4)
}

func TestRMSNormalizationGradients(t *testing.T) {
	nntest.CheckGradients(t, &nn.RMSNormalization{}, tensor.Shape{2, 5}, nntest.GradOptions{Batch: 2})
	nntest.CheckGradients(t, &nn.RMSNormalization{Epsilon: 0.1}, tensor.Shape{3}, nntest.GradOptions{Batch: 3, Training: true})
}

// TestRMSNormalizationConfig: the config reads back, Keras's keys with
// other values are refused, and so is an input without a feature axis.
func TestRMSNormalizationConfig(t *testing.T) {
	l := &nn.RMSNormalization{Name: "rms", Epsilon: 1e-5, InputShape: tensor.Shape{4}}
	back, err := nn.FromConfig(l.Class(), viaJSON(t, nn.LayerConfig(l)))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(t, nn.LayerConfig(l)), jsonOf(t, nn.LayerConfig(back)); a != b {
		t.Errorf("config %s reads back as %s", a, b)
	}
	for _, c := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented for RMSNormalization"},
		{map[string]any{"epsilon": 0.0}, "epsilon must be positive"},
	} {
		if _, err := nn.FromConfig("RMSNormalization", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
	if _, err := (&nn.RMSNormalization{}).OutputShape(tensor.Shape{}); err == nil || !strings.Contains(err.Error(), "give it at least one feature axis") {
		t.Errorf("RMSNormalization on (): err = %v", err)
	}
}
