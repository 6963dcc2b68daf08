package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// CenterCrop cuts the central Height × Width window of channels-last
// images, in training and inference alike, as Keras 3's CenterCrop
// (keras/src/layers/preprocessing/image_preprocessing/center_crop.py).
// The window starts at ((h−Height)/2, (w−Width)/2), rounded down.
//
// An image smaller than the target on either axis is not padded: as in
// Keras, it goes through smart_resize (keras/src/utils/image_utils.py):
// the largest centred window with the target's aspect ratio is cut and
// resized to Height × Width with bilinear interpolation (half-pixel
// centres, no antialiasing; see Resizing).
//
// Backward sends each output gradient back to the pixel it came from (or,
// when resizing, to the pixels it read, with the same weights).
type CenterCrop struct {
	Trainability
	Name          string
	Height, Width int
	InputShape    tensor.Shape // optional: declares the model input, like input_shape=

	resampled
}

func init() {
	register("CenterCrop", func(r *cfgReader) Layer {
		l := &CenterCrop{Height: r.Int("height", 0), Width: r.Int("width", 0), InputShape: r.inputShape()}
		r.imageLayer()
		return l
	})
}

func (l *CenterCrop) LayerName() string                { return l.Name }
func (l *CenterCrop) SetLayerName(s string)            { l.Name = s }
func (l *CenterCrop) Class() string                    { return "CenterCrop" }
func (l *CenterCrop) Params() []*Param                 { return nil }
func (l *CenterCrop) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *CenterCrop) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["height"] = l.Height
	m["width"] = l.Width
	m["data_format"] = "channels_last"
	return m
}

func (l *CenterCrop) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImageInput(in); err != nil {
		return nil, err
	}
	if l.Height <= 0 || l.Width <= 0 {
		return nil, fmt.Errorf("height %d and width %d must be positive: give the size of the crop", l.Height, l.Width)
	}
	return tensor.Shape{l.Height, l.Width, in[2]}, nil
}

func (l *CenterCrop) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.prepare(in)
	return nil
}

func (l *CenterCrop) prepare(in tensor.Shape) {
	l.in = append(l.in[:0], in...)
	h, w := in[0], in[1]
	if h >= l.Height && w >= l.Width {
		// A slice: a resize of the window to its own size copies it.
		ay := srcAxis{(h - l.Height) / 2, l.Height, h}
		ax := srcAxis{(w - l.Width) / 2, l.Width, w}
		l.rs.prepare(ay, ax, l.Height, l.Width, Bilinear, 0)
		return
	}
	ay, ax := cropAxes64(h, w, l.Height, l.Width)
	l.rs.prepare(ay, ax, l.Height, l.Width, Bilinear, 0)
}

func (l *CenterCrop) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		l.prepare(x.Shape[1:])
	}
	return l.run(x)
}
