package regularizer_test

import (
	"encoding/json"
	"fmt"

	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// A kernel_regularizer as Keras 3's model.to_json() writes it, read and
// applied to a weight.
func ExampleParse() {
	var v any
	json.Unmarshal([]byte(`{"module": "keras.regularizers", "class_name": "L2",
		"config": {"l2": 0.5}, "registered_name": null}`), &v)
	r, err := regularizer.Parse(v)
	if err != nil {
		panic(err)
	}
	w := []float32{1, -2, 3}
	g := make([]float32, 3)
	r.AddGrad(g, w, tensor.Shape{3})
	fmt.Println(r.Penalty(w, tensor.Shape{3}), g) // 0.5·(1+4+9), 2·0.5·w
	// Output: 7 [1 -2 3]
}
