// Command boston_mlp is regression on the Boston housing prices, as in
// Chollet's Deep Learning with Python (3.6), which the note's pandas part
// leads up to:
//
//	model = Sequential()
//	model.add(Normalization())          # mean/std from the training data
//	model.add(Dense(64, activation='relu'))
//	model.add(Dense(64, activation='relu'))
//	model.add(Dense(1))
//	model.compile(optimizer='rmsprop', loss='mse', metrics=['mae'])
//	model.fit(x_train, y_train, epochs=100, batch_size=16)
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func main() {
	short := flag.Bool("short", false, "train a few epochs only")
	flag.Parse()
	if _, err := run(*short, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(short bool, out io.Writer) (gokeras.Logs, error) {
	// 1. data: 404 training and 102 test rows of 13 features (Keras's split).
	xy, test, err := dataset.Load("boston_housing", dataset.Options{})
	if err != nil {
		return nil, err
	}
	epochs := 100
	if short {
		epochs = 5
	}

	// 2. model
	model := gokeras.NewSequential(
		&nn.Normalization{InputShape: tensor.Shape{13}},
		&nn.Dense{Units: 64, Activation: activation.ReLU},
		&nn.Dense{Units: 64, Activation: activation.ReLU},
		&nn.Dense{Units: 1},
	)
	model.Seed = 1
	if err := model.Adapt(xy.X); err != nil {
		return nil, err
	}

	// 3. compile, fit
	if err := model.CompileNamed("mse", "rmsprop", "mae"); err != nil {
		return nil, err
	}
	if _, err := model.Fit(xy.X, xy.Y, gokeras.FitOptions{Epochs: epochs, BatchSize: 16, Verbose: train.Silent}); err != nil {
		return nil, err
	}

	// 4. evaluate: mean absolute error in thousands of dollars
	logs, err := model.Evaluate(test.X, test.Y, 0)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "test mse: %.2f\ntest mae: %.2f\n", logs["loss"], logs["mae"])
	return logs, nil
}
