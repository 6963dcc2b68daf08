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

// ladder is an image whose pixel (y, x, k) is 10y + x + 100k: bilinear
// interpolation of it at a point is the same linear function of the point,
// so expected outputs can be written down from the sample positions alone.
func ladder(h, w, c int) *tensor.Tensor {
	x := tensor.New(1, h, w, c)
	for y := range h {
		for i := range w {
			for k := range c {
				x.Data[(y*w+i)*c+k] = float32(10*y + i + 100*k)
			}
		}
	}
	return x
}

func runLayer(t *testing.T, l nn.Layer, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	if err := l.Build(x.Shape[1:], rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatalf("%s: Build(%v): %v", l.Class(), x.Shape[1:], err)
	}
	y := l.Forward(x, false)
	// Not an augmentation: training computes the same.
	yt := l.Forward(x, true)
	if !yt.Shape.Equal(y.Shape) {
		t.Fatalf("%s: training output %v, inference %v", l.Class(), yt.Shape, y.Shape)
	}
	return yt.Clone()
}

// checkPlane compares channel 0 of y (1, h, w, c) with want[h][w].
func checkPlane(t *testing.T, name string, y *tensor.Tensor, want [][]float64) {
	t.Helper()
	h, w, c := y.Shape[1], y.Shape[2], y.Shape[3]
	if h != len(want) || w != len(want[0]) {
		t.Fatalf("%s: output %v, want %dx%d", name, y.Shape, len(want), len(want[0]))
	}
	for i := range h {
		for j := range w {
			if got := float64(y.Data[(i*w+j)*c]); math.Abs(got-want[i][j]) > 1e-5 {
				t.Errorf("%s: y[%d][%d] = %v, want %v", name, i, j, got, want[i][j])
			}
		}
	}
}

// grid is want[i][j] = 10·ys[i] + xs[j]: the ladder read at rows ys and
// columns xs.
func grid(ys, xs []float64) [][]float64 {
	out := make([][]float64, len(ys))
	for i, y := range ys {
		out[i] = make([]float64, len(xs))
		for j, x := range xs {
			out[i][j] = 10*y + x
		}
	}
	return out
}

// TestResizingKnown checks sample positions worked out by hand from
// TensorFlow's half-pixel rule: output i reads (i+0.5)·in/out − 0.5,
// clamped to the image, for bilinear; floor((i+0.5)·in/out) for nearest.
func TestResizingKnown(t *testing.T) {
	tests := []struct {
		name  string
		layer *nn.Resizing
		h, w  int
		want  [][]float64
	}{
		// 4 → 2: positions 0.5 and 2.5. 2 → 4: −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
		{"bilinear_down_up", &nn.Resizing{Height: 2, Width: 4}, 4, 2, grid([]float64{0.5, 2.5}, []float64{0, 0.25, 0.75, 1})},
		// 5 → 3: scale 5/3, positions 1/3, 2, 11/3.
		{"bilinear_5_to_3", &nn.Resizing{Height: 3, Width: 5}, 5, 5, grid([]float64{1.0 / 3, 2, 11.0 / 3}, []float64{0, 1, 2, 3, 4})},
		// Nearest 4 → 2 reads 1 and 3; 2 → 4 reads 0, 0, 1, 1.
		{"nearest", &nn.Resizing{Height: 2, Width: 4, Interpolation: nn.NearestNeighbor}, 4, 2, grid([]float64{1, 3}, []float64{0, 0, 1, 1})},
		// Nearest 5 → 3: floor(5/6)=0, floor(2.5)=2, floor(25/6)=4.
		{"nearest_5_to_3", &nn.Resizing{Height: 3, Width: 1, Interpolation: nn.NearestNeighbor}, 5, 1, grid([]float64{0, 2, 4}, []float64{0})},
		// 4x6 to 2x2 keeping the aspect ratio: the centred 4x4 window
		// (columns 1-4), then 4 → 2 reads 0.5 and 2.5 of it.
		{"crop_to_aspect_ratio", &nn.Resizing{Height: 2, Width: 2, CropToAspectRatio: true}, 4, 6, grid([]float64{0.5, 2.5}, []float64{1.5, 3.5})},
		// 7x3 to 2x2: window int(3·2/2)=3 rows from int((7−3)/2)=2, all 3 columns; 3 → 2 reads 0.25 and 1.75.
		{"crop_tall", &nn.Resizing{Height: 2, Width: 2, CropToAspectRatio: true}, 7, 3, grid([]float64{2.25, 3.75}, []float64{0.25, 1.75})},
	}
	for _, tt := range tests {
		y := runLayer(t, tt.layer, ladder(tt.h, tt.w, 2))
		checkPlane(t, tt.name, y, tt.want)
		// Channel 1 is channel 0 plus 100 everywhere.
		for i := 0; i < len(y.Data); i += 2 {
			if math.Abs(float64(y.Data[i+1]-y.Data[i]-100)) > 1e-4 {
				t.Errorf("%s: channels mixed at %d: %v, %v", tt.name, i, y.Data[i], y.Data[i+1])
				break
			}
		}
	}
}

