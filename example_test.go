package gokeras_test

import (
	"fmt"
	"os"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// The note's first model, built and summarised as in Keras.
func ExampleSequential_Summary() {
	model := gokeras.NewSequential(
		&nn.Conv2D{Filters: 10, KernelSize: [2]int{3, 3}, InputShape: tensor.Shape{8, 8, 1}},
		&nn.Conv2D{Filters: 7, KernelSize: [2]int{2, 2}, Activation: activation.ReLU},
		&nn.Flatten{},
		&nn.Dense{Units: 32, Activation: activation.ReLU},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	if err := model.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		fmt.Println(err)
		return
	}
	model.Summary(os.Stdout)
	// Output:
	// Model: "sequential"
	// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
	// ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
	// ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
	// │ conv2d (Conv2D)                 │ (None, 6, 6, 10)       │           100 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ conv2d_1 (Conv2D)               │ (None, 5, 5, 7)        │           287 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ flatten (Flatten)               │ (None, 175)            │             0 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense (Dense)                   │ (None, 32)             │         5,632 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense_1 (Dense)                 │ (None, 10)             │           330 │
	// └─────────────────────────────────┴────────────────────────┴───────────────┘
	//  Total params: 6,349 (24.80 KB)
	//  Trainable params: 6,349 (24.80 KB)
	//  Non-trainable params: 0 (0.00 B)
}

// A fit on a tiny regression problem: y = 2x - 1.
func ExampleSequential_Fit() {
	x := tensor.New(64, 1)
	y := tensor.New(64, 1)
	for i := range 64 {
		x.Data[i] = float32(i)/32 - 1
		y.Data[i] = 2*x.Data[i] - 1
	}
	model := gokeras.NewSequential(&nn.Dense{Units: 1, InputShape: tensor.Shape{1}})
	model.Seed = 1
	model.CompileNamed("mse", "sgd", "mae")
	hist, err := model.Fit(x, y, gokeras.FitOptions{Epochs: 200, BatchSize: 16, Verbose: train.Silent})
	if err != nil {
		fmt.Println(err)
		return
	}
	mae, _ := hist.Last("mae")
	fmt.Printf("mae below 0.01: %v\n", mae < 0.01)
	// Output:
	// mae below 0.01: true
}
