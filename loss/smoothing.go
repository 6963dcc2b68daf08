// This file owns label smoothing of one-hot and sparse targets.

package loss

import (
	"fmt"
	"sync"
)

// targetPool holds the smoothed-target buffers, so that training with
// label smoothing does not allocate per step.
var targetPool = sync.Pool{New: func() any { return new([]float32) }}

// smoothTargets returns y*(1-ls) + ls/cols for the rows of target (one-hot
// or soft rows, or class indices when sparse) in a buffer from targetPool,
// which the caller puts back. A sparse label outside [0, cols) panics, as
// the sparse kernels do; see CheckTargets.
func smoothTargets(target []float32, rows, cols int, ls float64, sparse bool) *[]float32 {
	p := targetPool.Get().(*[]float32)
	n := rows * cols
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	buf := (*p)[:n]
	*p = buf
	keep, off := float32(1-ls), float32(ls/float64(cols))
	if !sparse {
		for i, v := range target[:n] {
			buf[i] = v*keep + off
		}
		return p
	}
	for i := range buf {
		buf[i] = off
	}
	for r, v := range target[:rows] {
		c := int(v)
		if float32(c) != v || c < 0 || c >= cols {
			panic(fmt.Sprintf("loss: label %v at index %d is not a class index in [0, %d); see CheckTargets", v, r, cols))
		}
		buf[r*cols+c] += keep
	}
	return p
}

// checkSmoothing checks a label_smoothing value.
func checkSmoothing(name string, ls float64) error {
	if !(ls >= 0 && ls <= 1) {
		return fmt.Errorf("loss: %s label_smoothing is %v; use a value in [0, 1], e.g. 0.1", name, ls)
	}
	return nil
}

// smoothBinary returns y*(1-ls) + 0.5*ls for the binary targets y, Keras's
// label smoothing of binary_crossentropy and binary_focal_crossentropy, in
// a buffer from targetPool, which the caller puts back.
func smoothBinary(target []float32, n int, ls float64) *[]float32 {
	p := targetPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	buf := (*p)[:n]
	*p = buf
	keep, off := float32(1-ls), float32(0.5*ls)
	for i, v := range target[:n] {
		buf[i] = v*keep + off
	}
	return p
}
