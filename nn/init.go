package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Initializer chooses how a weight starts: one of Keras 3's
// keras.initializers (keras/src/initializers/random_initializers.py and
// constant_initializers.py) with its parameters, or gokeras's Dirac.
//
// The zero value, InitDefault, means the layer's Keras default:
// glorot_uniform for kernels, zeros for biases and beta, ones for gamma.
// Initializer is a comparable value: == compares the class, its parameters
// and its seed, so a switch over GlorotUniform, HeNormal, ... works.
// Build one with the package-level values (GlorotUniform, Zeros, ...) or
// the constructors (RandomNormal, VarianceScaling, Orthogonal, ...), and
// fix its draws with WithSeed.
type Initializer struct {
	kind initKind
	// Parameters, by kind: Constant value in a; RandomNormal and
	// TruncatedNormal mean, stddev in a, b; RandomUniform minval, maxval
	// in a, b; VarianceScaling scale in a; Orthogonal and IdentityMatrix
	// gain in a.
	a, b   float64
	mode   FanMode
	dist   Distribution
	seed   int64
	seeded bool
}

type initKind uint8

const (
	kindDefault initKind = iota
	kindGlorotUniform
	kindGlorotNormal
	kindHeNormal
	kindHeUniform
	kindLecunNormal
	kindLecunUniform
	kindZeros
	kindOnes
	kindConstant
	kindRandomNormal
	kindRandomUniform
	kindTruncatedNormal
	kindVarianceScaling
	kindOrthogonal
	kindIdentity
	kindDirac
	numKinds
)

// FanMode is VarianceScaling's mode: which fan divides the scale.
type FanMode string

// The modes Keras's VarianceScaling allows.
const (
	FanIn  FanMode = "fan_in"
	FanOut FanMode = "fan_out"
	FanAvg FanMode = "fan_avg"
)

// Distribution is VarianceScaling's distribution.
type Distribution string

// The distributions Keras's VarianceScaling allows ("normal" is read as
// truncated_normal, as Keras does).
const (
	DistTruncatedNormal   Distribution = "truncated_normal"
	DistUntruncatedNormal Distribution = "untruncated_normal"
	DistUniform           Distribution = "uniform"
)

// InitDefault is the zero Initializer: the layer's Keras default.
var InitDefault Initializer

// The initialisers without parameters. The six variance-scaling ones are
// Keras's subclasses of VarianceScaling (keras/src/initializers/
// random_initializers.py):
//
//	glorot_uniform  scale 1, fan_avg, uniform
//	glorot_normal   scale 1, fan_avg, truncated_normal
//	he_normal       scale 2, fan_in,  truncated_normal
//	he_uniform      scale 2, fan_in,  uniform
//	lecun_normal    scale 1, fan_in,  truncated_normal
//	lecun_uniform   scale 1, fan_in,  uniform
//
// They keep their own class, as Keras does: GlorotUniform is not ==
// VarianceScaling(1, FanAvg, DistUniform) although both draw the same
// values, and each is written back under its own class name.
var (
	GlorotUniform = Initializer{kind: kindGlorotUniform}
	GlorotNormal  = Initializer{kind: kindGlorotNormal}
	HeNormal      = Initializer{kind: kindHeNormal}
	HeUniform     = Initializer{kind: kindHeUniform}
	LecunNormal   = Initializer{kind: kindLecunNormal}
	LecunUniform  = Initializer{kind: kindLecunUniform}
	Zeros         = Initializer{kind: kindZeros}
	Ones          = Initializer{kind: kindOnes}
	// Dirac starts a convolution as a partial identity, as airbench
	// initialises its convolutions (PyTorch's nn.init.dirac_ applied to the
	// first filters, github.com/KellerJordan/cifar10-airbench): filter o <
	// min(in, out) copies input channel o through the kernel's centre tap;
	// any further filters are glorot_uniform. On a Dense kernel it is the
	// same with a 1x1 "kernel". Not a Keras initialiser; a gokeras extension.
	Dirac = Initializer{kind: kindDirac}
)

// Constant fills a weight with value (Keras's Constant; value 0 is its
// default).
func Constant(value float64) Initializer {
	mustFinite("Constant", "value", value)
	return Initializer{kind: kindConstant, a: value}
}

