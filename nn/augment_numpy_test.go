package nn_test

// The augmentation layers' deterministic cores against NumPy
// implementations of Keras 3's formulas, written here independently of the
// Go code: the transform matrices of random_rotation.py, random_zoom.py,
// random_translation.py and random_shear.py, keras.ops.image.affine_transform as the Torch and
// JAX backends compute it (keras/src/backend/torch/image.py
// affine_transform and map_coordinates with its index fixers; nearest
// rounds half away from zero as JAX's lax.round), and the arithmetic of
// random_brightness.py and random_contrast.py.

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// numpyReference runs script with /usr/bin/python3 (NumPy), in as JSON on
// stdin and its stdout decoded into out; it skips without NumPy.
func numpyReference(t *testing.T, script string, in, out any) {
	t.Helper()
	pyref.Run(t, script, in, out, "numpy")
}

const kerasAugmentNumPy = `
import itertools, json, sys
import numpy as np

def mirror(i, size):
    s = size - 1
    return np.abs((i + s) % (2 * s) - s)

def fix(i, size, mode):
    if mode == "constant":
        return np.clip(i, 0, size - 1)  # gathered, then replaced where invalid
    if mode == "nearest":
        return np.clip(i, 0, size - 1)
    if mode == "wrap":
        return i % size
    return np.floor_divide(mirror(2 * i + 1, 2 * size + 1) - 1, 2)  # reflect

def map_coordinates(inp, coords, order, mode, cval):
    nodes = []
    for coord in coords:
        if order == 0:
            idx = np.where(coord >= 0, np.floor(coord + 0.5), np.ceil(coord - 0.5)).astype(np.int64)
            nodes.append([(idx, 1.0)])
        else:
            lower = np.floor(coord)
            up = coord - lower
            idx = lower.astype(np.int64)
            nodes.append([(idx, 1.0 - up), (idx + 1, up)])
    out = np.zeros(coords.shape[1:])
    for items in itertools.product(*nodes):
        valid = np.ones(coords.shape[1:], dtype=bool)
        fixed, weight = [], 1.0
        for (idx, wt), size in zip(items, inp.shape):
            fixed.append(fix(idx, size, mode))
            valid &= (idx >= 0) & (idx < size)
            weight = weight * wt
        val = inp[tuple(fixed)]
        if mode == "constant":
            val = np.where(valid, val, cval)
        out += weight * val
    return out

def affine_transform(img, t, interpolation, mode, cval):
    h, w, c = img.shape
    t = np.array(t, dtype=np.float64)
    a0, a2, b1, b2 = t[0], t[2], t[4], t[5]
    t[0], t[2], t[4], t[5] = b1, b2, a0, a2
    m = np.append(t, 1.0).reshape(3, 3)
    offset = np.array([m[0, 2], m[1, 2], 0.0])
    m[0:2, 2] = 0
    idx = np.stack(np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij"), axis=-1).astype(np.float64)
    coords = np.einsum("hwcj,jk->hwck", idx, m)
    coords = np.moveaxis(coords, -1, 0) + offset[:, None, None, None]
    return map_coordinates(img, coords, {"nearest": 0, "bilinear": 1}[interpolation], mode, cval)

def transform(case, h, w):
    k = case["kind"]
    if k == "rotation":
        a = case["u"] * 2.0 * np.pi
        c, s = np.cos(a), np.sin(a)
        x_off = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2.0
        y_off = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2.0
        return [c, -s, x_off, s, c, y_off, 0, 0]
    if k == "zoom":
        zy, zx = 1.0 + case["u"], 1.0 + case["v"]
        return [zx, 0, (w - 1) / 2.0 * (1 - zx), 0, zy, (h - 1) / 2.0 * (1 - zy), 0, 0]
    if k == "shear":  # random_shear.py _get_shear_matrix: u = shear_x, v = shear_y
        return [1, case["u"], 0, case["v"], 1, 0, 0, 0]
    dy, dx = case["u"] * h, case["v"] * w
    return [1, 0, -dx, 0, 1, -dy, 0, 0]

req = json.load(sys.stdin)
img = np.array(req["img"], dtype=np.float64).reshape(req["shape"])
h, w = img.shape[0], img.shape[1]
out = []
for case in req["cases"]:
    k = case["kind"]
    if k == "brightness":
        lo, hi = sorted(case["range"])
        y = np.clip(img + case["u"] * (hi - lo), lo, hi)
    elif k == "contrast":
        mean = np.mean(img, axis=0, keepdims=True)
        mean = np.mean(mean, axis=1, keepdims=True)
        y = np.clip((img - mean) * case["u"] + mean, case["range"][0], case["range"][1])
    else:
        y = affine_transform(img, transform(case, h, w), case["interp"], case["fill"], case["value"])
    out.append(y.ravel().tolist())
json.dump(out, sys.stdout)
`

