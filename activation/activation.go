// Package activation owns the element-wise activation functions that Keras
// layers accept as activation='relu' and the like, with their derivatives.
// The loops themselves are in internal/kernel.
package activation

import (
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
)

// Func names an activation. The zero value is Linear, Keras's default.
type Func int

// Keras 3's built-in activations (keras/src/activations/__init__.py,
// ALL_OBJECTS; formulas from activations.py and, where Keras leaves them to
// the backend, keras/src/backend/tensorflow/nn.py). A config names a
// built-in by its bare function name ("relu", serialize in __init__.py), so
// a function's parameters never travel with it and Keras's defaults apply:
// leaky_relu has negative_slope 0.2 (Keras 3), elu alpha 1, gelu is exact
// (approximate=False). The LeakyReLU, ELU and ReLU layers carry their
// parameters in their own configs. crelu is the one that is not
// element-wise: it doubles the last axis (see Widens).
const (
	Linear Func = iota
	ReLU
	Softmax
	Sigmoid
	Tanh
	LeakyReLU
	ELU
	GELU
	ReLU6       // min(max(z, 0), 6)
	SELU        // scale·elu(z, alpha), alpha 1.67326324, scale 1.05070098
	SiLU        // z·sigmoid(z); "swish" parses to it
	Softplus    // log(1 + exp(z))
	Softsign    // z/(1+|z|)
	HardSigmoid // Keras 3's relu6(z+3)/6 (Keras 2's was 0.2·z+0.5, clipped)
	HardSiLU    // z·hard_sigmoid(z); "hard_swish" parses to it
	Mish        // z·tanh(softplus(z))
	Exponential // exp(z)
	LogSoftmax  // z - log(sum(exp(z))) over each row (the last axis)
	// GELUApproximate is gelu(approximate=True), Keras's tanh form
	// z/2·(1 + tanh(√(2/π)·(z + 0.044715·z³))). Keras has no config name
	// for it (a config's "gelu" is always the exact one), so its name,
	// "gelu_approximate", is gokeras's own: a model saved with it loads in
	// gokeras, not in Keras.
	GELUApproximate
	// CReLU is Keras's crelu, concatenate([relu(z), relu(-z)], axis=-1)
	// (keras/src/activations/activations.py): its output's last axis is
	// twice its input's (Widens is 2), so only the Activation layer takes
	// it; a layer's own activation argument must keep the shape.
	CReLU
)

// LeakyReLUSlope is Keras 3's default negative_slope for
// keras.activations.leaky_relu (source: keras/src/activations/activations.py).
const LeakyReLUSlope = 0.2

var names = [...]string{
	Linear:    "linear",
	ReLU:      "relu",
	Softmax:   "softmax",
	Sigmoid:   "sigmoid",
	Tanh:      "tanh",
	LeakyReLU: "leaky_relu",
	ELU:       "elu",
	GELU:      "gelu",

	ReLU6:           "relu6",
	SELU:            "selu",
	SiLU:            "silu",
	Softplus:        "softplus",
	Softsign:        "softsign",
	HardSigmoid:     "hard_sigmoid",
	HardSiLU:        "hard_silu",
	Mish:            "mish",
	Exponential:     "exponential",
	LogSoftmax:      "log_softmax",
	GELUApproximate: "gelu_approximate",
	CReLU:           "crelu",
}

// aliases are the other names Keras's ALL_OBJECTS_DICT takes for a
// built-in (keras/src/activations/__init__.py); a config written back
// carries the function's own name, as Keras's serialize does.
var aliases = map[string]Func{
	"swish":      SiLU,
	"hard_swish": HardSiLU,
}

// String returns the Keras name ("relu", "softmax", ...), or the name a
// custom activation was registered with.
func (f Func) String() string {
	if c, ok := f.custom(); ok {
		return c.Name
	}
	if f < 0 || int(f) >= len(names) {
		return fmt.Sprintf("activation(%d)", int(f))
	}
	return names[f]
}

// All lists every activation, built-in ones in declaration order, then the
// registered ones in registration order.
func All() []Func {
	fs := make([]Func, len(names)+len(customList()))
	for i := range fs {
		fs[i] = Func(i)
	}
	return fs
}

// Parse returns the activation with Keras name s (or a registered custom
// name); "" and "None" are Linear.
func Parse(s string) (Func, error) {
	switch s {
	case "", "None", "none":
		return Linear, nil
	}
	for i, n := range names {
		if n == s {
			return Func(i), nil
		}
	}
	if f, ok := aliases[s]; ok {
		return f, nil
	}
	cs := customList()
	for i, c := range cs {
		if c.Name == s {
			return Func(len(names) + i), nil
		}
	}
	known := names[:]
	for _, c := range cs {
		known = append(known, c.Name)
	}
	return 0, fmt.Errorf("activation: unknown activation %q; use one of %s (a custom one must be registered with activation.Register before loading)", s, strings.Join(known, ", "))
}

// MarshalText writes the Keras name, so configs serialise as "relu".
func (f Func) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a Keras name.
func (f *Func) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Widens is how many times longer f's output's last axis is than its
// input's: 2 for crelu, 1 for every other activation.
func (f Func) Widens() int {
	if f == CReLU {
		return 2
	}
	return 1
}

// NeedsInput reports whether Backward reads the pre-activation z (otherwise
// the output y is enough and z need not be kept).
func (f Func) NeedsInput() bool {
	if c, ok := f.custom(); ok {
		return c.NeedsInput
	}
	switch f {
	case LeakyReLU, ELU, GELU, SiLU, Softsign, HardSiLU, Mish, GELUApproximate, CReLU:
		return true
	}
	return false
}

