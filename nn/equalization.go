package nn

// Equalization, as Keras 3's keras.layers.Equalization
// (keras/src/layers/preprocessing/image_preprocessing/equalization.py).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// Equalization equalizes the histogram of each channel, as Keras's code
// does: over the whole batch at once (one histogram per channel of all the
// batch's images), on the values scaled from ValueRange to (0, 255), with
// Bins bins; each value becomes round(255·(cdf(bin) - cdf_min)/(n -
// cdf_min)) and is scaled back. A channel whose values fall in one bin is
// left as it is. The zero values of Bins and ValueRange are Keras's
// defaults, 256 and (0, 255). At inference the layer is the identity (its
// transform_images checks training, whatever its docstring says). The
// output is piecewise constant in the input: the gradient is zero, except
// through a channel left as it is.
type Equalization struct {
	Trainability
	Name       string
	Bins       int        // zero: 256
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	hist  []int
	lut   []float32
	flat  []bool // per channel: left as it is
	train bool
	y, dx *tensor.Tensor
}

// maxBins bounds the histogram a file may ask for.
const maxBins = 1 << 16

func init() {
	register("Equalization", func(r *cfgReader) Layer {
		r.augment()
		l := &Equalization{ValueRange: r.valueRange(true)}
		if v, present := r.Get("bins"); present {
			b, ok := config.Number(v)
			if !ok || b != math.Trunc(b) || b < 2 || b > maxBins {
				r.fail("bins", v, fmt.Sprintf("a whole number of bins from 2 to %d", maxBins))
			} else {
				l.Bins = int(b)
			}
		}
		return l
	})
}

func (l *Equalization) LayerName() string     { return l.Name }
func (l *Equalization) SetLayerName(s string) { l.Name = s }
func (l *Equalization) Class() string         { return "Equalization" }
func (l *Equalization) Params() []*Param      { return nil }
func (l *Equalization) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["bins"] = l.bins()
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	return m
}

func (l *Equalization) bins() int {
	if l.Bins == 0 {
		return 256
	}
	return l.Bins
}

func (l *Equalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if b := l.bins(); b < 2 || b > maxBins {
		return nil, fmt.Errorf("bins %d must be from 2 to %d", b, maxBins)
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *Equalization) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

func (l *Equalization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	c := x.Shape[3]
	bins := l.bins()
	vr := orDefaultRange(l.ValueRange)
	// _scale_values both ways, with Keras's float32 arithmetic.
	in := float32(255 / (vr[1] - vr[0]))
	inOff := float32(0 - vr[0]*(255/(vr[1]-vr[0])))
	out := float32((vr[1] - vr[0]) / 255)
	outOff := float32(vr[0])
	l.y = tensor.Ensure(l.y, x.Shape...)
	if cap(l.hist) < bins {
		l.hist, l.lut = make([]int, bins), make([]float32, bins)
	}
	l.hist, l.lut = l.hist[:bins], l.lut[:bins]
	if cap(l.flat) < c {
		l.flat = make([]bool, c)
	}
	l.flat = l.flat[:c]
	nb := float32(bins - 1)
	for ch := range c {
		clear(l.hist)
		for i := ch; i < len(x.Data); i += c {
			v := x.Data[i]*in + inOff
			l.hist[binIndex(v*nb/255, bins)]++
		}
		used, cdf, cdfMin, total := 0, 0, -1, 0
		for _, h := range l.hist {
			total += h
			if h > 0 {
				used++
			}
		}
		l.flat[ch] = used <= 1
		if l.flat[ch] {
			for i := ch; i < len(x.Data); i += c {
				l.y.Data[i] = (x.Data[i]*in+inOff)*out + outOff
			}
			continue
		}
		for b, h := range l.hist {
			cdf += h
			if cdfMin < 0 && cdf > 0 {
				cdfMin = cdf
			}
			l.hist[b] = cdf
		}
		den := total - cdfMin
		if den == 0 {
			den = 1
		}
		for b, cd := range l.hist {
			// Integer division to a float64, as NumPy's and TensorFlow's
			// true division of the int32 cdf; round half to even.
			l.lut[b] = float32(min(max(math.RoundToEven(float64(cd-cdfMin)*255/float64(den)), 0), 255))
		}
		for i := ch; i < len(x.Data); i += c {
			v := x.Data[i]*in + inOff
			l.y.Data[i] = l.lut[binIndex(v/255*nb, bins)]*out + outOff
		}
	}
	return l.y
}

// binIndex is Keras's int32 cast then clip to [0, bins-1] (the cast
// truncates toward zero; NaN goes to bin 0).
func binIndex(v float32, bins int) int {
	if !(v > 0) {
		return 0
	}
	if v >= float32(bins-1) {
		return bins - 1
	}
	return int(v)
}

// Backward is zero, except through a channel left as it is.
func (l *Equalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	c := dy.Shape[3]
	for i, g := range dy.Data {
		if !l.flat[i%c] {
			g = 0
		}
		l.dx.Data[i] = g
	}
	return l.dx
}
