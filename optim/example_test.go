package optim_test

import (
	"fmt"

	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// An optimizer from the config Keras writes, with the base optimizer's
// options (weight decay, clipping, EMA, gradient accumulation).
func ExampleFromConfig() {
	o, err := optim.FromConfig("adamw", map[string]any{
		"learning_rate": 0.001, "weight_decay": 0.05, "amsgrad": true,
		"global_clipnorm": 1.0, "use_ema": true, "gradient_accumulation_steps": 4,
	})
	if err != nil {
		panic(err)
	}
	a := o.(*optim.AdamW)
	fmt.Println(a.Name(), a.WeightDecay, a.AMSGrad, a.Clip.GlobalNorm, a.EMA.Use, a.GradientAccumulationSteps)
	// Output: adamw 0.05 true 1 true 4
}

// Lion moves every weight by exactly the learning rate, in the direction
// of sign(b1*m + (1-b1)*g).
func ExampleLion() {
	o := &optim.Lion{LR: 0.1}
	w, _ := tensor.FromSlice([]float32{1, 1, 1}, 3)
	g, _ := tensor.FromSlice([]float32{0.5, -2, 0}, 3)
	o.Apply([]*tensor.Tensor{w}, []*tensor.Tensor{g})
	fmt.Println(w.Data)
	// Output: [0.9 1.1 1]
}

// Keras's PolynomialDecay: a square-root decay from 0.1 to 0.01 over 100
// steps, then held.
func ExamplePolynomialDecay() {
	s := optim.PolynomialDecay{InitialLearningRate: 0.1, DecaySteps: 100, EndLearningRate: 0.01, Power: 0.5}
	for _, step := range []int64{0, 75, 100, 200} {
		fmt.Printf("%d: %.4f\n", step, s.Rate(step))
	}
	// Output:
	// 0: 0.1000
	// 75: 0.0550
	// 100: 0.0100
	// 200: 0.0100
}
