package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Resizing resizes channels-last images to Height × Width, in training and
// inference alike, as Keras 3's Resizing layer does with the TensorFlow
// backend (keras/src/layers/preprocessing/image_preprocessing/resizing.py,
// which calls keras/src/backend/tensorflow/image.py resize, which calls
// tf.image.resize with antialias off).
//
// Bilinear (the default) is TensorFlow's ResizeBilinear with half-pixel
// centres: output pixel i of an axis reads the input at
// (i+0.5)·in/out − 0.5, computed in float32, and mixes the two pixels
// around it; positions before the first pixel or past the last read it
// (tensorflow/core/kernels/image/resize_bilinear_op.cc). Nearest reads
// pixel min(floor((i+0.5)·in/out), in−1) (resize_nearest_neighbor_op.cc).
// Downscaling is not antialiased, as in Keras: each output reads at most
// two pixels per axis.
//
// CropToAspectRatio first cuts the largest centred window with the
// target's aspect ratio; PadToAspectRatio first pads the short side
// evenly with FillValue. Both use Keras's float32 window arithmetic, and
// Keras allows only one of them.
//
// The layer is linear in its input; Backward applies the transpose (each
// output gradient goes back to the pixels it read, with the same weights).
type Resizing struct {
	Trainability
	Name              string
	Height, Width     int
	Interpolation     Interpolation // Bilinear (Keras's default) or NearestNeighbor
	CropToAspectRatio bool
	PadToAspectRatio  bool
	FillValue         float64      // the padding's value (fill_mode "constant", the only one Keras has)
	InputShape        tensor.Shape // optional: declares the model input, like input_shape=

	resampled
}

func init() {
	register("Resizing", func(r *cfgReader) Layer {
		l := &Resizing{
			Height:            r.Int("height", 0),
			Width:             r.Int("width", 0),
			Interpolation:     r.resizeInterpolation("interpolation"),
			CropToAspectRatio: r.Bool("crop_to_aspect_ratio", false),
			PadToAspectRatio:  r.Bool("pad_to_aspect_ratio", false),
			FillValue:         r.Num("fill_value", 0),
			InputShape:        r.inputShape(),
		}
		// Keras's TensorFlow resize implements only "constant"
		// (keras/src/backend/tensorflow/image.py).
		r.onlyValue("fill_mode", `Keras's Resizing fills only with "constant"`, "constant")
		r.onlyValue("antialias", "gokeras resizes without antialiasing, as Keras does by default", false)
		r.imageLayer()
		return l
	})
}

// imageLayer reads the keys Keras's image preprocessing layers share:
// data_format (channels_last only) and bounding_box_format, which changes
// nothing here: gokeras feeds images only, never the dicts with boxes it
// describes (keras/src/layers/preprocessing/image_preprocessing/
// base_image_preprocessing_layer.py).
func (r *cfgReader) imageLayer() {
	r.channelsLast()
	r.noOp("bounding_box_format")
}

// resizeInterpolation reads Resizing's interpolation: "bilinear" or
// "nearest"; Keras's other methods are named in the error.
func (r *cfgReader) resizeInterpolation(key string) Interpolation {
	s := r.Str(key, "bilinear")
	switch s {
	case "bilinear":
		return Bilinear
	case "nearest":
		return NearestNeighbor
	}
	if r.Err == nil {
		r.unsupported(key, s, `gokeras resizes with "bilinear" or "nearest" (Keras's "bicubic", "lanczos3", "lanczos5" and "area" are not implemented)`)
	}
	return Bilinear
}

func (l *Resizing) LayerName() string                { return l.Name }
func (l *Resizing) SetLayerName(s string)            { l.Name = s }
func (l *Resizing) Class() string                    { return "Resizing" }
func (l *Resizing) Params() []*Param                 { return nil }
func (l *Resizing) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *Resizing) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["height"] = l.Height
	m["width"] = l.Width
	m["interpolation"] = l.Interpolation.String()
	m["crop_to_aspect_ratio"] = l.CropToAspectRatio
	m["pad_to_aspect_ratio"] = l.PadToAspectRatio
	m["fill_mode"] = "constant"
	m["fill_value"] = l.FillValue
	m["data_format"] = "channels_last"
	return m
}

func (l *Resizing) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImageInput(in); err != nil {
		return nil, err
	}
	if l.Height <= 0 || l.Width <= 0 {
		return nil, fmt.Errorf("height %d and width %d must be positive: give the output size", l.Height, l.Width)
	}
	if l.Interpolation != Bilinear && l.Interpolation != NearestNeighbor {
		return nil, fmt.Errorf("interpolation %v is not bilinear or nearest", l.Interpolation)
	}
	if l.CropToAspectRatio && l.PadToAspectRatio {
		return nil, fmt.Errorf("crop_to_aspect_ratio and pad_to_aspect_ratio are both true; Keras allows only one")
	}
	return tensor.Shape{l.Height, l.Width, in[2]}, nil
}

