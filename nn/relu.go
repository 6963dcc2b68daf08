package nn

import (
	"fmt"
	"github.com/gokeras/gokeras/activation"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// ReLU is Keras's ReLU layer (keras/src/layers/activations/relu.py), which
// calls keras.activations.relu (keras/src/activations/activations.py,
// ReLU.static_call). With t = Threshold, m = MaxValue and s = NegativeSlope:
//
//	y = min(x, m)    for x > t   (no clipping when MaxValue is 0)
//	y = s·(x - t)    for x <= t  (so y = 0 at x == t)
//
// The zero value is Keras's default ReLU(): max(x, 0). A threshold above 0
// makes the function jump from 0 to t at x = t, as in Keras.
type ReLU struct {
	Trainability
	Name string
	// MaxValue clips the output from above; 0 means none (Keras's
	// max_value=None). Keras also accepts max_value=0, an output that is
	// never positive; gokeras refuses it in a config (see FromConfig).
	MaxValue      float64
	NegativeSlope float64 // slope below the threshold, >= 0
	Threshold     float64 // >= 0

	x, y, dx *tensor.Tensor
}

func init() {
	// Keys as keras/src/layers/activations/relu.py get_config writes them.
	register("ReLU", func(r *cfgReader) Layer {
		l := &ReLU{}
		if v, ok := r.Get("max_value"); ok {
			l.MaxValue = r.Num("max_value", 0)
			if r.Err == nil && l.MaxValue <= 0 {
				r.unsupported("max_value", v, "gokeras reads a ReLU's max_value 0 as no limit; a limit must be positive (null for none)")
			}
		}
		l.NegativeSlope = r.nonNegative("negative_slope")
		l.Threshold = r.nonNegative("threshold")
		return l
	})
}

// nonNegative reads a number that must be >= 0 (absent or null is 0), as
// Keras's activation layers check their arguments.
func (r *ConfigReader) nonNegative(key string) float64 {
	v := r.Num(key, 0)
	if v < 0 && r.Err == nil {
		r.Failf("%s must be >= 0, got %v (Keras refuses negative values too)", key, v)
	}
	return v
}

func (l *ReLU) LayerName() string     { return l.Name }
func (l *ReLU) SetLayerName(s string) { l.Name = s }
func (l *ReLU) Class() string         { return "ReLU" }
func (l *ReLU) Params() []*Param      { return nil }

func (l *ReLU) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["max_value"] = nil
	if l.MaxValue != 0 {
		m["max_value"] = l.MaxValue
	}
	m["negative_slope"] = l.NegativeSlope
	m["threshold"] = l.Threshold
	return m
}

func (l *ReLU) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	switch {
	case l.MaxValue < 0:
		return nil, fmt.Errorf("max_value is %v; give a positive limit, or 0 for none", l.MaxValue)
	case l.NegativeSlope < 0:
		return nil, fmt.Errorf("negative_slope is %v; it must be >= 0", l.NegativeSlope)
	case l.Threshold < 0:
		return nil, fmt.Errorf("threshold is %v; it must be >= 0", l.Threshold)
	}
	return in.Clone(), nil
}

func (l *ReLU) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

// plain reports whether l is max(x, 0), which the kernel package does in
// one vectorised pass.
// ActivationFunc and BackwardLinear make a plain ReLU (Keras's default
// ReLU()) an Activated layer, so that a following MaxPooling2D applies its
// gradient (nn.Stack's fusion) as it does for Dense(activation="relu").
// Any other ReLU reports Linear, which nothing fuses, and BackwardLinear
// is for the plain one only.
func (l *ReLU) ActivationFunc() activation.Func {
	if l.plain() {
		return activation.ReLU
	}
	return activation.Linear
}

// BackwardLinear takes the gradient before the activation, which for a
// layer that is only the activation is the input's gradient.
func (l *ReLU) BackwardLinear(dz *tensor.Tensor) *tensor.Tensor { return dz }

func (l *ReLU) plain() bool { return l.MaxValue == 0 && l.NegativeSlope == 0 && l.Threshold == 0 }

func (l *ReLU) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	if l.plain() {
		kernel.ReLU(l.y.Data, x.Data)
		return l.y
	}
	t, s := float32(l.Threshold), float32(l.NegativeSlope)
	m, clip := float32(l.MaxValue), l.MaxValue != 0
	y := l.y.Data[:len(x.Data)]
	for i, v := range x.Data {
		switch {
		case v > t && clip && v > m:
			y[i] = m
		case v > t:
			y[i] = v
		default:
			y[i] = s * (v - t)
		}
	}
	return l.y
}

func (l *ReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	if l.plain() {
		kernel.ReLUBackward(l.dx.Data, dy.Data, l.y.Data)
		return l.dx
	}
	t, s := float32(l.Threshold), float32(l.NegativeSlope)
	m, clip := float32(l.MaxValue), l.MaxValue != 0
	dx := l.dx.Data[:len(dy.Data)]
	x := l.x.Data[:len(dy.Data)]
	for i, g := range dy.Data {
		switch v := x[i]; {
		case v > t && clip && v >= m:
			dx[i] = 0
		case v > t:
			dx[i] = g
		default:
			dx[i] = s * g
		}
	}
	return l.dx
}
