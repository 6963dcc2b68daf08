package gokeras

import "github.com/gokeras/gokeras/nn"

// FLOPs estimates the floating-point operations of one sample's forward
// pass, counting a multiply-add as two and only the matrix products of
// Dense, Conv1D and Conv2D layers (the element-wise work is a few percent). A
// training step costs about three times this: the forward pass and the
// two backward products. The model must be built.
func (m *Sequential) FLOPs() int64 {
	var total int64
	in := m.net.InputShape()
	for i, l := range m.net.Layers {
		out := m.net.LayerOutputShape(i)
		if w, ok := l.(*nn.SpectralNormalization); ok {
			l = w.Layer // the wrapped layer's products; the power iteration is small
		}
		switch l := l.(type) {
		case *nn.Dense:
			// One product per position of the leading axes (Dense acts on
			// the last axis of inputs of any rank).
			total += 2 * int64(in.Size()) * int64(l.Units)
		case *nn.Conv2D:
			k := l.KernelSize
			// A grouped kernel sees in[2]/groups channels per filter.
			total += 2 * int64(out[0]*out[1]) * int64(k[0]*k[1]*in[2]/max(l.Groups, 1)) * int64(l.Filters)
		case *nn.Conv1D:
			total += 2 * int64(out[0]) * int64(l.KernelSize*in[1]/max(l.Groups, 1)) * int64(l.Filters)
		}
		in = out
	}
	return total
}