// RandomNormal draws from a normal distribution (Keras's RandomNormal;
// Keras's defaults are mean 0, stddev 0.05). It panics when stddev is
// negative or a parameter is not finite.
func RandomNormal(mean, stddev float64) Initializer {
	mustFinite("RandomNormal", "mean", mean)
	mustFinite("RandomNormal", "stddev", stddev)
	if stddev < 0 {
		panic(fmt.Sprintf("nn: RandomNormal stddev %v is negative", stddev))
	}
	return Initializer{kind: kindRandomNormal, a: mean, b: stddev}
}

// TruncatedNormal draws from a normal distribution and redraws any value
// more than two standard deviations from the mean (Keras's
// TruncatedNormal: its values have a standard deviation of about
// 0.88*stddev; Keras's defaults are mean 0, stddev 0.05). It panics when
// stddev is negative or a parameter is not finite.
func TruncatedNormal(mean, stddev float64) Initializer {
	mustFinite("TruncatedNormal", "mean", mean)
	mustFinite("TruncatedNormal", "stddev", stddev)
	if stddev < 0 {
		panic(fmt.Sprintf("nn: TruncatedNormal stddev %v is negative", stddev))
	}
	return Initializer{kind: kindTruncatedNormal, a: mean, b: stddev}
}

// RandomUniform draws uniformly from [minval, maxval) (Keras's
// RandomUniform; Keras's defaults are -0.05 and 0.05). It panics when a
// bound is not finite or maxval < minval.
func RandomUniform(minval, maxval float64) Initializer {
	mustFinite("RandomUniform", "minval", minval)
	mustFinite("RandomUniform", "maxval", maxval)
	if maxval < minval {
		panic(fmt.Sprintf("nn: RandomUniform maxval %v is below minval %v", maxval, minval))
	}
	return Initializer{kind: kindRandomUniform, a: minval, b: maxval}
}

// VarianceScaling draws with variance scale/n, n the weight's fan_in,
// fan_out or their average (Keras's VarianceScaling): a normal truncated
// at two standard deviations with stddev sqrt(scale/n)/0.87962566103423978
// (so that the values' standard deviation is sqrt(scale/n)), an
// untruncated normal with stddev sqrt(scale/n), or uniform on ±sqrt(3
// scale/n). Fans follow Keras's compute_fans: a kernel (taps..., in, out)
// has fan_in taps*in and fan_out taps*out; a vector of n has n and n.
// Keras's defaults are scale 1, FanIn, DistTruncatedNormal. It panics, as
// Keras's constructor raises, when scale is not positive or mode or
// distribution is not one of Keras's.
func VarianceScaling(scale float64, mode FanMode, distribution Distribution) Initializer {
	distribution = Distribution(strings.ToLower(string(distribution))) // as Keras's constructor does
	if err := checkVarianceScaling(scale, mode, distribution); err != nil {
		panic("nn: " + err.Error())
	}
	if distribution == "normal" {
		distribution = DistTruncatedNormal
	}
	return Initializer{kind: kindVarianceScaling, a: scale, mode: mode, dist: distribution}
}

func checkVarianceScaling(scale float64, mode FanMode, distribution Distribution) error {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return fmt.Errorf("VarianceScaling scale is %v; it must be a positive number, as Keras requires", scale)
	}
	switch mode {
	case FanIn, FanOut, FanAvg:
	default:
		return fmt.Errorf("VarianceScaling mode is %q; use fan_in, fan_out or fan_avg", string(mode))
	}
	switch distribution {
	case DistTruncatedNormal, DistUntruncatedNormal, DistUniform, "normal":
	default:
		return fmt.Errorf("VarianceScaling distribution is %q; use truncated_normal, untruncated_normal or uniform", string(distribution))
	}
	return nil
}

// Orthogonal draws a random orthogonal matrix times gain (Keras's
// Orthogonal; gain 1 is its default). A weight of shape (d0, ..., dk) is
// drawn as the matrix (d0*...*d(k-1), dk): orthonormal columns when it has
// at least as many rows as columns, orthonormal rows otherwise. It needs a
// weight of rank 2 or more. It panics when gain is not finite.
func Orthogonal(gain float64) Initializer {
	mustFinite("Orthogonal", "gain", gain)
	return Initializer{kind: kindOrthogonal, a: gain}
}

// IdentityMatrix fills a 2-D weight with gain times the identity matrix
// (ones on the main diagonal of a rectangular matrix too), Keras's
// Identity initializer (keras.initializers.Identity, "identity"; gain 1 is
// its default). Keras allows it only on 2-D weights: a Dense kernel, not
// a Conv2D kernel or a bias. It panics when gain is not finite.
func IdentityMatrix(gain float64) Initializer {
	mustFinite("IdentityMatrix", "gain", gain)
	return Initializer{kind: kindIdentity, a: gain}
}

