package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// LayerNormalization normalises each example over its last axis on its
// own, with no batch statistics and the same computation in training and
// inference: y = (x-mean)/sqrt(var+epsilon)*gamma + beta, mean and the
// (biased) variance taken over the last axis, gamma and beta one per
// channel. Defaults are Keras 3's (keras/src/layers/normalization/
// layer_normalization.py): axis -1, epsilon 1e-3, center and scale on,
// rms_scaling off.
type LayerNormalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape
	Epsilon    float64 // 0 means 1e-3
	// NoScale and NoCenter are Keras's scale=False and center=False.
	NoScale, NoCenter bool
	// GammaRegularizer, ... are Keras's gamma_regularizer, ... (none by default).
	GammaRegularizer, BetaRegularizer regularizer.Regularizer
	GammaConstraint, BetaConstraint   constraint.Constraint

	cols int
	normAffine
	inv   []float32 // 1/sqrt(var+eps) per row of the last Forward
	xhat  *tensor.Tensor
	y, dx *tensor.Tensor
}

func init() {
	register("LayerNormalization", func(r *cfgReader) Layer {
		l := &LayerNormalization{Epsilon: r.positive("epsilon", 1e-3), InputShape: r.inputShape()}
		readLastAxis(r)
		l.NoScale, l.NoCenter, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint = readAffineKeys(r)
		// rms_scaling=True divides by sqrt(var+eps) without subtracting the
		// mean and ignores center: not implemented.
		if r.Bool("rms_scaling", false) && r.Err == nil {
			r.unsupported("rms_scaling", true, "gokeras subtracts the mean (rms_scaling false)")
		}
		return l
	})
}

func (l *LayerNormalization) LayerName() string                { return l.Name }
func (l *LayerNormalization) SetLayerName(s string)            { l.Name = s }
func (l *LayerNormalization) Class() string                    { return "LayerNormalization" }
func (l *LayerNormalization) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *LayerNormalization) epsilon() float64 {
	if l.Epsilon == 0 {
		return 1e-3
	}
	return l.Epsilon
}

func (l *LayerNormalization) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["axis"] = -1
	m["epsilon"] = l.epsilon()
	m["rms_scaling"] = false
	writeAffineKeys(m, l.NoScale, l.NoCenter, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint)
	return m
}

func (l *LayerNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; LayerNormalization normalises the last axis, so give it at least one feature axis")
	}
	if l.Epsilon < 0 {
		return nil, fmt.Errorf("epsilon %v is negative; Keras's default is 1e-3", l.Epsilon)
	}
	return in.Clone(), nil
}

func (l *LayerNormalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := l.OutputShape(in); err != nil {
		return nil, err
	}
	return affineShapes(in[len(in)-1], l.NoScale, l.NoCenter), nil
}

func (l *LayerNormalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.cols = in[len(in)-1]
	return l.build(l.cols, l.GammaRegularizer, l.BetaRegularizer, l.GammaConstraint, l.BetaConstraint)
}

func (l *LayerNormalization) Params() []*Param { return l.params(l.NoScale, l.NoCenter) }

func (l *LayerNormalization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	c := l.cols
	rows := len(x.Data) / c
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.xhat = tensor.Ensure(l.xhat, x.Shape...)
	if cap(l.inv) >= rows {
		l.inv = l.inv[:rows]
	} else {
		l.inv = make([]float32, rows)
	}
	g, b := l.gamma.Value.Data, l.beta.Value.Data
	eps := l.epsilon()
	for r := range rows {
		row, xh, y := x.Data[r*c:(r+1)*c], l.xhat.Data[r*c:(r+1)*c], l.y.Data[r*c:(r+1)*c]
		// Two passes in float64: the variance about the mean, not
		// E[x²]-E[x]², which cancels for inputs far from zero.
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mean := s / float64(c)
		var q float64
		for _, v := range row {
			d := float64(v) - mean
			q += d * d
		}
		inv := 1 / math.Sqrt(q/float64(c)+eps)
		l.inv[r] = float32(inv)
		for j, v := range row {
			h := float32((float64(v) - mean) * inv)
			xh[j] = h
			y[j] = h*g[j] + b[j]
		}
	}
	return l.y
}

// Backward: with h = xhat and dh = dy*gamma, dx = inv*(dh - mean(dh) -
// h*mean(dh*h)) over each row; dgamma = Σ dy*h, dbeta = Σ dy over rows.
func (l *LayerNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c := l.cols
	rows := len(dy.Data) / c
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	g, dg, db := l.gamma.Value.Data, l.gamma.Grad.Data, l.beta.Grad.Data
	clear(dg)
	clear(db)
	for r := range rows {
		d, xh, dx := dy.Data[r*c:(r+1)*c], l.xhat.Data[r*c:(r+1)*c], l.dx.Data[r*c:(r+1)*c]
		var s1, s2 float64
		for j, v := range d {
			dh := float64(v * g[j])
			s1 += dh
			s2 += dh * float64(xh[j])
			dg[j] += v * xh[j]
			db[j] += v
		}
		m1, m2 := s1/float64(c), s2/float64(c)
		inv := float64(l.inv[r])
		for j, v := range d {
			dx[j] = float32(inv * (float64(v*g[j]) - m1 - float64(xh[j])*m2))
		}
	}
	return l.dx
}
