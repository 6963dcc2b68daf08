package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Reshape views each sample with TargetShape (one axis may be -1).
type Reshape struct {
	Trainability
	Name        string
	TargetShape tensor.Shape
	InputShape  tensor.Shape

	in, out tensor.Shape
	y, dx   tensor.Tensor // reused views
}

func init() {
	// Keys as keras/src/layers/reshaping/reshape.py get_config writes them.
	register("Reshape", func(r *cfgReader) Layer {
		return &Reshape{TargetShape: r.ints("target_shape"), InputShape: r.inputShape()}
	})
}

func (r *Reshape) LayerName() string                { return r.Name }
func (r *Reshape) SetLayerName(s string)            { r.Name = s }
func (r *Reshape) Class() string                    { return "Reshape" }
func (r *Reshape) DeclaredInputShape() tensor.Shape { return r.InputShape }
func (r *Reshape) Params() []*Param                 { return nil }

func (r *Reshape) Config() map[string]any {
	m := baseConfig(r.Name, r.InputShape)
	m["target_shape"] = []int(r.TargetShape)
	return m
}

func (r *Reshape) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(r.TargetShape) == 0 {
		return nil, fmt.Errorf("target_shape is empty; give the per-sample shape, e.g. (28, 28, 1)")
	}
	// Shape arithmetic only: a sample may be far larger than memory when a
	// model file is being checked before anything is allocated.
	n, err := checkedSize(in)
	if err != nil {
		return nil, err
	}
	out := r.TargetShape.Clone()
	infer, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d <= 0:
			return nil, fmt.Errorf("target_shape %v has an axis of %d; give positive sizes and at most one -1", r.TargetShape, d)
		case known > MaxElements/d:
			return nil, fmt.Errorf("target_shape %v is too large: more than 2^50 values", r.TargetShape)
		default:
			known *= d
		}
	}
	if infer >= 0 && n%known == 0 {
		out[infer] = n / known
		known = n
	}
	if known != n {
		return nil, fmt.Errorf("cannot reshape samples of shape %v (%d values) to %v: the sizes must match", in, n, r.TargetShape)
	}
	return out, nil
}

func (r *Reshape) Build(in tensor.Shape, _ *rand.Rand) error {
	out, err := r.OutputShape(in)
	r.in, r.out = in.Clone(), out
	return err
}

func (r *Reshape) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return view(&r.y, x, r.out)
}

func (r *Reshape) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return view(&r.dx, dy, r.in)
}
