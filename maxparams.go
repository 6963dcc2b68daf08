package gokeras

import (
	"fmt"

	"github.com/gokeras/gokeras/nn"
)

// MaxParams is the most weights Build creates (and Fit, which builds, and
// ParseModelJSON when the file declares its input shape): 250 million,
// 1 GB of float32 values, 4 GB while training with Adam (the weights,
// their gradients and two slots each), far above any preset (cifar10-cnn
// has 2.4 million). It stops a model file's "units": 3000000000 from
// asking for terabytes before a line of it is checked. Raise it before
// building a larger model on purpose. Load is not limited by it: a saved
// model's weights must all be in the file, so Load allocates about the
// file's size.
var MaxParams = 250_000_000

// checkParamCount fails when the weights of plan (nn.Stack.ParamShapes)
// number more than MaxParams.
func checkParamCount(plan []nn.ParamShape) error {
	total, largest := 0, 0
	for i, p := range plan {
		n := p.Shape.Size() // at most nn.MaxElements each, so the sum cannot overflow
		total += n
		if n > plan[largest].Shape.Size() {
			largest = i
		}
	}
	if total > MaxParams {
		return fmt.Errorf("the model asks for %s weights (%s of float32), more than gokeras.MaxParams = %s; the largest is %s %v: make the model smaller, or raise gokeras.MaxParams if the machine has the memory",
			commas(total), bytesString(4*float64(total)), commas(MaxParams), plan[largest].Name, plan[largest].Shape)
	}
	return nil
}

// bytesString is n bytes in the largest unit that keeps a number >= 1.
func bytesString(n float64) string {
	units := []string{"bytes", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f bytes", n)
	}
	return fmt.Sprintf("%.3g %s", n, units[i])
}
