package nn

// What the data augmentation layers share (random_flip.go, random_crop.go,
// random_translation.go, random_rotation.go, random_zoom.go,
// random_contrast.go, random_brightness.go), as Keras 3's keras.layers
// Random* classes (keras/src/layers/preprocessing/image_preprocessing/).
// They take channels-last images (height, width, channels), change them
// only when Forward runs in training mode and are the identity at inference
// (RandomCrop with another target size excepted).
//
// Each layer draws from its own stream, seeded from Build's rng, and has a
// Reseed method, so Fit makes the draws depend only on (seed, epoch, layer).
// One transformation is drawn per image of the batch, as Keras does;
// Keras's RandomCrop draws one window per batch, and so does gokeras's
// (its padded variant, a gokeras extension, draws one per image).
//
// The geometric layers (translation, rotation, zoom, and RandomCrop's
// resize) share one sampler: every output pixel reads the input at an
// affine function of its coordinates, with bilinear interpolation (Keras's
// default) or nearest neighbour. This is keras.ops.image.affine_transform
// as the JAX, Torch and NumPy backends compute it (keras/src/backend/
// {jax,torch,numpy}/image.py, affine_transform and map_coordinates):
// pixels are at integer coordinates; bilinear reads the taps floor(p) and
// floor(p)+1 on each axis; nearest rounds half away from zero (JAX's
// lax.round; Torch's backend rounds half to even, which differs only on
// exact ties); FillMode maps each tap that falls outside the image (the
// index fixers of map_coordinates), and with FillConstant a tap outside
// reads FillValue. TensorFlow's ImageProjectiveTransformV3 maps the point
// before interpolating; the two differ only within one pixel of the border.
//
// Backward is exact everywhere: for a drawn transformation each layer is
// linear in its input (piecewise, where it clips), and Backward applies the
// transpose (for the samplers, the adjoint: each output gradient is
// scattered back to the taps it read with the same weights).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// FillMode says what the geometric augmentation layers read outside the
// image. The zero value is Keras's default, FillReflect.
type FillMode int

const (
	// FillReflect mirrors about the edge of the last pixel: (d c b a | a b c d | d c b a).
	FillReflect FillMode = iota
	// FillConstant reads FillValue (default 0): (k k k k | a b c d | k k k k).
	FillConstant
	// FillWrap repeats the image: (a b c d | a b c d | a b c d).
	FillWrap
	// FillNearest repeats the edge pixel: (a a a a | a b c d | d d d d).
	FillNearest
)

var fillNames = []string{"reflect", "constant", "wrap", "nearest"}

func (f FillMode) String() string {
	if f >= 0 && int(f) < len(fillNames) {
		return fillNames[f]
	}
	return fmt.Sprintf("FillMode(%d)", int(f))
}

// ParseFillMode reads Keras's fill_mode names; "" is reflect.
func ParseFillMode(s string) (FillMode, error) {
	if s == "" {
		return FillReflect, nil
	}
	for i, n := range fillNames {
		if s == n {
			return FillMode(i), nil
		}
	}
	return 0, fmt.Errorf("nn: unknown fill_mode %q; use \"reflect\", \"constant\", \"wrap\" or \"nearest\"", s)
}

// Interpolation is how the geometric augmentation layers read between
// pixels. The zero value is Keras's default, Bilinear.
type Interpolation int

const (
	// Bilinear weighs the four nearest pixels.
	Bilinear Interpolation = iota
	// NearestNeighbor reads the nearest pixel (Keras's "nearest").
	NearestNeighbor
)

func (i Interpolation) String() string {
	if i == NearestNeighbor {
		return "nearest"
	}
	return "bilinear"
}

// ParseInterpolation reads "bilinear" (or "") and "nearest".
func ParseInterpolation(s string) (Interpolation, error) {
	switch s {
	case "bilinear", "":
		return Bilinear, nil
	case "nearest":
		return NearestNeighbor, nil
	}
	return 0, fmt.Errorf("nn: unknown interpolation %q; use \"bilinear\" or \"nearest\"", s)
}

// augRand is the private random stream of an augmentation layer.
type augRand struct {
	rng *rand.Rand
	pcg *rand.PCG // rng's source, reseeded in place
}

func (a *augRand) seed(rng *rand.Rand) {
	x := rng.Uint64()
	a.Reseed(x, rng.Uint64())
}

// Reseed restarts the layer's random stream; Fit calls it at each epoch so
// that the draws depend only on the run's seed, the epoch and the layer
// (and AugMix for each use of an operation, so it allocates nothing).
func (a *augRand) Reseed(x, y uint64) {
	if a.pcg == nil {
		a.pcg = rand.NewPCG(x, y)
		a.rng = rand.New(a.pcg)
		return
	}
	a.pcg.Seed(x, y)
}

