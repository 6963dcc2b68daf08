// Package plot draws what a person wants to see before and after training,
// as images ready to save as PNG: grids of input images with captions
// (Grid), training curves (TrainingCurves), confusion matrices
// (Confusion), convolution filters (Filters) and feature maps
// (FeatureMaps), plus a terminal preview in 24-bit colour (WriteANSI).
//
// It takes plain values — tensors, slices, maps — and never imports the
// model or training packages; the CLI converts a History or a model's
// weights into them. Image pixels are drawn exactly (nearest-neighbour
// upscaling, no smoothing) and captions use a fixed bitmap font, so the
// same input always gives the same PNG.
package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Colormap turns a value in [0, 1] into a colour for one-channel images.
type Colormap int

const (
	Gray    Colormap = iota // black (0) to white (1), as plt.imshow(cmap="gray")
	Viridis                 // matplotlib's default: dark violet to yellow
	Blues                   // white to dark blue, for counts
)

// String returns the colormap's matplotlib name.
func (c Colormap) String() string {
	switch c {
	case Gray:
		return "gray"
	case Viridis:
		return "viridis"
	case Blues:
		return "Blues"
	}
	return fmt.Sprintf("Colormap(%d)", int(c))
}

// anchors are evenly spaced samples of matplotlib's colormaps; values in
// between are interpolated linearly.
var anchors = map[Colormap][]color.RGBA{
	Viridis: {{0x44, 0x01, 0x54, 255}, {0x3b, 0x52, 0x8b, 255}, {0x21, 0x91, 0x8c, 255}, {0x5e, 0xc9, 0x62, 255}, {0xfd, 0xe7, 0x25, 255}},
	Blues:   {{0xf7, 0xfb, 0xff, 255}, {0xc6, 0xdb, 0xef, 255}, {0x6b, 0xae, 0xd6, 255}, {0x21, 0x71, 0xb5, 255}, {0x08, 0x30, 0x6b, 255}},
}

// At returns the colour of v, clamped to [0, 1]. NaN is drawn as 0.
func (c Colormap) At(v float64) color.RGBA {
	if !(v > 0) {
		v = 0
	}
	if v > 1 {
		v = 1
	}
	a, ok := anchors[c]
	if !ok {
		g := to8(v)
		return color.RGBA{g, g, g, 255}
	}
	f := v * float64(len(a)-1)
	i := min(int(f), len(a)-2)
	t := f - float64(i)
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a[i].R, a[i+1].R), mix(a[i].G, a[i+1].G), mix(a[i].B, a[i+1].B), 255}
}

// to8 maps [0, 1] to 0..255 with rounding, as image/color does.
func to8(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// Colours of the figures' furniture.
var (
	background = color.RGBA{255, 255, 255, 255}
	ink        = color.RGBA{0, 0, 0, 255}
	wrongInk   = color.RGBA{214, 39, 40, 255} // matplotlib's tab:red
)

// face is the caption font: fixed 7x13 pixels, no anti-aliasing, so text
// is crisp at any size and tests can find it.
var face = basicfont.Face7x13

const lineHeight = 13

// textWidth is the width in pixels of s in the caption font.
func textWidth(s string) int {
	return font.MeasureString(face, s).Ceil()
}

// drawText draws s with its top-left corner at (x, y).
func drawText(dst draw.Image, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y+face.Ascent)}
	d.DrawString(s)
}

// drawTextCentered draws s centred horizontally on cx, top at y.
func drawTextCentered(dst draw.Image, cx, y int, s string, c color.Color) {
	drawText(dst, cx-textWidth(s)/2, y, s, c)
}

// drawTextUp draws s rotated a quarter turn counter-clockwise (read from
// bottom to top) with the bounding box's top-left corner at (x, y).
func drawTextUp(dst *image.RGBA, x, y int, s string, c color.Color) {
	w := textWidth(s)
	if w == 0 {
		return
	}
	tmp := image.NewAlpha(image.Rect(0, 0, w, lineHeight))
	drawText(tmp, 0, 0, s, color.Opaque)
	for ty := 0; ty < lineHeight; ty++ {
		for tx := 0; tx < w; tx++ {
			// The bitmap font is one bit deep: a pixel is ink or not.
			if tmp.AlphaAt(tx, ty).A != 0 {
				// (tx, ty) → column ty, row counted up from the bottom.
				dst.Set(x+ty, y+w-1-tx, c)
			}
		}
	}
}

// newCanvas returns a white image of w×h pixels.
func newCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	return img
}

// EncodePNG returns img as PNG bytes.
func EncodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("plot: encoding PNG: %w", err)
	}
	return b.Bytes(), nil
}

// WritePNG saves img as a PNG file. It writes a temporary file next to
// path and renames it, so an interrupted run never leaves half an image.
func WritePNG(path string, img image.Image) error {
	data, err := EncodePNG(img)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o644) // CreateTemp makes 0600; a picture is for sharing
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("plot: writing %s: %w", path, werr)
	}
	return nil
}

// Beside places figures left to right, tops aligned, on a white page:
// an input image next to its feature maps, say.
func Beside(imgs ...image.Image) *image.RGBA {
	w, h := 0, 0
	for _, m := range imgs {
		w += m.Bounds().Dx()
		h = max(h, m.Bounds().Dy())
	}
	dst := newCanvas(w, h)
	x := 0
	for _, m := range imgs {
		b := m.Bounds()
		draw.Draw(dst, image.Rect(x, 0, x+b.Dx(), b.Dy()), m, b.Min, draw.Src)
		x += b.Dx()
	}
	return dst
}
