// This file follows keras/src/losses/losses.py, BinaryFocalCrossentropy and
// binary_focal_crossentropy, with the TensorFlow backend's
// binary_crossentropy (keras/src/backend/tensorflow/nn.py): from logits the
// sigmoid's output carries its logits, so the cross-entropy is the stable
// logits form; from probabilities they are clipped to [Epsilon, 1-Epsilon].

package loss

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Keras's defaults for the focal losses (keras/src/losses/losses.py).
const (
	FocalAlpha = 0.25
	FocalGamma = 2.0
)

// Float returns a pointer to v, for the options whose zero value means
// Keras's default (BinaryFocalCrossentropy{Gamma: loss.Float(0)}).
func Float(v float64) *float64 { return &v }

// BinaryFocalCrossentropy is Keras's binary_focal_crossentropy: binary
// cross-entropy times the focal factor (1-p_t)^Gamma, where p_t is the
// predicted probability of the target (y*p + (1-y)*(1-p)), and with
// ApplyClassBalancing also times Alpha for class 1 and 1-Alpha for class 0;
// averaged over the last axis.
type BinaryFocalCrossentropy struct {
	// ApplyClassBalancing weighs class 1 by Alpha and class 0 by 1-Alpha
	// (Keras's default false).
	ApplyClassBalancing bool
	// Alpha is the class-1 weight of class balancing; nil means Keras's
	// FocalAlpha (0.25).
	Alpha *float64
	// Gamma is the focusing exponent; nil means Keras's FocalGamma (2).
	Gamma *float64
	// FromLogits says the predictions are logits rather than sigmoid
	// probabilities (Keras's default false).
	FromLogits bool
	// LabelSmoothing ls in [0, 1] replaces the targets y by
	// y*(1-ls) + 0.5*ls (default 0).
	LabelSmoothing float64
	// Reduction is Keras's reduction; the zero value is its default,
	// "sum_over_batch_size".
	Reduction Reduction
}

// Name returns "binary_focal_crossentropy".
func (BinaryFocalCrossentropy) Name() string { return NameBinaryFocalCrossentropy }

// alphaGamma returns the effective Alpha and Gamma.
func (l BinaryFocalCrossentropy) alphaGamma() (alpha, gamma float64) {
	return orDefault(l.Alpha, FocalAlpha), orDefault(l.Gamma, FocalGamma)
}

// orDefault returns *v, or def when v is nil.
func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

// checkFocal checks a focal loss's alpha and gamma.
func checkFocal(name string, alpha, gamma float64) error {
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) {
		return fmt.Errorf("loss: %s alpha is %v; use a finite weight such as Keras's %v", name, alpha, FocalAlpha)
	}
	if !(gamma >= 0) || math.IsInf(gamma, 0) {
		return fmt.Errorf("loss: %s gamma is %v; use a finite gamma >= 0 such as Keras's %v", name, gamma, FocalGamma)
	}
	return nil
}

// Check accepts targets of pred's shape, or that shape with or without a
// trailing axis of 1.
func (l BinaryFocalCrossentropy) Check(pred, target tensor.Shape) error {
	alpha, gamma := l.alphaGamma()
	if err := checkFocal(l.Name(), alpha, gamma); err != nil {
		return err
	}
	return checkBinary(l.Name(), l.Reduction, l.LabelSmoothing, pred, target)
}

// Compute returns the reduced loss of the batch.
func (l BinaryFocalCrossentropy) Compute(pred, target, grad *tensor.Tensor) float64 {
	return l.ComputeWeighted(pred, target, nil, grad)
}

// kernel returns the element-wise kernel.
func (l BinaryFocalCrossentropy) kernel() elementKernel {
	alpha, gamma := l.alphaGamma()
	return func(g, p, t []float32, scale float64) float64 {
		return binaryFocal(g, p, t, scale, alpha, gamma, l.ApplyClassBalancing, l.FromLogits)
	}
}

// ComputeWeighted is Compute with per-sample weights (see Weighted).
func (l BinaryFocalCrossentropy) ComputeWeighted(pred, target *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	mustCheck(l, pred, target, grad)
	checkWeights(l.Name(), pred, w)
	if l.LabelSmoothing != 0 {
		t := smoothBinary(target.Data, len(pred.Data), l.LabelSmoothing)
		defer targetPool.Put(t)
		return elementwise(l.Reduction, l.kernel(), pred, *t, w, grad, false)
	}
	return elementwise(l.Reduction, l.kernel(), pred, target.Data, w, grad, false)
}

// Values returns the per-sample losses (see Unreduced).
func (l BinaryFocalCrossentropy) Values(pred, target *tensor.Tensor, w []float32, out []float32) ([]float32, error) {
	l.Reduction = ""
	if err := valuesCheck(l, pred, target, w); err != nil {
		return nil, err
	}
	if l.LabelSmoothing != 0 {
		t := smoothBinary(target.Data, len(pred.Data), l.LabelSmoothing)
		defer targetPool.Put(t)
		return elementValues(l.kernel(), pred, *t, w, false, out), nil
	}
	return elementValues(l.kernel(), pred, target.Data, w, false, out), nil
}

// binaryFocal sums w*(1-p_t)^gamma*bce over the elements and writes the
// exact derivative (times scale) into grad when non-nil.
func binaryFocal(grad, x, y []float32, scale, alpha, gamma float64, balance, fromLogits bool) float64 {
	y = y[:len(x)]
	var sum float64
	for i, v := range x {
		xv, t := float64(v), float64(y[i])
		var p, bce, dbce float64 // dbce: d bce / d input (logit or probability)
		if fromLogits {
			e := math.Exp(-math.Abs(xv))
			if xv >= 0 {
				p = 1 / (1 + e)
			} else {
				p = e / (1 + e)
			}
			bce = math.Max(xv, 0) - xv*t + math.Log1p(e)
			dbce = p - t
		} else {
			p = xv
			c, in := math.Min(math.Max(p, Epsilon), 1-Epsilon), p >= Epsilon && p <= 1-Epsilon
			bce = -(t*math.Log(c) + (1-t)*math.Log(1-c))
			if in {
				dbce = (c - t) / (c * (1 - c))
			}
		}
		b := 1 - (t*p + (1-t)*(1-p)) // 1 - p_t
		ff := math.Pow(b, gamma)
		wgt := 1.0
		if balance {
			wgt = t*alpha + (1-t)*(1-alpha)
		}
		sum += wgt * ff * bce
		if grad != nil {
			var dff float64 // d ff / d p
			if gamma != 0 {
				dff = -gamma * math.Pow(b, gamma-1) * (2*t - 1)
			}
			if fromLogits {
				dff *= p * (1 - p)
			}
			grad[i] = float32(scale * wgt * (dff*bce + ff*dbce))
		}
	}
	return sum
}