func (a *augRand) stream() *rand.Rand {
	if a.rng == nil { // Forward before Build: stay deterministic
		a.Reseed(0, 0)
	}
	return a.rng
}

// uniform draws from [lo, hi), as keras.random.uniform(minval=lo, maxval=hi).
func (a *augRand) uniform(lo, hi float64) float64 { return lo + (hi-lo)*a.stream().Float64() }

func checkImage(in tensor.Shape) error {
	if len(in) != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return fmt.Errorf("input shape %v is not (height, width, channels); augmentation layers take channels-last images", in)
	}
	return nil
}

// checkRange checks a (lower, upper) factor pair whose ends must both lie
// in [lo, hi], as RandomTranslation's and RandomZoom's _check_factor_range.
func checkRange(name string, f [2]float64, lo, hi float64) error {
	if !(f[0] <= f[1]) || f[0] < lo || f[1] > hi {
		return fmt.Errorf("%s %v must be a (lower, upper) pair with %v <= lower <= upper <= %v", name, f, lo, hi)
	}
	return nil
}

// checkBaseFactor checks a (lower, upper) factor as BaseImagePreprocessing
// Layer._set_factor accepts a pair: sorted, lower <= hi and upper >= lo
// (Keras checks only these two ends of a pair).
func checkBaseFactor(name string, f [2]float64, lo, hi float64) error {
	if !(f[0] <= f[1]) || f[0] > hi || f[1] < lo {
		return fmt.Errorf("%s %v must be a sorted (lower, upper) pair with lower <= %v and upper >= %v", name, f, hi, lo)
	}
	return nil
}

// checkValueRange checks a (min, max) value range.
func checkValueRange(v [2]float64) error {
	if !(v[0] < v[1]) {
		return fmt.Errorf("value_range %v must be (min, max) with min < max", v)
	}
	return nil
}

// ---- the affine (and projective) sampler ----

// warp maps an output pixel (y, x) to the input point it reads:
// (m[0]*y + m[1]*x + m[2], m[3]*y + m[4]*x + m[5]) / d with
// d = m[6]*y + m[7]*x + 1 (1 for the affine layers, whose m[6] and m[7]
// are 0). Keras's transform row [a0, a1, a2, b0, b1, b2, c0, c1] maps
// output (x, y) to input (a0 x + a1 y + a2, b0 x + b1 y + b2) / (c0 x +
// c1 y + 1): it is warp{b1, b0, b2, a1, a0, a2, c1, c0}.
type warp [8]float64

// sampler reads images at warped points.
type sampler struct {
	fill   FillMode
	value  float32
	interp Interpolation
	// box, when box[2] > 0, is a window (y0, x0, y1, x1) of the image that
	// taps are clamped into, as a resize of that window reads it
	// (RandomCrop).
	box [4]int
	// field, when non-nil, displaces every output pixel (y, x) to read the
	// input at (y + field[2i], x + field[2i+1]), i = y·w + x, instead of
	// through the warp (RandomElasticTransform).
	field []float32
}

// index maps tap i on an axis of n pixels into the image; ok is false when
// the tap reads the constant fill. These are map_coordinates's index
// fixers (keras/src/backend/torch/image.py _INDEX_FIXERS).
func (s *sampler) index(i, n int) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch s.fill {
	case FillConstant:
		return 0, false
	case FillNearest:
		return min(max(i, 0), n-1), true
	case FillWrap:
		return ((i % n) + n) % n, true
	}
	// Reflect with period 2n: i and -1-i read the same pixel.
	p := ((i % (2 * n)) + 2*n) % (2 * n)
	if p >= n {
		p = 2*n - 1 - p
	}
	return p, true
}

