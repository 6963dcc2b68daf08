// Command cifar10_maxpooling is the note's final tuned CIFAR-10 model (acc 0.7837 after 50 epochs, 1890 s in the note).
//
//	model = Sequential()
//	model.add(Conv2D(filters=64, kernel_size=(3,3), padding='same', activation='relu', input_shape=(32,32,3)))
//	model.add(MaxPooling2D(2,2))
//	model.add(Dropout(0.10))
//	model.add(Conv2D(128,(3,3), padding='same', activation='relu'))
//	model.add(MaxPooling2D(2,2))
//	model.add(Dropout(0.80))
//	model.add(Flatten())
//	model.add(Dense(256, activation='relu'))
//	model.add(Dense(128, activation='relu'))
//	model.add(Dense(10, activation='softmax'))
//	model.fit(x_train, y_train, epochs=50, batch_size=128)
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

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
	// 1. data: 50,000 32x32x3 images, /255.
	xy, test, err := dataset.Load("cifar10", dataset.Options{Progress: os.Stderr})
	if err != nil {
		return nil, err
	}
	epochs, batch := 50, 128
	if short {
		xy, test, epochs = extest.Subset(xy, 512), extest.Subset(test, 256), 1
	}

	// 2. model
	model := gokeras.NewSequential(
		&nn.Conv2D{Filters: 64, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{32, 32, 3}},
		&nn.MaxPooling2D{PoolSize: [2]int{2, 2}},
		&nn.Dropout{Rate: 0.1},
		&nn.Conv2D{Filters: 128, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU},
		&nn.MaxPooling2D{PoolSize: [2]int{2, 2}},
		&nn.Dropout{Rate: 0.8},
		&nn.Flatten{},
		&nn.Dense{Units: 256, Activation: activation.ReLU},
		&nn.Dense{Units: 128, Activation: activation.ReLU},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	model.Seed = 1

	// 3. compile, fit
	if err := model.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		return nil, err
	}
	start := time.Now()
	if _, err := model.Fit(xy.X, xy.Y, gokeras.FitOptions{Epochs: epochs, BatchSize: batch, Verbose: train.Auto, Out: out}); err != nil {
		return nil, err
	}
	elapsed := time.Since(start).Seconds()

	// 4. evaluate, as the note prints it
	logs, err := model.Evaluate(test.X, test.Y, 0)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "elapsed: %.1f s\nloss: %.4f\nacc: %.4f\n", elapsed, logs["loss"], logs["accuracy"])
	return logs, nil
}
