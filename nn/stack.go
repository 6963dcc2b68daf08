package nn

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Stack is a sequence of layers run in order: the network inside a
// Sequential model. It names layers as Keras does, infers every shape at
// Build, and runs the forward and backward passes.
type Stack struct {
	Layers []Layer

	input  tensor.Shape   // per-sample input shape
	shapes []tensor.Shape // per-sample output shape of each layer
	built  bool
	// linear[i]: layer i's activation gradient is applied by layer i+1
	// (see fuse), so Backward calls its BackwardLinear.
	linear []bool

	// act[i] is layer i's activity regularizer (nil for none); outs[i] its
	// output in the last Forward, and actLoss their penalties there.
	act     []regularizer.Regularizer
	outs    []*tensor.Tensor
	actLoss float64

	// Infer's output (and its shape) and its view of one chunk of the input.
	inferOut   *tensor.Tensor
	inferShape tensor.Shape
	chunk      tensor.Tensor
}

// Add appends layers. An InputLayer only declares the input shape and is
// not kept, as in a Keras Sequential model.
func (s *Stack) Add(layers ...Layer) {
	for _, l := range layers {
		if in, ok := l.(*InputLayer); ok && len(s.Layers) == 0 {
			s.input = in.Shape.Clone()
			continue
		}
		s.Layers = append(s.Layers, l)
	}
	s.built = false
}

// DeclaredInputShape is the input shape given by an InputLayer or on the
// first layer (InputShape), or nil.
func (s *Stack) DeclaredInputShape() tensor.Shape {
	if len(s.input) > 0 {
		return s.input
	}
	if len(s.Layers) > 0 {
		if d, ok := s.Layers[0].(InputShaper); ok {
			return d.DeclaredInputShape()
		}
	}
	return nil
}

var (
	snake1 = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snake2 = regexp.MustCompile(`([a-z])([A-Z])`)
)

// snakeCase converts a class name as Keras's to_snake_case does:
// MaxPooling2D -> max_pooling2d, Conv2D -> conv2d.
func snakeCase(s string) string {
	s = snake1.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(snake2.ReplaceAllString(s, "${1}_${2}"))
}

// AssignNames names unnamed layers as Keras does: the snake-cased class,
// then _1, _2, ... for later layers of the same class (conv2d, conv2d_1,
// dropout, dropout_1), skipping names already taken. It is an error for
// two layers to share a name. Build calls it; call it directly to learn
// the names before the input shape is known.
func (s *Stack) AssignNames() error {
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, l := range s.Layers {
		name := l.LayerName()
		if name == "" {
			base := snakeCase(l.Class())
			for {
				name = base
				if n := counts[base]; n > 0 {
					name = fmt.Sprintf("%s_%d", base, n)
				}
				counts[base]++
				if !seen[name] {
					break
				}
			}
			l.SetLayerName(name)
		}
		if seen[name] {
			return fmt.Errorf("nn: two layers are named %q; layer names must be unique", name)
		}
		seen[name] = true
	}
	return nil
}

// Build names unnamed layers (conv2d, conv2d_1, ...), checks that each
// layer accepts the previous one's output, and creates the weights from
// seed. in is the per-sample input shape; nil uses the declared one.
func (s *Stack) Build(in tensor.Shape, seed uint64) error {
	if len(s.Layers) == 0 {
		return fmt.Errorf("nn: the model has no layers; add some before building it")
	}
	if in == nil {
		in = s.DeclaredInputShape()
	}
	if len(in) == 0 {
		return fmt.Errorf("nn: the input shape is unknown; give it on the first layer (InputShape) or add an Input first")
	}
	if err := in.Validate(); err != nil {
		return fmt.Errorf("nn: input shape: %w", err)
	}
	s.input = in.Clone()
	if err := s.AssignNames(); err != nil {
		return err
	}
	master := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.shapes = s.shapes[:0]
	shape := in
	for _, l := range s.Layers {
		rng := rand.New(rand.NewPCG(master.Uint64(), master.Uint64()))
		if err := l.Build(shape, rng); err != nil {
			return &LayerError{Layer: l.LayerName(), Class: l.Class(), Err: err}
		}
		out, err := l.OutputShape(shape)
		if err != nil {
			return &LayerError{Layer: l.LayerName(), Class: l.Class(), Err: err}
		}
		s.shapes = append(s.shapes, out)
		shape = out
	}
	// The first layer with weights need not compute its input gradient
	// when nothing before it has weights either.
	for _, l := range s.Layers {
		if len(l.Params()) > 0 {
			if sk, ok := l.(InputGradSkipper); ok {
				sk.SkipInputGrad(true)
			}
			break
		}
	}
	s.act, s.outs = s.act[:0], s.outs[:0]
	for _, l := range s.Layers {
		var r regularizer.Regularizer
		if a, ok := l.(ActivityRegularized); ok {
			r = a.OutputRegularizer()
		}
		s.act = append(s.act, r)
		s.outs = append(s.outs, nil)
	}
	s.fuse()
	s.built = true
	return nil
}

