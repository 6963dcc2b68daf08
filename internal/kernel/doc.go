// Package kernel owns the flat []float32 loops that every layer's hot path
// runs: matrix products, im2col/col2im, pooling, bias and activations, and the
// optimiser updates. Nothing here knows about tensors or layers; functions
// take slices, sizes and strides, and their names say how memory is walked.
//
// generic.go holds the portable versions, always compiled. CPU-specific
// versions (assembly on amd64, excluded by the purego build tag) replace the
// function variables at init after a feature check, and are tested against the
// portable twins.
//
// Work is split across Threads() goroutines; each output element is always
// reduced in the same order, so results do not depend on the thread count.
package kernel
