package dataset_test

import (
	"fmt"

	"github.com/gokeras/gokeras/dataset"
)

func ExampleLoad() {
	train, test, err := dataset.Load("digits", dataset.Options{Seed: 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.X.Shape, train.Y.Shape, test.X.Shape, len(train.Classes))
	// Output: (1437, 8, 8, 1) (1437,) (360, 8, 8, 1) 10
}

func ExampleLookup() {
	info, err := dataset.Lookup("boston_housing")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Task, info.InputShape, info.TrainSize, info.TestSize, info.Embedded)
	// Output: regression [13] 404 102 true
}