type augCase struct {
	Kind   string     `json:"kind"`
	U      float64    `json:"u"`
	V      float64    `json:"v"`
	Interp string     `json:"interp"`
	Fill   string     `json:"fill"`
	Value  float64    `json:"value"`
	Range  [2]float64 `json:"range"`
}

// layer returns the gokeras layer whose draw is c's (a range of one value).
func (c augCase) layer(t *testing.T) nn.Layer {
	fill, err := nn.ParseFillMode(c.Fill)
	if err != nil {
		t.Fatal(err)
	}
	interp, err := nn.ParseInterpolation(c.Interp)
	if err != nil {
		t.Fatal(err)
	}
	switch c.Kind {
	case "rotation":
		return &nn.RandomRotation{Factor: [2]float64{c.U, c.U}, FillMode: fill, Interpolation: interp, FillValue: c.Value}
	case "zoom":
		return &nn.RandomZoom{HeightFactor: [2]float64{c.U, c.U}, WidthFactor: &[2]float64{c.V, c.V}, FillMode: fill, Interpolation: interp, FillValue: c.Value}
	case "translation":
		return &nn.RandomTranslation{HeightFactor: [2]float64{c.U, c.U}, WidthFactor: [2]float64{c.V, c.V}, FillMode: fill, Interpolation: interp, FillValue: c.Value}
	case "brightness":
		return &nn.RandomBrightness{Factor: [2]float64{c.U, c.U}, ValueRange: c.Range}
	case "contrast":
		// Factor (-(k-1), k-1) draws k exactly, for k >= 1.
		return &nn.RandomContrast{Factor: [2]float64{1 - c.U, c.U - 1}, ValueRange: c.Range}
	}
	t.Fatalf("unknown case %q", c.Kind)
	return nil
}

func TestAugmentAgainstNumPy(t *testing.T) {
	const h, w, ch = 7, 9, 2
	r := rand.New(rand.NewPCG(11, 12))
	img := make([]float32, h*w*ch)
	for i := range img {
		img[i] = float32(math.Round(r.Float64()*2550) / 10) // in [0, 255]
	}
	var cases []augCase
	for _, fill := range []string{"reflect", "constant", "wrap", "nearest"} {
		for _, interp := range []string{"bilinear", "nearest"} {
			cases = append(cases,
				augCase{Kind: "rotation", U: 0.0731, Fill: fill, Interp: interp, Value: 7.5},
				augCase{Kind: "rotation", U: -0.3113, Fill: fill, Interp: interp, Value: 7.5},
				augCase{Kind: "zoom", U: 0.437, V: -0.213, Fill: fill, Interp: interp, Value: -3},
				augCase{Kind: "zoom", U: -0.391, V: 0.777, Fill: fill, Interp: interp, Value: -3},
				augCase{Kind: "translation", U: 0.2371, V: -0.4117, Fill: fill, Interp: interp, Value: 1.25},
				augCase{Kind: "translation", U: -0.8813, V: 0.6093, Fill: fill, Interp: interp, Value: 1.25},
			)
		}
	}
	cases = append(cases,
		augCase{Kind: "brightness", U: 0.2, Range: [2]float64{0, 255}},
		augCase{Kind: "brightness", U: -0.35, Range: [2]float64{0, 255}},
		augCase{Kind: "brightness", U: 0.1, Range: [2]float64{20, 200}},
		augCase{Kind: "contrast", U: 1.3, Range: [2]float64{0, 255}},
		augCase{Kind: "contrast", U: 1.9, Range: [2]float64{30, 220}},
	)
	var want [][]float64
	numpyReference(t, kerasAugmentNumPy, map[string]any{"img": img, "shape": []int{h, w, ch}, "cases": cases}, &want)
	x := &tensor.Tensor{Shape: tensor.Shape{1, h, w, ch}, Data: img}
	for i, c := range cases {
		l := c.layer(t)
		buildAug(t, l, tensor.Shape{h, w, ch}, 1)
		got := l.Forward(x, true).Data
		for j := range got {
			if d := math.Abs(float64(got[j]) - want[i][j]); d > 1e-3 {
				t.Errorf("%+v: [%d] = %v, NumPy %v", c, j, got[j], want[i][j])
				break
			}
		}
	}
	// Contrast below 1 (which a one-value Factor cannot draw): the core.
	for _, k := range []float32{0.25, 0.8} {
		var ref [][]float64
		numpyReference(t, kerasAugmentNumPy, map[string]any{"img": img, "shape": []int{h, w, ch},
			"cases": []augCase{{Kind: "contrast", U: float64(k), Range: [2]float64{50, 200}}}}, &ref)
		y := make([]float32, len(img))
		nn.ContrastCore(y, img, []float32{k}, h*w, ch, 50, 200)
		for j := range y {
			if d := math.Abs(float64(y[j]) - ref[0][j]); d > 1e-3 {
				t.Errorf("contrast %v: [%d] = %v, NumPy %v", k, j, y[j], ref[0][j])
				break
			}
		}
	}
}

