// Command cnn_digits is the note's first CNN: Conv2D on 8x8x1 digit images.
//
//	model = Sequential()
//	model.add(Conv2D(filters=10, kernel_size=(3, 3), input_shape=(8, 8, 1)))
//	model.add(Conv2D(7, (2, 2), activation='relu'))
//	model.add(Flatten())
//	model.add(Dense(32, activation='relu'))
//	model.add(Dense(10, activation='softmax'))
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
	"github.com/gokeras/gokeras/examples/internal/extest"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func main() {
	short := flag.Bool("short", false, "train one epoch on a slice of the data")
	flag.Parse()
	if _, err := run(*short, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(short bool, out io.Writer) (gokeras.Logs, error) {
	// 1. data: 1,797 8x8 images, scaled to [0, 1], split 80/20.
	xy, test, err := dataset.Load("digits", dataset.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	epochs := 30
	if short {
		xy, epochs = extest.Subset(xy, 256), 1
	}

	// 2. model
	model := gokeras.NewSequential(
		&nn.Conv2D{Filters: 10, KernelSize: [2]int{3, 3}, InputShape: tensor.Shape{8, 8, 1}},
		&nn.Conv2D{Filters: 7, KernelSize: [2]int{2, 2}, Activation: activation.ReLU},
		&nn.Flatten{},
		&nn.Dense{Units: 32, Activation: activation.ReLU},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	model.Seed = 1
	if err := model.Summary(out); err != nil {
		return nil, err
	}

	// 3. compile, fit
	if err := model.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		return nil, err
	}
	if _, err := model.Fit(xy.X, xy.Y, gokeras.FitOptions{Epochs: epochs, BatchSize: 32, Verbose: train.OneLine, Out: out}); err != nil {
		return nil, err
	}

	// 4. evaluate
	logs, err := model.Evaluate(test.X, test.Y, 0)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "loss: %.4f\nacc: %.4f\n", logs["loss"], logs["accuracy"])
	return logs, nil
}
