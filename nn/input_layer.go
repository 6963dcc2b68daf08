package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// InputLayer declares the model's input shape (Keras's Input/InputLayer).
// It passes data through unchanged and is not counted as a layer in a
// summary.
//
// DType is Keras's dtype of the input: "" (float32), or an integer type
// ("int64", "int32", ..., "uint8", "bool") for integer features such as
// the categories a CategoryEncoding or Discretization reads in a Keras
// tabular model. gokeras carries every input as float32, which holds
// integers exactly up to 2^24 (16,777,216); DType is kept so that the model
// file says what Keras would.
type InputLayer struct {
	Name  string
	Shape tensor.Shape
	DType string

	sym *Node // the symbolic tensor it is in a graph (see Call)
}

func init() {
	// Keys as keras/src/layers/core/input_layer.py get_config writes them.
	register("InputLayer", func(r *cfgReader) Layer {
		// Keras 3 writes a plain dtype here; FromConfig checks it is float32.
		r.onlyValue("sparse", "gokeras inputs are dense", false)
		r.onlyValue("ragged", "gokeras inputs are dense, of one shape", false)
		r.onlyValue("optional", "a gokeras model always takes its input", false)
		return &InputLayer{Shape: r.inputShape(), DType: inputDType(r)}
	})
}

// integerDTypes are the integer dtypes an input may declare; gokeras
// carries their values as float32.
var integerDTypes = []string{"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"}

// IsIntegerDType reports whether v, a dtype as Keras writes it (a name),
// is one of the integer dtypes an input may declare.
func IsIntegerDType(v any) bool {
	name, ok := v.(string)
	return ok && slices.Contains(integerDTypes, name)
}

// inputDType reads the dtype of a layer that takes integers (InputLayer,
// IntegerLookup): a float32 one (as every layer's) gives "", an integer
// one its name.
func inputDType(r *ConfigReader) string {
	v, ok := r.Get("dtype")
	if !ok {
		return ""
	}
	name, _ := v.(string)
	if m, isMap := v.(map[string]any); isMap { // a DTypePolicy
		inner, _ := m["config"].(map[string]any)
		name, _ = inner["name"].(string)
	}
	if slices.Contains(integerDTypes, name) {
		return name
	}
	before := r.Err
	r.dtype("dtype")
	if before == nil && r.Err != nil {
		r.Err = fmt.Errorf("%w; an input or an IntegerLookup may also declare an integer type (%s), whose values gokeras carries as float32", r.Err, strings.Join(integerDTypes, ", "))
	}
	return ""
}

func (i *InputLayer) LayerName() string                { return i.Name }
func (i *InputLayer) SetLayerName(s string)            { i.Name = s }
func (i *InputLayer) Class() string                    { return "InputLayer" }
func (i *InputLayer) DeclaredInputShape() tensor.Shape { return i.Shape }
func (i *InputLayer) Params() []*Param                 { return nil }
func (i *InputLayer) Config() map[string]any {
	m := baseConfig(i.Name, i.Shape)
	if i.DType != "" {
		m["dtype"] = i.DType
	}
	return m
}

func (i *InputLayer) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := i.OutputShape(in)
	return err
}

func (i *InputLayer) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(i.Shape) > 0 && !in.Equal(i.Shape) {
		return nil, fmt.Errorf("input shape %v differs from the declared %v", in, i.Shape)
	}
	return in.Clone(), nil
}

func (i *InputLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor { return x }
func (i *InputLayer) Backward(dy *tensor.Tensor) *tensor.Tensor              { return dy }
