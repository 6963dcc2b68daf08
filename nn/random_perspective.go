package nn

// RandomPerspective, as Keras 3's keras.layers.RandomPerspective
// (keras/src/layers/preprocessing/image_preprocessing/
// random_perspective.py, the version that calls
// keras.ops.image.perspective_transform; keras/src/backend/numpy/image.py
// for the homography).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// RandomPerspective moves the corners of some images and warps them with
// the homography that takes the moved corners back to the original ones,
// filling with FillValue outside the image. Per image it draws a
// probability p from Factor and warps when a uniform draw in [0, 1) is
// below p, and draws eight numbers u in [-Scale/2, Scale/2): a corner
// (x, y) of (0, 0), (w-1, 0), (0, h-1), (w-1, h-1) moves to
// (x + x·u, y + y·u'), so, as in Keras, the top-left corner never moves
// and the others only along their non-zero coordinates. Factor follows
// BaseImagePreprocessingLayer._set_factor with bounds (0, 1): a number f
// gives (0, f), a pair is sorted. The zero values of Factor and Scale are
// Keras's defaults, (0, 1) and 1. At inference the layer is the identity.
type RandomPerspective struct {
	Trainability
	Name          string
	Factor        [2]float64 // (lower, upper) of the probability; zero: (0, 1)
	Scale         float64    // in (0, 1]; zero: 1
	Interpolation Interpolation
	FillValue     float64

	warper
	ends [][4][2]float64 // per image: the moved corners, or zero when not warped
}

func init() {
	register("RandomPerspective", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomPerspective{Factor: r.baseFactor("factor", 0, 1), FillValue: r.Num("fill_value", 0)}
		if _, present := r.Get("factor"); present && l.Factor == [2]float64{} {
			r.Failf(`"factor" 0 never warps; leave the layer out`)
		}
		if v, present := r.Get("scale"); present {
			s, ok := config.Number(v)
			switch {
			case !ok || s < 0 || s > 1:
				r.fail("scale", v, "a number in [0, 1]")
			case s == 0:
				r.Failf(`"scale" 0 moves no corner; leave the layer out`)
			default:
				l.Scale = s
			}
		}
		interp, err := ParseInterpolation(r.Str("interpolation", ""))
		r.setErr(err)
		l.Interpolation = interp
		return l
	})
}

func (l *RandomPerspective) LayerName() string     { return l.Name }
func (l *RandomPerspective) SetLayerName(s string) { l.Name = s }
func (l *RandomPerspective) Class() string         { return "RandomPerspective" }
func (l *RandomPerspective) Params() []*Param      { return nil }
func (l *RandomPerspective) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.factor())
	m["scale"] = l.scale()
	m["interpolation"] = l.Interpolation.String()
	m["fill_value"] = l.FillValue
	m["seed"] = nil
	return m
}

func (l *RandomPerspective) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Factor
}

func (l *RandomPerspective) scale() float64 {
	if l.Scale == 0 {
		return 1
	}
	return l.Scale
}

func (l *RandomPerspective) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.factor(), 0, 1); err != nil {
		return nil, err
	}
	if s := l.scale(); !(s > 0 && s <= 1) {
		return nil, fmt.Errorf("scale %v must be in (0, 1]", l.Scale)
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomPerspective) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomPerspective) sampler() sampler {
	return sampler{fill: FillConstant, value: float32(l.FillValue), interp: l.Interpolation}
}

// identityWarp leaves an image as it is.
var identityWarp = warp{1, 0, 0, 0, 1, 0}

func (l *RandomPerspective) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	f, s := l.factor(), l.scale()
	if training {
		l.ends = l.ends[:0]
	}
	return l.forward(x, training, l.sampler(), func(h, w int) warp {
		p := l.uniform(f[0], f[1])
		apply := l.uniform(0, 1) < p
		var u [4][2]float64
		for i := range u {
			u[i] = [2]float64{l.uniform(-0.5*s, 0.5*s), l.uniform(-0.5*s, 0.5*s)}
		}
		if !apply {
			l.ends = append(l.ends, [4][2]float64{})
			return identityWarp
		}
		start := [4][2]float64{{0, 0}, {float64(w - 1), 0}, {0, float64(h - 1)}, {float64(w - 1), float64(h - 1)}}
		var end [4][2]float64
		for i, c := range start {
			end[i] = [2]float64{c[0] + c[0]*u[i][0], c[1] + c[1]*u[i][1]}
		}
		l.ends = append(l.ends, end)
		a, ok := homography(start, end)
		if !ok {
			return identityWarp
		}
		return warp{a[4], a[3], a[5], a[1], a[0], a[2], a[7], a[6]}
	})
}

func (l *RandomPerspective) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.backward(dy, l.sampler())
}

// homography is compute_homography_matrix: the a0..a7 with which output
// point (x, y) reads input ((a0 x + a1 y + a2)/d, (a3 x + a4 y + a5)/d),
// d = a6 x + a7 y + 1, taking each end point to its start point. It
// solves Keras's 8×8 system by Gaussian elimination with partial pivoting
// (hand-written: a fixed-size solve in the training step, which gonum's
// would allocate for); ok is false for a singular system.
func homography(start, end [4][2]float64) (a [8]float64, ok bool) {
	var m [8][9]float64
	for i := range 4 {
		sx, sy := start[i][0], start[i][1]
		ex, ey := end[i][0], end[i][1]
		m[2*i] = [9]float64{ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey, sx}
		m[2*i+1] = [9]float64{0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey, sy}
	}
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return a, false
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < 8; r++ {
			k := m[r][c] / m[c][c]
			for j := c; j < 9; j++ {
				m[r][j] -= k * m[c][j]
			}
		}
	}
	for r := 7; r >= 0; r-- {
		v := m[r][8]
		for j := r + 1; j < 8; j++ {
			v -= m[r][j] * a[j]
		}
		a[r] = v / m[r][r]
	}
	return a, true
}
