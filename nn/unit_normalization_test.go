package nn_test

import (
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestUnitNormalizationValues: (3, 4) has norm 5; a zero row stays zero
// (Keras floors the squared norm at 1e-12).
func TestUnitNormalizationValues(t *testing.T) {
	l := &nn.UnitNormalization{}
	x := &tensor.Tensor{Shape: tensor.Shape{3, 2}, Data: []float32{3, 4, 0, 0, -1e-7, 0}}
	y := runLayer(t, l, x)
	closeToAll(t, "rows", y.Data, []float64{0.6, 0.8, 0, 0, -0.1, 0}, 1e-6)
	dx := l.Backward(&tensor.Tensor{Shape: tensor.Shape{3, 2}, Data: []float32{1, 0, 1, 1, 1, 0}})
	// Row 0: inv*(dy - y*(dy·y)) = 0.2*((1,0) - 0.6*(0.6,0.8)); rows 1-2
	// are below the floor, where the scale is the constant 1e6.
	closeToAll(t, "dx", dx.Data, []float64{0.2 * 0.64, 0.2 * -0.48, 1e6, 1e6, 1e6, 0}, 1e-3)
}

func TestUnitNormalizationGradients(t *testing.T) {
	nntest.CheckGradients(t, &nn.UnitNormalization{}, tensor.Shape{2, 5}, nntest.GradOptions{Batch: 2})
	nntest.CheckGradients(t, &nn.UnitNormalization{}, tensor.Shape{3}, nntest.GradOptions{Batch: 3, Training: true})
}