func mustFinite(class, key string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		panic(fmt.Sprintf("nn: %s %s is %v; want a finite number", class, key, v))
	}
}

// WithSeed returns i drawing from its own generator seeded by seed, as a
// Keras initializer given seed=... does: every weight it fills draws the
// same values for the same seed and shape, whatever the model's seed.
// Without a seed (Keras's seed=None) an initializer draws from the
// model's generator. Only the random initializers take a seed; WithSeed
// panics for the others (Keras's Zeros, Ones, Constant and Identity have
// no seed argument) and for InitDefault and Dirac.
func (i Initializer) WithSeed(seed int64) Initializer {
	if !i.random() {
		panic(fmt.Sprintf("nn: initializer %s takes no seed", i))
	}
	i.seed, i.seeded = seed, true
	return i
}

// Seed returns the seed given by WithSeed; ok is false when there is none
// (draws come from the model's generator).
func (i Initializer) Seed() (seed int64, ok bool) { return i.seed, i.seeded }

// random reports whether i is one of Keras's RandomInitializer classes,
// the ones that take a seed.
func (i Initializer) random() bool {
	switch i.kind {
	case kindGlorotUniform, kindGlorotNormal, kindHeNormal, kindHeUniform, kindLecunNormal, kindLecunUniform,
		kindRandomNormal, kindRandomUniform, kindTruncatedNormal, kindVarianceScaling, kindOrthogonal:
		return true
	}
	return false
}

// kindInfo names a kind: its snake_case name (String, ParseInitializer)
// and Keras 3's class name (configs).
var kindInfo = [numKinds]struct{ name, class string }{
	kindDefault:         {"default", ""},
	kindGlorotUniform:   {"glorot_uniform", "GlorotUniform"},
	kindGlorotNormal:    {"glorot_normal", "GlorotNormal"},
	kindHeNormal:        {"he_normal", "HeNormal"},
	kindHeUniform:       {"he_uniform", "HeUniform"},
	kindLecunNormal:     {"lecun_normal", "LecunNormal"},
	kindLecunUniform:    {"lecun_uniform", "LecunUniform"},
	kindZeros:           {"zeros", "Zeros"},
	kindOnes:            {"ones", "Ones"},
	kindConstant:        {"constant", "Constant"},
	kindRandomNormal:    {"random_normal", "RandomNormal"},
	kindRandomUniform:   {"random_uniform", "RandomUniform"},
	kindTruncatedNormal: {"truncated_normal", "TruncatedNormal"},
	kindVarianceScaling: {"variance_scaling", "VarianceScaling"},
	kindOrthogonal:      {"orthogonal", "Orthogonal"},
	kindIdentity:        {"identity", "Identity"},
	kindDirac:           {"dirac", "Dirac"},
}

// kindNames maps every identifier Keras 3's keras.initializers.get accepts
// (keras/src/initializers/__init__.py: the class names, their snake_case
// and the aliases uniform, normal, one, zero; OrthogonalInitializer and
// IdentityInitializer are the names Keras 3.0-3.3 and its public API
// use) to a kind, plus gokeras's dirac.
var kindNames = func() map[string]initKind {
	m := map[string]initKind{}
	for k, info := range kindInfo {
		if k != int(kindDefault) {
			m[info.name] = initKind(k)
			m[info.class] = initKind(k)
		}
	}
	m["uniform"] = kindRandomUniform
	m["normal"] = kindRandomNormal
	m["one"] = kindOnes
	m["zero"] = kindZeros
	m["OrthogonalInitializer"] = kindOrthogonal
	m["orthogonal_initializer"] = kindOrthogonal
	m["IdentityInitializer"] = kindIdentity
	m["identity_initializer"] = kindIdentity
	return m
}()

// withDefaults is kind k with Keras's default arguments.
func withDefaults(k initKind) Initializer {
	switch k {
	case kindRandomNormal, kindTruncatedNormal:
		return Initializer{kind: k, a: 0, b: 0.05}
	case kindRandomUniform:
		return Initializer{kind: k, a: -0.05, b: 0.05}
	case kindVarianceScaling:
		return Initializer{kind: k, a: 1, mode: FanIn, dist: DistTruncatedNormal}
	case kindOrthogonal, kindIdentity:
		return Initializer{kind: k, a: 1}
	}
	return Initializer{kind: k}
}

