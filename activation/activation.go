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

// The activations Keras users reach for. Keras's defaults apply:
// leaky_relu has negative_slope 0.2 (Keras 3), elu alpha 1, gelu is exact.
const (
	Linear Func = iota
	ReLU
	Softmax
	Sigmoid
	Tanh
	LeakyReLU
	ELU
	GELU
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

// NeedsInput reports whether Backward reads the pre-activation z (otherwise
// the output y is enough and z need not be kept).
func (f Func) NeedsInput() bool {
	if c, ok := f.custom(); ok {
		return c.NeedsInput
	}
	return f == LeakyReLU || f == ELU || f == GELU
}

// Forward computes y = f(z) over rows×cols values; softmax normalises each
// row (the last axis). y may alias z except for GELU/ELU/LeakyReLU layers
// that must keep z for the backward pass.
func (f Func) Forward(y, z []float32, rows, cols int) {
	switch f {
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
	default:
		c, ok := f.custom()
		if !ok {
			panic("activation: unknown " + f.String())
		}
		c.Forward(y, z, rows, cols)
	}
}

// Backward computes dz = dy * f'(z), given z and y = f(z). dz may alias dy.
// z is read only when NeedsInput.
func (f Func) Backward(dz, dy, z, y []float32, rows, cols int) {
	switch f {
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
	default:
		c, ok := f.custom()
		if !ok {
			panic("activation: unknown " + f.String())
		}
		c.Backward(dz, dy, z, y, rows, cols)
	}
}
