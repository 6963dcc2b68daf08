package nn

// Data augmentation layers, as Keras 3's keras.layers.RandomFlip,
// RandomCrop, RandomTranslation, RandomRotation, RandomZoom and
// RandomContrast. They take channels-last images (height, width, channels),
// change them only when Forward runs in training mode and are the identity
// at inference (RandomCrop with a smaller target excepted, as in Keras).
//
// Each layer draws from its own stream, seeded from Build's rng, and has a
// Reseed method, so Fit makes the draws depend only on (seed, epoch, layer).
// One transformation is drawn per image of the batch.
//
// The geometric layers (translation, rotation, zoom, and RandomCrop's
// inference resize) share one sampler: every output pixel reads the input
// at an affine function of its coordinates, with bilinear interpolation
// (Keras's default) or nearest neighbour. Pixels are at integer
// coordinates and the centre of rotation and zoom is ((h-1)/2, (w-1)/2), as
// in TensorFlow's ImageProjectiveTransform. Points outside the image follow
// FillMode, applied to each interpolation tap (TensorFlow maps the point
// first; the two differ only within one pixel of the border).
//
// Backward is exact everywhere: for a drawn transformation each layer is
// linear in its input, and Backward applies the transpose (for the
// samplers, the adjoint: each output gradient is scattered back to the taps
// it read with the same weights).

import (
	"fmt"
	"math"
	"math/rand/v2"

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

// FlipMode selects RandomFlip's axes. The zero value is Keras's default,
// FlipHorizontalAndVertical.
type FlipMode int

const (
	// FlipHorizontalAndVertical flips each axis independently.
	FlipHorizontalAndVertical FlipMode = iota
	// FlipHorizontal flips left-right only.
	FlipHorizontal
	// FlipVertical flips top-bottom only.
	FlipVertical
)

func (m FlipMode) String() string {
	switch m {
	case FlipHorizontal:
		return "horizontal"
	case FlipVertical:
		return "vertical"
	}
	return "horizontal_and_vertical"
}

// ParseFlipMode reads Keras's mode names; "" is horizontal_and_vertical.
func ParseFlipMode(s string) (FlipMode, error) {
	switch s {
	case "horizontal_and_vertical", "":
		return FlipHorizontalAndVertical, nil
	case "horizontal":
		return FlipHorizontal, nil
	case "vertical":
		return FlipVertical, nil
	}
	return 0, fmt.Errorf("nn: unknown flip mode %q; use \"horizontal\", \"vertical\" or \"horizontal_and_vertical\"", s)
}

// augRand is the private random stream of an augmentation layer.
type augRand struct{ rng *rand.Rand }

func (a *augRand) seed(rng *rand.Rand) { a.rng = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())) }

// Reseed restarts the layer's random stream; Fit calls it at each epoch so
// that the draws depend only on the run's seed, the epoch and the layer.
func (a *augRand) Reseed(x, y uint64) { a.rng = rand.New(rand.NewPCG(x, y)) }

func (a *augRand) stream() *rand.Rand {
	if a.rng == nil { // Forward before Build: stay deterministic
		a.rng = rand.New(rand.NewPCG(0, 0))
	}
	return a.rng
}

// uniform draws from [lo, hi).
func (a *augRand) uniform(lo, hi float64) float64 { return lo + (hi-lo)*a.stream().Float64() }

func checkImage(in tensor.Shape) error {
	if len(in) != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return fmt.Errorf("input shape %v is not (height, width, channels); augmentation layers take channels-last images", in)
	}
	return nil
}

// checkRange checks a (lower, upper) factor pair.
func checkRange(name string, f [2]float64, lo, hi float64) error {
	if !(f[0] <= f[1]) || f[0] < lo || f[1] > hi {
		return fmt.Errorf("%s %v must be a (lower, upper) pair with %v <= lower <= upper <= %v", name, f, lo, hi)
	}
	return nil
}

// ---- RandomFlip ----

