package main

import (
	"errors"
	"flag"

	"github.com/gokeras/gokeras/dataset"
)

// pixelRangeValue is --pixel-range: the range image pixels are read in,
// 1 ([0, 1], the default) or 255 ([0, 255]). train, sweep, evaluate,
// predict and inspect take it; a model trained with 255 needs 255 again
// wherever it reads images, since the model file does not record it.
type pixelRangeValue dataset.PixelRange

const pixelRangeUsage = "range image pixels are read in: 1 for [0, 1], or 255 for [0, 255] as Keras's image_dataset_from_directory gives them (for models that start with Rescaling(1/255)); give evaluate and predict the value training used"

func (p *pixelRangeValue) String() string { return dataset.PixelRange(*p).String() }

func (p *pixelRangeValue) Set(s string) error {
	r, err := dataset.ParsePixelRange(s)
	if err != nil {
		return errors.New("give 1 (pixels in [0, 1], the default) or 255 (pixels in [0, 255], as Keras's image_dataset_from_directory gives them)")
	}
	*p = pixelRangeValue(r)
	return nil
}

// pixelRangeVar defines --pixel-range on fs and returns where its value
// is stored.
func pixelRangeVar(fs *flag.FlagSet) *dataset.PixelRange {
	var p pixelRangeValue
	fs.Var(&p, "pixel-range", pixelRangeUsage)
	return (*dataset.PixelRange)(&p)
}

// pixelTop is what a white pixel reads as in range p: 1 or 255.
func pixelTop(p dataset.PixelRange) float64 {
	if p == dataset.Pixels255 {
		return 255
	}
	return 1
}
