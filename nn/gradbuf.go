package nn

import "github.com/gokeras/gokeras/tensor"

// Shared gradient memory. In a backward pass the gradient of a node's
// input is written by the node's layer and read by one consumer: the
// layer of the node before it (or an accumulator where the node before it
// fans out). After that layer's Backward it is dead. Layers own their
// buffers (layer.go), so a graph held one input-gradient buffer per layer
// call for its whole life: half of a ResNet-20 step's memory (535 of
// 1,009 MiB at batch 128, measured with a heap profile of three steps on
// synthetic data, BENCHMARKS.md). The Stack instead lends each layer the
// buffer it writes its input gradient into, from a small pool, and takes
// it back as soon as the gradient's consumer has run; the buffers of one
// backward pass are the few that are alive at the same time.
//
// A layer takes part by reporting the field it keeps its input gradient
// in (it fills it with tensor.Ensure, which reuses a buffer big enough);
// a layer that does not keeps its own buffer, as before.

// gradBuffered is implemented by layers whose Backward writes the input
// gradient into the tensor held in the field gradBuffer returns.
type gradBuffered interface{ gradBuffer() **tensor.Tensor }

// mergeGradBuffered is gradBuffered for merge layers: one field per input,
// in the slice gradBuffers returns.
type mergeGradBuffered interface{ gradBuffers() []*tensor.Tensor }

func (c *Conv2D) gradBuffer() **tensor.Tensor                 { return &c.dx }
func (b *BatchNormalization) gradBuffer() **tensor.Tensor     { return &b.dx }
func (d *Dense) gradBuffer() **tensor.Tensor                  { return &d.dx }
func (a *Activation) gradBuffer() **tensor.Tensor             { return &a.dx }
func (l *ReLU) gradBuffer() **tensor.Tensor                   { return &l.dx }
func (l *LeakyReLU) gradBuffer() **tensor.Tensor              { return &l.dx }
func (l *ELU) gradBuffer() **tensor.Tensor                    { return &l.dx }
func (l *PReLU) gradBuffer() **tensor.Tensor                  { return &l.dx }
func (l *Softmax) gradBuffer() **tensor.Tensor                { return &l.dx }
func (d *Dropout) gradBuffer() **tensor.Tensor                { return &d.dx }
func (p *MaxPooling2D) gradBuffer() **tensor.Tensor           { return &p.dx }
func (p *AveragePooling2D) gradBuffer() **tensor.Tensor       { return &p.dx }
func (p *GlobalAveragePooling2D) gradBuffer() **tensor.Tensor { return &p.dx }
func (p *GlobalMaxPooling2D) gradBuffer() **tensor.Tensor     { return &p.dx }
func (p *adaptivePool) gradBuffer() **tensor.Tensor           { return &p.dx }
func (l *RMSNormalization) gradBuffer() **tensor.Tensor       { return &l.dx }
func (l *Add) gradBuffers() []*tensor.Tensor                  { return l.e.dxs }
func (l *Subtract) gradBuffers() []*tensor.Tensor             { return l.e.dxs }
func (l *Multiply) gradBuffers() []*tensor.Tensor             { return l.e.dxs }
func (l *Average) gradBuffers() []*tensor.Tensor              { return l.e.dxs }
func (l *Maximum) gradBuffers() []*tensor.Tensor              { return l.e.dxs }
func (l *Minimum) gradBuffers() []*tensor.Tensor              { return l.e.dxs }
func (l *Concatenate) gradBuffers() []*tensor.Tensor          { return l.dxs }

// pooled is one buffer of a gradPool and how many nodes hold it as their
// gradient (or a layer is about to write into it).
type pooled struct {
	t    *tensor.Tensor
	refs int
}

// gradPool holds the gradient buffers a Stack lends. Backward visits the
// nodes in the same order every step, so after the first step every take
// finds a free buffer that fits and nothing is allocated.
type gradPool struct {
	all  []*pooled
	free []*pooled
}

// reset makes every buffer free: the gradients of the last backward pass
// (including those of the model's inputs, which a caller may still have
// read) are dead when the next one starts.
func (p *gradPool) reset() {
	p.free = p.free[:0]
	for _, b := range p.all {
		b.refs = 0
		p.free = append(p.free, b)
	}
}

// take lends the smallest free buffer that holds n floats, or a new one,
// with one reference.
func (p *gradPool) take(n int) *pooled {
	best := -1
	for i, b := range p.free {
		if c := cap(b.t.Data); c >= n && (best < 0 || c < cap(p.free[best].t.Data)) {
			best = i
		}
	}
	var b *pooled
	if best < 0 {
		// Room for the shape of any layer's gradient, so that tensor.Ensure
		// never allocates one when the buffer moves between layers.
		b = &pooled{t: &tensor.Tensor{Shape: make(tensor.Shape, 0, 8), Data: make([]float32, n)}}
		p.all = append(p.all, b)
	} else {
		b = p.free[best]
		p.free[best] = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	}
	b.refs = 1
	return b
}

// owner returns the lent buffer that t's data lives in, or nil when t is
// not the pool's (a layer's own buffer, or the loss gradient).
func (p *gradPool) owner(t *tensor.Tensor) *pooled {
	for _, b := range p.all {
		if b.refs > 0 && sameArray(b.t.Data, t.Data) {
			return b
		}
	}
	return nil
}

// release drops one reference to b (nil is no buffer); the last one makes
// it free.
func (p *gradPool) release(b *pooled) {
	if b == nil {
		return
	}
	if b.refs--; b.refs == 0 {
		p.free = append(p.free, b)
	}
}

// sameArray reports whether a and b are views of one array: slices of it
// end at the same last element when extended to their capacity.
func sameArray(a, b []float32) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}
