package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// closeToAll fails for the first values of got farther than tol from want.
func closeToAll(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	bad := 0
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > tol {
			if bad++; bad <= 3 {
				t.Errorf("%s: value %d = %v, want %v", name, i, got[i], w)
			}
		}
	}
}

// TestLayerNormalizationValues: the row (1, 2, 3, 4) has mean 2.5 and
// variance 1.25, so xhat = (x-2.5)/sqrt(1.251) (worked out with NumPy),
// then gamma and beta apply per channel; training and inference agree.
func TestLayerNormalizationValues(t *testing.T) {
	l := &nn.LayerNormalization{}
	x := &tensor.Tensor{Shape: tensor.Shape{2, 4}, Data: []float32{1, 2, 3, 4, 4, 3, 2, 1}}
	y := runLayer(t, l, x)
	closeToAll(t, "default", y.Data, []float64{-1.34110445, -0.44703482, 0.44703482, 1.34110445, 1.34110445, 0.44703482, -0.44703482, -1.34110445}, 1e-6)
	ps := l.Params()
	if len(ps) != 2 || ps[0].Name != "gamma" || ps[1].Name != "beta" {
		t.Fatalf("params %v, want gamma, beta", ps)
	}
	copy(ps[0].Value.Data, []float32{1, 2, 0.5, -1})
	copy(ps[1].Value.Data, []float32{0, 0.1, 0.2, 0.3})
	y = l.Forward(x, false)
	closeToAll(t, "gamma, beta", y.Data[:4], []float64{-1.34110445, -0.79406963, 0.42351741, -1.04110445}, 1e-6)

	// A constant row normalises to zeros (then beta), not NaN.
	y = l.Forward(&tensor.Tensor{Shape: tensor.Shape{1, 4}, Data: []float32{7, 7, 7, 7}}, true)
	closeToAll(t, "constant row", y.Data, []float64{0, 0.1, 0.2, 0.3}, 1e-7)

	noW := &nn.LayerNormalization{NoScale: true, NoCenter: true}
	if err := noW.Build(tensor.Shape{3}, nil); err != nil {
		t.Fatal(err)
	}
	if len(noW.Params()) != 0 {
		t.Errorf("scale=False, center=False: params %v, want none", noW.Params())
	}
}

func TestLayerNormalizationGradients(t *testing.T) {
	for _, c := range []struct {
		name string
		l    *nn.LayerNormalization
		in   tensor.Shape
	}{
		{"default", &nn.LayerNormalization{}, tensor.Shape{5}},
		{"image", &nn.LayerNormalization{}, tensor.Shape{2, 3, 4}},
		{"noscale", &nn.LayerNormalization{NoScale: true}, tensor.Shape{2, 6}},
		{"nocenter_eps", &nn.LayerNormalization{NoCenter: true, Epsilon: 0.1}, tensor.Shape{6}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nntest.CheckGradients(t, c.l, c.in, nntest.GradOptions{Batch: 3, Training: true, Tol: 2e-2})
		})
	}
}

// TestLayerNormalizationMatchesPyTorch compares with F.layer_norm over the
// last axis, which is Keras's definition (biased variance, epsilon inside
// the square root), on inputs with a large offset.
func TestLayerNormalizationMatchesPyTorch(t *testing.T) {
	type job struct {
		Rows, C int
		Eps     float64
		X, G, B []float32
	}
	r := rand.New(rand.NewPCG(3, 4))
	var jobs []job
	for _, s := range [][2]int{{4, 7}, {6, 64}, {2, 1}, {3, 300}} {
		j := job{Rows: s[0], C: s[1], Eps: 1e-3}
		j.X = randVec(r, s[0]*s[1], 3, 10)
		j.G, j.B = randVec(r, s[1], 1, 0), randVec(r, s[1], 1, 0)
		jobs = append(jobs, j)
	}
	var want [][]float64
	torchReference(t, `
import json, sys, torch
import torch.nn.functional as F
out = []
for j in json.load(sys.stdin):
    x = torch.tensor(j["X"], dtype=torch.float64).reshape(j["Rows"], j["C"])
    g, b = torch.tensor(j["G"], dtype=torch.float64), torch.tensor(j["B"], dtype=torch.float64)
    out.append(F.layer_norm(x, (j["C"],), g, b, j["Eps"]).reshape(-1).tolist())
json.dump(out, sys.stdout)
`, jobs, &want)
	for i, j := range jobs {
		l := &nn.LayerNormalization{}
		if err := l.Build(tensor.Shape{j.C}, nil); err != nil {
			t.Fatal(err)
		}
		copy(l.Params()[0].Value.Data, j.G)
		copy(l.Params()[1].Value.Data, j.B)
		y := l.Forward(&tensor.Tensor{Shape: tensor.Shape{j.Rows, j.C}, Data: j.X}, true)
		closeToAll(t, fmt.Sprintf("%dx%d", j.Rows, j.C), y.Data, want[i], 2e-5)
	}
}

