package dataset

import "fmt"

// PixelRange is the range image pixels are loaded in. The zero value,
// PixelsUnit, is what gokeras's own models and the note's programs train
// on; Pixels255 is what Keras's image loaders give.
type PixelRange int

const (
	// PixelsUnit reads an 8-bit pixel v as v/255, in [0, 1].
	PixelsUnit PixelRange = iota
	// Pixels255 reads it as v, a float32 in [0, 255], as Keras's
	// image_dataset_from_directory yields images (keras/src/utils/
	// image_dataset_utils.py: decoded uint8, resized to float32 without
	// scaling) and as keras.datasets' load_data() arrays hold them. A model
	// that starts with Rescaling(1/255), the habit of the Keras tutorials,
	// expects these.
	Pixels255
)

func (p PixelRange) String() string {
	switch p {
	case PixelsUnit:
		return "1"
	case Pixels255:
		return "255"
	}
	return fmt.Sprintf("PixelRange(%d)", int(p))
}

// ParsePixelRange reads the top of the range: "1" (or "0-1") for
// PixelsUnit, "255" (or "0-255") for Pixels255.
func ParsePixelRange(s string) (PixelRange, error) {
	switch s {
	case "1", "0-1":
		return PixelsUnit, nil
	case "255", "0-255":
		return Pixels255, nil
	}
	return 0, fmt.Errorf("dataset: pixel range %q: give 1 (pixels in [0, 1], gokeras's default) or 255 (pixels in [0, 255], as Keras's image_dataset_from_directory gives them)", s)
}

// divisor is what an 8-bit pixel is divided by: 255 or 1. It panics on a
// PixelRange that is neither constant, a programmer error.
func (p PixelRange) divisor() float32 {
	switch p {
	case PixelsUnit:
		return 255
	case Pixels255:
		return 1
	}
	panic(fmt.Sprintf("dataset: unknown %v", p))
}

// check is the error for a PixelRange that is neither constant.
func (p PixelRange) check() error {
	if p != PixelsUnit && p != Pixels255 {
		return fmt.Errorf("dataset: unknown pixel range %d; use dataset.PixelsUnit or dataset.Pixels255", int(p))
	}
	return nil
}

// scalePixels sets dst[i] = float32(src[i]) / div, the value Pixels read as.
func scalePixels(dst []float32, src []uint8, div float32) {
	for i, v := range src {
		dst[i] = float32(v) / div
	}
}
