package nn

// RandomFlip, as Keras 3's keras.layers.RandomFlip
// (keras/src/layers/preprocessing/image_preprocessing/random_flip.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// FlipMode selects RandomFlip's axes. The zero value is Keras's default,
// FlipHorizontalAndVertical.
type FlipMode int

const (
	// FlipHorizontalAndVertical flips both axes of the images it flips.
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

// RandomFlip flips images in training, as Keras does: one decision per
// image, flip with probability 1/2 (Keras draws u uniform in [0, 1) and
// flips when u <= 0.5). With FlipHorizontalAndVertical a flipped image is
// flipped on both axes (a half turn), not on each axis independently, as
// Keras's _flip_inputs applies the same draw to both.
type RandomFlip struct {
	Trainability
	Name string
	Mode FlipMode

	augRand
	flips   []bool // per image
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
	m["seed"] = nil
	m["data_format"] = "channels_last"
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
		l.flips = append(l.flips, rng.Float64() <= 0.5)
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.flip(l.y.Data, x.Data)
	return l.y
}

// flip writes the flipped images of src into dst; flipping is its own
// inverse, so Backward uses it too.
func (l *RandomFlip) flip(dst, src []float32) {
	h, w, c := l.h, l.w, l.c
	fh := l.Mode != FlipVertical
	fv := l.Mode != FlipHorizontal
	for b, f := range l.flips {
		img := b * h * w * c
		for i := range h {
			si := i
			if f && fv {
				si = h - 1 - i
			}
			for j := range w {
				sj := j
				if f && fh {
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
