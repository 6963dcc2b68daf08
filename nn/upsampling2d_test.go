package nn_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestUpSampling2DKnown checks positions worked out by hand from
// keras/src/layers/reshaping/up_sampling2d.py on the ladder image (pixel
// value 10·row + column, linear, so bilinear output is the ladder read at
// the sample position): "nearest" repeats rows and columns; "bilinear"
// reads (i+0.5)/s − 0.5, clamped to the image.
func TestUpSampling2DKnown(t *testing.T) {
	tests := []struct {
		name string
		l    *nn.UpSampling2D
		h, w int
		want [][]float64
	}{
		// The zero value: size (2, 2), nearest.
		{"default", &nn.UpSampling2D{}, 2, 3, grid([]float64{0, 0, 1, 1}, []float64{0, 0, 1, 1, 2, 2})},
		// Keras's docstring example: size (1, 2) repeats columns only.
		{"size_1x2", &nn.UpSampling2D{Size: [2]int{1, 2}}, 2, 1, grid([]float64{0, 1}, []float64{0, 0})},
		{"nearest_3x2", &nn.UpSampling2D{Size: [2]int{3, 2}}, 2, 2, grid([]float64{0, 0, 0, 1, 1, 1}, []float64{0, 0, 1, 1})},
		// s = 2 on 2 pixels: −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
		{"bilinear_2", &nn.UpSampling2D{Bilinear: true}, 2, 2, grid([]float64{0, 0.25, 0.75, 1}, []float64{0, 0.25, 0.75, 1})},
		// s = 3 on 3 pixels: −1/3 → 0, 0, 1/3, 2/3, 1, 4/3, 5/3, 2, 7/3 → 2;
		// s = 1 on the columns copies them.
		{"bilinear_3x1", &nn.UpSampling2D{Size: [2]int{3, 1}, Bilinear: true}, 3, 2,
			grid([]float64{0, 0, 1.0 / 3, 2.0 / 3, 1, 4.0 / 3, 5.0 / 3, 2, 2}, []float64{0, 1})},
	}
	for _, tt := range tests {
		y := runLayer(t, tt.l, ladder(tt.h, tt.w, 2))
		checkPlane(t, tt.name, y, tt.want)
		// Channel 1 is channel 0 plus 100 wherever the output reads.
		c := y.Shape[3]
		for i := 0; i < len(y.Data); i += c {
			if d := y.Data[i+1] - y.Data[i]; math.Abs(float64(d-100)) > 1e-4 {
				t.Fatalf("%s: channel 1 − channel 0 = %v at %d, want 100", tt.name, d, i)
			}
		}
	}
	// Size (1, 1) is the identity: the input tensor itself.
	l := &nn.UpSampling2D{Size: [2]int{1, 1}, Bilinear: true}
	x := ladder(3, 2, 1)
	if err := l.Build(x.Shape[1:], nil); err != nil {
		t.Fatal(err)
	}
	if l.Forward(x, true) != x {
		t.Errorf("size (1, 1): the output is not the input")
	}
}

func TestUpSampling2DGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    *nn.UpSampling2D
	}{
		{"nearest", &nn.UpSampling2D{Size: [2]int{2, 3}}},
		{"bilinear", &nn.UpSampling2D{Size: [2]int{3, 2}, Bilinear: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tensor.Shape{3, 4, 2}, nntest.GradOptions{Batch: 2, MaxChecks: 200})
		})
	}
}

// TestUpSampling2DMatchesPyTorch compares with PyTorch's F.interpolate,
// which Keras's torch backend calls for ops.image.resize
// (keras/src/backend/torch/image.py): "bilinear" with align_corners=False
// and no antialiasing is the same half-pixel rule as TensorFlow's; PyTorch's
// "nearest" reads floor(i·in/out) = floor(i/s), Keras's ops.repeat, so it
// must match exactly. Skipped when /usr/bin/python3 or torch is missing.
func TestUpSampling2DMatchesPyTorch(t *testing.T) {
	type job struct {
		H, W, C, SH, SW int
		Mode            string
		X               []float32
	}
	r := rand.New(rand.NewPCG(8, 9))
	var jobs []job
	for _, s := range [][4]int{{5, 7, 2, 2}, {3, 4, 3, 2}, {1, 6, 4, 1}, {9, 2, 1, 5}, {16, 16, 2, 2}} {
		for _, mode := range []string{"bilinear", "nearest"} {
			j := job{H: s[0], W: s[1], C: 3, SH: s[2], SW: s[3], Mode: mode}
			j.X = make([]float32, j.H*j.W*j.C)
			for i := range j.X {
				j.X[i] = float32(r.NormFloat64() * 50)
			}
			jobs = append(jobs, j)
		}
	}
	script := `
import json, sys, torch
import torch.nn.functional as F
out = []
for j in json.load(sys.stdin):
    x = torch.tensor(j["X"], dtype=torch.float32).reshape(1, j["H"], j["W"], j["C"]).permute(0, 3, 1, 2)
    kw = {"align_corners": False, "antialias": False} if j["Mode"] == "bilinear" else {}
    y = F.interpolate(x, size=(j["H"] * j["SH"], j["W"] * j["SW"]), mode=j["Mode"], **kw)
    out.append(y.permute(0, 2, 3, 1).reshape(-1).tolist())
json.dump(out, sys.stdout)
`
	var want [][]float32
	pyref.Run(t, script, jobs, &want, "torch")
	for i, j := range jobs {
		l := &nn.UpSampling2D{Size: [2]int{j.SH, j.SW}, Bilinear: j.Mode == "bilinear"}
		x := &tensor.Tensor{Shape: tensor.Shape{1, j.H, j.W, j.C}, Data: j.X}
		y := runLayer(t, l, x)
		name := fmt.Sprintf("%dx%d ×(%d, %d) %s", j.H, j.W, j.SH, j.SW, j.Mode)
		if len(y.Data) != len(want[i]) {
			t.Fatalf("%s: %d values, PyTorch %d", name, len(y.Data), len(want[i]))
		}
		// Bilinear: the sample position is off by up to an ulp of itself,
		// as in TestResizingMatchesPyTorch.
		var maxAbs float64
		for _, v := range j.X {
			maxAbs = max(maxAbs, math.Abs(float64(v)))
		}
		tol := 1e-6 * maxAbs * float64(max(j.H*j.SH, j.W*j.SW)+4)
		bad := 0
		for k, w := range want[i] {
			g := y.Data[k]
			ok := g == w
			if l.Bilinear {
				ok = math.Abs(float64(g-w)) <= tol
			}
			if !ok {
				if bad++; bad <= 3 {
					t.Errorf("%s: value %d = %v, PyTorch %v", name, k, g, w)
				}
			}
		}
	}
}

