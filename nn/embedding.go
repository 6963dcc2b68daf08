package nn

// Embedding, as Keras 3's keras.layers.Embedding
// (keras/src/layers/core/embedding.py).

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// Embedding maps integer indices in [0, InputDim) to trained vectors of
// OutputDim values, as Keras's Embedding: (batch, ...) → (batch, ...,
// OutputDim), row k of the (InputDim, OutputDim) "embeddings" weight for
// index k. Float inputs are truncated to integers, as Keras's cast to
// int32. An index outside [0, InputDim) in a model's input is an error
// before Fit, Evaluate or Predict starts (CheckValue), as TensorFlow's
// gather raises; after other layers, where a forward pass cannot fail, it
// gives a vector of zeros. Keras's mask_zero is not implemented: gokeras
// has no masks for the layers after it to read.
//
// For the categories of a table (entity embeddings) give each category
// column an Input of shape (1,) and Flatten the (1, OutputDim) result.
type Embedding struct {
	Trainability
	Name                  string
	InputShape            tensor.Shape // optional: declares the model input, like input_shape=
	InputDim, OutputDim   int          // the number of indices and the vector length; required
	EmbeddingsInitializer Initializer  // zero value: Keras's "uniform", RandomUniform(-0.05, 0.05)
	EmbeddingsRegularizer regularizer.Regularizer
	EmbeddingsConstraint  constraint.Constraint

	emb        Param
	in         tensor.Shape
	idx        []int32
	yShape     []int
	y, dx      *tensor.Tensor
	skipInputG bool
}

// embeddingsDefault is Keras's "uniform" (initializers.get), RandomUniform
// with its defaults.
var embeddingsDefault = RandomUniform(-0.05, 0.05)

func init() {
	// Keys as embedding.py's get_config writes them, and Keras 2's
	// input_length (deprecated, "Just remove it" in Keras 3).
	register("Embedding", func(r *cfgReader) Layer {
		if r.Bool("mask_zero", false) {
			r.unsupported("mask_zero", true, "gokeras has no masks for the layers after it to read; use mask_zero false (index 0 is then an ordinary index)")
		}
		r.noOp("input_length")
		r.null("activity_regularizer", "gokeras implements activity regularization on Dense and the convolution layers; add an ActivityRegularization layer after this one instead")
		r.loraKeys()
		r.null("quantization_config", "gokeras does not quantize weights")
		return &Embedding{InputShape: r.declaredShape(), InputDim: r.Int("input_dim", 0), OutputDim: r.Int("output_dim", 0),
			EmbeddingsInitializer: r.initializer("embeddings_initializer"),
			EmbeddingsRegularizer: r.readRegularizer("embeddings_regularizer"),
			EmbeddingsConstraint:  r.readConstraint("embeddings_constraint")}
	})
}

func (l *Embedding) LayerName() string                { return l.Name }
func (l *Embedding) SetLayerName(s string)            { l.Name = s }
func (l *Embedding) Class() string                    { return "Embedding" }
func (l *Embedding) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *Embedding) SkipInputGrad(skip bool)          { l.skipInputG = skip }
func (l *Embedding) Params() []*Param                 { return []*Param{&l.emb} }

func (l *Embedding) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["input_dim"] = l.InputDim
	m["output_dim"] = l.OutputDim
	m["embeddings_initializer"] = initConfig(l.EmbeddingsInitializer, embeddingsDefault)
	m["embeddings_regularizer"] = regularizer.Serialize(l.EmbeddingsRegularizer)
	m["embeddings_constraint"] = constraint.Serialize(l.EmbeddingsConstraint)
	m["mask_zero"] = false
	m["quantization_config"] = nil
	return m
}