// randVec draws n values scale*N(0,1) + offset.
func randVec(r *rand.Rand, n int, scale, offset float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64()*scale + offset)
	}
	return v
}

// TestNormLayersConfigRoundTrip: each new class's Config reads back into
// the same layer, through JSON.
func TestNormLayersConfigRoundTrip(t *testing.T) {
	for _, l := range []nn.Layer{
		&nn.LayerNormalization{Name: "ln", Epsilon: 1e-5, NoCenter: true, InputShape: tensor.Shape{4}},
		&nn.GroupNormalization{Name: "gn", Groups: -1, NoScale: true},
		&nn.GroupNormalization{Name: "gn32"},
		&nn.UnitNormalization{Name: "un"},
		&nn.SpatialDropout2D{Name: "sd", Rate: 0.25},
		&nn.GaussianNoise{Name: "gnoise", Stddev: 0.1},
		&nn.GaussianDropout{Name: "gd", Rate: 0.3},
		&nn.AlphaDropout{Name: "ad", Rate: 0.1},
	} {
		cfg := viaJSON(t, nn.LayerConfig(l))
		back, err := nn.FromConfig(l.Class(), cfg)
		if err != nil {
			t.Errorf("%s: %v", l.Class(), err)
			continue
		}
		if a, b := jsonOf(t, nn.LayerConfig(l)), jsonOf(t, nn.LayerConfig(back)); a != b {
			t.Errorf("%s: config %s reads back as %s", l.Class(), a, b)
		}
	}
}

// TestNormLayersConfigRejects: values gokeras does not implement are
// errors naming the key and the value.
func TestNormLayersConfigRejects(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"LayerNormalization", map[string]any{"rms_scaling": true}, "rms_scaling=true is not implemented for LayerNormalization"},
		{"LayerNormalization", map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented for LayerNormalization"},
		{"LayerNormalization", map[string]any{"epsilon": 0.0}, "epsilon must be positive"},
		{"LayerNormalization", map[string]any{"gamma_initializer": "zeros"}, `gamma_initializer="zeros" is not implemented`},
		{"GroupNormalization", map[string]any{"groups": 0.0}, "groups must be positive or -1"},
		{"GroupNormalization", map[string]any{"axis": 1.0}, "axis=[1] is not implemented for GroupNormalization"},
		{"GroupNormalization", map[string]any{"beta_initializer": "ones"}, `beta_initializer="ones" is not implemented`},
		{"UnitNormalization", map[string]any{"axis": []any{1.0, 2.0}}, "axis=[1,2] is not implemented for UnitNormalization"},
		{"SpatialDropout2D", map[string]any{"rate": 0.5, "data_format": "channels_first"}, `data_format="channels_first" is not implemented`},
		{"AlphaDropout", map[string]any{"rate": 0.5, "noise_shape": []any{nil, 1.0}}, "noise_shape=[null,1] is not implemented for AlphaDropout"},
	} {
		_, err := nn.FromConfig(c.class, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err = %v, want %q", c.class, c.cfg, err, c.want)
		}
	}
	// Out-of-range values fail at build with what to do.
	for _, c := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.GroupNormalization{}, tensor.Shape{4, 4, 16}, "32 groups is more than the 16 channels"},
		{&nn.GroupNormalization{Groups: 3}, tensor.Shape{8}, "8 channels do not split into 3 equal groups"},
		{&nn.SpatialDropout2D{Rate: 0.5}, tensor.Shape{8}, "is not (height, width, channels)"},
		{&nn.SpatialDropout2D{Rate: 1}, tensor.Shape{2, 2, 8}, "rate 1 is outside [0, 1)"},
		{&nn.GaussianNoise{Stddev: 2}, tensor.Shape{8}, "stddev 2 is outside [0, 1]"},
		{&nn.GaussianDropout{Rate: -0.1}, tensor.Shape{8}, "rate -0.1 is outside"},
		{&nn.AlphaDropout{Rate: 1}, tensor.Shape{8}, "rate 1 is outside"},
	} {
		s := &nn.Stack{}
		s.Add(c.l)
		err := s.Build(c.in, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %v: err = %v, want %q", c.l.Class(), c.in, err, c.want)
		}
	}
	if _, err := (&nn.LayerNormalization{}).OutputShape(tensor.Shape{}); err == nil || !strings.Contains(err.Error(), "give it at least one feature axis") {
		t.Errorf("LayerNormalization on (): err = %v", err)
	}
}
