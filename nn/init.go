package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Initializer chooses how a weight starts. The zero value, InitDefault,
// means the layer's Keras default: glorot_uniform for kernels, zeros for
// biases and beta, ones for gamma.
type Initializer int

// The initialisers Keras users name in layer configs.
const (
	InitDefault Initializer = iota
	GlorotUniform
	GlorotNormal
	HeNormal
	HeUniform
	Zeros
	Ones
	// Dirac starts a convolution as a partial identity, as airbench
	// initialises its convolutions (PyTorch's nn.init.dirac_ applied to the
	// first filters, github.com/KellerJordan/cifar10-airbench): filter o <
	// min(in, out) copies input channel o through the kernel's centre tap;
	// any further filters are glorot_uniform. On a Dense kernel it is the
	// same with a 1x1 "kernel". Not a Keras initialiser; a gokeras extension.
	Dirac
)

var initNames = [...]string{
	InitDefault:   "default",
	GlorotUniform: "glorot_uniform",
	GlorotNormal:  "glorot_normal",
	HeNormal:      "he_normal",
	HeUniform:     "he_uniform",
	Zeros:         "zeros",
	Ones:          "ones",
	Dirac:         "dirac",
}

// Keras class names, as they appear in model.to_json().
var initClasses = map[string]Initializer{
	"GlorotUniform": GlorotUniform, "GlorotNormal": GlorotNormal,
	"HeNormal": HeNormal, "HeUniform": HeUniform, "Zeros": Zeros, "Ones": Ones,
	"Dirac": Dirac,
}

func (i Initializer) String() string {
	if i < 0 || int(i) >= len(initNames) {
		return fmt.Sprintf("initializer(%d)", int(i))
	}
	return initNames[i]
}

// ParseInitializer reads a Keras initialiser name ("he_normal") or class
// name ("HeNormal").
func ParseInitializer(s string) (Initializer, error) {
	for i, n := range initNames {
		if n == s {
			return Initializer(i), nil
		}
	}
	if i, ok := initClasses[s]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("nn: unknown initializer %q; use one of %s", s, strings.Join(initNames[1:], ", "))
}

func (i Initializer) or(def Initializer) Initializer {
	if i == InitDefault {
		return def
	}
	return i
}

// fill draws the initial values of a weight with the given fans.
// Formulas follow Keras 3 (keras/src/initializers/random_initializers.py):
// glorot scale 1/avg(fan_in, fan_out), he scale 2/fan_in; uniform limit
// sqrt(3*scale); normal variants use a normal truncated at two standard
// deviations with stddev sqrt(scale)/0.87962566103423978.
func (i Initializer) fill(data []float32, fanIn, fanOut int, rng *rand.Rand) {
	switch i {
	case Dirac:
		panic("nn: the dirac initializer needs the kernel's shape (fillKernel)")
	case Zeros:
		clear(data)
		return
	case Ones:
		for j := range data {
			data[j] = 1
		}
		return
	}
	var scale float64
	switch i {
	case GlorotUniform, GlorotNormal:
		scale = 2 / float64(fanIn+fanOut)
	case HeNormal, HeUniform:
		scale = 2 / float64(fanIn)
	default:
		panic("nn: initializer " + i.String() + " has no fill rule")
	}
	switch i {
	case GlorotUniform, HeUniform:
		limit := math.Sqrt(3 * scale)
		for j := range data {
			data[j] = float32((rng.Float64()*2 - 1) * limit)
		}
	default:
		std := math.Sqrt(scale) / 0.87962566103423978
		for j := range data {
			v := rng.NormFloat64()
			for math.Abs(v) > 2 {
				v = rng.NormFloat64()
			}
			data[j] = float32(v * std)
		}
	}
}

// checkBias returns an error when i cannot initialise a bias (only dirac,
// which needs a kernel's shape).
func (i Initializer) checkBias() error {
	if i == Dirac {
		return fmt.Errorf("bias_initializer dirac only applies to kernels; use zeros (the default) or ones")
	}
	return nil
}

// fillKernel initialises a kernel of shape (taps..., in, out), flattened with
// out fastest, as Conv2D and Dense store them (kh = kw = 1 for Dense).
func (i Initializer) fillKernel(data []float32, kh, kw, in, out int, rng *rand.Rand) {
	taps := kh * kw
	if i != Dirac {
		i.fill(data, taps*in, taps*out, rng)
		return
	}
	GlorotUniform.fill(data, taps*in, taps*out, rng)
	centre := kh/2*kw + kw/2 // dirac_'s centre: size//2 on each axis
	for o := range min(in, out) {
		for t := range taps {
			for c := range in {
				data[(t*in+c)*out+o] = 0
			}
		}
		data[(centre*in+o)*out+o] = 1
	}
}