// RandomFlip flips each image left-right and/or top-bottom with
// probability 1/2 per axis (independently), in training only.
type RandomFlip struct {
	Trainability
	Name string
	Mode FlipMode

	augRand
	flips   []uint8 // per image: bit 0 horizontal, bit 1 vertical
	train   bool
	y, dx   *tensor.Tensor
	h, w, c int
}

func init() {
	register("RandomFlip", func(r *cfgReader) Layer {
		r.augment()
		m, err := ParseFlipMode(r.Str("mode", ""))
		r.setErr(err)
		return &RandomFlip{Mode: m}
	})
}

func (l *RandomFlip) LayerName() string     { return l.Name }
func (l *RandomFlip) SetLayerName(s string) { l.Name = s }
func (l *RandomFlip) Class() string         { return "RandomFlip" }
func (l *RandomFlip) Params() []*Param      { return nil }
func (l *RandomFlip) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["mode"] = l.Mode.String()
	return m
}

func (l *RandomFlip) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.Mode < 0 || l.Mode > FlipVertical {
		return nil, fmt.Errorf("unknown flip mode %d", int(l.Mode))
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomFlip) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomFlip) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	n := x.Shape[0]
	l.h, l.w, l.c = x.Shape[1], x.Shape[2], x.Shape[3]
	l.flips = l.flips[:0]
	rng := l.stream()
	for range n {
		u := rng.Uint64()
		var f uint8
		if l.Mode != FlipVertical && u&1 != 0 {
			f |= 1
		}
		if l.Mode != FlipHorizontal && u&2 != 0 {
			f |= 2
		}
		l.flips = append(l.flips, f)
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.flip(l.y.Data, x.Data)
	return l.y
}

// flip writes the flipped images of src into dst; flipping is its own
// inverse, so Backward uses it too.
func (l *RandomFlip) flip(dst, src []float32) {
	h, w, c := l.h, l.w, l.c
	for b, f := range l.flips {
		img := b * h * w * c
		for i := range h {
			si := i
			if f&2 != 0 {
				si = h - 1 - i
			}
			for j := range w {
				sj := j
				if f&1 != 0 {
					sj = w - 1 - j
				}
				o, s := img+(i*w+j)*c, img+(si*w+sj)*c
				copy(dst[o:o+c], src[s:s+c])
			}
		}
	}
}

func (l *RandomFlip) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	l.flip(l.dx.Data, dy.Data)
	return l.dx
}

// ---- the affine sampler ----

// warp maps an output pixel (y, x) to the input point it reads:
// (m[0]*y + m[1]*x + m[2], m[3]*y + m[4]*x + m[5]).
type warp [6]float64

// sampler reads images at warped points.
type sampler struct {
	fill   FillMode
	value  float32
	interp Interpolation
}

