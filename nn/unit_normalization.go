package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// UnitNormalization scales each example's last axis to unit L2 norm:
// y = x / sqrt(max(Σx², 1e-12)), Keras 3's formula (keras/src/layers/
// normalization/unit_normalization.py), so an all-zero row stays zero. It
// has no weights and behaves the same in training and inference.
type UnitNormalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape

	cols  int
	inv   []float32 // 1/sqrt(max(Σx², 1e-12)) per row of the last Forward
	y, dx *tensor.Tensor
}

func init() {
	register("UnitNormalization", func(r *cfgReader) Layer {
		l := &UnitNormalization{InputShape: r.inputShape()}
		readLastAxis(r)
		return l
	})
}

func (l *UnitNormalization) LayerName() string                { return l.Name }
func (l *UnitNormalization) SetLayerName(s string)            { l.Name = s }
func (l *UnitNormalization) Class() string                    { return "UnitNormalization" }
func (l *UnitNormalization) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *UnitNormalization) Params() []*Param                 { return nil }

func (l *UnitNormalization) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["axis"] = -1
	return m
}

func (l *UnitNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; UnitNormalization normalises the last axis, so give it at least one feature axis")
	}
	return in.Clone(), nil
}

func (l *UnitNormalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.cols = in[len(in)-1]
	return nil
}

// unitNormFloor is Keras's lower bound on the squared norm.
const unitNormFloor = 1e-12

func (l *UnitNormalization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	c := l.cols
	rows := len(x.Data) / c
	l.y = tensor.Ensure(l.y, x.Shape...)
	if cap(l.inv) >= rows {
		l.inv = l.inv[:rows]
	} else {
		l.inv = make([]float32, rows)
	}
	for r := range rows {
		row, y := x.Data[r*c:(r+1)*c], l.y.Data[r*c:(r+1)*c]
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(max(s, unitNormFloor)))
		l.inv[r] = inv
		for j, v := range row {
			y[j] = v * inv
		}
	}
	return l.y
}

// Backward: dx = inv*(dy - y*Σ dy*y) while Σx² is above the floor; below
// it the scale is the constant 1e6 and dx = inv*dy.
func (l *UnitNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c := l.cols
	rows := len(dy.Data) / c
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	for r := range rows {
		d, y, dx := dy.Data[r*c:(r+1)*c], l.y.Data[r*c:(r+1)*c], l.dx.Data[r*c:(r+1)*c]
		inv := l.inv[r]
		var s float64
		if float64(inv) < 1/math.Sqrt(unitNormFloor) {
			for j, v := range d {
				s += float64(v) * float64(y[j])
			}
		}
		for j, v := range d {
			dx[j] = inv * (v - y[j]*float32(s))
		}
	}
	return l.dx
}
