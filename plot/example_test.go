package plot_test

import (
	"fmt"
	"os"

	"github.com/gokeras/gokeras/plot"
	"github.com/gokeras/gokeras/tensor"
)

func ExampleNewConfusion() {
	yTrue := []int{0, 0, 1, 1, 2, 2}
	yPred := []int{0, 1, 1, 1, 2, 0}
	cm, err := plot.NewConfusion([]string{"cat", "dog", "bird"}, yTrue, yPred)
	if err != nil {
		panic(err)
	}
	cm.WriteText(os.Stdout)
	img := cm.Image() // the heat map; plot.WritePNG("cm.png", img) saves it
	fmt.Println(img.Bounds().Dx() > 0)
	// Output:
	// confusion matrix: 6 samples, accuracy 0.6667; rows are true classes, columns predicted
	// true \ pred  cat  dog bird
	// cat            1    1    0
	// dog            0    2    0
	// bird           1    0    1
	// true
}

func ExampleGrid() {
	// Two 2x2 gray images, captioned "true / predicted"; the wrong one red.
	x, _ := tensor.FromSlice([]float32{0, 1, 1, 0, 1, 1, 0, 0}, 2, 2, 2, 1)
	img, err := plot.Grid(x, plot.GridOptions{
		Captions: []string{"cat / cat", "dog / cat"},
		Wrong:    []bool{false, true},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(img.Bounds().Size())
	// Output: (182,112)
}
