package nn

// RandomCrop, as Keras 3's keras.layers.RandomCrop
// (keras/src/layers/preprocessing/image_preprocessing/random_crop.py), with
// gokeras's pad-and-crop extension.

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomCrop crops a random Height × Width window in training.
//
// With Padding 0 it is Keras's RandomCrop(height, width), whose output is
// Height × Width:
//   - in training, when the input is larger than the target on both axes,
//     one window position is drawn per batch and every image of the batch
//     is cropped there, as Keras does ("The layer will crop all the images
//     in the same batch to the same cropping location");
//   - in training otherwise (an axis not larger), Keras's fallback: the
//     window starts where the largest centred window with the target's
//     aspect ratio starts, a Height × Width slice from there (cut at the
//     image's edge) is taken and resized to the target (bilinear, half-pixel
//     centres, taps clamped to the slice, as keras.ops.image.resize of the
//     slice);
//   - at inference the largest centred window with the target's aspect
//     ratio is resized to the target, as the Keras docstring says and
//     resize(crop_to_aspect_ratio=True) does. (Keras 3's transform_images
//     returns the input unchanged at inference, which contradicts its own
//     compute_output_shape and would break the layers after it.)
//
// Padding P > 0 is the classic CIFAR augmentation, a gokeras extension
// (config key "padding", which Keras does not know): each image is
// zero-padded by P pixels on every side and a window is cropped from the
// padded image at a position drawn per image, i.e. each image is shifted by
// up to P pixels with zeros coming in. Height and Width 0 mean the input's
// size, so that RandomCrop{Padding: 4} keeps 32×32 images 32×32 and is the
// identity at inference.
type RandomCrop struct {
	Trainability
	Name          string
	Height, Width int // 0: the input's
	Padding       int

	augRand
	in      tensor.Shape
	offsets [][2]int // per image: top-left of the window in unpadded coordinates (may be negative)
	mode    int      // of the last Forward: 0 identity, 1 crop at offsets, 2 resize of a window
	resize  warp
	window  sampler // bilinear, clamped to the resized window
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
	m["seed"] = nil
	m["data_format"] = "channels_last"
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
	if l.Padding > 0 && (th > in[0]+2*l.Padding || tw > in[1]+2*l.Padding) {
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

// aspectWindow is Keras's largest centred window of an h × w image with the
// aspect ratio of th × tw: its size and top-left corner.
func aspectWindow(h, w, th, tw int) (ch, cw, y0, x0 int) {
	ch = max(min(h, int(float64(w*th)/float64(tw))), 1)
	cw = max(min(w, int(float64(h*tw)/float64(th))), 1)
	return ch, cw, (h - ch) / 2, (w - cw) / 2
}

// resizeWarp resizes the ch × cw window at (y0, x0) to th × tw with
// half-pixel centres.
func resizeWarp(ch, cw, y0, x0, th, tw int) warp {
	sy, sx := float64(ch)/float64(th), float64(cw)/float64(tw)
	return warp{sy, 0, float64(y0) + 0.5*sy - 0.5, 0, sx, float64(x0) + 0.5*sx - 0.5}
}

func (l *RandomCrop) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	th, tw := l.target(x.Shape[1:])
	p := l.Padding
	switch {
	case !training && th == h && tw == w:
		l.mode = 0
		return x
	case !training:
		ch, cw, y0, x0 := aspectWindow(h, w, th, tw)
		return l.resized(x, ch, cw, y0, x0, th, tw)
	case p == 0 && !(h > th && w > tw):
		// Keras's training fallback: a th × tw slice from the aspect
		// window's corner, cut at the edge, resized to th × tw.
		_, _, y0, x0 := aspectWindow(h, w, th, tw)
		return l.resized(x, min(th, h-y0), min(tw, w-x0), y0, x0, th, tw)
	}
	l.mode = 1
	rng := l.stream()
	l.offsets = l.offsets[:0]
	var o [2]int
	for b := range n {
		if p > 0 || b == 0 { // Keras: one position per batch
			o = [2]int{rng.IntN(h+2*p-th+1) - p, rng.IntN(w+2*p-tw+1) - p}
		}
		l.offsets = append(l.offsets, o)
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

// resized resizes the ch × cw window at (y0, x0) of every image of x to
// th × tw (bilinear, half-pixel centres, taps clamped to the window, as
// keras.ops.image.resize of the cropped images).
func (l *RandomCrop) resized(x *tensor.Tensor, ch, cw, y0, x0, th, tw int) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	l.mode = 2
	l.resize = resizeWarp(ch, cw, y0, x0, th, tw)
	l.window = sampler{fill: FillNearest, box: [4]int{y0, x0, y0 + ch, x0 + cw}}
	l.y = tensor.Ensure(l.y, n, th, tw, c)
	for b := range n {
		l.window.forward(l.y.Data[b*th*tw*c:(b+1)*th*tw*c], x.Data[b*h*w*c:(b+1)*h*w*c], &l.resize, h, w, th, tw, c)
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
			l.window.backward(l.dx.Data[b*h*w*c:(b+1)*h*w*c], dy.Data[b*th*tw*c:(b+1)*th*tw*c], &l.resize, h, w, th, tw, c)
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
