package nn

import (
	"github.com/gokeras/gokeras/tensor"
)

// view points v at x's data with shape (batch, sample...), reusing v's
// shape slice, so that reshaping layers do not allocate per batch.
func view(v *tensor.Tensor, x *tensor.Tensor, sample tensor.Shape) *tensor.Tensor {
	if len(v.Shape) != len(sample)+1 {
		v.Shape = make(tensor.Shape, len(sample)+1)
	}
	v.Shape[0] = x.Len()
	copy(v.Shape[1:], sample)
	v.Data = x.Data
	return v
}
