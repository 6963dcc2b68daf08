package nn

// RandomErasing, as Keras 3's keras.layers.RandomErasing
// (keras/src/layers/preprocessing/image_preprocessing/random_erasing.py;
// Zhong et al., "Random Erasing Data Augmentation", arXiv:1708.04896).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// RandomErasing replaces a random rectangle of some images with noise or
// a constant, as get_random_transformation and transform_images compute
// it. For each image it draws:
//
//   - whether to erase: p from Factor, then erase when a uniform draw in
//     [0, 1) is below p. Keras's default factor 1.0 is the pair (0, 1), so
//     p itself is uniform and about half the images are erased (the code's
//     behaviour; its docstring says "always");
//   - the rectangle: width and height ratios sqrt(u) with u from Scale
//     (each axis its own draw), lengths ratio × the image's, and starts
//     uniform in [0, side - length); pixel (i, j) is inside when
//     x0 <= j < x1 and y0 <= i < y1, every channel alike;
//   - the fill: with FillValue nil, normal noise times ValueRange's max,
//     drawn per value; else FillValue (one value, or one per channel);
//     clipped to ValueRange either way.
//
// The zero values of Factor, Scale and ValueRange are Keras's defaults:
// (0, 1), (0.02, 0.33) and (0, 255); with inputs scaled to [0, 1], set
// ValueRange (0, 1) as in Keras, or the noise is 255 times too large. At
// inference the layer is the identity. The gradient passes where nothing
// was erased and is zero inside an erased rectangle.
type RandomErasing struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) of the erasing probability; zero: (0, 1)
	Scale      [2]float64 // (lower, upper) of the squared side ratios; zero: (0.02, 0.33)
	FillValue  []float64  // nil: noise; one value, or one per channel
	ValueRange [2]float64 // (min, max) of the input values; zero: (0, 255)

	augRand
	boxes []eraseBox // per image
	train bool
	y, dx *tensor.Tensor
}

// eraseBox is one image's draw: the rectangle, and whether it is erased.
type eraseBox struct {
	x0, x1, y0, y1 float32
	apply          bool
}

func init() {
	register("RandomErasing", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomErasing{Factor: r.baseFactor("factor", 0, 1), Scale: r.baseFactor("scale", 0, 1), ValueRange: r.valueRange(false)}
		if _, present := r.Get("factor"); present && l.Factor == [2]float64{} {
			r.Failf(`"factor" 0 never erases; leave the layer out`)
		}
		if _, present := r.Get("scale"); present && l.Scale[1] == 0 {
			r.Failf(`"scale" %v erases no pixel; give ratios above 0`, jsonValue(r.M["scale"]))
		}
		if v, present := r.Get("fill_value"); present && v != nil {
			if f, ok := config.Number(v); ok {
				l.FillValue = []float64{f}
			} else if list, ok := v.([]any); ok && len(list) == 3 {
				for _, e := range list {
					f, ok := config.Number(e)
					if !ok {
						r.fail("fill_value", v, "null, a number or a list of three numbers")
						break
					}
					l.FillValue = append(l.FillValue, f)
				}
			} else {
				r.fail("fill_value", v, "null, a number or a list of three numbers")
			}
		}
		return l
	})
}

func (l *RandomErasing) LayerName() string     { return l.Name }
func (l *RandomErasing) SetLayerName(s string) { l.Name = s }
func (l *RandomErasing) Class() string         { return "RandomErasing" }
func (l *RandomErasing) Params() []*Param      { return nil }
func (l *RandomErasing) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.factor())
	m["scale"] = pairConfig(l.scale())
	switch len(l.FillValue) {
	case 0:
		m["fill_value"] = nil
	case 1:
		m["fill_value"] = l.FillValue[0]
	default:
		m["fill_value"] = append([]float64(nil), l.FillValue...)
	}
	m["value_range"] = pairConfig(l.valueRange())
	m["seed"] = nil
	return m
}

func (l *RandomErasing) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Factor
}

