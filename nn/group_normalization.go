package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// GroupNormalization splits the channels (the last axis) into Groups
// groups of consecutive channels and normalises each example's group over
// all its positions and channels, then applies a per-channel gamma and
// beta: with Groups 1 it normalises whole examples, with Groups equal to
// the channels (Keras's groups=-1) it is instance normalization. There
// are no batch statistics: training and inference compute the same.
// Defaults are Keras 3's (keras/src/layers/normalization/
// group_normalization.py): groups 32, axis -1, epsilon 1e-3, center and
// scale on.
type GroupNormalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape
	// Groups divides the channels; 0 means 32, -1 one group per channel.
	Groups  int
	Epsilon float64 // 0 means 1e-3
	// NoScale and NoCenter are Keras's scale=False and center=False.
	NoScale, NoCenter bool
	// GammaRegularizer, ... are Keras's gamma_regularizer, ... (none by default).
	GammaRegularizer, BetaRegularizer regularizer.Regularizer
	GammaConstraint, BetaConstraint   constraint.Constraint

	cols, groups int
	normAffine
	inv   []float32 // 1/sqrt(var+eps) per (example, group) of the last Forward
	xhat  *tensor.Tensor
	y, dx *tensor.Tensor
	sums  []float64 // per group: scratch for Backward
}

func init() {
	register("GroupNormalization", func(r *cfgReader) Layer {
		l := &GroupNormalization{Epsilon: r.positive("epsilon", 1e-3), InputShape: r.inputShape()}
		if _, ok := r.Get("groups"); ok {
			l.Groups = r.Int("groups", 32)
			if l.Groups == 0 || l.Groups < -1 {
				r.Failf("groups must be positive or -1 (one group per channel), got %d; leave it out for the default 32", l.Groups)
			}
		}
		readLastAxis(r)
		l.NoScale, l.NoCenter, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint = readAffineKeys(r)
		return l
	})
}

func (l *GroupNormalization) LayerName() string                { return l.Name }
func (l *GroupNormalization) SetLayerName(s string)            { l.Name = s }
func (l *GroupNormalization) Class() string                    { return "GroupNormalization" }
func (l *GroupNormalization) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *GroupNormalization) epsilon() float64 {
	if l.Epsilon == 0 {
		return 1e-3
	}
	return l.Epsilon
}

// numGroups resolves Groups for c channels.
func (l *GroupNormalization) numGroups(c int) int {
	switch l.Groups {
	case 0:
		return 32
	case -1:
		return c
	}
	return l.Groups
}

func (l *GroupNormalization) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	g := l.Groups
	if g == 0 {
		g = 32
	}
	m["groups"] = g
	m["axis"] = -1
	m["epsilon"] = l.epsilon()
	writeAffineKeys(m, l.NoScale, l.NoCenter, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint)
	return m
}

func (l *GroupNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; GroupNormalization groups the last axis (channels), so give it at least one")
	}
	if l.Epsilon < 0 {
		return nil, fmt.Errorf("epsilon %v is negative; Keras's default is 1e-3", l.Epsilon)
	}
	if l.Groups < -1 {
		return nil, fmt.Errorf("Groups %d is negative; use a positive divisor of the channels, or -1 for one group per channel", l.Groups)
	}
	c := in[len(in)-1]
	g := l.numGroups(c)
	if g > c {
		return nil, fmt.Errorf("%d groups is more than the %d channels (Keras's default is 32 groups); set Groups to a divisor of %d, or -1 for one group per channel", g, c, c)
	}
	if c%g != 0 {
		return nil, fmt.Errorf("%d channels do not split into %d equal groups; set Groups to a divisor of %d", c, g, c)
	}
	return in.Clone(), nil
}

func (l *GroupNormalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := l.OutputShape(in); err != nil {
		return nil, err
	}
	return affineShapes(in[len(in)-1], l.NoScale, l.NoCenter), nil
}

func (l *GroupNormalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.cols = in[len(in)-1]
	l.groups = l.numGroups(l.cols)
	l.sums = make([]float64, 2*l.groups)
	return l.build(l.cols, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint)
}

func (l *GroupNormalization) Params() []*Param { return l.params(l.NoScale, l.NoCenter) }

// Forward: for example n, x[n] is (positions, channels); group k holds
// channels [k*cg, (k+1)*cg) at every position.
func (l *GroupNormalization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	c, G := l.cols, l.groups
	cg := c / G
	batch := x.Shape[0]
	per := len(x.Data) / batch // values per example
	pos := per / c
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.xhat = tensor.Ensure(l.xhat, x.Shape...)
	if cap(l.inv) >= batch*G {
		l.inv = l.inv[:batch*G]
	} else {
		l.inv = make([]float32, batch*G)
	}
	g, b := l.gamma.Value.Data, l.beta.Value.Data
	eps := l.epsilon()
	m := float64(pos * cg)
	sum, mean := l.sums[:G], l.sums[G:]
	for n := range batch {
		ex, xh, y := x.Data[n*per:(n+1)*per], l.xhat.Data[n*per:(n+1)*per], l.y.Data[n*per:(n+1)*per]
		// Two passes in float64 (the variance about the mean).
		clear(sum)
		for p := range pos {
			row := ex[p*c : (p+1)*c]
			for j, v := range row {
				sum[j/cg] += float64(v)
			}
		}
		for k := range G {
			mean[k] = sum[k] / m
		}
		clear(sum)
		for p := range pos {
			row := ex[p*c : (p+1)*c]
			for j, v := range row {
				d := float64(v) - mean[j/cg]
				sum[j/cg] += d * d
			}
		}
		inv := l.inv[n*G : (n+1)*G]
		for k := range G {
			inv[k] = float32(1 / math.Sqrt(sum[k]/m+eps))
		}
		for p := range pos {
			o := p * c
			for j := range c {
				k := j / cg
				h := float32((float64(ex[o+j]) - mean[k]) * float64(inv[k]))
				xh[o+j] = h
				y[o+j] = h*g[j] + b[j]
			}
		}
	}
	return l.y
}

// Backward: over each (example, group) of M values, with h = xhat and
// dh = dy*gamma, dx = inv*(dh - mean(dh) - h*mean(dh*h)).
func (l *GroupNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c, G := l.cols, l.groups
	cg := c / G
	batch := dy.Shape[0]
	per := len(dy.Data) / batch
	pos := per / c
	m := float64(pos * cg)
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	g, dg, db := l.gamma.Value.Data, l.gamma.Grad.Data, l.beta.Grad.Data
	clear(dg)
	clear(db)
	s1, s2 := l.sums[:G], l.sums[G:]
	for n := range batch {
		d, xh, dx := dy.Data[n*per:(n+1)*per], l.xhat.Data[n*per:(n+1)*per], l.dx.Data[n*per:(n+1)*per]
		clear(s1)
		clear(s2)
		for i, v := range d {
			j := i % c
			dh := float64(v * g[j])
			s1[j/cg] += dh
			s2[j/cg] += dh * float64(xh[i])
			dg[j] += v * xh[i]
			db[j] += v
		}
		inv := l.inv[n*G : (n+1)*G]
		for i, v := range d {
			j := i % c
			k := j / cg
			dx[i] = inv[k] * float32(float64(v*g[j])-s1[k]/m-float64(xh[i])*s2[k]/m)
		}
	}
	return l.dx
}