// taps fills the input pixels (index into the h*w plane, -1 for the
// constant fill) and weights that output pixel (y, x) reads, and returns
// how many there are.
func (s *sampler) taps(m *warp, h, w, y, x int, idx *[4]int, wt *[4]float32) int {
	py := m[0]*float64(y) + m[1]*float64(x) + m[2]
	px := m[3]*float64(y) + m[4]*float64(x) + m[5]
	if s.field != nil {
		i := 2 * (y*w + x)
		py, px = float64(y)+float64(s.field[i]), float64(x)+float64(s.field[i+1])
		if !(math.Abs(py) < 1e9 && math.Abs(px) < 1e9) {
			idx[0], wt[0] = -1, 1
			return 1
		}
	} else if m[6] != 0 || m[7] != 0 {
		d := m[6]*float64(y) + m[7]*float64(x) + 1
		py, px = py/d, px/d
		// A point at infinity (or far outside) reads the fill, never an
		// index computed from a NaN or an overflowing conversion.
		if !(math.Abs(py) < 1e9 && math.Abs(px) < 1e9) {
			idx[0], wt[0] = -1, 1
			return 1
		}
	}
	put := func(k, iy, ix int, weight float64) {
		if s.box[2] > 0 {
			iy, ix = min(max(iy, s.box[0]), s.box[2]-1), min(max(ix, s.box[1]), s.box[3]-1)
		}
		ry, oky := s.index(iy, h)
		rx, okx := s.index(ix, w)
		idx[k], wt[k] = -1, float32(weight)
		if oky && okx {
			idx[k] = ry*w + rx
		}
	}
	if s.interp == NearestNeighbor {
		put(0, int(math.Round(py)), int(math.Round(px)), 1)
		return 1
	}
	fy, fx := math.Floor(py), math.Floor(px)
	ty, tx := py-fy, px-fx
	iy, ix := int(fy), int(fx)
	put(0, iy, ix, (1-ty)*(1-tx))
	put(1, iy, ix+1, (1-ty)*tx)
	put(2, iy+1, ix, ty*(1-tx))
	put(3, iy+1, ix+1, ty*tx)
	return 4
}

// forward samples image src (h, w, c) into dst (oh, ow, c).
func (s *sampler) forward(dst, src []float32, m *warp, h, w, oh, ow, c int) {
	var idx [4]int
	var wt [4]float32
	for y := range oh {
		for x := range ow {
			k := s.taps(m, h, w, y, x, &idx, &wt)
			out := dst[(y*ow+x)*c : (y*ow+x+1)*c]
			clear(out)
			for t := range k {
				if idx[t] < 0 {
					for ch := range out {
						out[ch] += wt[t] * s.value
					}
					continue
				}
				in := src[idx[t]*c : (idx[t]+1)*c]
				for ch, v := range in {
					out[ch] += wt[t] * v
				}
			}
		}
	}
}

// backward is forward's adjoint: it adds into dx (h, w, c) the gradient
// that dy (oh, ow, c) sends to each tap. dx must be zeroed by the caller.
func (s *sampler) backward(dx, dy []float32, m *warp, h, w, oh, ow, c int) {
	var idx [4]int
	var wt [4]float32
	for y := range oh {
		for x := range ow {
			k := s.taps(m, h, w, y, x, &idx, &wt)
			g := dy[(y*ow+x)*c : (y*ow+x+1)*c]
			for t := range k {
				if idx[t] < 0 {
					continue
				}
				d := dx[idx[t]*c : (idx[t]+1)*c]
				for ch, v := range g {
					d[ch] += wt[t] * v
				}
			}
		}
	}
}

// warper is the part shared by RandomTranslation, RandomRotation and
// RandomZoom: one warp per image, drawn by draw, applied with the sampler.
type warper struct {
	augRand
	warps []warp
	train bool
	y, dx *tensor.Tensor
}

