package gokeras

import (
	"fmt"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
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

// maxSampleValues bounds the values of one example at the input and at
// every layer's output: 2^28, 1 GiB of float32, 1,000 times the widest
// layer of any preset (cifar10-fast's 32x32x256). Predict resizes images
// to the model's input size, so without it a model file declaring a
// 100000x100000 input would make predict allocate 40 GB per image.
const maxSampleValues = 1 << 28

// checkSampleSizes fails when the built model's input or a layer's output
// holds more than maxSampleValues values per example.
func (m *Sequential) checkSampleSizes() error {
	check := func(what string, s tensor.Shape) error {
		if n := s.Size(); n > maxSampleValues {
			return fmt.Errorf("%s %v is %s values per example, more than gokeras handles (%s); use smaller inputs or layers",
				what, s, commas(n), commas(maxSampleValues))
		}
		return nil
	}
	if err := check("the input shape", m.net.InputShape()); err != nil {
		return err
	}
	for i, l := range m.net.Layers {
		if err := check(fmt.Sprintf("layer %q outputs", l.LayerName()), m.net.LayerOutputShape(i)); err != nil {
			return err
		}
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
