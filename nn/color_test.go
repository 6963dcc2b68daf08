package nn_test

// The color augmentation layers: their outputs against NumPy running
// Keras 3's formulas on the same draws, gradients, draws, configs.

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// kerasColorNumPy computes each case's output with the arithmetic of
// Keras 3's random_invert.py, random_grayscale.py,
// random_color_degeneration.py, solarization.py, random_posterization.py,
// random_sharpness.py, equalization.py, random_gaussian_blur.py (with the NumPy backend's
// gaussian_blur) and auto_contrast.py (with _transform_value_range and rgb_to_grayscale),
// in float32, from the draws the Go layer made.
const kerasColorNumPy = `
import json, sys
import numpy as np
f32 = np.float32
W = np.array([0.2989, 0.5870, 0.1140], dtype=f32)

def to_range(x, orig, target):
    if orig[0] == target[0] and orig[1] == target[1]:
        return x
    x = (x - f32(orig[0])) / (f32(orig[1]) - f32(orig[0]))
    return x * (f32(target[1]) - f32(target[0])) + f32(target[0])

def gray(x):
    return np.expand_dims(np.tensordot(x, W, axes=(-1, -1)), -1).astype(f32)

job = json.load(sys.stdin)
x = np.array(job["x"], dtype=f32).reshape(job["shape"])
out = []
for c in job["cases"]:
    k, vr = c["kind"], c.get("range", [0, 255])
    if k == "invert":
        apply = np.array(c["apply"])[:, None, None, None]
        y = np.where(apply, f32(vr[1]) - x, x)
    elif k == "grayscale":
        apply = np.array(c["apply"])[:, None, None, None]
        y = np.where(apply, np.repeat(gray(x), 3, axis=-1), x)
    elif k == "degeneration":
        f = np.array(c["f"], dtype=f32).reshape(-1, 1, 1, 1)
        y = np.clip(x + f * (gray(x) - x), vr[0], vr[1])
    elif k == "solarization":
        add = np.array(c["add"], dtype=f32).reshape(-1, 1, 1, 1)
        thr = np.array(c["thr"], dtype=f32).reshape(-1, 1, 1, 1)
        r = np.clip(to_range(x, vr, (0, 255)) + add, 0, 255)
        r = np.where(r < thr, r, f32(255) - r)
        y = to_range(r, (0, 255), vr)
    elif k == "posterization":
        s = np.array(c["shift"], dtype=np.uint8).reshape(-1, 1, 1, 1)
        u = to_range(x, vr, (0, 255)).astype(np.uint8)
        y = to_range(((u >> s) << s).astype(f32), (0, 255), vr)
    elif k == "sharpness":
        kern = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=f32) / f32(13)
        p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        h, w = x.shape[1], x.shape[2]
        blur = sum(kern[i, j] * p[:, i:i + h, j:j + w, :] for i in range(3) for j in range(3)).astype(f32)
        f = np.array(c["f"], dtype=f32).reshape(-1, 1, 1, 1)  # Keras's factor * 2 ...
        y = np.clip(x + (f32(1) - f) * (blur - x), vr[0], vr[1])
    elif k == "gaussianblur":
        def k1(size, sigma):
            t = np.arange(size, dtype=f32) - f32((size - 1) / 2)
            v = np.exp(f32(-0.5) * (t / f32(sigma)) ** 2)
            return v / np.sum(v)
        size = c["size"]
        kern = np.outer(k1(size, c["sigma"][1]), k1(size, c["sigma"][0])).astype(f32)
        r = size // 2
        p = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)))
        h, w = x.shape[1], x.shape[2]
        blur = sum(kern[i, j] * p[:, i:i + h, j:j + w, :] for i in range(size) for j in range(size)).astype(f32)
        apply = np.array(c["apply"])[:, None, None, None]
        y = np.clip(np.where(apply, blur, x), vr[0], vr[1])
    elif k == "equalization":
        bins = c["size"]
        y = np.empty_like(x)
        for ch in range(x.shape[-1]):
            v = x[..., ch]
            sc = f32(255.0 / (vr[1] - vr[0]))
            v = v * sc + f32(0 - vr[0] * (255.0 / (vr[1] - vr[0])))
            idx = np.clip((v * f32(bins - 1) / f32(255)).astype(np.int32), 0, bins - 1)
            hist = np.bincount(idx.ravel(), minlength=bins)
            if np.count_nonzero(hist) <= 1:
                e = v
            else:
                cdf = np.cumsum(hist)
                cmin = cdf[np.nonzero(cdf)[0][0]]
                den = cdf[-1] - cmin
                den = 1 if den == 0 else den
                lut = np.clip(np.round(((cdf - cmin) * 255) / den), 0, 255)
                e = lut[np.clip(v / f32(255) * f32(bins - 1), 0, bins - 1).astype(np.int32)]
            y[..., ch] = (e * ((vr[1] - vr[0]) / 255.0) + vr[0]).astype(f32)
    elif k == "autocontrast":
        t = to_range(x, vr, (0, 255))
        lo = t.min(axis=(1, 2), keepdims=True)
        hi = t.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = f32(255) / (hi - lo)
            r = np.clip(t * scale + (-lo * scale), 0, 255)
            r = to_range(r, (0, 255), vr)
        y = np.where(np.isnan(r), x, r)
    out.append([float(v) for v in y.astype(f32).ravel()])
print(json.dumps(out))
`

type colorCase struct {
	Kind  string     `json:"kind"`
	Range [2]float64 `json:"range"`
	Apply []bool     `json:"apply,omitempty"`
	F     []float32  `json:"f,omitempty"`
	Add   []float32  `json:"add,omitempty"`
	Thr   []float32  `json:"thr,omitempty"`
	Shift []int      `json:"shift,omitempty"`
	Size  int        `json:"size,omitempty"`
	Sigma [2]float64 `json:"sigma"`
}

