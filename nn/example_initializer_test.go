package nn_test

import (
	"encoding/json"
	"fmt"

	"github.com/gokeras/gokeras/nn"
)

// An initializer with parameters and a seed, written as Keras 3 writes it
// in a model file, and read back from Keras's spellings.
func ExampleVarianceScaling() {
	init := nn.VarianceScaling(2, nn.FanIn, nn.DistUniform).WithSeed(42)
	_ = &nn.Dense{Units: 64, KernelInitializer: init}
	fmt.Println(init)
	b, _ := json.Marshal(init.Config())
	fmt.Println(string(b))

	back, err := nn.InitializerFromConfig(map[string]any{
		"class_name": "VarianceScaling",
		"config":     map[string]any{"scale": 2.0, "mode": "fan_in", "distribution": "uniform", "seed": 42.0},
	})
	fmt.Println(back == init, err)
	he, _ := nn.InitializerFromConfig("he_normal")
	fmt.Println(he == nn.HeNormal)
	// Output:
	// variance_scaling(scale=2, mode=fan_in, distribution=uniform, seed=42)
	// {"class_name":"VarianceScaling","config":{"distribution":"uniform","mode":"fan_in","scale":2,"seed":42},"module":"keras.initializers","registered_name":null}
	// true <nil>
	// true
}
