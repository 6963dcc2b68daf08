package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RMSNormalization divides each example's last axis by its root mean
// square and multiplies by a learnt per-channel scale:
// y = x * rsqrt(mean(x²) + epsilon) * scale. There is no mean to subtract
// and no offset (Zhang and Sennrich's RMSNorm). Keras 3's layer
// (keras/src/layers/normalization/rms_normalization.py, with
// ops.rms_normalization in keras/src/ops/nn.py) has axis -1, epsilon 1e-6
// and a weight "scale" initialised to ones; it behaves the same in training
// and inference.
type RMSNormalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape
	Epsilon    float64 // 0 means 1e-6

	cols  int
	scale Param
	inv   []float32 // rsqrt(mean(x²)+epsilon) per row of the last Forward
	xhat  *tensor.Tensor
	y, dx *tensor.Tensor
}

func init() {
	register("RMSNormalization", func(r *cfgReader) Layer {
		l := &RMSNormalization{Epsilon: r.positive("epsilon", 1e-6), InputShape: r.inputShape()}
		readLastAxis(r)
		return l
	})
}

func (l *RMSNormalization) LayerName() string                { return l.Name }
func (l *RMSNormalization) SetLayerName(s string)            { l.Name = s }
func (l *RMSNormalization) Class() string                    { return "RMSNormalization" }
func (l *RMSNormalization) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *RMSNormalization) epsilon() float64 {
	if l.Epsilon == 0 {
		return 1e-6
	}
	return l.Epsilon
}

func (l *RMSNormalization) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["axis"] = -1
	m["epsilon"] = l.epsilon()
	return m
}

func (l *RMSNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; RMSNormalization normalises the last axis, so give it at least one feature axis")
	}
	if l.Epsilon < 0 {
		return nil, fmt.Errorf("epsilon %v is negative; Keras's default is 1e-6", l.Epsilon)
	}
	return in.Clone(), nil
}

func (l *RMSNormalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := l.OutputShape(in); err != nil {
		return nil, err
	}
	return []ParamShape{{"scale", tensor.Shape{in[len(in)-1]}}}, nil
}

func (l *RMSNormalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.cols = in[len(in)-1]
	l.scale = Param{Name: "scale", Value: tensor.New(l.cols), Grad: tensor.New(l.cols)}
	l.scale.Value.Fill(1)
	return nil
}

func (l *RMSNormalization) Params() []*Param { return []*Param{&l.scale} }

func (l *RMSNormalization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	c := l.cols
	rows := len(x.Data) / c
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.xhat = tensor.Ensure(l.xhat, x.Shape...)
	if cap(l.inv) >= rows {
		l.inv = l.inv[:rows]
	} else {
		l.inv = make([]float32, rows)
	}
	g := l.scale.Value.Data
	eps := l.epsilon()
	for r := range rows {
		row, xh, y := x.Data[r*c:(r+1)*c], l.xhat.Data[r*c:(r+1)*c], l.y.Data[r*c:(r+1)*c]
		var q float64
		for _, v := range row {
			q += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(q/float64(c)+eps))
		l.inv[r] = inv
		for j, v := range row {
			h := v * inv
			xh[j] = h
			y[j] = h * g[j]
		}
	}
	return l.y
}

// Backward: with h = x*inv and dh = dy*scale, dx = inv*(dh - h*mean(dh*h))
// over each row (the mean-subtracting term of LayerNormalization is
// absent); dscale = Σ dy*h over rows.
func (l *RMSNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c := l.cols
	rows := len(dy.Data) / c
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	g, dg := l.scale.Value.Data, l.scale.Grad.Data
	clear(dg)
	for r := range rows {
		d, xh, dx := dy.Data[r*c:(r+1)*c], l.xhat.Data[r*c:(r+1)*c], l.dx.Data[r*c:(r+1)*c]
		var s float64
		for j, v := range d {
			s += float64(v*g[j]) * float64(xh[j])
			dg[j] += v * xh[j]
		}
		m := s / float64(c)
		inv := float64(l.inv[r])
		for j, v := range d {
			dx[j] = float32(inv * (float64(v*g[j]) - float64(xh[j])*m))
		}
	}
	return l.dx
}
