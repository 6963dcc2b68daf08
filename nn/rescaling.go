package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// Rescaling computes x·Scale + Offset, in training and inference alike,
// as Keras 3's Rescaling (keras/src/layers/preprocessing/rescaling.py):
// Rescaling{Scale: 1.0 / 255} maps pixels in [0, 255] to [0, 1], and
// Rescaling{Scale: 1.0 / 127.5, Offset: -1} to [-1, 1]. Scale and Offset
// are rounded to float32 and the product is rounded before the offset is
// added, as Keras computes it.
//
// Keras 3 also takes a list (or NumPy array) of values, one per channel,
// broadcast over the last axis: ChannelScale and ChannelOffset hold them
// and, when set, replace Scale and Offset. Their length must be the
// input's last axis, or 1 (broadcast, as NumPy broadcasts it).
//
// Keras requires scale and has no default for it, so a zero Scale with no
// ChannelScale is refused as a missing scale rather than computed as a
// multiplication by 0.
type Rescaling struct {
	Trainability
	Name                        string
	Scale, Offset               float64
	ChannelScale, ChannelOffset []float64
	InputShape                  tensor.Shape // optional: declares the model input, like input_shape=

	scale, offset []float32 // one value, or one per channel
	y, dx         *tensor.Tensor
	skipInputG    bool
}

func init() {
	register("Rescaling", func(r *cfgReader) Layer {
		l := &Rescaling{InputShape: r.inputShape()}
		l.Scale, l.ChannelScale = r.scaleValue("scale", true)
		l.Offset, l.ChannelOffset = r.scaleValue("offset", false)
		return l
	})
}

// scaleValue reads Rescaling's scale or offset as Keras's
// serialize_keras_object writes it (keras/src/saving/serialization_lib.py):
// a number, a list of numbers, or a NumPy array or tensor,
// {"class_name": "__numpy__" or "__tensor__", "config": {"value": ...}}.
// A list is per channel unless it holds one value; nested lists whose
// leading axes are 1 (shape (1, 1, 3)) broadcast the same way.
func (r *cfgReader) scaleValue(key string, required bool) (float64, []float64) {
	v, ok := r.Get(key)
	if !ok {
		if required && r.Err == nil {
			r.Failf("%q is missing; Rescaling needs a scale (1/255 maps pixels in [0, 255] to [0, 1])", key)
		}
		return 0, nil
	}
	if obj, isObj := v.(map[string]any); isObj {
		class, _ := obj["class_name"].(string)
		inner, _ := obj["config"].(map[string]any)
		if (class != "__numpy__" && class != "__tensor__") || inner == nil {
			r.fail(key, v, `a number, a list of numbers or a NumPy array {"class_name": "__numpy__", "config": {"value": ...}}`)
			return 0, nil
		}
		v = inner["value"]
	}
	if f, isNum := config.Number(v); isNum {
		return f, nil
	}
	vals, ok := flatChannels(v)
	if !ok || len(vals) == 0 {
		r.unsupported(key, v, "gokeras takes a number or one value per channel (a list, or an array whose shape is 1 on every axis but the last)")
		return 0, nil
	}
	if len(vals) == 1 {
		return vals[0], nil
	}
	return 0, vals
}

// flatChannels reads a list of numbers, or nested lists of one element
// each around one: [[[1, 2, 3]]] is [1, 2, 3].
func flatChannels(v any) ([]float64, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	if len(list) == 1 {
		if inner, nested := list[0].([]any); nested {
			return flatChannels(inner)
		}
	}
	out := make([]float64, len(list))
	for i, e := range list {
		f, isNum := config.Number(e)
		if !isNum {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

func (l *Rescaling) LayerName() string                { return l.Name }
func (l *Rescaling) SetLayerName(s string)            { l.Name = s }
func (l *Rescaling) Class() string                    { return "Rescaling" }
func (l *Rescaling) Params() []*Param                 { return nil }
func (l *Rescaling) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Rescaling) SkipInputGrad(skip bool)          { l.skipInputG = skip }

func (l *Rescaling) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["scale"] = scaleConfig(l.Scale, l.ChannelScale)
	m["offset"] = scaleConfig(l.Offset, l.ChannelOffset)
	return m
}

func scaleConfig(v float64, perChannel []float64) any {
	if perChannel == nil {
		return v
	}
	out := make([]any, len(perChannel))
	for i, f := range perChannel {
		out[i] = f
	}
	return out
}

func (l *Rescaling) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input shape %v has no axes besides the batch", in)
	}
	if l.Scale == 0 && l.ChannelScale == nil {
		return nil, fmt.Errorf("scale is 0 (unset): give Scale, e.g. 1.0/255 to map pixels in [0, 255] to [0, 1]")
	}
	c := in[len(in)-1]
	for _, p := range []struct {
		name string
		v    []float64
	}{{"scale", l.ChannelScale}, {"offset", l.ChannelOffset}} {
		if p.v != nil && len(p.v) != c && len(p.v) != 1 {
			return nil, fmt.Errorf("%s has %d values but the input has %d channels (its last axis); give one value per channel, or one number", p.name, len(p.v), c)
		}
	}
	return in.Clone(), nil
}

func (l *Rescaling) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.scale = channelValues(l.scale, l.Scale, l.ChannelScale)
	l.offset = channelValues(l.offset, l.Offset, l.ChannelOffset)
	return nil
}

// channelValues is v, or perChannel when set, as float32 (Keras casts
// scale and offset to the compute dtype).
func channelValues(dst []float32, v float64, perChannel []float64) []float32 {
	if perChannel == nil {
		return append(dst[:0], float32(v))
	}
	dst = dst[:0]
	for _, f := range perChannel {
		dst = append(dst, float32(f))
	}
	return dst
}

func (l *Rescaling) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	y := l.y.Data
	if len(l.scale) == 1 && len(l.offset) == 1 {
		s, o := l.scale[0], l.offset[0]
		for i, v := range x.Data {
			// The conversion rounds the product before the addition, as
			// Keras's two ops do (no fused multiply-add).
			y[i] = float32(v*s) + o
		}
		return l.y
	}
	c := x.Shape[len(x.Shape)-1]
	for i, v := range x.Data {
		k := i % c
		y[i] = float32(v*l.scale[k%len(l.scale)]) + l.offset[k%len(l.offset)]
	}
	return l.y
}

// Backward: dx = dy·scale, per channel.
func (l *Rescaling) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if l.skipInputG {
		return nil
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	dx := l.dx.Data
	if len(l.scale) == 1 {
		s := l.scale[0]
		for i, g := range dy.Data {
			dx[i] = g * s
		}
		return l.dx
	}
	c := len(l.scale)
	for i, g := range dy.Data {
		dx[i] = g * l.scale[i%c]
	}
	return l.dx
}
