// This file follows keras/src/losses/losses.py, Hinge, hinge and
// convert_binary_labels_to_hinge.

package loss

import (
	"github.com/gokeras/gokeras/tensor"
)

// Hinge is Keras's hinge loss: the mean over the last axis of
// max(1 - y*p, 0). Targets are -1 or 1; when every target of the batch is
// 0 or 1, they are taken as 2y-1, as Keras converts binary labels.
type Hinge struct {
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "hinge".
func (Hinge) Name() string { return NameHinge }

// Check accepts targets of pred's shape, up to a trailing axis of 1.
func (l Hinge) Check(pred, target tensor.Shape) error {
	return checkElementwise(l.Name(), l.Reduction, pred, target)
}

// Compute returns the reduced hinge loss of the batch. Its gradient is -y
// where 1 - y*p >= 0 (tf.maximum passes it on ties), else 0.
func (l Hinge) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l Hinge) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	return elementwise(l.Reduction, hingeKernel(binaryLabels(target.Data), false), pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l Hinge) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	return elementValues(hingeKernel(binaryLabels(target.Data), false), pred, target.Data, w, false, out), nil
}

// binaryLabels reports whether every target is 0 or 1, in which case the
// hinge losses use 2y-1 (Keras decides this for the whole batch).
func binaryLabels(t []float32) bool {
	for _, v := range t {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// hingeKernel returns the kernel of the hinge loss, or of the squared
// hinge loss when squared is set; convert says the targets are 0/1 labels
// to be mapped to -1/1.
func hingeKernel(convert, squared bool) elementKernel {
	return func(grad, p, y []float32, scale float64) float64 {
		y = y[:len(p)]
		var sum float64
		for i, v := range p {
			t := float64(y[i])
			if convert {
				t = 2*t - 1
			}
			m := 1 - t*float64(v)
			var d float64
			if m >= 0 {
				d = -t
			}
			if m < 0 {
				m = 0
			}
			if squared {
				sum += m * m
				d *= 2 * m
			} else {
				sum += m
			}
			if grad != nil {
				grad[i] = float32(scale * d)
			}
		}
		return sum
	}
}