// index maps tap i on an axis of n pixels into the image; ok is false when
// the tap reads the constant fill.
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
	put := func(k, iy, ix int, weight float64) {
		ry, oky := s.index(iy, h)
		rx, okx := s.index(ix, w)
		idx[k], wt[k] = -1, float32(weight)
		if oky && okx {
			idx[k] = ry*w + rx
		}
	}
	if s.interp == NearestNeighbor {
		put(0, int(math.Floor(py+0.5)), int(math.Floor(px+0.5)), 1)
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

// geomConfig writes the keys the geometric layers share.
func geomConfig(m map[string]any, f FillMode, i Interpolation, v float64) {
	m["fill_mode"] = f.String()
	m["interpolation"] = i.String()
	m["fill_value"] = v
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

// factor reads Keras's float-or-pair factors: a number f is (-f, f) when
// symmetric, else (f, f); a list is (lower, upper).
func (r *cfgReader) factor(key string, symmetric bool) [2]float64 {
	v, ok := r.Get(key)
	if !ok {
		return [2]float64{}
	}
	num := func(e any) (float64, bool) {
		switch x := e.(type) {
		case float64:
			return x, true
		case int:
			return float64(x), true
		}
		return 0, false
	}
	if f, ok := num(v); ok {
		if symmetric {
			return [2]float64{-f, f}
		}
		return [2]float64{f, f}
	}
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case []float64:
		list = []any{}
		for _, e := range x {
			list = append(list, e)
		}
	}
	if len(list) == 2 {
		lo, ok1 := num(list[0])
		hi, ok2 := num(list[1])
		if ok1 && ok2 {
			return [2]float64{lo, hi}
		}
	}
	r.fail(key, v, "a number or a (lower, upper) pair")
	return [2]float64{}
}

func pairConfig(f [2]float64) []any { return []any{f[0], f[1]} }

// ---- RandomTranslation ----

// RandomTranslation shifts each image by a random fraction of its height
// and width: HeightFactor (lower, upper) = (-0.1, 0.1) shifts by up to 10%
// of the height, positive down; WidthFactor likewise, positive right.
// Keras's single float f is (-f, f).
type RandomTranslation struct {
	Trainability
	Name          string
	HeightFactor  [2]float64
	WidthFactor   [2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64 // read with FillConstant

	warper
}

func init() {
	register("RandomTranslation", func(r *cfgReader) Layer {
		l := &RandomTranslation{HeightFactor: r.factor("height_factor", true), WidthFactor: r.factor("width_factor", true)}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomTranslation) LayerName() string     { return l.Name }
func (l *RandomTranslation) SetLayerName(s string) { l.Name = s }
func (l *RandomTranslation) Class() string         { return "RandomTranslation" }
func (l *RandomTranslation) Params() []*Param      { return nil }
func (l *RandomTranslation) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["height_factor"] = pairConfig(l.HeightFactor)
	m["width_factor"] = pairConfig(l.WidthFactor)
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomTranslation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRange("height_factor", l.HeightFactor, -1, 1); err != nil {
		return nil, err
	}
	if err := checkRange("width_factor", l.WidthFactor, -1, 1); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomTranslation) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomTranslation) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

func (l *RandomTranslation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		dy := l.uniform(l.HeightFactor[0], l.HeightFactor[1]) * float64(h)
		dx := l.uniform(l.WidthFactor[0], l.WidthFactor[1]) * float64(w)
		return warp{1, 0, -dy, 0, 1, -dx}
	})
}

func (l *RandomTranslation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}

// ---- RandomRotation ----

// RandomRotation rotates each image about its centre by a random angle of
// Factor (lower, upper) × 2π; positive angles turn counter-clockwise as the
// image is displayed (row 0 at the top). Keras's single float f is (-f, f).
type RandomRotation struct {
	Trainability
	Name          string
	Factor        [2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64

	warper
}

func init() {
	register("RandomRotation", func(r *cfgReader) Layer {
		l := &RandomRotation{Factor: r.factor("factor", true)}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomRotation) LayerName() string     { return l.Name }
func (l *RandomRotation) SetLayerName(s string) { l.Name = s }
func (l *RandomRotation) Class() string         { return "RandomRotation" }
func (l *RandomRotation) Params() []*Param      { return nil }
func (l *RandomRotation) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomRotation) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkRange("factor", l.Factor, -1, 1); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomRotation) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomRotation) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

// rotationWarp reads, for an output pixel, the input point that a
// counter-clockwise turn by theta brings there.
func rotationWarp(theta float64, h, w int) warp {
	cy, cx := float64(h-1)/2, float64(w-1)/2
	s, c := math.Sin(theta), math.Cos(theta)
	// dy_in = s*dx + c*dy, dx_in = c*dx - s*dy with d = out - centre.
	return warp{c, s, cy - c*cy - s*cx, -s, c, cx + s*cy - c*cx}
}

func (l *RandomRotation) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		return rotationWarp(2*math.Pi*l.uniform(l.Factor[0], l.Factor[1]), h, w)
	})
}

func (l *RandomRotation) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}

// ---- RandomZoom ----

// RandomZoom zooms each image about its centre by 1+f, f drawn from
// HeightFactor (lower, upper) for the height and WidthFactor for the width.
// As in Keras, positive values zoom out (the image shrinks) and negative
// values zoom in; a single float f is (-f, f). A nil WidthFactor (Keras's
// None) uses the height's draw for both axes, keeping the aspect ratio.
type RandomZoom struct {
	Trainability
	Name          string
	HeightFactor  [2]float64
	WidthFactor   *[2]float64
	FillMode      FillMode // default reflect, as Keras
	Interpolation Interpolation
	FillValue     float64

	warper
}