func TestUpSampling2DConfig(t *testing.T) {
	// As Keras 3's get_config writes it (keras/src/layers/reshaping/up_sampling2d.py).
	const full = `{"name": "up_sampling2d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
		"size": [2, 3], "data_format": "channels_last", "interpolation": "bilinear"}`
	var cfg map[string]any
	json.Unmarshal([]byte(full), &cfg)
	l, err := nn.FromConfig("UpSampling2D", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := l.(*nn.UpSampling2D); u.Size != [2]int{2, 3} || !u.Bilinear || u.Name != "up_sampling2d" {
		t.Errorf("read %+v", u)
	}
	roundTrip(t, l)
	roundTrip(t, &nn.UpSampling2D{Name: "up", InputShape: tensor.Shape{4, 4, 1}})
	if got := (&nn.UpSampling2D{}).Config(); fmt.Sprintf("%v %v", got["size"], got["interpolation"]) != "[2 2] nearest" {
		t.Errorf("zero value config %v, want Keras's default size (2, 2), nearest", got)
	}
	// An int size is Keras's (s, s); Keras lower-cases the interpolation.
	json.Unmarshal([]byte(`{"name": "up", "size": 3, "interpolation": "Nearest"}`), &cfg)
	if l, err := nn.FromConfig("UpSampling2D", cfg); err != nil || l.(*nn.UpSampling2D).Size != [2]int{3, 3} || l.(*nn.UpSampling2D).Bilinear {
		t.Errorf("size 3: %+v, %v", l, err)
	}
	for _, b := range []struct{ key, value, want string }{
		{"interpolation", `"bicubic"`, `interpolation="bicubic" is not implemented`},
		{"data_format", `"channels_first"`, `data_format="channels_first" is not implemented`},
		{"size", `[0, 2]`, "size must be positive"},
		{"size", `[1, 2, 3]`, "one or two integers"},
	} {
		var cfg map[string]any
		json.Unmarshal([]byte(fmt.Sprintf(`{"name": "up", %q: %s}`, b.key, b.value)), &cfg)
		if _, err := nn.FromConfig("UpSampling2D", cfg); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s=%s: err = %v, want %q", b.key, b.value, err, b.want)
		}
	}
	for _, c := range []struct {
		l    *nn.UpSampling2D
		in   tensor.Shape
		want string
	}{
		{&nn.UpSampling2D{}, tensor.Shape{16}, "channels-last images"},
		{&nn.UpSampling2D{Size: [2]int{-1, 2}}, tensor.Shape{4, 4, 1}, "must be positive"},
		{&nn.UpSampling2D{Size: [2]int{1 << 40, 2}}, tensor.Shape{1 << 20, 4, 1}, "more than 2^50"},
	} {
		if _, err := c.l.OutputShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %v: err = %v, want %q", c.l, c.in, err, c.want)
		}
	}
}

// checkNoAllocs builds l for in and checks that a training step (Forward
// then Backward on a batch of 4) allocates nothing once warm.
func checkNoAllocs(t *testing.T, l nn.Layer, in tensor.Shape) {
	t.Helper()
	if err := l.Build(in, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	out, _ := l.OutputShape(in)
	x := tensor.New(append(tensor.Shape{4}, in...)...)
	dy := tensor.New(append(tensor.Shape{4}, out...)...)
	step := func() {
		l.Forward(x, true)
		l.Backward(dy)
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%s on %v: %v allocations per step, want 0", l.Class(), in, n)
	}
}

func TestUpSampling2DNoAllocs(t *testing.T) {
	checkNoAllocs(t, &nn.UpSampling2D{}, tensor.Shape{5, 4, 3})
	checkNoAllocs(t, &nn.UpSampling2D{Size: [2]int{3, 2}, Bilinear: true}, tensor.Shape{5, 4, 3})
}