// ActivityRegularized is implemented by layers that take an
// activity_regularizer: its penalty of the layer's output joins the loss.
type ActivityRegularized interface {
	OutputRegularizer() regularizer.Regularizer
}

// hasActivity reports whether any layer has an activity regularizer.
func (s *Stack) hasActivity() bool {
	for _, r := range s.act {
		if r != nil {
			return true
		}
	}
	return false
}

// fuse lets a MaxPooling2D apply the gradient of the ReLU just before it
// on its pooled gradient: the same bits as ReLU's backward pass (the
// winner of each window is the ReLU output its pooled value came from),
// without a pass over the larger, unpooled tensor.
func (s *Stack) fuse() {
	s.linear = s.linear[:0]
	for i, l := range s.Layers {
		fused := false
		if p, ok := l.(*MaxPooling2D); ok {
			p.reluGrad = false
			if i > 0 && s.act[i-1] == nil {
				if a, ok := s.Layers[i-1].(Activated); ok && a.ActivationFunc() == activation.ReLU {
					p.reluGrad = true
					fused = true
				}
			}
		}
		if i > 0 {
			s.linear[i-1] = fused
		}
		s.linear = append(s.linear, false)
	}
}

// backward runs layer i's backward pass, first adding the gradient of its
// activity penalty to dy (a buffer of the layer after it, or the caller's).
func (s *Stack) backward(i int, dy *tensor.Tensor) *tensor.Tensor {
	if r := s.act[i]; r != nil {
		r.AddGrad(dy.Data, s.outs[i].Data, s.outs[i].Shape)
	}
	if s.linear[i] {
		return s.Layers[i].(Activated).BackwardLinear(dy)
	}
	return s.Layers[i].Backward(dy)
}

// Built reports whether Build has succeeded since the last Add.
func (s *Stack) Built() bool { return s.built }

// InputShape is the per-sample input shape (after Build).
func (s *Stack) InputShape() tensor.Shape { return s.input }

// OutputShape is the per-sample output shape of the last layer.
func (s *Stack) OutputShape() tensor.Shape {
	if len(s.shapes) == 0 {
		return nil
	}
	return s.shapes[len(s.shapes)-1]
}

// LayerOutputShape is the per-sample output shape of layer i.
func (s *Stack) LayerOutputShape(i int) tensor.Shape { return s.shapes[i] }

// Forward runs the layers on a batch. The result is owned by the last
// layer. The activity regularizers' penalties of the batch are kept for
// Penalty, as Keras records them on every call.
func (s *Stack) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	s.actLoss = 0
	for i, l := range s.Layers {
		x = l.Forward(x, training)
		if r := s.act[i]; r != nil {
			s.outs[i] = x
			s.actLoss += r.Penalty(x.Data, x.Shape)
		}
	}
	return x
}

// ActivityPenalty is the sum of the activity regularizers' penalties of
// the last Forward: part of what Keras adds to the loss besides the
// compiled loss (model.losses). Keras 3 does not divide them by the batch
// size (keras/src/layers/layer.py, Layer.__call__).
func (s *Stack) ActivityPenalty() float64 { return s.actLoss }