func init() {
	register("RandomZoom", func(r *cfgReader) Layer {
		l := &RandomZoom{HeightFactor: r.factor("height_factor", true)}
		if _, ok := r.Get("width_factor"); ok {
			f := r.factor("width_factor", true)
			l.WidthFactor = &f
		}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		return l
	})
}

func (l *RandomZoom) LayerName() string     { return l.Name }
func (l *RandomZoom) SetLayerName(s string) { l.Name = s }
func (l *RandomZoom) Class() string         { return "RandomZoom" }
func (l *RandomZoom) Params() []*Param      { return nil }
func (l *RandomZoom) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["height_factor"] = pairConfig(l.HeightFactor)
	m["width_factor"] = nil
	if l.WidthFactor != nil {
		m["width_factor"] = pairConfig(*l.WidthFactor)
	}
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	return m
}

func (l *RandomZoom) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	// Keras: factors in [-1, 1]; a zoom of exactly 1-1 = 0 is degenerate but harmless.
	if err := checkRange("height_factor", l.HeightFactor, -1, 1); err != nil {
		return nil, err
	}
	if l.WidthFactor != nil {
		if err := checkRange("width_factor", *l.WidthFactor, -1, 1); err != nil {
			return nil, err
		}
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomZoom) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomZoom) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

func (l *RandomZoom) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		zy := 1 + l.uniform(l.HeightFactor[0], l.HeightFactor[1])
		zx := zy
		if l.WidthFactor != nil {
			zx = 1 + l.uniform(l.WidthFactor[0], l.WidthFactor[1])
		}
		cy, cx := float64(h-1)/2, float64(w-1)/2
		return warp{zy, 0, cy * (1 - zy), 0, zx, cx * (1 - zx)}
	})
}

func (l *RandomZoom) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}

// ---- RandomCrop ----

// RandomCrop crops a random Height × Width window of each image in training.
//
// With Padding 0 it is Keras's RandomCrop(height, width): the output is
// Height × Width; at inference (where Keras resizes) the largest centred
// window with the target's aspect ratio is resized to the target with
// bilinear interpolation and half-pixel centres, as Keras's
// resize(crop_to_aspect_ratio=True) does (the window's edge taps may read
// the pixel just outside the window, where Keras clamps to it).
//
// Padding P > 0 is the classic CIFAR augmentation, a gokeras extension
// (config key "padding", which Keras does not know): each image is
// zero-padded by P pixels on every side and the window is cropped from the
// padded image, i.e. the image is shifted by up to P pixels with zeros
// coming in. Height and Width 0 mean the input's size, so that
// RandomCrop{Padding: 4} keeps 32×32 images 32×32 and is the identity at
// inference.
type RandomCrop struct {
	Trainability
	Name          string
	Height, Width int // 0: the input's
	Padding       int

	augRand
	in      tensor.Shape
	offsets [][2]int // per image: top-left of the window in unpadded coordinates (may be negative)
	mode    int      // of the last Forward: 0 identity, 1 random crop, 2 inference resize
	resize  warp
	y, dx   *tensor.Tensor
}

func init() {
	register("RandomCrop", func(r *cfgReader) Layer {
		r.augment()
		return &RandomCrop{Height: r.Int("height", 0), Width: r.Int("width", 0), Padding: r.Int("padding", 0)}
	})
}

func (l *RandomCrop) LayerName() string     { return l.Name }
func (l *RandomCrop) SetLayerName(s string) { l.Name = s }
func (l *RandomCrop) Class() string         { return "RandomCrop" }
func (l *RandomCrop) Params() []*Param      { return nil }
func (l *RandomCrop) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["height"] = l.Height
	m["width"] = l.Width
	if l.Padding != 0 {
		m["padding"] = l.Padding
	}
	return m
}

