package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// ZeroPadding1D adds steps of zeros before and after (batch, steps,
// channels) sequences, as Keras 3's ZeroPadding1D
// (keras/src/layers/reshaping/zero_padding1d.py, ops.pad with zeros).
// Padding is (before, after); Keras's int p is (p, p). It runs
// ZeroPadding2D over the height-1 view of the input.
type ZeroPadding1D struct {
	Trainability
	Name string
	// Padding is (before, after), each >= 0; nil is Keras's default, one
	// zero step on each side. (0, 0) pads nothing, as in Keras.
	Padding    *[2]int
	InputShape tensor.Shape // optional: declares the model input, like input_shape=

	pad ZeroPadding2D
	height1
}

func init() {
	// Keys as zero_padding1d.py get_config writes them: padding, a pair
	// (Keras 3's ZeroPadding1D takes no data_format).
	register("ZeroPadding1D", func(r *cfgReader) Layer {
		l := &ZeroPadding1D{InputShape: r.inputShape()}
		if p, ok := r.ends("padding"); ok {
			l.Padding = &p
		}
		return l
	})
}

// ends reads ZeroPadding1D's padding and Cropping1D's cropping as Keras's
// standardize_tuple(value, 2, allow_zero=True) reads them: an int n is
// (n, n), a list of two is (before, after); every entry a whole number
// >= 0. Absent or null gives ok false.
func (r *ConfigReader) ends(key string) (p [2]int, ok bool) {
	v, ok := r.Get(key)
	if !ok {
		return p, false
	}
	count := func(e any) (int, bool) {
		f, isNum := config.Number(e)
		if !isNum || f != float64(int(f)) || f < 0 {
			return 0, false
		}
		return int(f), true
	}
	if c, good := count(v); good {
		return [2]int{c, c}, true
	}
	if list, isList := v.([]any); isList && len(list) == 2 {
		a, goodA := count(list[0])
		b, goodB := count(list[1])
		if goodA && goodB {
			return [2]int{a, b}, true
		}
	}
	r.fail(key, v, "an integer or two integers (before, after), each >= 0")
	return p, true
}

func (l *ZeroPadding1D) LayerName() string                { return l.Name }
func (l *ZeroPadding1D) SetLayerName(s string)            { l.Name = s }
func (l *ZeroPadding1D) Class() string                    { return "ZeroPadding1D" }
func (l *ZeroPadding1D) Params() []*Param                 { return nil }
func (l *ZeroPadding1D) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *ZeroPadding1D) SkipInputGrad(skip bool)          { l.skip(&l.pad, skip) }

// padding is Padding with nil read as Keras's default (1, 1).
func (l *ZeroPadding1D) padding() [2]int {
	if l.Padding == nil {
		return [2]int{1, 1}
	}
	return *l.Padding
}

func (l *ZeroPadding1D) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	p := l.padding()
	m["padding"] = []int{p[0], p[1]}
	return m
}

// pad2D is the ZeroPadding2D this layer runs; (0, 0), which ZeroPadding2D
// would read as its default, is handled by identity instead.
func (l *ZeroPadding1D) pad2D() (ZeroPadding2D, error) {
	p := l.padding()
	if p[0] < 0 || p[1] < 0 {
		return ZeroPadding2D{}, fmt.Errorf("padding %v has a negative entry; give the steps of zeros to add, (before, after), each >= 0", p)
	}
	return ZeroPadding2D{Name: l.Name, Padding: [2][2]int{{0, 0}, p}}, nil
}

func (l *ZeroPadding1D) identity() bool { return l.padding() == [2]int{} }

func (l *ZeroPadding1D) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	l2, err := l.pad2D()
	if err != nil {
		return nil, err
	}
	if l.identity() {
		if _, err := seqInput(l.Class(), in); err != nil {
			return nil, err
		}
		return in.Clone(), nil
	}
	return outputShape1D(l.Class(), &l2, in)
}

func (l *ZeroPadding1D) Build(in tensor.Shape, rng *rand.Rand) (err error) {
	if l.pad, err = l.pad2D(); err != nil {
		return err
	}
	if l.identity() {
		_, err = l.OutputShape(in)
		return err
	}
	return l.build(l.Class(), &l.pad, in, rng)
}

func (l *ZeroPadding1D) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if l.identity() {
		return x
	}
	return l.forward(&l.pad, x, training)
}

func (l *ZeroPadding1D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.identity() {
		return dy
	}
	return l.backward(&l.pad, dy)
}