// TestResizingPad follows keras/src/backend/tensorflow/image.py: the short
// side gets int((padded − size)/2) rows of fill_value on both sides, then
// the padded image is resized.
func TestResizingPad(t *testing.T) {
	x := ladder(2, 4, 1)
	// 2x4 to 4x4: one fill row above and below, then a copy.
	y := runLayer(t, &nn.Resizing{Height: 4, Width: 4, PadToAspectRatio: true, FillValue: -7}, x)
	checkPlane(t, "pad_even", y, [][]float64{{-7, -7, -7, -7}, {0, 1, 2, 3}, {10, 11, 12, 13}, {-7, -7, -7, -7}})
	// 1x4 to 4x4: int(3/2) = 1 row each side, so the padded image is 3x4,
	// then 3 → 4 rows read −0.125 (row 0), 0.625, 1.375 and 2.125 (row 2).
	x = &tensor.Tensor{Shape: tensor.Shape{1, 1, 4, 1}, Data: []float32{8, 16, 24, 32}}
	y = runLayer(t, &nn.Resizing{Height: 4, Width: 4, PadToAspectRatio: true}, x)
	row := func(f float64) []float64 { return []float64{8 * f, 16 * f, 24 * f, 32 * f} }
	checkPlane(t, "pad_odd", y, [][]float64{row(0), row(0.625), row(0.625), row(0)})
	// Wide target on a square image pads the columns.
	y = runLayer(t, &nn.Resizing{Height: 2, Width: 4, PadToAspectRatio: true, FillValue: 1}, ladder(2, 2, 1))
	checkPlane(t, "pad_columns", y, [][]float64{{1, 0, 1, 1}, {1, 10, 11, 1}})
}

func TestResizingIdentity(t *testing.T) {
	x := ladder(3, 4, 2)
	l := &nn.Resizing{Height: 3, Width: 4}
	if err := l.Build(tensor.Shape{3, 4, 2}, nil); err != nil {
		t.Fatal(err)
	}
	if y := l.Forward(x, true); y != x {
		t.Error("resizing to the same size should pass the input through, as TensorFlow copies it")
	}
	if dy := l.Backward(x); dy != x {
		t.Error("identity Backward should pass the gradient through")
	}
}

func TestResizingGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer *nn.Resizing
		in    tensor.Shape
	}{
		{"bilinear_down", &nn.Resizing{Height: 3, Width: 2}, tensor.Shape{7, 5, 2}},
		{"bilinear_up", &nn.Resizing{Height: 5, Width: 7}, tensor.Shape{3, 2, 1}},
		{"bilinear_mixed", &nn.Resizing{Height: 2, Width: 9}, tensor.Shape{5, 4, 3}},
		{"nearest", &nn.Resizing{Height: 3, Width: 6, Interpolation: nn.NearestNeighbor}, tensor.Shape{5, 4, 2}},
		{"crop", &nn.Resizing{Height: 3, Width: 3, CropToAspectRatio: true}, tensor.Shape{5, 8, 2}},
		{"pad", &nn.Resizing{Height: 4, Width: 4, PadToAspectRatio: true, FillValue: 0.5}, tensor.Shape{3, 6, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer, tt.in, nntest.GradOptions{Batch: 2, MaxChecks: 200})
		})
	}
}

