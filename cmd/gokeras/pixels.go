package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
)

// pixelRangeValue is --pixel-range: the range image pixels are read in,
// 1 ([0, 1], the default) or 255 ([0, 255]). train, sweep, evaluate,
// predict and inspect take it. train records it in the saved model
// (Sequential.PixelRange), so the others read images in the model's range
// without the flag (see pixelsFor).
type pixelRangeValue dataset.PixelRange

const pixelRangeUsage = "range image pixels are read in: 1 for [0, 1], or 255 for [0, 255] as Keras's image_dataset_from_directory gives them (for models that start with Rescaling(1/255)); saved with the model, so commands that --load one default to the range it was trained on"

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

// pixelsFor is the range to read images in for model m: the one m was
// trained on unless --pixel-range was given, and then it must agree (a
// model fed pixels on another scale predicts nonsense without a word).
func pixelsFor(fs *flag.FlagSet, given dataset.PixelRange, m *gokeras.Sequential) (dataset.PixelRange, error) {
	trained := dataset.PixelsUnit
	if m.PixelRange == 255 {
		trained = dataset.Pixels255
	}
	if !flagSet(fs, "pixel-range") || given == trained {
		return trained, nil
	}
	return 0, fmt.Errorf("the model was trained on pixels in [0, %g], but --pixel-range %g reads them in [0, %g]; leave --pixel-range out to use the model's range",
		pixelTop(trained), pixelTop(given), pixelTop(given))
}

// recordPixels notes in m the range its training images were read in.
func recordPixels(m *gokeras.Sequential, p dataset.PixelRange) {
	m.PixelRange = 0
	if p == dataset.Pixels255 {
		m.PixelRange = 255
	}
}