func (l *Resizing) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.prepare(in)
	return nil
}

// prepare computes the sampling tables for per-image input shape in.
func (l *Resizing) prepare(in tensor.Shape) {
	l.in = append(l.in[:0], in...)
	h, w := in[0], in[1]
	ay, ax := fullAxis(h), fullAxis(w)
	switch {
	case l.CropToAspectRatio:
		ay, ax = cropAxes32(h, w, l.Height, l.Width)
	case l.PadToAspectRatio:
		ay, ax = padAxes32(h, w, l.Height, l.Width)
	}
	l.rs.prepare(ay, ax, l.Height, l.Width, l.Interpolation, float32(l.FillValue))
}

func (l *Resizing) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		l.prepare(x.Shape[1:])
	}
	return l.run(x)
}

// resampled is what the resampling layers (Resizing, CenterCrop,
// UpSampling2D) share: the resampler prepared for the last input shape
// and its buffers. Each layer's Forward prepares it for a new shape, then
// runs it; Backward is the resampler's transpose.
type resampled struct {
	rs         resampler
	in         tensor.Shape
	y, dx      *tensor.Tensor
	skipInputG bool
}

func (r *resampled) SkipInputGrad(skip bool) { r.skipInputG = skip }

func (r *resampled) run(x *tensor.Tensor) *tensor.Tensor {
	if r.rs.identity {
		return x
	}
	r.y = r.rs.forward(r.y, x)
	return r.y
}

func (r *resampled) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if r.rs.identity {
		return dy
	}
	if r.skipInputG {
		return nil
	}
	r.dx = r.rs.backward(r.dx, dy)
	return r.dx
}

// checkImageInput checks a per-image shape (height, width, channels).
func checkImageInput(in tensor.Shape) error {
	if len(in) != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return fmt.Errorf("input shape %v is not (height, width, channels); the layer takes channels-last images", in)
	}
	return nil
}

// srcAxis is the part of an input axis a resize reads, as a virtual axis
// of n positions whose position j is input index first+j; indices outside
// [0, size) are padding and read the fill value. The whole axis is
// {first: 0, n: size}; a crop has first > 0 and n < size; a pad has
// first < 0 and n > size.
type srcAxis struct{ first, n, size int }

func fullAxis(size int) srcAxis { return srcAxis{0, size, size} }

// cropAxes32 is the window crop_to_aspect_ratio cuts from an h × w image
// for a th × tw target, in Keras's TensorFlow arithmetic (float32 division,
// truncation; keras/src/backend/tensorflow/image.py resize).
func cropAxes32(h, w, th, tw int) (srcAxis, srcAxis) {
	ch := max(min(h, int(float32(w*th)/float32(tw))), 1)
	cw := max(min(w, int(float32(h*tw)/float32(th))), 1)
	return srcAxis{int(float32(h-ch) / 2), ch, h}, srcAxis{int(float32(w-cw) / 2), cw, w}
}

// padAxes32 is the padding pad_to_aspect_ratio adds. Keras pads the short
// side with int((padded − size)/2) rows or columns on both sides, so an
// odd difference pads one fewer than the aspect ratio asks for.
func padAxes32(h, w, th, tw int) (srcAxis, srcAxis) {
	ph := max(h, int(float32(w*th)/float32(tw)))
	pw := max(w, int(float32(h*tw)/float32(th)))
	sh, sw := int(float32(ph-h)/2), int(float32(pw-w)/2)
	return srcAxis{-sh, h + 2*sh, h}, srcAxis{-sw, w + 2*sw, w}
}

// cropAxes64 is the window smart_resize cuts (CenterCrop on a small
// image): the same rule in Python's float64 (keras/src/utils/image_utils.py).
func cropAxes64(h, w, th, tw int) (srcAxis, srcAxis) {
	ch := max(min(h, int(float64(w*th)/float64(tw))), 1)
	cw := max(min(w, int(float64(h*tw)/float64(th))), 1)
	return srcAxis{int(float64(h-ch) / 2), ch, h}, srcAxis{int(float64(w-cw) / 2), cw, w}
}

// axisTable says how each output position of one axis reads the input:
// it mixes input indices lo and hi (−1 for padding) as
// v[lo] + (v[hi] − v[lo])·t. Nearest neighbour and plain copies have
// lo = hi and t = 0.
type axisTable struct {
	lo, hi []int
	t      []float32
}

func (a *axisTable) resize(n int) {
	a.lo, a.hi, a.t = make([]int, n), make([]int, n), make([]float32, n)
}

// real maps virtual position j of s to an input index, −1 for padding.
func (s srcAxis) real(j int) int {
	if i := s.first + j; i >= 0 && i < s.size {
		return i
	}
	return -1
}

