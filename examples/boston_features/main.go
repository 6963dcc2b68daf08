// Command boston_features is the Boston housing regression with each
// column preprocessed the Keras way, in a Functional model with one input
// per kind of feature, as Keras's structured-data examples build it:
//
//	numeric = keras.Input(shape=(10,), name="numeric")
//	chas = keras.Input(shape=(1,), name="chas", dtype="int64")  # by the river: 0 or 1
//	rad = keras.Input(shape=(1,), name="rad", dtype="int64")    # highway access: 1..8, 24
//	age = keras.Input(shape=(1,), name="age")                   # % built before 1940
//	lookup = layers.IntegerLookup(output_mode="one_hot")
//	lookup.adapt(rad_train)                                     # the vocabulary sets the width
//	features = layers.Concatenate()([
//	    layers.Normalization()(numeric),
//	    layers.CategoryEncoding(num_tokens=2, output_mode="one_hot")(chas),
//	    lookup(rad),
//	    layers.Discretization(num_bins=4, output_mode="one_hot")(age)])
//	x = layers.Dense(64, activation="relu")(features)
//	x = layers.Dense(64, activation="relu")(x)
//	model = keras.Model([numeric, chas, rad, age], layers.Dense(1)(x))
//	# adapt Normalization and Discretization, then compile and fit as boston_mlp
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

// The columns of the 13 features (dataset "boston_housing").
const (
	chasCol = 3 // Charles River dummy variable
	ageCol  = 6
	radCol  = 8 // index of accessibility to radial highways
)

var numericCols = []int{0, 1, 2, 4, 5, 7, 9, 10, 11, 12}

// columns copies the given columns of x, (rows, features), into a new
// (rows, len(cols)) tensor.
func columns(x *tensor.Tensor, cols ...int) *tensor.Tensor {
	rows, width := x.Shape[0], x.Shape[1]
	out := tensor.New(rows, len(cols))
	for r := range rows {
		for j, c := range cols {
			out.Data[r*len(cols)+j] = x.Data[r*width+c]
		}
	}
	return out
}

// split is the model's inputs, by name, from the 13 columns.
func split(x *tensor.Tensor) gokeras.Named {
	return gokeras.Named{"numeric": columns(x, numericCols...), "chas": columns(x, chasCol),
		"rad": columns(x, radCol), "age": columns(x, ageCol)}
}

func run(short bool, out io.Writer) (gokeras.Logs, error) {
	// 1. data: 404 training and 102 test rows (Keras's split).
	xy, test, err := dataset.Load("boston_housing", dataset.Options{})
	if err != nil {
		return nil, err
	}
	epochs := 100
	if short {
		epochs = 5
	}
	x, xTest := split(xy.X), split(test.X)

	// 2. model: one input per kind of feature.
	numeric, chas, rad, age := gokeras.Input(len(numericCols)), gokeras.Input(1), gokeras.Input(1), gokeras.Input(1)
	numeric.Name, chas.Name, rad.Name, age.Name = "numeric", "chas", "rad", "age"
	chas.DType, rad.DType = "int64", "int64"
	lookup := &nn.IntegerLookup{OutputMode: "one_hot"}
	if err := lookup.Adapt(x["rad"].(*tensor.Tensor)); err != nil { // before the call: the vocabulary sets the width
		return nil, err
	}
	bins := &nn.Discretization{NumBins: 4, OutputMode: "one_hot"}
	features := nn.Merge(&nn.Concatenate{},
		nn.Call(&nn.Normalization{}, numeric),
		nn.Call(&nn.CategoryEncoding{NumTokens: 2, OutputMode: "one_hot"}, chas),
		nn.Call(lookup, rad),
		nn.Call(bins, age))
	h := nn.Call(&nn.Dense{Units: 64, Activation: activation.ReLU}, features)
	h = nn.Call(&nn.Dense{Units: 64, Activation: activation.ReLU}, h)
	price := nn.Call(&nn.Dense{Units: 1, Name: "price"}, h)
	model, err := gokeras.NewModel([]nn.Symbolic{numeric, chas, rad, age}, []nn.Symbolic{price})
	if err != nil {
		return nil, err
	}
	model.Seed = 1
	if err := model.AdaptMulti(x); err != nil { // Normalization's mean and variance, Discretization's quartiles
		return nil, err
	}

	// 3. compile, fit
	if err := model.CompileNamed("mse", "rmsprop", "mae"); err != nil {
		return nil, err
	}
	y := gokeras.List{xy.Y}
	if _, err := model.FitMulti(x, y, gokeras.FitOptions{Epochs: epochs, BatchSize: 16, Verbose: train.Silent}); err != nil {
		return nil, err
	}

	// 4. evaluate: mean absolute error in thousands of dollars
	logs, err := model.EvaluateMulti(xTest, gokeras.List{test.Y}, gokeras.EvaluateOptions{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "highway-access vocabulary: %v\nage quartile boundaries: %v\ntest mse: %.2f\ntest mae: %.2f\n",
		lookup.Vocabulary, bins.BinBoundaries, logs["loss"], logs["mae"])
	return logs, nil
}