// kerasResizeNumPy is keras.ops.image.resize (bilinear, antialias=False)
// as the NumPy and JAX backends compute it (keras/src/backend/numpy/
// image.py _scale_and_translate with the triangle kernel: weights at
// sample (i+0.5)/scale-0.5, normalised over the input pixels they reach),
// applied to RandomCrop's windows (random_crop.py: the training fallback
// slices height x width from the aspect window's corner; inference, as the
// docstring says, resizes the aspect window itself).
const kerasResizeNumPy = `
import json, sys
import numpy as np

def weight_mat(m, n):
    inv = m / n
    sample = (np.arange(n) + 0.5) * inv - 0.5
    x = np.abs(sample[None, :] - np.arange(m)[:, None])
    wts = np.maximum(0, 1 - x)
    tot = np.sum(wts, axis=0, keepdims=True)
    wts = np.where(np.abs(tot) > 1000 * float(np.finfo(np.float32).eps), wts / np.where(tot != 0, tot, 1), 0)
    return np.where(((sample >= -0.5) & (sample <= m - 0.5))[None, :], wts, 0)

def resize(img, th, tw):
    out = np.tensordot(img, weight_mat(img.shape[0], th), axes=(0, 0))  # (w, c, th)
    out = np.moveaxis(out, -1, 0)
    out = np.tensordot(out, weight_mat(img.shape[1], tw), axes=(1, 0))  # (th, c, tw)
    return np.moveaxis(out, -1, 1)

req = json.load(sys.stdin)
img = np.array(req["img"], dtype=np.float64).reshape(req["shape"])
h, w = img.shape[0], img.shape[1]
out = []
for th, tw, training in req["cases"]:
    ch = max(min(h, int(float(w * th) / tw)), 1)
    cw = max(min(w, int(float(h * tw) / th)), 1)
    y0, x0 = int(float(h - ch) / 2), int(float(w - cw) / 2)
    if training:
        win = img[y0:y0 + th, x0:x0 + tw]
    else:
        win = img[y0:y0 + ch, x0:x0 + cw]
    if win.shape[0] != th or win.shape[1] != tw:
        win = resize(win, th, tw)
    out.append(win.ravel().tolist())
json.dump(out, sys.stdout)
`

func TestRandomCropResizeAgainstNumPy(t *testing.T) {
	const h, w, ch = 6, 9, 2
	img := randImages(21, 1, h, w, ch)
	type cropCase struct {
		th, tw   int
		training bool
	}
	cases := []cropCase{
		{6, 4, true}, {8, 5, true}, {13, 9, true}, {3, 12, true}, {6, 9, true},
		{4, 5, false}, {3, 3, false}, {5, 2, false}, {8, 12, false}, {2, 9, false},
	}
	in := make([][3]any, len(cases))
	for i, c := range cases {
		in[i] = [3]any{c.th, c.tw, c.training}
	}
	var want [][]float64
	numpyReference(t, kerasResizeNumPy, map[string]any{"img": img.Data, "shape": []int{h, w, ch}, "cases": in}, &want)
	for i, c := range cases {
		l := &nn.RandomCrop{Height: c.th, Width: c.tw}
		buildAug(t, l, tensor.Shape{h, w, ch}, 1)
		got := l.Forward(img, c.training).Data
		if len(got) != len(want[i]) {
			t.Fatalf("%+v: %d values, NumPy %d", c, len(got), len(want[i]))
		}
		for j := range got {
			if d := math.Abs(float64(got[j]) - want[i][j]); d > 1e-4 {
				t.Errorf("%+v: [%d] = %v, NumPy %v", c, j, got[j], want[i][j])
				break
			}
		}
	}
}