// fill computes the table of a resize of s to out positions.
func (a *axisTable) fill(s srcAxis, out int, interp Interpolation) {
	a.resize(out)
	scale := float32(s.n) / float32(out)
	for i := range out {
		switch {
		case s.n == out:
			// TensorFlow copies when the size does not change.
			a.lo[i], a.hi[i] = s.real(i), s.real(i)
		case interp == NearestNeighbor:
			// HalfPixelScalerForNN: floor((i+0.5)·scale), clamped.
			j := int(math.Floor(float64(float32(float32(i)+0.5) * scale)))
			j = max(min(j, s.n-1), 0)
			a.lo[i], a.hi[i] = s.real(j), s.real(j)
		default:
			// HalfPixelScaler and compute_interpolation_weights, in float32.
			// The conversions keep each operation rounded to float32 (no
			// fused multiply-add).
			in := float32(float32(float32(i)+0.5)*scale) - 0.5
			f := float32(math.Floor(float64(in)))
			lo := max(int(f), 0)
			hi := min(int(math.Ceil(float64(in))), s.n-1)
			a.lo[i], a.hi[i], a.t[i] = s.real(lo), s.real(hi), in-f
		}
	}
}

// resampler resizes a batch of images with one table per axis.
type resampler struct {
	ys, xs   axisTable
	ih, iw   int // the input's height and width
	oh, ow   int
	fill     float32
	copy     bool // every t is 0: a copy of pixels (or padding)
	identity bool // the output is the input itself
}

func (r *resampler) prepare(ay, ax srcAxis, oh, ow int, interp Interpolation, fill float32) {
	r.ih, r.iw, r.oh, r.ow, r.fill = ay.size, ax.size, oh, ow, fill
	r.ys.fill(ay, oh, interp)
	r.xs.fill(ax, ow, interp)
	r.copy = interp == NearestNeighbor || (ay.n == oh && ax.n == ow)
	r.identity = ay == fullAxis(ay.size) && ax == fullAxis(ax.size) && ay.n == oh && ax.n == ow
}

// lerp is a + (b−a)·t rounded as TensorFlow's compute_lerp rounds it.
func lerp(a, b, t float32) float32 { return a + float32((b-a)*t) }

// forward resizes x (n, h, w, c) into y (n, oh, ow, c), reusing y.
func (r *resampler) forward(y, x *tensor.Tensor) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y = tensor.Ensure(y, n, r.oh, r.ow, c)
	// px returns the c values of pixel (i, j) of image b, nil for padding.
	px := func(b, i, j int) []float32 {
		if i < 0 || j < 0 {
			return nil
		}
		o := ((b*h+i)*w + j) * c
		return x.Data[o : o+c]
	}
	out := y.Data
	for b := range n {
		for oy := range r.oh {
			yl, yh, ty := r.ys.lo[oy], r.ys.hi[oy], r.ys.t[oy]
			for ox := range r.ow {
				xl, xh, tx := r.xs.lo[ox], r.xs.hi[ox], r.xs.t[ox]
				o := out[:c]
				out = out[c:]
				tl := px(b, yl, xl)
				if r.copy {
					if tl == nil {
						for k := range o {
							o[k] = r.fill
						}
					} else {
						copy(o, tl)
					}
					continue
				}
				tr, bl, br := px(b, yl, xh), px(b, yh, xl), px(b, yh, xh)
				for k := range o {
					top := lerp(r.at(tl, k), r.at(tr, k), tx)
					bot := lerp(r.at(bl, k), r.at(br, k), tx)
					o[k] = lerp(top, bot, ty)
				}
			}
		}
	}
	return y
}

func (r *resampler) at(p []float32, k int) float32 {
	if p == nil {
		return r.fill
	}
	return p[k]
}

// backward is forward's transpose: dx (n, h, w, c) gets each output
// gradient times the weight its pixel had, (1−t) for lo and t for hi per
// axis. The input shape is the last forward's.
func (r *resampler) backward(dx, dy *tensor.Tensor) *tensor.Tensor {
	n, c := dy.Shape[0], dy.Shape[3]
	h, w := r.ih, r.iw
	dx = tensor.Ensure(dx, n, h, w, c)
	dx.Zero()
	add := func(b, i, j int, g []float32, wt float32) {
		if i < 0 || j < 0 || wt == 0 {
			return
		}
		o := ((b*h+i)*w + j) * c
		d := dx.Data[o : o+c]
		for k, v := range g {
			d[k] += v * wt
		}
	}
	g := dy.Data
	for b := range n {
		for oy := range r.oh {
			yl, yh, ty := r.ys.lo[oy], r.ys.hi[oy], r.ys.t[oy]
			for ox := range r.ow {
				xl, xh, tx := r.xs.lo[ox], r.xs.hi[ox], r.xs.t[ox]
				gi := g[:c]
				g = g[c:]
				if r.copy {
					add(b, yl, xl, gi, 1)
					continue
				}
				add(b, yl, xl, gi, (1-ty)*(1-tx))
				add(b, yl, xh, gi, (1-ty)*tx)
				add(b, yh, xl, gi, ty*(1-tx))
				add(b, yh, xh, gi, ty*tx)
			}
		}
	}
	return dx
}
