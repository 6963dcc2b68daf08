package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// UpSampling2D enlarges channels-last images by whole factors, as Keras
// 3's UpSampling2D (keras/src/layers/reshaping/up_sampling2d.py). The
// output is Size[0]·h × Size[1]·w.
//
// With "nearest" (Keras's default) Keras repeats every row Size[0] times
// and every column Size[1] times (ops.repeat), so output pixel (i, j)
// is input pixel (i/Size[0], j/Size[1]). With "bilinear" it calls
// ops.image.resize to the larger size, which is the half-pixel bilinear
// resize Resizing does (keras/src/backend/tensorflow/image.py resize,
// tf.image.resize without antialiasing): output i of an axis reads
// (i+0.5)/s − 0.5, clamped to the image, so the border pixels repeat
// and the inner ones blend their neighbours with weights 1/(2s), 3/(2s), ...
//
// The layer is linear in its input; Backward sums each output gradient
// back into the pixels it read, with the same weights.
type UpSampling2D struct {
	Trainability
	Name string
	// Size is the factor for rows and columns; the zero value is Keras's
	// default (2, 2).
	Size [2]int
	// Bilinear selects interpolation="bilinear"; false is "nearest",
	// Keras's default.
	Bilinear   bool
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	resampled
}

func init() {
	// Keys as keras/src/layers/reshaping/up_sampling2d.py get_config writes them.
	register("UpSampling2D", func(r *cfgReader) Layer {
		l := &UpSampling2D{Size: r.pair("size"), InputShape: r.inputShape()}
		r.channelsLast()
		// Keras lower-cases the name (interpolation.lower()).
		switch s := strings.ToLower(r.Str("interpolation", "nearest")); s {
		case "nearest":
		case "bilinear":
			l.Bilinear = true
		default:
			if r.Err == nil {
				r.unsupported("interpolation", s, `gokeras upsamples with "nearest" or "bilinear" (Keras's "bicubic", "lanczos3", "lanczos5" are not implemented)`)
			}
		}
		return l
	})
}

func (l *UpSampling2D) LayerName() string                { return l.Name }
func (l *UpSampling2D) SetLayerName(s string)            { l.Name = s }
func (l *UpSampling2D) Class() string                    { return "UpSampling2D" }
func (l *UpSampling2D) Params() []*Param                 { return nil }
func (l *UpSampling2D) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *UpSampling2D) size() [2]int { return pair(l.Size, [2]int{2, 2}) }

func (l *UpSampling2D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	s := l.size()
	m["size"] = []int{s[0], s[1]}
	m["data_format"] = "channels_last"
	m["interpolation"] = "nearest"
	if l.Bilinear {
		m["interpolation"] = "bilinear"
	}
	return m
}

func (l *UpSampling2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImageInput(in); err != nil {
		return nil, err
	}
	s := l.size()
	if s[0] <= 0 || s[1] <= 0 {
		return nil, fmt.Errorf("size %v must be positive: give the factor for rows and columns, e.g. (2, 2)", s)
	}
	if s[0] > MaxElements/in[0] || s[1] > MaxElements/in[1] {
		return nil, fmt.Errorf("size %v makes images of more than 2^50 rows or columns from %v", s, in)
	}
	return tensor.Shape{in[0] * s[0], in[1] * s[1], in[2]}, nil
}

func (l *UpSampling2D) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.prepare(in)
	return nil
}

func (l *UpSampling2D) prepare(in tensor.Shape) {
	l.in = append(l.in[:0], in...)
	h, w, s := in[0], in[1], l.size()
	if l.Bilinear {
		l.rs.prepare(fullAxis(h), fullAxis(w), h*s[0], w*s[1], Bilinear, 0)
		return
	}
	// ops.repeat: output i of an axis is input i/s, exactly (the
	// resampler's nearest rule, floor((i+0.5)·in/out) in float32, could
	// round differently on very large axes).
	r := &l.rs
	r.ih, r.iw, r.oh, r.ow, r.fill = h, w, h*s[0], w*s[1], 0
	r.ys.repeat(h, s[0])
	r.xs.repeat(w, s[1])
	r.copy = true
	r.identity = s == [2]int{1, 1}
}

// repeat fills the table of an axis of n positions repeated s times.
func (a *axisTable) repeat(n, s int) {
	a.resize(n * s)
	for i := range a.lo {
		a.lo[i], a.hi[i] = i/s, i/s
	}
}

func (l *UpSampling2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		l.prepare(x.Shape[1:])
	}
	return l.run(x)
}
