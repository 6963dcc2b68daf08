package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// ZeroPadding2D adds rows and columns of zeros around channels-last
// images, as Keras 3's ZeroPadding2D (keras/src/layers/reshaping/
// zero_padding2d.py, ops.pad with zeros). Padding is
// ((top, bottom), (left, right)); Keras's int p is ((p, p), (p, p)) and
// its pair (a, b) is ((a, a), (b, b)).
//
// The zero value is Keras's default, padding=(1, 1): one zero on every
// side. An all-zero Padding therefore means that default; a ZeroPadding2D
// that pads nothing is the Identity layer.
type ZeroPadding2D struct {
	Trainability
	Name       string
	Padding    [2][2]int    // ((top, bottom), (left, right)), each >= 0
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	in, out    tensor.Shape
	y, dx      *tensor.Tensor
	skipInputG bool
}

func init() {
	// Keys as keras/src/layers/reshaping/zero_padding2d.py get_config writes them.
	register("ZeroPadding2D", func(r *cfgReader) Layer {
		l := &ZeroPadding2D{InputShape: r.inputShape()}
		if p, ok := r.sides("padding"); ok {
			if p == ([2][2]int{}) && r.Err == nil {
				r.unsupported("padding", r.M["padding"], "gokeras reads an all-zero padding as the default ((1, 1), (1, 1)); a ZeroPadding2D that pads nothing is an Identity layer")
			}
			l.Padding = p
		}
		r.channelsLast()
		return l
	})
}

// sides reads ZeroPadding2D's padding and Cropping2D's cropping as Keras
// standardises them: an int p is ((p, p), (p, p)); a list of two entries
// gives the height's and the width's, each an int a (a, a) or a pair
// (before, after). Every number must be a whole number >= 0, as Keras's
// standardize_tuple(..., allow_zero=True) requires. Absent or null gives
// ok false.
func (r *ConfigReader) sides(key string) (p [2][2]int, ok bool) {
	v, ok := r.Get(key)
	if !ok {
		return p, false
	}
	want := "an integer, two integers, or two pairs of integers ((top, bottom), (left, right))"
	bad := func() ([2][2]int, bool) {
		r.fail(key, v, want)
		return [2][2]int{}, true
	}
	// count reads one entry: a whole number >= 0.
	count := func(e any) (int, bool) {
		f, isNum := config.Number(e)
		if !isNum || f != float64(int(f)) || f < 0 {
			return 0, false
		}
		return int(f), true
	}
	if n, isNum := config.Number(v); isNum {
		c, good := count(n)
		if !good {
			return bad()
		}
		return [2][2]int{{c, c}, {c, c}}, true
	}
	list, isList := v.([]any)
	if !isList || len(list) != 2 {
		return bad()
	}
	for axis, e := range list {
		if c, good := count(e); good {
			p[axis] = [2]int{c, c}
			continue
		}
		two, isList := e.([]any)
		if !isList || len(two) != 2 {
			return bad()
		}
		for k, f := range two {
			c, good := count(f)
			if !good {
				return bad()
			}
			p[axis][k] = c
		}
	}
	return p, true
}

// sidesConfig writes p as Keras's get_config does: ((t, b), (l, r)).
func sidesConfig(p [2][2]int) [][]int {
	return [][]int{{p[0][0], p[0][1]}, {p[1][0], p[1][1]}}
}

func (l *ZeroPadding2D) LayerName() string                { return l.Name }
func (l *ZeroPadding2D) SetLayerName(s string)            { l.Name = s }
func (l *ZeroPadding2D) Class() string                    { return "ZeroPadding2D" }
func (l *ZeroPadding2D) Params() []*Param                 { return nil }
func (l *ZeroPadding2D) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *ZeroPadding2D) SkipInputGrad(skip bool)          { l.skipInputG = skip }

// padding is Padding with the zero value read as Keras's default.
func (l *ZeroPadding2D) padding() [2][2]int {
	if l.Padding == ([2][2]int{}) {
		return [2][2]int{{1, 1}, {1, 1}}
	}
	return l.Padding
}

func (l *ZeroPadding2D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["padding"] = sidesConfig(l.padding())
	m["data_format"] = "channels_last"
	return m
}

func (l *ZeroPadding2D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImageInput(in); err != nil {
		return nil, err
	}
	p := l.padding()
	out := tensor.Shape{in[0], in[1], in[2]}
	for axis := range 2 {
		a, b := p[axis][0], p[axis][1]
		if a < 0 || b < 0 {
			return nil, fmt.Errorf("padding %v has a negative entry; give the rows or columns of zeros to add, ((top, bottom), (left, right)), each >= 0", p)
		}
		if a > MaxElements || b > MaxElements-a || in[axis] > MaxElements-a-b {
			return nil, fmt.Errorf("padding %v is too large: more than 2^50 rows or columns", p)
		}
		out[axis] += a + b
	}
	return out, nil
}

func (l *ZeroPadding2D) Build(in tensor.Shape, _ *rand.Rand) error {
	out, err := l.OutputShape(in)
	if err != nil {
		return err
	}
	l.in, l.out = in.Clone(), out
	return nil
}

func (l *ZeroPadding2D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if !x.Shape[1:].Equal(l.in) {
		if err := l.Build(x.Shape[1:], nil); err != nil {
			panic(fmt.Sprintf("nn: %s: %v", l.Class(), err))
		}
	}
	l.y = tensor.Ensure(l.y, x.Shape[0], l.out[0], l.out[1], l.out[2])
	l.y.Zero()
	p := l.padding()
	window(l.y.Data, x.Data, x.Shape[0], l.out, l.in, p[0][0], p[1][0], false)
	return l.y
}

func (l *ZeroPadding2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.skipInputG {
		return nil
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape[0], l.in[0], l.in[1], l.in[2])
	p := l.padding()
	window(l.dx.Data, dy.Data, dy.Shape[0], l.out, l.in, p[0][0], p[1][0], true)
	return l.dx
}

// window copies, for n images, between the small image (small: h, w, c)
// and the window of the big one (big) whose top-left pixel is (top,
// left): small into the window when toSmall is false, the window into
// small when it is true. Padding copies the input into the window of its
// output; cropping copies the window of its input out, and their
// gradients copy the other way.
func window(dst, src []float32, n int, big, small tensor.Shape, top, left int, toSmall bool) {
	row := small[1] * small[2] // one row of the small image
	for b := range n {
		for i := range small[0] {
			s := ((b*small[0] + i) * small[1]) * small[2]
			g := ((b*big[0]+top+i)*big[1] + left) * big[2]
			if toSmall {
				copy(dst[s:s+row], src[g:g+row])
			} else {
				copy(dst[g:g+row], src[s:s+row])
			}
		}
	}
}