// kerasErasingNumPy is RandomErasing's transform_images for given boxes,
// as random_erasing.py computes it: the pixel grid compared with the
// float box (x0 <= x < x1, y0 <= y < y1) in float32, the fill (one value
// per channel, broadcast as full_like does) clipped to value_range, and
// where(mask & apply, fill, image).
const kerasErasingNumPy = `
import json, sys
import numpy as np
req = json.load(sys.stdin)
img = np.array(req["img"], dtype=np.float32).reshape(req["shape"])
n, h, w, c = img.shape
gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
fill = np.clip(np.full_like(img, np.array(req["fill"], dtype=np.float32)), req["range"][0], req["range"][1])
out = img.copy()
for i, ((x0, x1, y0, y1), apply) in enumerate(zip(req["boxes"], req["apply"])):
    x0, x1, y0, y1 = (np.float32(v) for v in (x0, x1, y0, y1))
    mask = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)
    mask = np.repeat(mask[:, :, None], c, axis=2)
    out[i] = np.where(mask & apply, fill[i], img[i])
json.dump(out.ravel().tolist(), sys.stdout)
`

func TestRandomErasingAgainstNumPy(t *testing.T) {
	const n, h, w, c = 8, 9, 11, 3
	x := randImages(31, n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(math.Round(float64(x.Data[i])*400) / 10) // about [-120, 120]
	}
	l := &nn.RandomErasing{Scale: [2]float64{0.1, 0.6}, FillValue: []float64{7.5, -3, 300}, ValueRange: [2]float64{0, 255}}
	buildAug(t, l, tensor.Shape{h, w, c}, 4)
	got := l.Forward(x, true).Data
	boxes, apply := nn.ErasingBoxes(l)
	if !slices.Contains(apply, true) || !slices.Contains(apply, false) {
		t.Fatalf("the draw erased %v; want some images erased and some not (change the seed)", apply)
	}
	var want []float64
	numpyReference(t, kerasErasingNumPy, map[string]any{"img": x.Data, "shape": []int{n, h, w, c}, "boxes": boxes, "apply": apply,
		"fill": l.FillValue, "range": []float64{0, 255}}, &want)
	if len(want) != len(got) {
		t.Fatalf("NumPy gave %d values, want %d", len(want), len(got))
	}
	for j := range got {
		if float64(got[j]) != want[j] {
			t.Fatalf("[%d] = %v, NumPy %v (boxes %v, apply %v)", j, got[j], want[j], boxes, apply)
		}
	}
}