// String returns the initializer's Keras name ("he_normal"), with its
// parameters and seed when it has them: "random_normal(mean=0,
// stddev=0.05)", "glorot_uniform(seed=3)".
func (i Initializer) String() string {
	if int(i.kind) >= len(kindInfo) {
		return fmt.Sprintf("initializer(%d)", i.kind)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var args []string
	switch i.kind {
	case kindConstant:
		args = []string{"value=" + f(i.a)}
	case kindRandomNormal, kindTruncatedNormal:
		args = []string{"mean=" + f(i.a), "stddev=" + f(i.b)}
	case kindRandomUniform:
		args = []string{"minval=" + f(i.a), "maxval=" + f(i.b)}
	case kindVarianceScaling:
		args = []string{"scale=" + f(i.a), "mode=" + string(i.mode), "distribution=" + string(i.dist)}
	case kindOrthogonal, kindIdentity:
		args = []string{"gain=" + f(i.a)}
	}
	if i.seeded {
		args = append(args, "seed="+strconv.FormatInt(i.seed, 10))
	}
	if len(args) == 0 {
		return kindInfo[i.kind].name
	}
	return kindInfo[i.kind].name + "(" + strings.Join(args, ", ") + ")"
}

// ParseInitializer reads an initializer name as keras.initializers.get
// does: a snake_case name ("he_normal", "variance_scaling"), a class name
// ("HeNormal", "VarianceScaling") or one of Keras's aliases ("uniform",
// "normal", "one", "zero"); parameterised classes get Keras's default
// arguments. "dirac" is gokeras's Dirac and "default" is InitDefault.
func ParseInitializer(s string) (Initializer, error) {
	i, err := parseInitName(s)
	if err != nil {
		return InitDefault, fmt.Errorf("nn: %w", err)
	}
	return i, nil
}

func parseInitName(s string) (Initializer, error) {
	if s == "default" {
		return InitDefault, nil
	}
	if k, ok := kindNames[s]; ok {
		return withDefaults(k), nil
	}
	names := make([]string, 0, len(kindInfo)-1)
	for _, info := range kindInfo[1:] {
		names = append(names, info.name)
	}
	return InitDefault, fmt.Errorf("unknown initializer %q; use one of %s (or their Keras class names)", s, strings.Join(names, ", "))
}

// sameConstant reports whether i and j fill the same constant (Zeros,
// Ones or Constant).
func sameConstant(i, j Initializer) bool {
	a, ok1 := i.constant()
	b, ok2 := j.constant()
	return ok1 && ok2 && a == b
}

func (i Initializer) constant() (float64, bool) {
	switch i.kind {
	case kindZeros:
		return 0, true
	case kindOnes:
		return 1, true
	case kindConstant:
		return i.a, true
	}
	return 0, false
}

func (i Initializer) or(def Initializer) Initializer {
	if i == InitDefault {
		return def
	}
	return i
}

// checkBias returns an error when i cannot initialise a bias (a vector):
// dirac, orthogonal and identity need a matrix or a kernel.
func (i Initializer) checkBias() error { return i.checkShape("bias_initializer", 1) }

// checkShape returns an error when i cannot initialise the weight key of
// the given rank, where Keras raises: Orthogonal needs rank 2 or more,
// Identity exactly 2 (keras/src/initializers/). gokeras's dirac applies
// to kernels only (kernel_initializer, depthwise_initializer,
// pointwise_initializer; rank 2 or more).
func (i Initializer) checkShape(key string, rank int) error {
	switch i.kind {
	case kindDirac:
		kernel := key == "kernel_initializer" || key == "depthwise_initializer" || key == "pointwise_initializer"
		if !kernel || rank < 2 {
			return fmt.Errorf("%s dirac only applies to kernels; use zeros (the default) or ones", key)
		}
	case kindOrthogonal:
		if rank < 2 {
			return fmt.Errorf("%s %s needs a weight of rank 2 or more (Keras: \"The tensor to initialize must be at least two-dimensional\"), this one has rank %d; use another initializer", key, i, rank)
		}
	case kindIdentity:
		if rank != 2 {
			return fmt.Errorf("%s %s needs a 2-D weight such as a Dense kernel (Keras: \"Identity matrix initializer can only be used for 2D matrices\"), this one has rank %d; use another initializer", key, i, rank)
		}
	}
	return nil
}