func TestColorLayersAgainstNumPy(t *testing.T) {
	const n, h, w = 6, 5, 4
	in := tensor.Shape{h, w, 3}
	r := rand.New(rand.NewPCG(21, 22))
	// Pixels in [0, 255] on a 0.1 grid, one image with a flat channel.
	x := tensor.New(n, h, w, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	for p := range h * w {
		x.Data[(2*h*w+p)*3+1] = 77
	}
	scaled := x.Clone() // the same images in (-1, 2)
	for i, v := range scaled.Data {
		scaled.Data[i] = v/85 - 1
	}
	type run struct {
		l    nn.Layer
		x    *tensor.Tensor
		draw func(l nn.Layer, c *colorCase)
		c    colorCase
	}
	var runs []run
	for _, vr := range [][2]float64{{0, 255}, {-1, 2}} {
		xx := x
		if vr[0] != 0 {
			xx = scaled
		}
		runs = append(runs,
			run{&nn.RandomInvert{ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) { c.Apply = nn.InvertDraws(l.(*nn.RandomInvert)) }, colorCase{Kind: "invert"}},
			run{&nn.RandomGrayscale{}, xx, func(l nn.Layer, c *colorCase) { c.Apply = nn.GrayscaleDraws(l.(*nn.RandomGrayscale)) }, colorCase{Kind: "grayscale"}},
			run{&nn.RandomColorDegeneration{Factor: [2]float64{-1, 1}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				c.F = nn.DegenerationDraws(l.(*nn.RandomColorDegeneration))
			}, colorCase{Kind: "degeneration"}},
			run{&nn.Solarization{AdditionFactor: [2]float64{0, 0.3}, ThresholdFactor: [2]float64{0.2, 0.9}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				c.Add, c.Thr = nn.SolarizationDraws(l.(*nn.Solarization))
			}, colorCase{Kind: "solarization"}},
			run{&nn.Solarization{ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				c.Add, c.Thr = nn.SolarizationDraws(l.(*nn.Solarization))
			}, colorCase{Kind: "solarization"}},
			run{&nn.RandomPosterization{Factor: [2]float64{1, 8}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				for _, s := range nn.PosterizationDraws(l.(*nn.RandomPosterization)) {
					c.Shift = append(c.Shift, int(s))
				}
			}, colorCase{Kind: "posterization"}},
			run{&nn.AutoContrast{ValueRange: vr}, xx, func(nn.Layer, *colorCase) {}, colorCase{Kind: "autocontrast"}},
			run{&nn.RandomSharpness{Factor: [2]float64{0, 1}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				for _, k := range nn.SharpnessDraws(l.(*nn.RandomSharpness)) {
					c.F = append(c.F, 1-k) // Keras's factor*2
				}
			}, colorCase{Kind: "sharpness"}},
			run{&nn.RandomGaussianBlur{KernelSize: 5, Sigma: [2]float64{0.5, 3}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				c.Apply, c.Sigma = nn.GaussianBlurDraws(l.(*nn.RandomGaussianBlur))
			}, colorCase{Kind: "gaussianblur", Size: 5}},
			run{&nn.RandomGaussianBlur{Factor: [2]float64{1, 1}, ValueRange: vr}, xx, func(l nn.Layer, c *colorCase) {
				c.Apply, c.Sigma = nn.GaussianBlurDraws(l.(*nn.RandomGaussianBlur))
			}, colorCase{Kind: "gaussianblur", Size: 3}},
			run{&nn.Equalization{ValueRange: vr}, xx, func(nn.Layer, *colorCase) {}, colorCase{Kind: "equalization", Size: 256}},
			run{&nn.Equalization{Bins: 16, ValueRange: vr}, xx, func(nn.Layer, *colorCase) {}, colorCase{Kind: "equalization", Size: 16}},
		)
	}
	outs := make([][]float32, len(runs))
	for i := range runs {
		rn := &runs[i]
		rn.c.Range = orDefault(rn.l)
		buildAug(t, rn.l, in, uint64(i+1))
		outs[i] = rn.l.Forward(rn.x, true).Clone().Data
		rn.draw(rn.l, &rn.c)
	}
	// Each image data set goes to NumPy with its cases.
	for _, set := range []*tensor.Tensor{x, scaled} {
		var cases []colorCase
		var idx []int
		for i, rn := range runs {
			if rn.x == set {
				cases = append(cases, rn.c)
				idx = append(idx, i)
			}
		}
		var want [][]float64
		numpyReference(t, kerasColorNumPy, map[string]any{"x": set.Data, "shape": set.Shape, "cases": cases}, &want)
		for k, i := range idx {
			for j, g := range outs[i] {
				if d := math.Abs(float64(g) - want[k][j]); d > 2e-4*(1+math.Abs(want[k][j])) {
					t.Errorf("%s %+v: [%d] = %v, NumPy %v", runs[i].l.Class(), runs[i].l, j, g, want[k][j])
					break
				}
			}
		}
	}
}

// orDefault is the value range a layer of the test uses.
func orDefault(l nn.Layer) [2]float64 {
	var v [2]float64
	switch l := l.(type) {
	case *nn.RandomInvert:
		v = l.ValueRange
	case *nn.RandomColorDegeneration:
		v = l.ValueRange
	case *nn.Solarization:
		v = l.ValueRange
	case *nn.RandomPosterization:
		v = l.ValueRange
	case *nn.AutoContrast:
		v = l.ValueRange
	case *nn.RandomSharpness:
		v = l.ValueRange
	case *nn.RandomGaussianBlur:
		v = l.ValueRange
	case *nn.Equalization:
		v = l.ValueRange
	case *nn.RandomSaturation:
		v = l.ValueRange
	case *nn.RandomHue:
		v = l.ValueRange
	case *nn.CLAHE:
		v = l.ValueRange
	}
	if v == [2]float64{} {
		return [2]float64{0, 255}
	}
	return v
}

// colorLayers are the color layers whose gradient a finite difference can
// check on normal inputs.
func colorLayers() map[string]func() nn.Layer {
	return map[string]func() nn.Layer{
		"invert":    func() nn.Layer { return &nn.RandomInvert{ValueRange: [2]float64{-1, 1}} },
		"grayscale": func() nn.Layer { return &nn.RandomGrayscale{} },
		"degeneration": func() nn.Layer {
			return &nn.RandomColorDegeneration{Factor: [2]float64{-0.8, 0.9}, ValueRange: [2]float64{-100, 100}}
		},
		"solarization": func() nn.Layer { return &nn.Solarization{ValueRange: [2]float64{-3, 3}} },
		"autocontrast": func() nn.Layer { return &nn.AutoContrast{ValueRange: [2]float64{-2, 2}} },
		"sharpness": func() nn.Layer {
			return &nn.RandomSharpness{Factor: [2]float64{0, 1}, ValueRange: [2]float64{-100, 100}}
		},
		"gaussianblur": func() nn.Layer {
			return &nn.RandomGaussianBlur{KernelSize: 3, Sigma: [2]float64{0.5, 2}, ValueRange: [2]float64{-100, 100}}
		},
	}
}

func TestColorGradients(t *testing.T) {
	for name, mk := range colorLayers() {
		t.Run(name, func(t *testing.T) {
			l := mk()
			o := nntest.GradOptions{Batch: 3, Training: true}
			if rs, ok := l.(reseeder); ok {
				o.BeforeForward = func() { rs.Reseed(1, 2) }
			} else {
				o.Input = distinct // AutoContrast: no near-ties at the extremes
			}
			nntest.CheckGradients(t, l, tensor.Shape{4, 5, 3}, o)
		})
	}
	// Solarization with values on both sides of the threshold: pixels near
	// 0 stay, pixels above 130 are inverted, and the threshold (drawn in
	// [0.5, 127.5)) falls between.
	t.Run("solarization_threshold", func(t *testing.T) {
		l := &nn.Solarization{ThresholdFactor: [2]float64{0.5, 0.5}}
		nntest.CheckGradients(t, l, tensor.Shape{4, 5, 3}, nntest.GradOptions{Batch: 2, Training: true,
			BeforeForward: func() { l.Reseed(3, 4) },
			Input: func(r *rand.Rand, x []float32) {
				for i := range x {
					if i%2 == 0 {
						x[i] = 0.1 + 0.2*r.Float32()
					} else {
						x[i] = 140 + 100*r.Float32()
					}
				}
			}})
	})
	t.Run("autocontrast_inference", func(t *testing.T) {
		nntest.CheckGradients(t, &nn.AutoContrast{}, tensor.Shape{4, 5, 2}, nntest.GradOptions{Input: distinct})
	})
	// Posterization is piecewise constant: its gradient is zero.
	l := &nn.RandomPosterization{Factor: [2]float64{3, 3}}
	buildAug(t, l, tensor.Shape{2, 2, 3}, 1)
	x := randImages(5, 2, 2, 2, 3)
	y := l.Forward(x, true)
	for _, g := range l.Backward(y).Data {
		if g != 0 {
			t.Fatalf("RandomPosterization gradient %v, want 0", g)
		}
	}
}

// TestColorInferenceAndDraws: the random color layers are the identity at
// inference, replay their draws after Reseed, and draw what Keras draws:
// RandomInvert with Keras's default factor (0, 1) inverts about half the
// images, RandomGrayscale's default probability is 0.5, posterization
// bits come from [lo, hi) as randint's do.
func TestColorInferenceAndDraws(t *testing.T) {
	in := tensor.Shape{2, 2, 3}
	x := randImages(6, append(tensor.Shape{4000}, in...)...)
	count := func(b []bool) float64 {
		k := 0
		for _, v := range b {
			if v {
				k++
			}
		}
		return float64(k) / float64(len(b))
	}
	inv, gray := &nn.RandomInvert{}, &nn.RandomGrayscale{}
	degen := &nn.RandomColorDegeneration{Factor: [2]float64{-0.5, 0.5}}
	solar := &nn.Solarization{AdditionFactor: [2]float64{0.1, 0.2}}
	post := &nn.RandomPosterization{Factor: [2]float64{2, 5}}
	for _, l := range []nn.Layer{inv, gray, degen, solar, post} {
		buildAug(t, l, in, 1)
		if l.Forward(x, false) != x {
			t.Errorf("%s: inference Forward must return its input", l.Class())
		}
		l.(reseeder).Reseed(7, 8)
		a := l.Forward(x, true).Clone()
		l.(reseeder).Reseed(7, 8)
		if b := l.Forward(x, true); !reflect.DeepEqual(a.Data, b.Data) {
			t.Errorf("%s: Reseed did not replay the draws", l.Class())
		}
	}
	if f := count(nn.InvertDraws(inv)); math.Abs(f-0.5) > 0.03 {
		t.Errorf("RandomInvert with factor (0, 1) inverted %.3f of the images, want 0.5", f)
	}
	if f := count(nn.GrayscaleDraws(gray)); math.Abs(f-0.5) > 0.03 {
		t.Errorf("RandomGrayscale turned %.3f of the images gray, want 0.5", f)
	}
	lo, hi := float32(1), float32(-1)
	for _, f := range nn.DegenerationDraws(degen) {
		lo, hi = min(lo, f), max(hi, f)
	}
	if lo < -0.5 || lo > -0.49 || hi > 0.5 || hi < 0.49 {
		t.Errorf("RandomColorDegeneration factors in [%v, %v], want [-0.5, 0.5)", lo, hi)
	}
	add, _ := nn.SolarizationDraws(solar)
	lo, hi = 1e9, -1
	for _, a := range add {
		lo, hi = min(lo, a), max(hi, a)
	}
	if lo < 0.1 || lo > 1 || hi >= 0.2*255 || hi < 50 {
		t.Errorf("Solarization additions in [%v, %v], want [0.1, 51) (Keras scales only the upper end)", lo, hi)
	}
	seen := map[uint8]bool{}
	for _, s := range nn.PosterizationDraws(post) {
		seen[s] = true
	}
	if want := map[uint8]bool{6: true, 5: true, 4: true}; !reflect.DeepEqual(seen, want) {
		t.Errorf("posterization shifts %v, want 8-2, 8-3, 8-4 (bits from [2, 5))", seen)
	}
	// AutoContrast works at inference too.
	ac := &nn.AutoContrast{}
	buildAug(t, ac, in, 1)
	if ac.Forward(x, false) == x {
		t.Error("AutoContrast must act at inference")
	}
}

func TestColorConfigs(t *testing.T) {
	tests := []struct {
		class, cfg string
		want       nn.Layer
	}{
		// Keras 3's get_config() of each with its defaults.
		{"RandomInvert", `{"name":"i","trainable":true,"dtype":"float32","factor":[0.0,1.0],"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomInvert{Name: "i", Factor: [2]float64{0, 1}, ValueRange: [2]float64{0, 255}}},
		{"RandomInvert", `{"name":"i","factor":0.3,"value_range":[0,1]}`, &nn.RandomInvert{Name: "i", Factor: [2]float64{0, 0.3}, ValueRange: [2]float64{0, 1}}},
		{"RandomGrayscale", `{"name":"g","trainable":true,"dtype":"float32","factor":0.5}`, &nn.RandomGrayscale{Name: "g", Factor: 0.5}},
		{"RandomGrayscale", `{"name":"g","factor":1,"data_format":"channels_last"}`, &nn.RandomGrayscale{Name: "g", Factor: 1}},
		{"RandomColorDegeneration", `{"name":"d","factor":[-0.5,0.5],"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomColorDegeneration{Name: "d", Factor: [2]float64{-0.5, 0.5}, ValueRange: [2]float64{0, 255}}},
		// Keras's _set_factor turns a number f into (-|f|, |f|), and sorts value_range.
		{"RandomColorDegeneration", `{"name":"d","factor":0.4,"value_range":[1,0]}`,
			&nn.RandomColorDegeneration{Name: "d", Factor: [2]float64{-0.4, 0.4}, ValueRange: [2]float64{0, 1}}},
		{"Solarization", `{"name":"s","trainable":true,"dtype":"float32","value_range":[0,255],"addition_factor":[0.0,0.0],"threshold_factor":[0.0,0.0],"seed":null}`,
			&nn.Solarization{Name: "s", ValueRange: [2]float64{0, 255}}},
		{"Solarization", `{"name":"s","addition_factor":0.2,"threshold_factor":[0.9,0.1],"value_range":[1,0]}`,
			&nn.Solarization{Name: "s", AdditionFactor: [2]float64{0, 0.2}, ThresholdFactor: [2]float64{0.1, 0.9}, ValueRange: [2]float64{0, 1}}},
		{"RandomPosterization", `{"name":"p","factor":[1,8],"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomPosterization{Name: "p", Factor: [2]float64{1, 8}, ValueRange: [2]float64{0, 255}}},
		{"RandomPosterization", `{"name":"p","factor":4}`, &nn.RandomPosterization{Name: "p", Factor: [2]float64{1, 4}}},
		{"AutoContrast", `{"name":"a","trainable":true,"dtype":"float32","value_range":[0,255]}`, &nn.AutoContrast{Name: "a", ValueRange: [2]float64{0, 255}}},
		{"AutoContrast", `{"name":"a","value_range":[1,-1]}`, &nn.AutoContrast{Name: "a", ValueRange: [2]float64{-1, 1}}},
		// Keras's _set_factor with bounds (-1, 1): a number f is (-f, f).
		{"RandomSaturation", `{"name":"s","factor":0.2,"value_range":[0,255],"seed":null}`,
			&nn.RandomSaturation{Name: "s", Factor: [2]float64{-0.2, 0.2}, ValueRange: [2]float64{0, 255}}},
		{"RandomSaturation", `{"name":"s","factor":[0.7,0.3],"value_range":[1,0]}`,
			&nn.RandomSaturation{Name: "s", Factor: [2]float64{0.3, 0.7}, ValueRange: [2]float64{0, 1}}},
		{"RandomSharpness", `{"name":"h","trainable":true,"dtype":"float32","factor":[0.0,0.5],"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomSharpness{Name: "h", Factor: [2]float64{0, 0.5}, ValueRange: [2]float64{0, 255}}},
		{"RandomGaussianBlur", `{"name":"g","trainable":true,"dtype":"float32","factor":[0.0,1.0],"kernel_size":[3,3],"sigma":[0.0,1.0],"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomGaussianBlur{Name: "g", Factor: [2]float64{0, 1}, KernelSize: 3, Sigma: [2]float64{0, 1}, ValueRange: [2]float64{0, 255}}},
		{"RandomGaussianBlur", `{"name":"g","factor":0.5,"kernel_size":5,"sigma":[0.8,0.3]}`,
			&nn.RandomGaussianBlur{Name: "g", Factor: [2]float64{0, 0.5}, KernelSize: 5, Sigma: [2]float64{0.3, 0.8}}},
		{"Equalization", `{"name":"q","trainable":true,"dtype":"float32","bins":256,"value_range":[0,255]}`,
			&nn.Equalization{Name: "q", Bins: 256, ValueRange: [2]float64{0, 255}}},
		{"Equalization", `{"name":"q","bins":64,"value_range":[1,0],"data_format":"channels_last"}`,
			&nn.Equalization{Name: "q", Bins: 64, ValueRange: [2]float64{0, 1}}},
		{"RandomSharpness", `{"name":"h","factor":[0.9,0.2],"value_range":[1,0]}`,
			&nn.RandomSharpness{Name: "h", Factor: [2]float64{0.2, 0.9}, ValueRange: [2]float64{0, 1}}},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := nn.FromConfig(tt.class, cfg)
		if err != nil {
			t.Errorf("%s %s: %v", tt.class, tt.cfg, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: got %+v, want %+v", tt.class, tt.cfg, got, tt.want)
		}
		// Config writes what reads back to a layer with the same config.
		back, err := nn.FromConfig(tt.class, viaJSON(t, got.Config()))
		if err != nil || !reflect.DeepEqual(back.Config(), got.Config()) {
			t.Errorf("%s: Config %v reads back as %+v, %v", tt.class, got.Config(), back, err)
		}
	}
	for _, bad := range []struct{ class, cfg string }{
		{"RandomInvert", `{"factor":0}`},
		{"RandomInvert", `{"factor":1.5}`},
		{"RandomInvert", `{"factor":0.5,"value_range":[3,3]}`},
		{"RandomGrayscale", `{"factor":0}`},
		{"RandomGrayscale", `{"factor":1.2}`},
		{"RandomGrayscale", `{"factor":[0.1,0.2]}`},
		{"RandomColorDegeneration", `{}`},
		{"RandomColorDegeneration", `{"factor":1.5}`},
		{"Solarization", `{"addition_factor":1.5}`},
		{"Solarization", `{"threshold_factor":[-0.1,0.5]}`},
		{"Solarization", `{"threshold_factor":"high"}`},
		{"RandomPosterization", `{}`},
		{"RandomPosterization", `{"factor":9}`},
		{"RandomPosterization", `{"factor":0.5}`},
		{"AutoContrast", `{"value_range":[2,2]}`},
		{"AutoContrast", `{"factor":0.5}`},
		{"RandomSharpness", `{}`},
		{"RandomSaturation", `{}`},
		{"RandomHue", `{"factor": 0.5}`},
		{"RandomHue", `{"value_range": [0, 1]}`},
		{"RandomColorJitter", `{"hue_factor": 2}`},
		{"AugMix", `{"num_chains": 0}`},
		{"ContrastLimitedAdaptiveHistogramEqualization", `{"tile_grid_size": [100, 100]}`},
		{"ContrastLimitedAdaptiveHistogramEqualization", `{"tile_grid_size": 8}`},
		{"ContrastLimitedAdaptiveHistogramEqualization", `{"clip_limit": "high"}`},
		{"AugMix", `{"chain_depth": 1000}`},
		{"AugMix", `{"alpha": -1}`},
		{"AugMix", `{"factor": 2}`},
		{"RandomColorJitter", `{"contrast_factor": -0.5}`},
		{"RandomSaturation", `{"factor": 1.5}`},
		{"RandomGaussianBlur", `{"kernel_size":4}`},
		{"Equalization", `{"bins":1}`},
		{"Equalization", `{"bins":1e9}`},
		{"Equalization", `{"bins":2.5}`},
		{"Equalization", `{"value_range":[1,1]}`},
		{"RandomGaussianBlur", `{"kernel_size":[3,5]}`},
		{"RandomGaussianBlur", `{"kernel_size":1001}`},
		{"RandomGaussianBlur", `{"factor":0}`},
		{"RandomGaussianBlur", `{"sigma":0}`},
		{"RandomGaussianBlur", `{"sigma":[2,3]}`},
		{"RandomSharpness", `{"factor":-0.5}`},
	} {
		var cfg map[string]any
		_ = json.Unmarshal([]byte(bad.cfg), &cfg)
		l, err := nn.FromConfig(bad.class, cfg)
		if err == nil {
			// Some values pass the reader as Keras's do and fail at build.
			err = l.Build(tensor.Shape{4, 4, 3}, rand.New(rand.NewPCG(1, 1)))
		}
		if err == nil {
			t.Errorf("%s %s: no error", bad.class, bad.cfg)
		}
	}
	// Images that are not RGB, for the layers that take grayscale.
	for _, l := range []nn.Layer{&nn.RandomGrayscale{}, &nn.RandomColorDegeneration{Factor: [2]float64{0, 0.5}}} {
		if err := l.Build(tensor.Shape{4, 4, 1}, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s on one channel: no error", l.Class())
		}
	}
}

// TestEqualizationFlatAndGradient: a channel whose values share one bin in
// the whole batch is left as it is and passes its gradient; the others
// have none; at inference the layer is the identity.
func TestEqualizationFlatAndGradient(t *testing.T) {
	l := &nn.Equalization{ValueRange: [2]float64{0, 1}}
	buildAug(t, l, tensor.Shape{2, 2, 2}, 1)
	x := tensor.New(3, 2, 2, 2)
	for i := range x.Data {
		if i%2 == 0 {
			x.Data[i] = 0.5 + 0.0001*float32(i%3) // one bin of 256
		} else {
			x.Data[i] = float32(i) / 24
		}
	}
	if l.Forward(x, false) != x {
		t.Error("inference Forward must return its input")
	}
	y := l.Forward(x, true)
	dy := tensor.New(x.Shape...)
	for i := range dy.Data {
		dy.Data[i] = float32(i + 1)
	}
	dx := l.Backward(dy)
	for i := range x.Data {
		if i%2 == 0 {
			if math.Abs(float64(y.Data[i]-x.Data[i])) > 1e-6 || dx.Data[i] != dy.Data[i] {
				t.Fatalf("flat channel value %d: y %v from %v, gradient %v from %v", i, y.Data[i], x.Data[i], dx.Data[i], dy.Data[i])
			}
		} else if dx.Data[i] != 0 {
			t.Fatalf("equalized value %d has gradient %v, want 0", i, dx.Data[i])
		}
	}
}

// kerasSaturationNumPy is random_saturation.py's transform_images with
// the NumPy backend's rgb_to_hsv and hsv_to_rgb (after dm_pix), in
// float32, for given factors k.
const kerasSaturationNumPy = `
import json, sys
import numpy as np
f32 = np.float32
def rgb_to_hsv(x):
    eps = np.finfo(np.float32).eps
    x = np.where(np.abs(x) < eps, f32(0), x)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    value = np.maximum(np.maximum(r, g), b)
    minimum = np.minimum(np.minimum(r, g), b)
    rng = value - minimum
    safe_value = np.where(value > 0, value, f32(1))
    safe_range = np.where(rng > 0, rng, f32(1))
    sat = np.where(value > 0, rng / safe_value, f32(0))
    norm = f32(1) / (f32(6) * safe_range)
    hue = np.where(value == g, norm * (b - r) + f32(2 / 6), norm * (r - g) + f32(4 / 6))
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(rng > 0, hue, f32(0)) + (hue < 0).astype(f32)
    return np.stack([hue, sat, value], -1).astype(f32)
def hsv_to_rgb(x):
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    dh = np.mod(h, f32(1)) * f32(6)
    dr = np.clip(np.abs(dh - 3) - 1, 0, 1)
    dg = np.clip(2 - np.abs(dh - 2), 0, 1)
    db = np.clip(2 - np.abs(dh - 4), 0, 1)
    o = f32(1) - s
    return np.stack([v * (o + s * dr), v * (o + s * dg), v * (o + s * db)], -1).astype(f32)
job = json.load(sys.stdin)
x = np.array(job["x"], dtype=f32).reshape(job["shape"])
k = np.array(job["k"], dtype=f32).reshape(-1, 1, 1)
vr = job["range"]
hsv = rgb_to_hsv(x)
s = np.clip(hsv[..., 1] * k, vr[0], vr[1])
y = hsv_to_rgb(np.stack([hsv[..., 0], s, hsv[..., 2]], -1))
print(json.dumps([float(v) for v in y.ravel()]))
`

// TestRandomSaturation checks the output against NumPy running Keras's
// HSV round trip on the same factors (with and without the clip, gray
// pixels and black ones), the gradient in both regimes, and that f = 0.5
// leaves an image as it is.
func TestRandomSaturation(t *testing.T) {
	const n, h, w = 6, 4, 5
	in := tensor.Shape{h, w, 3}
	r := rand.New(rand.NewPCG(31, 32))
	x := tensor.New(n, h, w, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	for c := range 3 {
		x.Data[c] = 128 // a gray pixel
		x.Data[3+c] = 0 // a black one
	}
	for _, l := range []*nn.RandomSaturation{{Factor: [2]float64{-0.5, 0.9}}, {Factor: [2]float64{0.9, 0.99}, ValueRange: [2]float64{0, 1}}} {
		buildAug(t, l, in, 3)
		got := l.Forward(x, true).Clone()
		var want []float64
		numpyReference(t, kerasSaturationNumPy, map[string]any{"x": x.Data, "shape": x.Shape, "k": nn.SaturationDraws(l), "range": orDefault(l)}, &want)
		for j, g := range got.Data {
			if d := math.Abs(float64(g) - want[j]); d > 1e-3*(1+math.Abs(want[j])) {
				t.Fatalf("%+v: [%d] = %v, NumPy %v", l.Factor, j, g, want[j])
			}
		}
	}
	same := &nn.RandomSaturation{Factor: [2]float64{0.5, 0.5}}
	buildAug(t, same, in, 1)
	for j, v := range same.Forward(x, true).Data {
		if math.Abs(float64(v-x.Data[j])) > 1e-3 {
			t.Fatalf("factor 0.5 changed [%d] from %v to %v", j, x.Data[j], v)
		}
	}
	// Positive values at least 0.0075 apart: no finite difference swaps a
	// pixel's largest or smallest channel.
	positive := func(r *rand.Rand, x []float32) {
		for i, p := range r.Perm(len(x)) {
			x[i] = 0.1 + 0.9*float32(p)/float32(len(x))
		}
	}
	for _, l := range []*nn.RandomSaturation{{Factor: [2]float64{0.2, 0.6}, ValueRange: [2]float64{0, 100}}, {Factor: [2]float64{0.97, 0.97}, ValueRange: [2]float64{0, 1}}} {
		nntest.CheckGradients(t, l, in, nntest.GradOptions{Batch: 2, Training: true, Input: positive, Step: 1e-3, BeforeForward: func() { l.Reseed(1, 2) }})
	}
}

// TestRandomHue checks the output against NumPy running random_hue.py's
// transform_images (value range to [0, 1], dm_pix HSV, the wrap, clip,
// back) on the same shifts, for two value ranges, the gradient against
// finite differences, and that inference leaves images alone.
func TestRandomHue(t *testing.T) {
	const n, h, w = 6, 4, 5
	in := tensor.Shape{h, w, 3}
	r := rand.New(rand.NewPCG(41, 42))
	x := tensor.New(n, h, w, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Round(r.Float64()*2550) / 10)
	}
	for c := range 3 {
		x.Data[c] = 128 // a gray pixel
	}
	script := strings.Replace(kerasSaturationNumPy, "hsv = rgb_to_hsv(x)", `x = (x - f32(vr[0])) / (f32(vr[1]) - f32(vr[0]))
hsv = rgb_to_hsv(x)
hh = hsv[..., 0] + k
hh = np.where(hh > 1, hh - f32(1), hh)
hh = np.where(hh < 0, hh + f32(1), hh)
y = np.clip(hsv_to_rgb(np.stack([hh, hsv[..., 1], hsv[..., 2]], -1)), 0, 1)
y = y * (f32(vr[1]) - f32(vr[0])) + f32(vr[0])
print(json.dumps([float(v) for v in y.ravel()]))
sys.exit(0)`, 1)
	for _, l := range []*nn.RandomHue{{Factor: [2]float64{0, 1}}, {Factor: [2]float64{0.3, 0.9}, ValueRange: [2]float64{-1, 300}}} {
		buildAug(t, l, in, 5)
		if l.Forward(x, false) != x {
			t.Fatal("inference Forward must return its input")
		}
		got := l.Forward(x, true).Clone()
		var want []float64
		numpyReference(t, script, map[string]any{"x": x.Data, "shape": x.Shape, "k": nn.HueDraws(l), "range": orDefault(l)}, &want)
		for j, g := range got.Data {
			if d := math.Abs(float64(g) - want[j]); d > 2e-3*(1+math.Abs(want[j])) {
				t.Fatalf("%+v: [%d] = %v, NumPy %v", l.Factor, j, g, want[j])
			}
		}
	}
	positive := func(r *rand.Rand, x []float32) {
		for i, p := range r.Perm(len(x)) {
			x[i] = 0.05 + 0.9*float32(p)/float32(len(x))
		}
	}
	l := &nn.RandomHue{Factor: [2]float64{0.2, 0.8}, ValueRange: [2]float64{0, 1}}
	nntest.CheckGradients(t, l, in, nntest.GradOptions{Batch: 2, Training: true, Input: positive, Step: 1e-3, BeforeForward: func() { l.Reseed(1, 2) }})
}

// TestRandomColorJitter: the factors read as the four layers read theirs;
// training runs brightness, contrast, saturation and hue in that order
// (the same as the four layers in turn with the same streams); the
// gradient passes through the chain; inference is the identity.
func TestRandomColorJitter(t *testing.T) {
	var cfg map[string]any
	_ = json.Unmarshal([]byte(`{"name": "j", "trainable": true, "dtype": "float32", "value_range": [0, 1], "brightness_factor": 0.1, "contrast_factor": [0.1, 0.3], "saturation_factor": null, "hue_factor": 0.2, "seed": null}`), &cfg)
	l, err := nn.FromConfig("RandomColorJitter", cfg)
	if err != nil {
		t.Fatal(err)
	}
	j := l.(*nn.RandomColorJitter)
	if *j.Brightness != [2]float64{-0.1, 0.1} || *j.Contrast != [2]float64{0.1, 0.3} || j.Saturation != nil || *j.Hue != [2]float64{0, 0.2} {
		t.Fatalf("read %+v", j)
	}
	back, err := nn.FromConfig("RandomColorJitter", viaJSON(t, nn.LayerConfig(j)))
	if err != nil || !reflect.DeepEqual(nn.LayerConfig(back), nn.LayerConfig(j)) {
		t.Errorf("config reads back as %v, %v", back, err)
	}
	in := tensor.Shape{4, 5, 3}
	x := randImages(8, append(tensor.Shape{3}, in...)...)
	for i := range x.Data {
		x.Data[i] = 0.5 + 0.1*x.Data[i]
	}
	full := &nn.RandomColorJitter{ValueRange: [2]float64{0, 1}, Brightness: &[2]float64{-0.02, 0.02}, Contrast: &[2]float64{0, 0.1},
		Saturation: &[2]float64{0.4, 0.6}, Hue: &[2]float64{0, 0.3}}
	buildAug(t, full, in, 1)
	if full.Forward(x, false) != x {
		t.Fatal("inference Forward must return its input")
	}
	full.Reseed(7, 8)
	got := full.Forward(x, true).Clone()
	steps := []nn.Layer{&nn.RandomBrightness{Factor: [2]float64{-0.02, 0.02}, ValueRange: [2]float64{0, 1}}, &nn.RandomContrast{Factor: [2]float64{0, 0.1}, ValueRange: [2]float64{0, 1}},
		&nn.RandomSaturation{Factor: [2]float64{0.4, 0.6}, ValueRange: [2]float64{0, 1}}, &nn.RandomHue{Factor: [2]float64{0, 0.3}, ValueRange: [2]float64{0, 1}}}
	y := x
	for i, s := range steps {
		buildAug(t, s, in, 1)
		k := uint64(i + 1)
		s.(reseeder).Reseed(7^(0x9e3779b97f4a7c15*k), 8+0xbf58476d1ce4e5b9*k)
		y = s.Forward(y, true)
	}
	if !reflect.DeepEqual(got.Data, y.Data) {
		t.Error("the jitter differs from its four layers in turn")
	}
	positive := func(r *rand.Rand, x []float32) {
		for i, p := range r.Perm(len(x)) {
			x[i] = 0.2 + 0.6*float32(p)/float32(len(x))
		}
	}
	nntest.CheckGradients(t, full, in, nntest.GradOptions{Batch: 2, Training: true, Input: positive, Step: 1e-3, BeforeForward: func() { full.Reseed(1, 2) }})
}

// TestAugMix: Keras's config reads and writes back; inference is the
// identity; draws replay after Reseed and vary between batches; the chain
// weights sum to 1 and chains hold up to chain_depth operations; outputs
// stay in the value range; the gradient passes through the chains (on the
// smooth operations; the others are piecewise constant or thresholded).
func TestAugMix(t *testing.T) {
	var cfg map[string]any
	_ = json.Unmarshal([]byte(`{"name": "aug_mix", "trainable": true, "dtype": "float32", "value_range": [0, 255], "num_chains": 3, "chain_depth": 3, "factor": [0.0, 0.3], "alpha": 1.0, "all_ops": true, "interpolation": "bilinear", "seed": null}`), &cfg)
	l, err := nn.FromConfig("AugMix", cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := nn.FromConfig("AugMix", viaJSON(t, nn.LayerConfig(l)))
	if err != nil || !reflect.DeepEqual(nn.LayerConfig(back), nn.LayerConfig(l)) {
		t.Fatalf("config reads back as %v, %v", back, err)
	}
	in := tensor.Shape{8, 8, 3}
	a := l.(*nn.AugMix)
	buildAug(t, a, in, 1)
	x := tensor.New(4, 8, 8, 3)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range x.Data {
		x.Data[i] = float32(r.IntN(256))
	}
	if a.Forward(x, false) != x {
		t.Fatal("inference Forward must return its input")
	}
	a.Reseed(1, 2)
	y1 := a.Forward(x, true).Clone()
	w1, cw, chains := nn.AugMixDraws(a)
	a.Reseed(1, 2)
	if y2 := a.Forward(x, true); !reflect.DeepEqual(y1.Data, y2.Data) {
		t.Error("Reseed did not replay the batch")
	}
	var s float64
	for _, v := range cw {
		s += v
	}
	if math.Abs(s-1) > 1e-9 || len(chains) != 3 || w1 < 0 || w1 > 1 {
		t.Errorf("draws: w %v, chain weights %v (sum %v), chains %v", w1, cw, s, chains)
	}
	for _, c := range chains {
		if len(c) > 3 {
			t.Errorf("a chain of %d operations, more than chain_depth 3", len(c))
		}
	}
	for _, v := range y1.Data {
		if v < 0 || v > 255 {
			t.Fatalf("output %v outside the value range", v)
		}
	}
	if reflect.DeepEqual(y1.Data, x.Data) {
		t.Error("AugMix left the batch unchanged")
	}
	smooth := &nn.AugMix{ValueRange: [2]float64{-1000, 1000}, NumChains: 2, ChainDepth: 2}
	nn.AugMixOnly(smooth, 0, 1, 2, 8, 10) // shear, translation, rotation, color degeneration, sharpness
	nntest.CheckGradients(t, smooth, tensor.Shape{5, 6, 3}, nntest.GradOptions{Batch: 2, Training: true, BeforeForward: func() { smooth.Reseed(3, 4) }})
}

// kerasCLAHENumPy is clahe.py's _clahe in NumPy, float32, transcribed
// from Keras's ops (symmetric padding, one-hot histograms, clip and
// redistribute, the edge-padded table grid, bilinear mixing).
const kerasCLAHENumPy = `
import json, sys
import numpy as np
f32 = np.float32
job = json.load(sys.stdin)
x = np.array(job["x"], dtype=f32).reshape(job["shape"])
vr, clip_limit, (gh, gw) = job["range"], job["clip"], job["grid"]
if not (vr[0] == 0 and vr[1] == 255):
    x = ((x - f32(vr[0])) / (f32(vr[1]) - f32(vr[0]))) * f32(255)
b, h, w, c = x.shape
th, tw = (h + gh - 1) // gh, (w + gw - 1) // gw
ph, pw = th * gh - h, tw * gw - w
xp = np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="symmetric")
tiled = xp.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4).reshape(b, gh, gw, c, th * tw)
ti = np.clip(tiled.astype(np.int32), 0, 255)
hists = np.zeros((b, gh, gw, c, 256), dtype=f32)
for idx in np.ndindex(b, gh, gw, c):
    hists[idx] = np.bincount(ti[idx], minlength=256).astype(f32)
if clip_limit > 0:
    limit = f32(clip_limit * (th * tw) / 256.0)
    clipped = np.clip(hists, 0, limit)
    excess = np.sum(hists - clipped, axis=-1, keepdims=True)
    hists = clipped + excess / f32(256)
cdf = np.cumsum(hists, axis=-1, dtype=f32)
cdf_min = cdf.min(axis=-1, keepdims=True)
den = f32(th * tw) - cdf_min
den = np.where(den == 0, f32(1), den)
norm = np.clip((cdf - cdf_min) * f32(255) / den, 0, 255)
norm = np.concatenate([norm[:, :1], norm, norm[:, -1:]], axis=1)
norm = np.concatenate([norm[:, :, :1], norm, norm[:, :, -1:]], axis=2)
yg = (np.arange(th * gh, dtype=f32) - f32(th / 2)) / f32(th) + f32(1)
xg = (np.arange(tw * gw, dtype=f32) - f32(tw / 2)) / f32(tw) + f32(1)
y0, x0 = np.floor(yg), np.floor(xg)
wy, wx = yg - y0, xg - x0
y1, x1 = np.clip(y0 + 1, 0, gh + 1).astype(int), np.clip(x0 + 1, 0, gw + 1).astype(int)
y0, x0 = np.clip(y0, 0, gh + 1).astype(int), np.clip(x0, 0, gw + 1).astype(int)
pix = np.clip(xp, 0, 255).astype(np.int32)
out = np.zeros_like(xp)
for bi in range(b):
    for yy in range(th * gh):
        for xx in range(tw * gw):
            for ci in range(c):
                p = pix[bi, yy, xx, ci]
                nw, ne = norm[bi, y0[yy], x0[xx], ci, p], norm[bi, y0[yy], x1[xx], ci, p]
                sw, se = norm[bi, y1[yy], x0[xx], ci, p], norm[bi, y1[yy], x1[xx], ci, p]
                top = nw * (1 - wx[xx]) + ne * wx[xx]
                bot = sw * (1 - wx[xx]) + se * wx[xx]
                out[bi, yy, xx, ci] = top * (1 - wy[yy]) + bot * wy[yy]
out = out[:, :h, :w, :]
if not (vr[0] == 0 and vr[1] == 255):
    out = (out / f32(255)) * (f32(vr[1]) - f32(vr[0])) + f32(vr[0])
print(json.dumps([float(v) for v in out.ravel()]))
`

// TestCLAHEAgainstNumPy: Keras's CLAHE in NumPy on the same images, for
// grids that divide the image and grids that need padding, with and
// without clipping, and two value ranges; the gradient is zero; inference
// and training agree.
func TestCLAHEAgainstNumPy(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, c := range []struct {
		l     *nn.CLAHE
		shape tensor.Shape
	}{
		{&nn.CLAHE{}, tensor.Shape{2, 16, 16, 2}},
		{&nn.CLAHE{TileGrid: [2]int{3, 4}, ClipLimit: 2}, tensor.Shape{1, 10, 13, 3}},
		{&nn.CLAHE{TileGrid: [2]int{2, 2}, ClipLimit: -1, ValueRange: [2]float64{-1, 1}}, tensor.Shape{2, 7, 9, 1}},
	} {
		x := tensor.New(c.shape...)
		vr := orDefault(c.l)
		for i := range x.Data {
			// Clustered values, so that the histograms have peaks to clip.
			v := 0.3 + 0.2*r.NormFloat64()
			x.Data[i] = float32(vr[0] + (vr[1]-vr[0])*min(max(v, 0), 1))
		}
		buildAug(t, c.l, c.shape[1:], 1)
		got := c.l.Forward(x, true).Clone()
		if inf := c.l.Forward(x, false); !reflect.DeepEqual(inf.Data, got.Data) {
			t.Errorf("%+v: inference differs from training", c.l)
		}
		g := c.l.TileGrid
		if g == [2]int{} {
			g = [2]int{8, 8}
		}
		clip := c.l.ClipLimit
		switch {
		case clip == 0:
			clip = 4
		case clip < 0:
			clip = 0
		}
		var want []float64
		numpyReference(t, kerasCLAHENumPy, map[string]any{"x": x.Data, "shape": x.Shape, "range": vr, "clip": clip, "grid": g}, &want)
		for j, v := range got.Data {
			if d := math.Abs(float64(v) - want[j]); d > 1e-3*(1+math.Abs(want[j])) {
				t.Fatalf("%+v: [%d] = %v, NumPy %v", c.l, j, v, want[j])
			}
		}
		for _, v := range c.l.Backward(got).Data {
			if v != 0 {
				t.Fatalf("%+v: gradient %v, want 0", c.l, v)
			}
		}
	}
}
