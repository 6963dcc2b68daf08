package nn

// Helpers of the color augmentation layers (RandomGrayscale,
// RandomColorDegeneration, Solarization, RandomPosterization, AutoContrast).

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// grayWeights are the channel weights of keras.ops.image.rgb_to_grayscale
// (keras/src/backend/*/image.py, after tf.image.rgb_to_grayscale).
var grayWeights = [3]float32{0.2989, 0.5870, 0.1140}

// gray is the grayscale value of one RGB pixel.
func gray(p []float32) float32 {
	return grayWeights[0]*p[0] + grayWeights[1]*p[1] + grayWeights[2]*p[2]
}

// checkRGB accepts channels-last RGB images, which rgb_to_grayscale needs.
func checkRGB(in tensor.Shape) error {
	if err := checkImage(in); err != nil {
		return err
	}
	if in[2] != 3 {
		return fmt.Errorf("input shape %v has %d channels; the layer converts RGB images to grayscale and needs 3", in, in[2])
	}
	return nil
}

// to255 and from255 are BaseImagePreprocessingLayer._transform_value_range
// between a value range and (0, 255): the identity when they are equal.
func to255(v float32, vr [2]float64) float32 {
	if vr == defaultValueRange {
		return v
	}
	return (v - float32(vr[0])) / float32(vr[1]-vr[0]) * 255
}

func from255(v float32, vr [2]float64) float32 {
	if vr == defaultValueRange {
		return v
	}
	return v/255*float32(vr[1]-vr[0]) + float32(vr[0])
}