func (l *Embedding) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.InputDim <= 0 || l.OutputDim <= 0 {
		return nil, fmt.Errorf("input_dim %d and output_dim %d must be positive: the number of indices and the vector length (Keras requires both)", l.InputDim, l.OutputDim)
	}
	if l.InputDim > 1<<24 {
		return nil, fmt.Errorf("input_dim %d is more than 2^24: gokeras's float32 inputs hold indices exactly only up to 2^24", l.InputDim)
	}
	if l.InputDim > MaxElements/l.OutputDim {
		return nil, fmt.Errorf("an embeddings matrix of %d by %d has more than 2^50 values", l.InputDim, l.OutputDim)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; give each sample at least one index, shape (1,)")
	}
	out := append(in.Clone(), l.OutputDim)
	if in.Size() > MaxElements/l.OutputDim {
		return nil, fmt.Errorf("output shape %v has more than 2^50 values", out)
	}
	return out, nil
}

func (l *Embedding) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.in = in.Clone()
	l.emb = Param{Name: "embeddings", Value: tensor.New(l.InputDim, l.OutputDim), Grad: tensor.New(l.InputDim, l.OutputDim)}
	if err := withPenalty(&l.emb, "embeddings", l.EmbeddingsRegularizer, l.EmbeddingsConstraint); err != nil {
		return err
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	l.EmbeddingsInitializer.or(embeddingsDefault).fillKernel(l.emb.Value.Data, 1, 1, l.InputDim, l.OutputDim, rng)
	return nil
}

func (l *Embedding) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	switch {
	case l.emb.Value == nil:
		if err := l.Build(x.Shape[1:], nil); err != nil {
			panic(fmt.Sprintf("nn: Embedding: %v", err))
		}
	case !x.Shape[1:].Equal(l.in): // another sample shape; the weights stay
		if err := l.rebuildFor(x.Shape[1:]); err != nil {
			panic(fmt.Sprintf("nn: Embedding: %v", err))
		}
	}
	d := l.OutputDim
	l.yShape = append(append(l.yShape[:0], x.Shape...), d)
	l.y = tensor.Ensure(l.y, l.yShape...)
	if cap(l.idx) < len(x.Data) {
		l.idx = make([]int32, len(x.Data))
	}
	l.idx = l.idx[:len(x.Data)]
	w := l.emb.Value.Data
	for i, v := range x.Data {
		k := categoryIndex(v, l.InputDim)
		l.idx[i] = k
		row := l.y.Data[i*d : (i+1)*d]
		if k < 0 {
			clear(row)
			continue
		}
		copy(row, w[int(k)*d:int(k+1)*d])
	}
	return l.y
}

func (l *Embedding) rebuildFor(in tensor.Shape) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.in = in.Clone()
	return nil
}

// Backward adds each output row's gradient to its index's row of the
// embeddings' gradient; the indices get none.
func (l *Embedding) Backward(dy *tensor.Tensor) *tensor.Tensor {
	d := l.OutputDim
	g := l.emb.Grad.Data
	clear(g)
	for i, k := range l.idx {
		if k < 0 {
			continue
		}
		row := g[int(k)*d : int(k+1)*d]
		for j, v := range dy.Data[i*d : (i+1)*d] {
			row[j] += v
		}
	}
	if l.skipInputG {
		return nil
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape[:len(dy.Shape)-1]...)
	l.dx.Zero()
	return l.dx
}

// CheckValue refuses an index outside [0, InputDim), as TensorFlow's
// gather does.
func (l *Embedding) CheckValue(v float32) error {
	if categoryIndex(v, l.InputDim) < 0 {
		return fmt.Errorf("index %v is outside [0, %d): raise input_dim, or map the values to 0..n-1 first (IntegerLookup does)", v, l.InputDim)
	}
	return nil
}

// ValidValue is index 0.
func (l *Embedding) ValidValue() float32 { return 0 }

func (l *Embedding) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := l.OutputShape(in); err != nil {
		return nil, err
	}
	return []ParamShape{{"embeddings", tensor.Shape{l.InputDim, l.OutputDim}}}, nil
}
