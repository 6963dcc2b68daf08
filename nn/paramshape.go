package nn

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// A model's size is known from its config and input shape alone, before
// any weight exists: Stack.ParamShapes walks the layers' OutputShape chain
// and asks each layer with weights for the shapes its Build would create.
// Loading a model file compares these with the file's tensors, and building
// a model from JSON compares their total with a limit, so that neither
// allocates what a few bytes of config ask for.

// ParamShape is the name and shape of one weight.
type ParamShape struct {
	Name  string // "kernel"; Stack.ParamShapes returns "dense/kernel"
	Shape tensor.Shape
}

// ParamShaper is implemented by layers with weights: ParamShapes returns,
// in Params' order and without allocating them, the weights Build creates
// for per-sample input shape in. Layers without weights need not
// implement it.
type ParamShaper interface {
	ParamShapes(in tensor.Shape) ([]ParamShape, error)
}

// MaxElements bounds the number of values in any one shape ParamShapes
// accepts (a weight, or one sample of a layer's output): 2^50, far beyond
// any memory, small enough that sums and products of a few of them do not
// overflow an int.
const MaxElements = 1 << 50

// checkedSize returns s's number of values, or an error when an axis is
// not positive or the product exceeds MaxElements.
func checkedSize(s tensor.Shape) (int, error) {
	n := 1
	for _, d := range s {
		if d <= 0 {
			return 0, fmt.Errorf("shape %v has an axis of size %d; every axis must be positive", s, d)
		}
		if n > MaxElements/d {
			return 0, fmt.Errorf("shape %v is too large: more than 2^50 values", s)
		}
		n *= d
	}
	return n, nil
}

// ParamShapes returns the weights Build would create, named
// "<layer>/<weight>" as a saved model names them, in Params' order,
// without creating any. It names unnamed layers and checks every layer's
// input as Build does (errors are *LayerError); in nil uses the declared
// input shape. Every shape, weights and per-sample outputs, is checked
// against MaxElements so that nothing later overflows.
func (s *Stack) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("nn: the model has no layers; add some before building it")
	}
	if in == nil {
		in = s.DeclaredInputShape()
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("nn: the input shape is unknown; give it on the first layer (InputShape) or add an Input first")
	}
	if _, err := checkedSize(in); err != nil {
		return nil, fmt.Errorf("nn: input shape: %w", err)
	}
	if err := s.AssignNames(); err != nil {
		return nil, err
	}
	if s.graph {
		return s.graphParamShapes(in)
	}
	var out []ParamShape
	shape := in
	for _, l := range s.Layers {
		lerr := func(err error) error { return &LayerError{Layer: l.LayerName(), Class: l.Class(), Err: err} }
		if ps, ok := l.(ParamShaper); ok {
			shapes, err := ps.ParamShapes(shape)
			if err != nil {
				return nil, lerr(err)
			}
			for _, p := range shapes {
				if _, err := checkedSize(p.Shape); err != nil {
					return nil, lerr(fmt.Errorf("weight %s: %w", p.Name, err))
				}
				out = append(out, ParamShape{Name: l.LayerName() + "/" + p.Name, Shape: p.Shape})
			}
		}
		next, err := l.OutputShape(shape)
		if err != nil {
			return nil, lerr(err)
		}
		if _, err := checkedSize(next); err != nil {
			return nil, lerr(fmt.Errorf("output: %w", err))
		}
		shape = next
	}
	return out, nil
}

func (d *Dense) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := d.OutputShape(in); err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", tensor.Shape{in[len(in)-1], d.Units}}}
	if !d.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{d.Units}})
	}
	return ps, nil
}

func (c *Conv2D) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	g, err := c.geometry(in)
	if err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", c.kernelShape(&g)}}
	if !c.NoBias {
		ps = append(ps, ParamShape{"bias", tensor.Shape{c.Filters}})
	}
	return ps, nil
}

func (p *PatchWhitening) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	c := p.newConv(in)
	ps, err := c.ParamShapes(in)
	if err != nil {
		return nil, err
	}
	// Params lists the trained bias first, then the computed kernel.
	return []ParamShape{ps[1], ps[0]}, nil
}

func (b *BatchNormalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := b.OutputShape(in); err != nil {
		return nil, err
	}
	c := tensor.Shape{in[len(in)-1]}
	var ps []ParamShape
	if !b.NoScale {
		ps = append(ps, ParamShape{"gamma", c})
	}
	if !b.NoCenter {
		ps = append(ps, ParamShape{"beta", c})
	}
	return append(ps, ParamShape{"moving_mean", c}, ParamShape{"moving_variance", c}), nil
}

func (n *Normalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := n.OutputShape(in); err != nil {
		return nil, err
	}
	if n.fixed() {
		return nil, nil // given statistics are config, not weights
	}
	c := tensor.Shape{in[len(in)-1]}
	return []ParamShape{{"mean", c}, {"variance", c}, {"count", tensor.Shape{1}}}, nil
}

// graphParamShapes is ParamShapes for a Functional model: each layer's
// weights for its first call, every call's output checked.
func (s *Stack) graphParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if len(s.gin) == 1 && !in.Equal(s.gin[0].shape) {
		return nil, fmt.Errorf("nn: the model's Input has shape %v, not %v", withBatch(s.gin[0].shape), withBatch(in))
	}
	var out []ParamShape
	seen := map[Layer]bool{}
	for _, n := range s.nodes {
		l := n.layer
		lerr := func(err error) error { return &LayerError{Layer: l.LayerName(), Class: l.Class(), Err: err} }
		if _, err := checkedSize(n.shape); err != nil {
			return nil, lerr(fmt.Errorf("output: %w", err))
		}
		if seen[l] {
			continue
		}
		seen[l] = true
		ps, ok := l.(ParamShaper)
		if !ok {
			continue
		}
		if len(n.inputs) != 1 {
			return nil, lerr(fmt.Errorf("a layer with weights and %d inputs cannot report its weights' shapes", len(n.inputs)))
		}
		shapes, err := ps.ParamShapes(n.inputs[0].shape)
		if err != nil {
			return nil, lerr(err)
		}
		for _, p := range shapes {
			if _, err := checkedSize(p.Shape); err != nil {
				return nil, lerr(fmt.Errorf("weight %s: %w", p.Name, err))
			}
			out = append(out, ParamShape{Name: l.LayerName() + "/" + p.Name, Shape: p.Shape})
		}
	}
	return out, nil
}