// Forward computes y = f(z) over rows×cols values; softmax normalises each
// row (the last axis), as log_softmax does. y may alias z except where a
// layer must keep z for the backward pass (NeedsInput). For crelu, y has
// rows×2cols values and may not alias z.
func (f Func) Forward(y, z []float32, rows, cols int) {
	switch f {
	case CReLU:
		crelu(y, z, rows, cols)
	case Linear:
		if &y[0] != &z[0] {
			copy(y, z)
		}
	case ReLU:
		kernel.ReLU(y, z)
	case Softmax:
		kernel.SoftmaxRows(y, z, rows, cols)
	case Sigmoid:
		kernel.Sigmoid(y, z)
	case Tanh:
		kernel.Tanh(y, z)
	case LeakyReLU:
		kernel.LeakyReLU(y, z, LeakyReLUSlope)
	case ELU:
		kernel.ELU(y, z, 1)
	case GELU:
		kernel.GELU(y, z)
	case ReLU6:
		kernel.ReLU6(y, z)
	case SELU:
		kernel.SELU(y, z)
	case SiLU:
		kernel.SiLU(y, z)
	case Softplus:
		kernel.Softplus(y, z)
	case Softsign:
		kernel.Softsign(y, z)
	case HardSigmoid:
		kernel.HardSigmoid(y, z)
	case HardSiLU:
		kernel.HardSiLU(y, z)
	case Mish:
		kernel.Mish(y, z)
	case Exponential:
		kernel.Exp(y, z)
	case LogSoftmax:
		kernel.LogSoftmaxRows(y, z, rows, cols)
	case GELUApproximate:
		kernel.GELUTanh(y, z)
	default:
		c, ok := f.custom()
		if !ok {
			panic("activation: unknown " + f.String())
		}
		c.Forward(y, z, rows, cols)
	}
}

// Backward computes dz = dy * f'(z), given z and y = f(z). dz may alias dy
// (not for crelu, whose dy has rows×2cols values). z is read only when
// NeedsInput.
func (f Func) Backward(dz, dy, z, y []float32, rows, cols int) {
	switch f {
	case CReLU:
		creluBackward(dz, dy, z, rows, cols)
	case Linear:
		if &dz[0] != &dy[0] {
			copy(dz, dy)
		}
	case ReLU:
		kernel.ReLUBackward(dz, dy, y)
	case Softmax:
		kernel.SoftmaxRowsBackward(dz, dy, y, rows, cols)
	case Sigmoid:
		kernel.SigmoidBackward(dz, dy, y)
	case Tanh:
		kernel.TanhBackward(dz, dy, y)
	case LeakyReLU:
		kernel.LeakyReLUBackward(dz, dy, z, LeakyReLUSlope)
	case ELU:
		kernel.ELUBackward(dz, dy, z, y, 1)
	case GELU:
		kernel.GELUBackward(dz, dy, z)
	case ReLU6:
		kernel.ReLU6Backward(dz, dy, y)
	case SELU:
		kernel.SELUBackward(dz, dy, y)
	case SiLU:
		kernel.SiLUBackward(dz, dy, z)
	case Softplus:
		kernel.SoftplusBackward(dz, dy, y)
	case Softsign:
		kernel.SoftsignBackward(dz, dy, z)
	case HardSigmoid:
		kernel.HardSigmoidBackward(dz, dy, y)
	case HardSiLU:
		kernel.HardSiLUBackward(dz, dy, z)
	case Mish:
		kernel.MishBackward(dz, dy, z)
	case Exponential:
		kernel.Mul(dz, dy, y)
	case LogSoftmax:
		kernel.LogSoftmaxRowsBackward(dz, dy, y, rows, cols)
	case GELUApproximate:
		kernel.GELUTanhBackward(dz, dy, z)
	default:
		c, ok := f.custom()
		if !ok {
			panic("activation: unknown " + f.String())
		}
		c.Backward(dz, dy, z, y, rows, cols)
	}
}

// crelu writes [relu(z), relu(-z)] per row: y's rows are twice z's.
func crelu(y, z []float32, rows, cols int) {
	if len(z) < rows*cols || len(y) < 2*rows*cols {
		panic(fmt.Sprintf("activation: crelu of %d×%d values needs %d outputs, got %d", rows, cols, 2*rows*cols, len(y)))
	}
	for r := range rows {
		in := z[r*cols : (r+1)*cols]
		pos, neg := y[2*r*cols:(2*r+1)*cols], y[(2*r+1)*cols:(2*r+2)*cols]
		for j, v := range in {
			pos[j], neg[j] = max(v, 0), max(-v, 0)
		}
	}
}

// creluBackward: dz = dy_pos where z > 0, -dy_neg where z < 0, 0 at 0
// (relu's gradient at 0 is 0, TensorFlow's).
func creluBackward(dz, dy, z []float32, rows, cols int) {
	for r := range rows {
		pos, neg := dy[2*r*cols:(2*r+1)*cols], dy[(2*r+1)*cols:(2*r+2)*cols]
		for j, v := range z[r*cols : (r+1)*cols] {
			switch {
			case v > 0:
				dz[r*cols+j] = pos[j]
			case v < 0:
				dz[r*cols+j] = -neg[j]
			default:
				dz[r*cols+j] = 0
			}
		}
	}
}