// target returns the output height and width for input in.
func (l *RandomCrop) target(in tensor.Shape) (int, int) {
	th, tw := l.Height, l.Width
	if th == 0 {
		th = in[0]
	}
	if tw == 0 {
		tw = in[1]
	}
	return th, tw
}

func (l *RandomCrop) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	if l.Height < 0 || l.Width < 0 || l.Padding < 0 {
		return nil, fmt.Errorf("height %d, width %d and padding %d must not be negative", l.Height, l.Width, l.Padding)
	}
	th, tw := l.target(in)
	if th > in[0]+2*l.Padding || tw > in[1]+2*l.Padding {
		return nil, fmt.Errorf("crop %dx%d is larger than the %dx%d input padded by %d; crop smaller or pad more", th, tw, in[0], in[1], l.Padding)
	}
	return tensor.Shape{th, tw, in[2]}, nil
}

func (l *RandomCrop) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.in = in.Clone()
	l.seed(rng)
	return nil
}

var resizeSampler = sampler{fill: FillNearest}

func (l *RandomCrop) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	th, tw := l.target(x.Shape[1:])
	if !training {
		if th == h && tw == w {
			l.mode = 0
			return x
		}
		l.mode = 2
		// Keras's crop_to_aspect_ratio window, then resize with half-pixel centres.
		ch := max(min(h, int(float64(w*th)/float64(tw))), 1)
		cw := max(min(w, int(float64(h*tw)/float64(th))), 1)
		y0, x0 := (h-ch)/2, (w-cw)/2
		sy, sx := float64(ch)/float64(th), float64(cw)/float64(tw)
		l.resize = warp{sy, 0, float64(y0) + 0.5*sy - 0.5, 0, sx, float64(x0) + 0.5*sx - 0.5}
		l.y = tensor.Ensure(l.y, n, th, tw, c)
		for b := range n {
			resizeSampler.forward(l.y.Data[b*th*tw*c:(b+1)*th*tw*c], x.Data[b*h*w*c:(b+1)*h*w*c], &l.resize, h, w, th, tw, c)
		}
		return l.y
	}
	l.mode = 1
	rng := l.stream()
	p := l.Padding
	l.offsets = l.offsets[:0]
	for range n {
		oy := rng.IntN(h+2*p-th+1) - p
		ox := rng.IntN(w+2*p-tw+1) - p
		l.offsets = append(l.offsets, [2]int{oy, ox})
	}
	l.y = tensor.Ensure(l.y, n, th, tw, c)
	for b, o := range l.offsets {
		out := l.y.Data[b*th*tw*c : (b+1)*th*tw*c]
		img := x.Data[b*h*w*c : (b+1)*h*w*c]
		for i := range th {
			row := out[i*tw*c : (i+1)*tw*c]
			sy := i + o[0]
			if sy < 0 || sy >= h {
				clear(row)
				continue
			}
			for j := range tw {
				sx := j + o[1]
				d := row[j*c : (j+1)*c]
				if sx < 0 || sx >= w {
					clear(d)
					continue
				}
				copy(d, img[(sy*w+sx)*c:(sy*w+sx+1)*c])
			}
		}
	}
	return l.y
}

func (l *RandomCrop) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.mode == 0 {
		return dy
	}
	n, th, tw, c := dy.Shape[0], dy.Shape[1], dy.Shape[2], dy.Shape[3]
	h, w := l.in[0], l.in[1]
	l.dx = tensor.Ensure(l.dx, n, h, w, c)
	l.dx.Zero()
	if l.mode == 2 {
		for b := range n {
			resizeSampler.backward(l.dx.Data[b*h*w*c:(b+1)*h*w*c], dy.Data[b*th*tw*c:(b+1)*th*tw*c], &l.resize, h, w, th, tw, c)
		}
		return l.dx
	}
	for b, o := range l.offsets {
		g := dy.Data[b*th*tw*c : (b+1)*th*tw*c]
		img := l.dx.Data[b*h*w*c : (b+1)*h*w*c]
		for i := range th {
			sy := i + o[0]
			if sy < 0 || sy >= h {
				continue
			}
			for j := range tw {
				sx := j + o[1]
				if sx < 0 || sx >= w {
					continue
				}
				copy(img[(sy*w+sx)*c:(sy*w+sx+1)*c], g[(i*tw+j)*c:(i*tw+j+1)*c])
			}
		}
	}
	return l.dx
}

