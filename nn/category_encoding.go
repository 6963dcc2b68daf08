package nn

// CategoryEncoding, as Keras 3's keras.layers.CategoryEncoding
// (keras/src/layers/preprocessing/category_encoding.py); its encodings are
// encode_categorical.go's.

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// CategoryEncoding encodes integer features that are already indices in
// [0, NumTokens), as Keras's CategoryEncoding: one_hot, multi_hot (Keras's
// default, also its old name "binary") or count, as catEncoder describes.
// Values are truncated to integers, as the cast to int Keras's backends do
// on a float input. A value outside [0, NumTokens) (or NaN) in a model's
// input is an error before Fit, Evaluate or Predict starts (CheckValue),
// as Keras's documentation promises; elsewhere it encodes to nothing, as
// the TensorFlow and JAX backends' one-hot does.
// Keras's optional count_weights call argument is not implemented: the
// layer takes one input. Its gradient is zero: the output is piecewise
// constant in the input.
type CategoryEncoding struct {
	Trainability
	Name       string
	InputShape tensor.Shape // optional: declares the model input, like input_shape=
	NumTokens  int          // the number of categories; required
	OutputMode string       // "one_hot", "multi_hot" or "count"; "" is "multi_hot"

	enc catEncoder
}

func init() {
	// Keys as category_encoding.py's get_config writes them: num_tokens,
	// output_mode, and Keras 2's sparse.
	register("CategoryEncoding", func(r *cfgReader) Layer {
		r.onlyValue("sparse", "gokeras tensors are dense", false)
		if _, ok := r.Get("num_tokens"); !ok {
			r.Failf(`"num_tokens" is required: the number of categories (IntegerLookup learns it when it is not known)`)
		}
		mode := r.Str("output_mode", modeMultiHot)
		if mode == "binary" { // Keras's deprecated name, which it maps the same way
			mode = modeMultiHot
		}
		return &CategoryEncoding{InputShape: r.inputShape(), NumTokens: r.Int("num_tokens", 0), OutputMode: mode}
	})
}

func (l *CategoryEncoding) LayerName() string                { return l.Name }
func (l *CategoryEncoding) SetLayerName(s string)            { l.Name = s }
func (l *CategoryEncoding) Class() string                    { return "CategoryEncoding" }
func (l *CategoryEncoding) Params() []*Param                 { return nil }
func (l *CategoryEncoding) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *CategoryEncoding) mode() string {
	if l.OutputMode == "" {
		return modeMultiHot
	}
	return l.OutputMode
}

func (l *CategoryEncoding) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["num_tokens"] = l.NumTokens
	m["output_mode"] = l.mode()
	m["sparse"] = false
	return m
}

func (l *CategoryEncoding) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.NumTokens < 1 {
		return nil, fmt.Errorf("num_tokens is %d; give the number of categories, at least 1", l.NumTokens)
	}
	if l.NumTokens > 1<<24 {
		return nil, fmt.Errorf("num_tokens is %d; gokeras's float32 inputs hold category numbers exactly only up to 2^24 (16777216)", l.NumTokens)
	}
	if m := l.mode(); m == modeInt {
		return nil, fmt.Errorf("output_mode %q is not one of \"one_hot\", \"multi_hot\", \"count\" (the input is already the index)", m)
	}
	return catOutputShape(l.mode(), l.NumTokens, in)
}

func (l *CategoryEncoding) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	return l.enc.build(l.mode(), l.NumTokens, in)
}

func (l *CategoryEncoding) rebuild(in tensor.Shape) error { return l.Build(in, nil) }

func (l *CategoryEncoding) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	idx := l.enc.indices(x, l.rebuild)
	for i, v := range x.Data {
		idx[i] = categoryIndex(v, l.NumTokens)
	}
	return l.enc.encode(x)
}

// CheckValue refuses values outside [0, NumTokens), as Keras's
// documentation promises (its backends encode them to nothing).
func (l *CategoryEncoding) CheckValue(v float32) error {
	if categoryIndex(v, l.NumTokens) < 0 {
		return fmt.Errorf("value %v is not a category in [0, %d): raise num_tokens, or map the values to 0..n-1 first (IntegerLookup does)", v, l.NumTokens)
	}
	return nil
}

// ValidValue is category 0.
func (l *CategoryEncoding) ValidValue() float32 { return 0 }

// Backward is zero: the encoding is piecewise constant in the input.
func (l *CategoryEncoding) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.enc.backward(dy) }