// TestResizingMatchesPyTorch compares with an independent implementation.
// PyTorch's F.interpolate(mode="bilinear", align_corners=False,
// antialias=False) samples at the same points as TensorFlow's half-pixel
// bilinear resize: (i+0.5)·in/out − 0.5 in float32 when given a size,
// negative positions clamped to 0 (area_pixel_compute_source_index) and
// the upper neighbour clamped to the last pixel. It rounds the positions
// and mixes the four pixels differently (a weighted sum where TensorFlow
// lerps twice), so values agree to float32 rounding, not bit for bit: a
// position is off by up to an ulp of itself, which moves the value by up
// to that times the step between neighbours, so the tolerance is
// 1e-6·max|x|·(size+4); a sample read a tenth of a pixel off would miss
// it by hundreds of times that. Its "nearest" is not TensorFlow's
// (it reads floor(i·in/out)); "nearest-exact" is: floor((i+0.5)·in/out),
// clamped. Downscaling matches because both leave antialiasing off.
// The test is skipped when /usr/bin/python3 or torch is missing.
func TestResizingMatchesPyTorch(t *testing.T) {
	type job struct {
		H, W, C, OH, OW int
		Mode            string
		X               []float32
	}
	r := rand.New(rand.NewPCG(5, 6))
	var jobs []job
	for _, s := range [][4]int{{7, 9, 4, 5}, {4, 5, 13, 11}, {7, 9, 3, 17}, {32, 32, 24, 20}, {5, 5, 5, 5}, {1, 6, 3, 2}, {10, 3, 3, 10}} {
		for _, mode := range []string{"bilinear", "nearest-exact"} {
			j := job{H: s[0], W: s[1], C: 3, OH: s[2], OW: s[3], Mode: mode}
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
    y = F.interpolate(x, size=(j["OH"], j["OW"]), mode=j["Mode"], **kw)
    out.append(y.permute(0, 2, 3, 1).reshape(-1).tolist())
json.dump(out, sys.stdout)
`
	var want [][]float32
	pyref.Run(t, script, jobs, &want, "torch")
	for i, j := range jobs {
		interp := nn.Bilinear
		if j.Mode != "bilinear" {
			interp = nn.NearestNeighbor
		}
		l := &nn.Resizing{Height: j.OH, Width: j.OW, Interpolation: interp}
		x := &tensor.Tensor{Shape: tensor.Shape{1, j.H, j.W, j.C}, Data: j.X}
		y := runLayer(t, l, x)
		name := fmt.Sprintf("%dx%d→%dx%d %s", j.H, j.W, j.OH, j.OW, j.Mode)
		if len(y.Data) != len(want[i]) {
			t.Fatalf("%s: %d values, PyTorch %d", name, len(y.Data), len(want[i]))
		}
		var maxAbs float64
		for _, v := range j.X {
			maxAbs = max(maxAbs, math.Abs(float64(v)))
		}
		tol := 1e-6 * maxAbs * float64(max(j.H, j.W)+4)
		bad := 0
		for k, w := range want[i] {
			g := y.Data[k]
			ok := g == w
			if interp == nn.Bilinear {
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

func TestResizingKerasConfig(t *testing.T) {
	// As Keras 3.x's get_config writes it (keras/src/layers/preprocessing/
	// image_preprocessing/resizing.py), with Layer's name/trainable/dtype.
	const full = `{"name": "resizing", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
		"height": 24, "width": 32, "interpolation": "nearest", "crop_to_aspect_ratio": true, "pad_to_aspect_ratio": false,
		"fill_mode": "constant", "fill_value": 0.0, "data_format": "channels_last", "antialias": false}`
	var cfg map[string]any
	if err := json.Unmarshal([]byte(full), &cfg); err != nil {
		t.Fatal(err)
	}
	l, err := nn.FromConfig("Resizing", cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := l.(*nn.Resizing)
	if r.Height != 24 || r.Width != 32 || r.Interpolation != nn.NearestNeighbor || !r.CropToAspectRatio || r.PadToAspectRatio || r.Name != "resizing" {
		t.Errorf("read %+v", r)
	}
	roundTrip(t, l)
	roundTrip(t, &nn.Resizing{Name: "rs", Height: 3, Width: 4, PadToAspectRatio: true, FillValue: 0.5, InputShape: tensor.Shape{9, 9, 3}})

	bad := []struct{ key, value, want string }{
		{"interpolation", `"bicubic"`, `interpolation="bicubic" is not implemented`},
		{"interpolation", `"lanczos3"`, `"bilinear" or "nearest"`},
		{"antialias", `true`, "antialias=true is not implemented"},
		{"fill_mode", `"reflect"`, `fill_mode="reflect" is not implemented`},
		{"data_format", `"channels_first"`, `data_format="channels_first" is not implemented`},
		{"heigth", `3`, `unknown key "heigth"`},
	}
	for _, b := range bad {
		var cfg map[string]any
		json.Unmarshal([]byte(fmt.Sprintf(`{"name": "rz", "height": 3, "width": 3, %q: %s}`, b.key, b.value)), &cfg)
		_, err := nn.FromConfig("Resizing", cfg)
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "Resizing") || !strings.Contains(err.Error(), `"rz"`) {
			t.Errorf("%s=%s: err = %v, want one naming Resizing, the layer and %s", b.key, b.value, err, b.want)
		}
	}
	for _, l := range []*nn.Resizing{{Height: 3}, {Height: 3, Width: 3, CropToAspectRatio: true, PadToAspectRatio: true}} {
		if err := l.Build(tensor.Shape{4, 4, 1}, nil); err == nil {
			t.Errorf("%+v: no error", l)
		}
	}
	if err := (&nn.Resizing{Height: 3, Width: 3}).Build(tensor.Shape{16}, nil); err == nil || !strings.Contains(err.Error(), "channels-last images") {
		t.Errorf("flat input: err = %v", err)
	}
}

// roundTrip checks that l's config, through JSON, makes a layer with the
// same config.
func roundTrip(t *testing.T, l nn.Layer) {
	t.Helper()
	want, _ := json.Marshal(nn.LayerConfig(l))
	var cfg map[string]any
	json.Unmarshal(want, &cfg)
	again, err := nn.FromConfig(l.Class(), cfg)
	if err != nil {
		t.Errorf("%s: FromConfig(%s): %v", l.Class(), want, err)
		return
	}
	if got, _ := json.Marshal(nn.LayerConfig(again)); string(got) != string(want) {
		t.Errorf("%s: round trip\n got %s\nwant %s", l.Class(), got, want)
	}
}

// TestPreprocessingNoAllocs: once built, the layers run a step without
// allocating, as training requires.
func TestPreprocessingNoAllocs(t *testing.T) {
	layers := []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.Resizing{Height: 5, Width: 3}, tensor.Shape{8, 8, 3}},
		{&nn.Resizing{Height: 4, Width: 4, PadToAspectRatio: true}, tensor.Shape{2, 8, 3}},
		{&nn.CenterCrop{Height: 4, Width: 4}, tensor.Shape{8, 6, 3}},
		{&nn.CenterCrop{Height: 9, Width: 9}, tensor.Shape{8, 6, 3}},
		{&nn.Rescaling{Scale: 0.5, Offset: 1}, tensor.Shape{8, 6, 3}},
		{&nn.Rescaling{ChannelScale: []float64{1, 2, 3}}, tensor.Shape{8, 6, 3}},
	}
	for _, c := range layers {
		if err := c.l.Build(c.in, nil); err != nil {
			t.Fatal(err)
		}
		out, _ := c.l.OutputShape(c.in)
		x := tensor.New(append(tensor.Shape{4}, c.in...)...)
		dy := tensor.New(append(tensor.Shape{4}, out...)...)
		step := func() {
			c.l.Forward(x, true)
			c.l.Backward(dy)
		}
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%s on %v: %v allocations per step, want 0", c.l.Class(), c.in, n)
		}
	}
}