// TestRandomShearAgainstNumPy: each image's shear, read from the layer's
// draw (the sign is random), against NumPy's affine_transform of Keras's
// shear matrix, for every fill mode and interpolation.
func TestRandomShearAgainstNumPy(t *testing.T) {
	const h, w, ch = 7, 9, 2
	r := rand.New(rand.NewPCG(13, 14))
	img := make([]float32, h*w*ch)
	for i := range img {
		img[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	x := &tensor.Tensor{Shape: tensor.Shape{1, h, w, ch}, Data: img}
	var cases []augCase
	var got [][]float32
	for _, fill := range []string{"reflect", "constant", "wrap", "nearest"} {
		for _, interp := range []string{"bilinear", "nearest"} {
			for k, f := range [][2]float64{{0.31, 0.07}, {0.6, 0.45}, {0, 0.9}} {
				fm, _ := nn.ParseFillMode(fill)
				in, _ := nn.ParseInterpolation(interp)
				l := &nn.RandomShear{XFactor: [2]float64{f[0], f[0]}, YFactor: [2]float64{f[1], f[1]}, FillMode: fm, Interpolation: in, FillValue: 3.5}
				buildAug(t, l, tensor.Shape{h, w, ch}, uint64(k+1))
				got = append(got, l.Forward(x, true).Clone().Data)
				m := nn.Warps(l)[0] // (1, sy, 0, sx, 1, 0)
				if math.Abs(math.Abs(m[3])-f[0]) > 1e-12 || math.Abs(math.Abs(m[1])-f[1]) > 1e-12 || m[0] != 1 || m[4] != 1 {
					t.Fatalf("factors %v drew warp %v", f, m)
				}
				cases = append(cases, augCase{Kind: "shear", U: m[3], V: m[1], Fill: fill, Interp: interp, Value: 3.5})
			}
		}
	}
	var want [][]float64
	numpyReference(t, kerasAugmentNumPy, map[string]any{"img": img, "shape": []int{h, w, ch}, "cases": cases}, &want)
	for i, c := range cases {
		for j := range got[i] {
			if d := math.Abs(float64(got[i][j]) - want[i][j]); d > 1e-3 {
				t.Errorf("%+v: [%d] = %v, NumPy %v", c, j, got[i][j], want[i][j])
				break
			}
		}
	}
}

// kerasPerspectiveNumPy is keras.ops.image.perspective_transform as the
// NumPy backend computes it (compute_homography_matrix by
// np.linalg.solve, coordinates from a meshgrid of pixel centres), with
// the torch/JAX map_coordinates of kerasAugmentNumPy and fill "constant".
var kerasPerspectiveNumPy = strings.Replace(kerasAugmentNumPy, "json.dump(out, sys.stdout)", "", 1) + `
def homography(start, end):
    rows, target = [], []
    for (sx, sy), (ex, ey) in zip(start, end):
        rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey])
        rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey])
        target += [sx, sy]
    return np.linalg.solve(np.array(rows, dtype=np.float64), np.array(target, dtype=np.float64))

pout = []
for case in req["persp"]:
    h, w = img.shape[0], img.shape[1]
    start = [[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]]
    a0, a1, a2, a3, a4, a5, a6, a7 = homography(start, case["end"])
    x, y = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64), indexing="xy")
    d = a6 * x + a7 * y + 1.0
    xi, yi = (a0 * x + a1 * y + a2) / d, (a3 * x + a4 * y + a5) / d
    chans = []
    for c in range(img.shape[2]):
        coords = np.stack([yi, xi], axis=0)
        chans.append(map_coordinates(img[:, :, c], coords, {"nearest": 0, "bilinear": 1}[case["interp"]], "constant", case["value"]))
    pout.append(np.stack(chans, axis=-1).ravel().tolist())
print(json.dumps(pout))
`

// TestRandomPerspectiveAgainstNumPy: each warped image, from the corners
// the layer drew, against NumPy's homography and sampling.
func TestRandomPerspectiveAgainstNumPy(t *testing.T) {
	const n, h, w, ch = 12, 7, 9, 2
	r := rand.New(rand.NewPCG(15, 16))
	img := make([]float32, h*w*ch)
	for i := range img {
		img[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	x := tensor.New(n, h, w, ch)
	for b := range n {
		copy(x.Data[b*h*w*ch:], img)
	}
	type persp struct {
		End    [4][2]float64 `json:"end"`
		Interp string        `json:"interp"`
		Value  float64       `json:"value"`
	}
	var cases []persp
	var got [][]float32
	for _, interp := range []string{"bilinear", "nearest"} {
		in, _ := nn.ParseInterpolation(interp)
		l := &nn.RandomPerspective{Factor: [2]float64{1, 1}, Scale: 0.8, Interpolation: in, FillValue: 2.5}
		buildAug(t, l, tensor.Shape{h, w, ch}, 3)
		y := l.Forward(x, true)
		for b, end := range nn.PerspectiveEnds(l) {
			if end == [4][2]float64{} {
				t.Fatalf("image %d not warped with factor (1, 1)", b)
			}
			cases = append(cases, persp{end, interp, 2.5})
			got = append(got, slices.Clone(y.Data[b*h*w*ch:(b+1)*h*w*ch]))
		}
	}
	var want [][]float64
	numpyReference(t, kerasPerspectiveNumPy, map[string]any{"img": img, "shape": []int{h, w, ch}, "cases": []augCase{}, "persp": cases}, &want)
	for i, c := range cases {
		bad := 0
		for j := range got[i] {
			if d := math.Abs(float64(got[i][j]) - want[i][j]); d > 1e-2 {
				bad++
			}
		}
		// Nearest sampling may round a coordinate a hair from .5 the
		// other way (the solve's rounding differs); allow a pixel.
		if limit := map[string]int{"bilinear": 0, "nearest": ch}[c.Interp]; bad > limit {
			t.Errorf("%+v: %d values differ from NumPy", c, bad)
		}
	}
}

// kerasElasticNumPy is keras.ops.image.elastic_transform's arithmetic on
// given noise: the NumPy backend's gaussian_blur (kernel int(6σ)|1, zero
// padding), α times the blurred noise as the displacement, and sampling
// with the torch/JAX map_coordinates of kerasAugmentNumPy.
var kerasElasticNumPy = strings.Replace(kerasAugmentNumPy, "json.dump(out, sys.stdout)", "", 1) + `
def blur(plane, sigma):
    size = int(6 * sigma) | 1
    x = np.arange(size) - (size - 1) / 2
    k1 = np.exp(-0.5 * (x / sigma) ** 2)
    k1 = k1 / k1.sum()
    k = np.outer(k1, k1)
    r = size // 2
    p = np.pad(plane, ((r, r), (r, r)))
    h, w = plane.shape
    return sum(k[i, j] * p[i:i + h, j:j + w] for i in range(size) for j in range(size))

e = req["elastic"]
h, w = img.shape[0], img.shape[1]
dx = e["alpha"] * blur(np.array(e["noise"][:h * w]).reshape(h, w), e["sigma"])
dy = e["alpha"] * blur(np.array(e["noise"][h * w:]).reshape(h, w), e["sigma"])
yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
chans = []
for c in range(img.shape[2]):
    coords = np.stack([yy + dy, xx + dx], axis=0)
    chans.append(map_coordinates(img[:, :, c], coords, {"nearest": 0, "bilinear": 1}[e["interp"]], e["fill"], e["value"]))
y = np.clip(np.stack(chans, axis=-1), e["range"][0], e["range"][1])
print(json.dumps({"y": y.ravel().tolist(), "field": np.stack([dy, dx], -1).ravel().tolist()}))
`

// TestRandomElasticTransformAgainstNumPy: the displacement field from the
// drawn noise and the sampled image against NumPy, for every fill mode
// and both interpolations.
func TestRandomElasticTransformAgainstNumPy(t *testing.T) {
	const h, w, ch = 24, 28, 2 // large enough for whole-pixel displacements
	r := rand.New(rand.NewPCG(17, 18))
	img := make([]float32, h*w*ch)
	for i := range img {
		img[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	x := &tensor.Tensor{Shape: tensor.Shape{1, h, w, ch}, Data: img}
	for _, fill := range []string{"reflect", "constant", "wrap", "nearest"} {
		for _, interp := range []string{"bilinear", "nearest"} {
			fm, _ := nn.ParseFillMode(fill)
			in, _ := nn.ParseInterpolation(interp)
			l := &nn.RandomElasticTransform{Factor: [2]float64{1, 1}, Scale: [2]float64{0.6, 1}, FillMode: fm, Interpolation: in, FillValue: 9.5, ValueRange: [2]float64{0, 250}}
			buildAug(t, l, tensor.Shape{h, w, ch}, 2)
			got := l.Forward(x, true).Clone()
			apply, noise, alpha, sigma, field := nn.ElasticDraws(l)
			if !apply[0] {
				t.Fatal("factor (1, 1) did not transform")
			}
			var want struct {
				Y     []float64
				Field []float64
			}
			numpyReference(t, kerasElasticNumPy, map[string]any{"img": img, "shape": []int{h, w, ch}, "cases": []augCase{},
				"elastic": map[string]any{"noise": noise, "alpha": alpha, "sigma": sigma, "interp": interp, "fill": fill, "value": 9.5, "range": []float64{0, 250}}}, &want)
			for i, v := range field {
				if math.Abs(float64(v)-want.Field[i]) > 1e-4*(1+math.Abs(want.Field[i])) {
					t.Fatalf("%s %s: field[%d] = %v, NumPy %v", fill, interp, i, v, want.Field[i])
				}
			}
			bad := 0
			for i, v := range got.Data {
				if math.Abs(float64(v)-want.Y[i]) > 1e-2 {
					bad++
				}
			}
			moved := 0
			for _, v := range field {
				if math.Abs(float64(v)) > 0.5 {
					moved++
				}
			}
			if moved == 0 {
				t.Fatalf("%s %s: no pixel moved by half a pixel or more", fill, interp)
			}
			if limit := map[string]int{"bilinear": 0, "nearest": 2 * ch}[interp]; bad > limit {
				t.Errorf("%s %s: %d values differ from NumPy", fill, interp, bad)
			}
		}
	}
}