// inferBudget is about how many bytes of one layer's output Infer lets a
// chunk produce: a few MB stay in the last-level cache, so the next layer
// reads them from there. On the 2-core Zen 5 VM, in interleaved gk bench
// runs, evaluate() of cifar10-cnn at batch 256 ran at about 5,300
// samples/s whole, 6,000-6,300 in chunks of 64 (16 MB of first-layer
// output) and 6,700 in chunks of 128 (32 MB); fashion-cnn, whose widest
// output is 80 KB a sample, lost 12% when cut into chunks of 128, so it
// runs whole under this budget (BENCHMARKS.md).
var inferBudget = 32 << 20

// inferChunk is how many examples Infer runs at a time.
func (s *Stack) inferChunk() int {
	widest := 1
	for _, sh := range s.shapes {
		widest = max(widest, sh.Size())
	}
	return max(16, inferBudget/(4*widest))
}

// Infer is Forward in inference mode for a batch of any size. It runs the
// layers on chunks of the batch small enough that each layer's output
// stays in cache and gathers the results in a tensor the Stack owns (valid
// until the next call). Each row equals Forward(x, false)'s: no layer
// mixes examples in inference.
func (s *Stack) Infer(x *tensor.Tensor) *tensor.Tensor {
	n := x.Len()
	size := s.inferChunk()
	chunks := (n + size - 1) / size
	// An activity penalty is of the whole batch (Orthogonal's is not a sum
	// over examples), so a model with one runs it whole.
	if chunks <= 1 || s.hasActivity() {
		return s.Forward(x, false)
	}
	out := s.OutputShape()
	s.inferShape = append(append(s.inferShape[:0], n), out...)
	s.inferOut = tensor.Ensure(s.inferOut, s.inferShape...)
	row := out.Size()
	for c := 0; c < chunks; c++ {
		// Even chunks: 256 in chunks of at most 64 is 4×64, 200 is 4×50.
		lo, hi := c*n/chunks, (c+1)*n/chunks
		y := s.Forward(x.SliceInto(&s.chunk, lo, hi), false)
		copy(s.inferOut.Data[lo*row:hi*row], y.Data)
	}
	return s.inferOut
}

// ForwardTo runs the layers up to and including layer i (for feature maps).
func (s *Stack) ForwardTo(x *tensor.Tensor, i int) *tensor.Tensor {
	for _, l := range s.Layers[:i+1] {
		x = l.Forward(x, false)
	}
	return x
}

// Backward propagates dLoss/dOutput through every layer, filling the
// weight gradients.
func (s *Stack) Backward(dy *tensor.Tensor) {
	for i := len(s.Layers) - 1; i >= 0 && dy != nil; i-- {
		dy = s.backward(i, dy)
	}
}

// BackwardLinear propagates dLoss/dz, the gradient before the last layer's
// activation (the fused softmax + cross-entropy path). It panics if the last
// layer has no activation; check with LastActivated.
func (s *Stack) BackwardLinear(dz *tensor.Tensor) {
	last := len(s.Layers) - 1
	dy := s.Layers[last].(Activated).BackwardLinear(dz)
	for i := last - 1; i >= 0 && dy != nil; i-- {
		dy = s.backward(i, dy)
	}
}

// LastActivated returns the last layer as Activated, if it is one and
// has no activity regularizer (whose gradient is of the activation's output).
func (s *Stack) LastActivated() (Activated, bool) {
	if len(s.Layers) == 0 || (len(s.act) == len(s.Layers) && s.act[len(s.act)-1] != nil) {
		return nil, false
	}
	a, ok := s.Layers[len(s.Layers)-1].(Activated)
	return a, ok
}

// Params lists every weight, layer by layer.
func (s *Stack) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// TrainableParams lists the weights an optimizer updates, layer by layer:
// those with a gradient, in layers that are not frozen.
func (s *Stack) TrainableParams() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		if !IsTrainable(l) {
			continue
		}
		for _, p := range l.Params() {
			if p.Trainable() {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// CountParams returns the total, trainable and non-trainable weight counts,
// the three lines at the bottom of a Keras summary. A frozen layer's
// weights are non-trainable.
func (s *Stack) CountParams() (total, trainable, nonTrainable int) {
	for _, l := range s.Layers {
		on := IsTrainable(l)
		for _, p := range l.Params() {
			n := p.Value.Shape.Size()
			total += n
			if on && p.Trainable() {
				trainable += n
			} else {
				nonTrainable += n
			}
		}
	}
	return
}