func (l *RandomErasing) scale() [2]float64 {
	if l.Scale == [2]float64{} {
		return [2]float64{0.02, 0.33}
	}
	return l.Scale
}

func (l *RandomErasing) valueRange() [2]float64 {
	if l.ValueRange == [2]float64{} {
		return defaultValueRange
	}
	return l.ValueRange
}

func (l *RandomErasing) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if f := l.factor(); f[0] < 0 || f[1] > 1 || !(f[0] <= f[1]) {
		return nil, fmt.Errorf("factor %v must be a sorted (lower, upper) pair of probabilities in [0, 1]", f)
	}
	if s := l.scale(); s[0] < 0 || s[1] > 1 || !(s[0] <= s[1]) {
		return nil, fmt.Errorf("scale %v must be a sorted (lower, upper) pair in [0, 1]; each side's ratio is the square root of a draw from it", s)
	}
	if err := checkValueRange(l.valueRange()); err != nil {
		return nil, err
	}
	if err := checkImage(in); err != nil {
		return nil, err
	}
	if n := len(l.FillValue); n > 1 && n != in[2] {
		return nil, fmt.Errorf("fill_value has %d values for images of %d channels; give one value, or one per channel", n, in[2])
	}
	for _, f := range l.FillValue {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("fill_value %v is not finite", l.FillValue)
		}
	}
	return in.Clone(), nil
}

func (l *RandomErasing) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomErasing) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	f, s, vr := l.factor(), l.scale(), l.valueRange()
	l.boxes = l.boxes[:0]
	for range n {
		rw := float32(math.Sqrt(l.uniform(s[0], s[1])))
		rh := float32(math.Sqrt(l.uniform(s[0], s[1])))
		var b eraseBox
		b.x0, b.x1 = l.span(rw, w)
		b.y0, b.y1 = l.span(rh, h)
		p := l.uniform(f[0], f[1])
		b.apply = l.uniform(0, 1) < p
		l.boxes = append(l.boxes, b)
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	copy(l.y.Data, x.Data)
	lo, hi := float32(vr[0]), float32(vr[1])
	for i, b := range l.boxes {
		if !b.apply {
			continue
		}
		img := l.y.Data[i*h*w*c : (i+1)*h*w*c]
		b.each(h, w, func(p int) {
			for ch := range c {
				var v float32
				switch len(l.FillValue) {
				case 0:
					v = float32(l.stream().NormFloat64()) * hi
				case 1:
					v = float32(l.FillValue[0])
				default:
					v = float32(l.FillValue[ch])
				}
				img[p*c+ch] = min(max(v, lo), hi)
			}
		})
	}
	return l.y
}

// span draws one axis's erased interval for a side of n pixels, as
// _compute_crop_bounds does: its length ratio×n and its start uniform in
// [0, n - length).
func (l *RandomErasing) span(ratio float32, n int) (start, end float32) {
	length := ratio * float32(n)
	start = float32(l.uniform(0, 1)) * (float32(n) - length)
	return start, start + length
}

// each calls fn with the index (row*w + column) of every pixel of an h×w
// image inside b, as _generate_batch_mask compares the pixel grid.
func (b eraseBox) each(h, w int, fn func(p int)) {
	for i := range h {
		if y := float32(i); y < b.y0 || y >= b.y1 {
			continue
		}
		for j := range w {
			if x := float32(j); x >= b.x0 && x < b.x1 {
				fn(i*w + j)
			}
		}
	}
}

// Backward passes dy through where the image was kept and zeroes it in
// the erased rectangles.
func (l *RandomErasing) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	h, w, c := dy.Shape[1], dy.Shape[2], dy.Shape[3]
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	copy(l.dx.Data, dy.Data)
	for i, b := range l.boxes {
		if !b.apply {
			continue
		}
		d := l.dx.Data[i*h*w*c : (i+1)*h*w*c]
		b.each(h, w, func(p int) { clear(d[p*c : (p+1)*c]) })
	}
	return l.dx
}
