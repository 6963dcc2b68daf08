package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// The draws of each initializer, after Keras 3's __call__ methods
// (keras/src/initializers/random_initializers.py and
// constant_initializers.py). Keras's own random streams cannot be
// reproduced, so the values are not Keras's; their distributions are.

// seedStream is the PCG stream of a seeded initializer's own generator.
const seedStream = 0x6b65726173696e69 // "kerasini"

// generator returns the generator i draws from: its own, seeded by its
// seed, when it has one (the same seed gives the same values, as a Keras
// initializer seeded with an integer does), else the layer's rng.
func (i Initializer) generator(rng *rand.Rand) *rand.Rand {
	if i.seeded {
		return rand.New(rand.NewPCG(uint64(i.seed), seedStream))
	}
	return rng
}

// fill draws the initial values of a weight with the given fans. The
// orthogonal and identity initializers see the weight as the matrix
// (fanIn, fanOut), which it must be (checkShape keeps vectors away).
func (i Initializer) fill(data []float32, fanIn, fanOut int, rng *rand.Rand) {
	rng = i.generator(rng)
	switch i.kind {
	case kindDirac:
		panic("nn: the dirac initializer needs the kernel's shape (fillKernel)")
	case kindOrthogonal, kindIdentity:
		if fanIn*fanOut != len(data) {
			panic(fmt.Sprintf("nn: initializer %s needs a matrix; got %d values for fans %d, %d", i, len(data), fanIn, fanOut))
		}
		i.matrix(data, fanIn, fanOut, rng)
		return
	}
	i.draw(data, fanIn, fanOut, rng)
}

// fillShape initialises a weight of the given shape (row-major, the last
// axis fastest), with Keras's compute_fans and Orthogonal's flattening to
// (prod(shape[:-1]), shape[-1]).
func (i Initializer) fillShape(data []float32, shape []int, rng *rand.Rand) {
	n := len(shape)
	switch {
	case (i.kind == kindOrthogonal || i.kind == kindIdentity) && n >= 2:
		rows := 1
		for _, d := range shape[:n-1] {
			rows *= d
		}
		i.matrix(data, rows, shape[n-1], i.generator(rng))
	case i.kind == kindDirac && n >= 2:
		taps := 1
		for _, d := range shape[:n-2] {
			taps *= d
		}
		i.fillKernel(data, taps, 1, shape[n-2], shape[n-1], rng)
	default:
		fanIn, fanOut := kerasFans(shape)
		i.fill(data, fanIn, fanOut, rng)
	}
}

