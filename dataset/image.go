package dataset

import (
	"bufio"
	"fmt"
	"image"
	_ "image/gif"  // decoders image.Decode may need
	_ "image/jpeg" //
	_ "image/png"  //
	"io"
	"os"
)

// MaxImagePixels is the largest image (width*height) DecodeImage decodes;
// a larger one is refused after reading only its header, so that a small
// file declaring a huge image (a "decompression bomb": a 3.5 MB PNG can
// declare 60000x60000 pixels) cannot make a program allocate gigabytes.
// Zero or less turns the check off. Set it before decoding starts: it is
// read without a lock.
//
// The value is Pillow's: Image.MAX_IMAGE_PIXELS is 89,478,485
// (1024*1024*1024/4/3, a 1 GB RGBA image / 3); Image.open warns above it and
// raises DecompressionBombError above twice it
// (https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.open).
// A library has no good place for a warning, so this limit is Pillow's
// error threshold, 178,956,970 pixels: about 13400x13400.
var MaxImagePixels = 2 * 89_478_485

// ImageTooLargeError reports an image whose header declares more pixels
// than MaxImagePixels allows.
type ImageTooLargeError struct {
	Width, Height int
	Limit         int // MaxImagePixels when the image was refused
}

func (e *ImageTooLargeError) Error() string {
	return fmt.Sprintf("image is %dx%d = %d pixels, more than the limit of %d (dataset.MaxImagePixels, which guards against decompression bombs as PIL's MAX_IMAGE_PIXELS does); "+
		"if the image is genuine, raise the limit or resize the image",
		e.Width, e.Height, int64(e.Width)*int64(e.Height), e.Limit)
}

// DecodeImage decodes a PNG/JPEG/GIF from r after checking its header
// against MaxImagePixels; the error says the size and how to raise the
// limit. It reads the header, seeks back to where r was and decodes; the
// string is the format name ("png", "jpeg", "gif"), as image.Decode gives.
// A too large image gives an error wrapping *ImageTooLargeError.
func DecodeImage(r io.ReadSeeker) (image.Image, string, error) {
	var dec decoder
	img, format, err := dec.decodeFrom(r)
	if err != nil {
		return nil, "", fmt.Errorf("dataset: decoding image: %w", err)
	}
	return img, format, nil
}

// DecodeImageFile is DecodeImage on the file at path; errors name the file.
func DecodeImageFile(path string) (image.Image, string, error) {
	var dec decoder
	return dec.decodeFile(path)
}

// decoder decodes image files through one reused read buffer, so that
// decoding tens of thousands of small images leaves little garbage beside
// what the image decoders themselves allocate.
type decoder struct{ r *bufio.Reader }

// decodeFile opens and decodes path; errors name the file once.
func (dec *decoder) decodeFile(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	img, format, err := dec.decodeFrom(f)
	if err != nil {
		return nil, "", fmt.Errorf("dataset: decoding %s: %w", path, err)
	}
	return img, format, nil
}

// decodeFrom checks the header of the image at r's current offset against
// MaxImagePixels, then seeks back and decodes it.
func (dec *decoder) decodeFrom(r io.ReadSeeker) (image.Image, string, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, "", err
	}
	dec.reset(r)
	cfg, _, err := image.DecodeConfig(dec.r)
	if err != nil {
		return nil, "", err
	}
	if limit := MaxImagePixels; limit > 0 && (cfg.Width > limit || cfg.Height > limit || int64(cfg.Width)*int64(cfg.Height) > int64(limit)) {
		return nil, "", &ImageTooLargeError{Width: cfg.Width, Height: cfg.Height, Limit: limit}
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, "", err
	}
	dec.reset(r)
	return image.Decode(dec.r)
}

func (dec *decoder) reset(r io.Reader) {
	if dec.r == nil {
		dec.r = bufio.NewReader(r)
	} else {
		dec.r.Reset(r)
	}
}
