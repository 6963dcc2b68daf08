package constraint

import "github.com/gokeras/gokeras/tensor"

// NonNeg is Keras's NonNeg (keras.constraints.NonNeg): w = max(w, 0).
type NonNeg struct{}

// Apply sets the negative weights to 0.
func (NonNeg) Apply(w []float32, _ tensor.Shape) {
	for i, v := range w {
		if v < 0 {
			w[i] = 0
		}
	}
}

// Config returns {"class_name": "NonNeg", "config": {}, ...}.
func (NonNeg) Config() map[string]any { return wrap("NonNeg", map[string]any{}) }