// fillKernel initialises a kernel of shape (kh, kw, in, out), flattened
// with out fastest, as Conv2D and Dense store them (kh = kw = 1 for
// Dense). Keras's fans of a kernel include the receptive field:
// fan_in = kh*kw*in, fan_out = kh*kw*out (compute_fans).
func (i Initializer) fillKernel(data []float32, kh, kw, in, out int, rng *rand.Rand) {
	rng = i.generator(rng)
	taps := kh * kw
	switch i.kind {
	case kindOrthogonal, kindIdentity:
		i.matrix(data, taps*in, out, rng)
		return
	case kindDirac:
	default:
		i.draw(data, taps*in, taps*out, rng)
		return
	}
	GlorotUniform.draw(data, taps*in, taps*out, rng)
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

// varianceScaling returns the scale, mode and distribution of the
// VarianceScaling class or subclass i; ok is false for other classes.
func (i Initializer) varianceScaling() (scale float64, mode FanMode, dist Distribution, ok bool) {
	switch i.kind {
	case kindGlorotUniform:
		return 1, FanAvg, DistUniform, true
	case kindGlorotNormal:
		return 1, FanAvg, DistTruncatedNormal, true
	case kindHeNormal:
		return 2, FanIn, DistTruncatedNormal, true
	case kindHeUniform:
		return 2, FanIn, DistUniform, true
	case kindLecunNormal:
		return 1, FanIn, DistTruncatedNormal, true
	case kindLecunUniform:
		return 1, FanIn, DistUniform, true
	case kindVarianceScaling:
		return i.a, i.mode, i.dist, true
	}
	return 0, "", "", false
}

// draw fills data with the element-wise initializers (all but
// orthogonal, identity and dirac) from rng.
func (i Initializer) draw(data []float32, fanIn, fanOut int, rng *rand.Rand) {
	switch i.kind {
	case kindZeros:
		clear(data)
		return
	case kindOnes, kindConstant:
		v := float32(1)
		if i.kind == kindConstant {
			v = float32(i.a)
		}
		for j := range data {
			data[j] = v
		}
		return
	case kindRandomNormal:
		for j := range data {
			data[j] = float32(i.a + i.b*rng.NormFloat64())
		}
		return
	case kindTruncatedNormal:
		truncatedNormal(data, i.a, i.b, rng)
		return
	case kindRandomUniform:
		for j := range data {
			data[j] = float32(i.a + (i.b-i.a)*rng.Float64())
		}
		return
	}
	scale, mode, dist, ok := i.varianceScaling()
	if !ok {
		panic("nn: initializer " + i.String() + " has no element-wise rule")
	}
	// VarianceScaling.__call__: scale /= max(1, n).
	switch mode {
	case FanIn:
		scale /= math.Max(1, float64(fanIn))
	case FanOut:
		scale /= math.Max(1, float64(fanOut))
	default:
		scale /= math.Max(1, float64(fanIn+fanOut)/2)
	}
	switch dist {
	case DistUniform:
		limit := math.Sqrt(3 * scale)
		for j := range data {
			data[j] = float32((rng.Float64()*2 - 1) * limit)
		}
	case DistUntruncatedNormal:
		std := math.Sqrt(scale)
		for j := range data {
			data[j] = float32(rng.NormFloat64() * std)
		}
	default:
		// 0.87962566103423978 is the standard deviation of a standard
		// normal truncated to [-2, 2]: dividing by it makes the values'
		// standard deviation sqrt(scale).
		truncatedNormal(data, 0, math.Sqrt(scale)/0.87962566103423978, rng)
	}
}

// truncatedNormal draws mean + std*v with v standard normal, redrawing v
// while |v| > 2, as Keras's random.truncated_normal truncates.
func truncatedNormal(data []float32, mean, std float64, rng *rand.Rand) {
	for j := range data {
		v := rng.NormFloat64()
		for math.Abs(v) > 2 {
			v = rng.NormFloat64()
		}
		data[j] = float32(mean + v*std)
	}
}

// matrix fills the rows×cols matrix data (row-major) with orthogonal's or
// identity's values.
func (i Initializer) matrix(data []float32, rows, cols int, rng *rand.Rand) {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("nn: %s: %d values for a %dx%d matrix", i, len(data), rows, cols))
	}
	if i.kind == kindIdentity {
		// Keras's Identity: gain * eye(rows, cols).
		clear(data)
		for d := range min(rows, cols) {
			data[d*cols+d] = float32(i.a)
		}
		return
	}
	m, n := max(rows, cols), min(rows, cols)
	a := make([]float64, m*n)
	for k := range a {
		a[k] = rng.NormFloat64()
	}
	orthogonalFromGaussian(data, a, rows, cols, i.a)
}

// orthogonalFromGaussian is Keras's Orthogonal.__call__ after the draw:
// a is the (max(rows, cols), min(rows, cols)) standard-normal matrix,
// row-major; its reduced QR decomposition a = QR gives Q, whose columns
// are multiplied by the signs of R's diagonal (making the result unique
// and Haar-distributed), transposed when rows < cols, and scaled by gain.
// a is overwritten.
func orthogonalFromGaussian(data []float32, a []float64, rows, cols int, gain float64) {
	m, n := max(rows, cols), min(rows, cols)
	g := blas64.General{Rows: m, Cols: n, Stride: n, Data: a}
	tau := make([]float64, n)
	work := make([]float64, 1)
	lapack64.Geqrf(g, tau, work, -1)
	work = make([]float64, max(int(work[0]), m, 1))
	lapack64.Geqrf(g, tau, work, len(work))
	sign := make([]float64, n)
	for j := range n {
		switch d := a[j*n+j]; { // R's diagonal; ops.sign(0) is 0
		case d > 0:
			sign[j] = gain
		case d < 0:
			sign[j] = -gain
		}
	}
	lapack64.Orgqr(g, tau, work, -1)
	if need := int(work[0]); need > len(work) {
		work = make([]float64, need)
	}
	lapack64.Orgqr(g, tau, work, len(work))
	for r := range m {
		for c := range n {
			q := float32(a[r*n+c] * sign[c])
			if rows >= cols {
				data[r*cols+c] = q
			} else {
				data[c*cols+r] = q
			}
		}
	}
}
