package nn

// AutoContrast, as Keras 3's keras.layers.AutoContrast
// (keras/src/layers/preprocessing/image_preprocessing/auto_contrast.py).

import (
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// AutoContrast stretches each channel of each image over the whole
// ValueRange: with L and H the channel's lowest and highest values, it
// maps L to the range's min and H to its max, linearly, computed as Keras
// does on the (0, 255) scale with clipping. A flat channel (H = L), whose
// stretch is 0/0, is passed through unchanged, as Keras does for NaN
// results. ValueRange's zero value is Keras's default, (0, 255). Unlike
// the random augmentation layers it is active at inference too. The
// gradient includes what flows through L and H (to every value equal to
// them, in equal parts, as TensorFlow's min and max).
type AutoContrast struct {
	Trainability
	Name       string
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	x     *tensor.Tensor // the input, for Backward
	low   []float32      // per image and channel, on the input's scale
	high  []float32
	y, dx *tensor.Tensor
}

func init() {
	register("AutoContrast", func(r *cfgReader) Layer {
		r.augment()
		return &AutoContrast{ValueRange: r.valueRange(true)}
	})
}

func (l *AutoContrast) LayerName() string     { return l.Name }
func (l *AutoContrast) SetLayerName(s string) { l.Name = s }
func (l *AutoContrast) Class() string         { return "AutoContrast" }
func (l *AutoContrast) Params() []*Param      { return nil }
func (l *AutoContrast) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	return m
}

func (l *AutoContrast) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *AutoContrast) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

func (l *AutoContrast) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	n, c := x.Shape[0], x.Shape[3]
	px := x.Shape[1] * x.Shape[2]
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.low, l.high = grow(l.low, n*c), grow(l.high, n*c)
	vr := orDefaultRange(l.ValueRange)
	for b := range n {
		img, out := x.Data[b*px*c:(b+1)*px*c], l.y.Data[b*px*c:(b+1)*px*c]
		for ch := range c {
			lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
			for p := ch; p < len(img); p += c {
				lo, hi = min(lo, img[p]), max(hi, img[p])
			}
			l.low[b*c+ch], l.high[b*c+ch] = lo, hi
			tlo, thi := to255(lo, vr), to255(hi, vr)
			scale := 255 / (thi - tlo)
			offset := -tlo * scale
			for p := ch; p < len(img); p += c {
				v := from255(min(max(to255(img[p], vr)*scale+offset, 0), 255), vr)
				if v != v { // NaN: a flat channel
					v = img[p]
				}
				out[p] = v
			}
		}
	}
	return l.y
}

// Backward differentiates y = min + (max-min)·(x - L)/(H - L) per channel:
// dx_i gets k·dy_i, and the values equal to L and to H share
// -k·Σ dy_j·(1-u_j) and -k·Σ dy_j·u_j, with k = (max-min)/(H-L) and
// u_j = (x_j - L)/(H - L). A flat channel passes dy.
func (l *AutoContrast) Backward(dy *tensor.Tensor) *tensor.Tensor {
	x := l.x
	n, c := x.Shape[0], x.Shape[3]
	px := x.Shape[1] * x.Shape[2]
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	vr := orDefaultRange(l.ValueRange)
	span := vr[1] - vr[0]
	for b := range n {
		img, g, out := x.Data[b*px*c:(b+1)*px*c], dy.Data[b*px*c:(b+1)*px*c], l.dx.Data[b*px*c:(b+1)*px*c]
		for ch := range c {
			lo, hi := float64(l.low[b*c+ch]), float64(l.high[b*c+ch])
			if !(hi > lo) {
				for p := ch; p < len(img); p += c {
					out[p] = g[p]
				}
				continue
			}
			k := span / (hi - lo)
			var toLow, toHigh float64
			var nLow, nHigh int
			for p := ch; p < len(img); p += c {
				u := (float64(img[p]) - lo) / (hi - lo)
				toLow -= k * float64(g[p]) * (1 - u)
				toHigh -= k * float64(g[p]) * u
				if float64(img[p]) == lo {
					nLow++
				}
				if float64(img[p]) == hi {
					nHigh++
				}
			}
			for p := ch; p < len(img); p += c {
				d := k * float64(g[p])
				if float64(img[p]) == lo {
					d += toLow / float64(nLow)
				}
				if float64(img[p]) == hi {
					d += toHigh / float64(nHigh)
				}
				out[p] = float32(d)
			}
		}
	}
	return l.dx
}