// ---- RandomContrast ----

// RandomContrast scales each image's deviation from its mean:
// x' = (x - mean)*k + mean, the mean taken over height and width per
// channel, k drawn per image from [1-Factor[0], 1+Factor[1]] (Keras's single
// float f is (f, f)). Keras then clips to value_range, default (0, 255);
// here ValueRange's zero value means no clipping, which suits inputs
// already scaled or standardised; set it to clip.
type RandomContrast struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper), each in [0, 1]
	ValueRange [2]float64 // clip the output to it unless it is (0, 0)

	augRand
	k     []float32 // per image
	train bool
	y, dx *tensor.Tensor
}

func init() {
	register("RandomContrast", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomContrast{Factor: r.factor("factor", false)}
		if _, ok := r.Get("value_range"); ok {
			l.ValueRange = r.factor("value_range", false)
		}
		return l
	})
}

func (l *RandomContrast) LayerName() string     { return l.Name }
func (l *RandomContrast) SetLayerName(s string) { l.Name = s }
func (l *RandomContrast) Class() string         { return "RandomContrast" }
func (l *RandomContrast) Params() []*Param      { return nil }
func (l *RandomContrast) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.Factor)
	if l.ValueRange != [2]float64{} {
		m["value_range"] = pairConfig(l.ValueRange)
	}
	return m
}

func (l *RandomContrast) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.Factor[0] < 0 || l.Factor[0] > 1 || l.Factor[1] < 0 || l.Factor[1] > 1 {
		return nil, fmt.Errorf("factor %v must be (lower, upper) with both in [0, 1]; the contrast is drawn from [1-lower, 1+upper]", l.Factor)
	}
	if l.ValueRange[0] > l.ValueRange[1] {
		return nil, fmt.Errorf("value_range %v must be (min, max)", l.ValueRange)
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomContrast) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomContrast) clips() bool { return l.ValueRange != [2]float64{} }

func (l *RandomContrast) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	n, hw, c := x.Shape[0], x.Shape[1]*x.Shape[2], x.Shape[3]
	l.k = l.k[:0]
	for range n {
		l.k = append(l.k, float32(l.uniform(1-l.Factor[0], 1+l.Factor[1])))
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	lo, hi := float32(l.ValueRange[0]), float32(l.ValueRange[1])
	for b, k := range l.k {
		img, out := x.Data[b*hw*c:(b+1)*hw*c], l.y.Data[b*hw*c:(b+1)*hw*c]
		for ch := range c {
			var s float64
			for i := ch; i < len(img); i += c {
				s += float64(img[i])
			}
			mean := float32(s / float64(hw))
			for i := ch; i < len(img); i += c {
				v := (img[i]-mean)*k + mean
				if l.clips() {
					v = min(max(v, lo), hi)
				}
				out[i] = v
			}
		}
	}
	return l.y
}

// Backward: dx = k*g + (1-k)*mean(g) per image and channel, where g is dy
// with the outputs at the clip bounds zeroed.
func (l *RandomContrast) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	hw, c := dy.Shape[1]*dy.Shape[2], dy.Shape[3]
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	lo, hi := float32(l.ValueRange[0]), float32(l.ValueRange[1])
	for b, k := range l.k {
		g, d, y := dy.Data[b*hw*c:(b+1)*hw*c], l.dx.Data[b*hw*c:(b+1)*hw*c], l.y.Data[b*hw*c:(b+1)*hw*c]
		for ch := range c {
			var s float64
			for i := ch; i < len(g); i += c {
				gi := g[i]
				if l.clips() && (y[i] <= lo || y[i] >= hi) {
					gi = 0
				}
				d[i] = gi
				s += float64(gi)
			}
			m := (1 - k) * float32(s/float64(hw))
			for i := ch; i < len(g); i += c {
				d[i] = k*d[i] + m
			}
		}
	}
	return l.dx
}
