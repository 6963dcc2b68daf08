package constraint_test

import (
	"fmt"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/tensor"
)

// MaxNorm on a Dense kernel (inputs, units) bounds each unit's incoming
// weights: column (3, 4) has norm 5 and is scaled to norm 2; column
// (0.6, 0.8), of norm 1, stays (up to Keras's ε of 1e-7).
func ExampleMaxNorm() {
	w := []float32{3, 0.6, 4, 0.8}
	constraint.MaxNorm{MaxValue: 2}.Apply(w, tensor.Shape{2, 2})
	fmt.Printf("%.4f\n", w)
	// Output: [1.2000 0.6000 1.6000 0.8000]
}