func (p *warper) forward(x *tensor.Tensor, training bool, s sampler, draw func(h, w int) warp) *tensor.Tensor {
	p.train = training
	if !training {
		return x
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	p.warps = p.warps[:0]
	for range n {
		p.warps = append(p.warps, draw(h, w))
	}
	p.y = tensor.Ensure(p.y, x.Shape...)
	sz := h * w * c
	for b := range n {
		s.forward(p.y.Data[b*sz:(b+1)*sz], x.Data[b*sz:(b+1)*sz], &p.warps[b], h, w, h, w, c)
	}
	return p.y
}

func (p *warper) backward(dy *tensor.Tensor, s sampler) *tensor.Tensor {
	if !p.train {
		return dy
	}
	n, h, w, c := dy.Shape[0], dy.Shape[1], dy.Shape[2], dy.Shape[3]
	p.dx = tensor.Ensure(p.dx, dy.Shape...)
	p.dx.Zero()
	sz := h * w * c
	for b := range n {
		s.backward(p.dx.Data[b*sz:(b+1)*sz], dy.Data[b*sz:(b+1)*sz], &p.warps[b], h, w, h, w, c)
	}
	return p.dx
}

// geomConfig writes the keys the geometric layers share, as their Keras
// get_config does (seed is null: gokeras seeds from the model's seed).
func geomConfig(m map[string]any, f FillMode, i Interpolation, v float64) {
	m["fill_mode"] = f.String()
	m["interpolation"] = i.String()
	m["fill_value"] = v
	m["seed"] = nil
	m["data_format"] = "channels_last"
}

// geom reads the keys the geometric layers share, with the keys Keras's
// image preprocessing layers write that change nothing here: seed (see
// ConfigReader.seed) and bounding_box_format (gokeras feeds images only,
// never the dicts with boxes the format describes; keras/src/layers/
// preprocessing/image_preprocessing/base_image_preprocessing_layer.py).
func (r *cfgReader) geom() (FillMode, Interpolation, float64) {
	r.augment()
	f, err := ParseFillMode(r.Str("fill_mode", ""))
	r.setErr(err)
	i, err := ParseInterpolation(r.Str("interpolation", ""))
	r.setErr(err)
	return f, i, r.Num("fill_value", 0)
}

// augment reads the keys every augmentation layer may carry: seed,
// bounding_box_format (no-ops) and data_format (channels_last only).
func (r *cfgReader) augment() {
	r.seed()
	r.noOp("bounding_box_format")
	r.channelsLast()
}

// numberOrPair reads a number (isPair false, in p[0]) or a list of two
// numbers; absent or null gives ok false.
func (r *cfgReader) numberOrPair(key string) (p [2]float64, isPair, ok bool) {
	v, present := r.Get(key)
	if !present {
		return p, false, false
	}
	if f, isNum := config.Number(v); isNum {
		return [2]float64{f, 0}, false, true
	}
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case []float64:
		for _, e := range x {
			list = append(list, e)
		}
	}
	if len(list) == 2 {
		lo, ok1 := config.Number(list[0])
		hi, ok2 := config.Number(list[1])
		if ok1 && ok2 {
			return [2]float64{lo, hi}, true, true
		}
	}
	r.fail(key, v, "a number or a list of two numbers")
	return p, false, false
}

// baseFactor reads factor as BaseImagePreprocessingLayer._set_factor does
// (base_image_preprocessing_layer.py), with the class's bounds (lo, hi): a
// number f must lie in [lo, hi] and gives (max(-|f|, lo), |f|); a pair is
// sorted, its first element must be <= hi and its second >= lo.
func (r *cfgReader) baseFactor(key string, lo, hi float64) [2]float64 {
	p, isPair, ok := r.numberOrPair(key)
	if !ok {
		return [2]float64{}
	}
	if !isPair {
		f := p[0]
		if f < lo || f > hi {
			r.Failf("%q is %v; want a number in [%v, %v] or a list of two numbers", key, f, lo, hi)
			return [2]float64{}
		}
		f = math.Abs(f)
		return [2]float64{max(-f, lo), f}
	}
	if p[0] > hi || p[1] < lo {
		r.Failf("%q is %v; the first number must be <= %v and the second >= %v", key, p, hi, lo)
		return [2]float64{}
	}
	return [2]float64{min(p[0], p[1]), max(p[0], p[1])}
}

// shiftFactor reads RandomTranslation's and RandomZoom's height_factor and
// width_factor as their own _set_factor does (random_translation.py,
// random_zoom.py): every number in [-1, 1]; a number f gives (-|f|, |f|), a
// pair is sorted.
func (r *cfgReader) shiftFactor(key string) [2]float64 {
	p, isPair, ok := r.numberOrPair(key)
	if !ok {
		return [2]float64{}
	}
	n := 1
	if isPair {
		n = 2
	}
	for _, f := range p[:n] {
		if f < -1 || f > 1 {
			r.Failf("%q is %v; want numbers in [-1, 1]", key, jsonValue(r.M[key]))
			return [2]float64{}
		}
	}
	if !isPair {
		f := math.Abs(p[0])
		return [2]float64{-f, f}
	}
	return [2]float64{min(p[0], p[1]), max(p[0], p[1])}
}

// valueRange reads a (min, max) value_range; sorted says whether Keras
// sorts it (RandomBrightness does, RandomContrast does not). Absent gives
// the zero value, which the layers read as Keras's default (0, 255).
func (r *cfgReader) valueRange(sorted bool) [2]float64 {
	p, isPair, ok := r.numberOrPair("value_range")
	if !ok {
		return [2]float64{}
	}
	if !isPair {
		r.fail("value_range", r.M["value_range"], "a list of two numbers (min, max)")
		return [2]float64{}
	}
	if sorted {
		p = [2]float64{min(p[0], p[1]), max(p[0], p[1])}
	}
	if err := checkValueRange(p); err != nil {
		r.setErr(err)
	}
	return p
}

func pairConfig(f [2]float64) []any { return []any{f[0], f[1]} }
