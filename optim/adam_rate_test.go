package optim

import (
	"math"
	"slices"
	"testing"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Adam's step rate is lr·sqrt(1-b2^t)/(1-b1^t) computed in float64 and
// rounded to float32 once (Keras computes it in the variable's dtype; this
// is the rounding gokeras's presets have trained with, so their printed
// losses stay the same from version to version): ten steps of Adam equal
// the kernel called with that rate, bit for bit.
func TestAdamStepRateRoundedOnce(t *testing.T) {
	const lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-7
	o := &Adam{}
	w := &tensor.Tensor{Shape: tensor.Shape{4}, Data: []float32{0.3, -1.7, 2.2, 0.01}}
	ref := slices.Clone(w.Data)
	m, v := make([]float32, 4), make([]float32, 4)
	for step := 1; step <= 10; step++ {
		g := &tensor.Tensor{Shape: tensor.Shape{4}, Data: []float32{0.11 * float32(step), -0.3, 0.05, 1 / float32(step)}}
		o.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
		alpha := float32(lr * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step))))
		kernel.AdamUpdate(ref, g.Data, m, v, alpha, b1, b2, eps, 0)
		for i := range ref {
			if math.Float32bits(w.Data[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("step %d: w[%d] = %v, want %v (the step rate rounded once)", step, i, w.Data[i], ref[i])
			}
		}
	}
}
