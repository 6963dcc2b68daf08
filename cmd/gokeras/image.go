package main

import (
	"image"
	"image/color"
)

// imageToTensor resizes img to h×w with a box filter (each output pixel
// averages the source pixels it covers) and writes it channels-last into
// dst, scaled to [0, 1]: one channel is luminance, three are RGB.
func imageToTensor(img image.Image, h, w, c int, dst []float32) {
	imageToTensorRange(img, h, w, c, 1, dst)
}

// imageToTensorRange is imageToTensor scaled to [0, top]: top 255 gives an
// 8-bit pixel v as v, the --pixel-range 255 values.
func imageToTensorRange(img image.Image, h, w, c int, top float64, dst []float32) {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	for oy := 0; oy < h; oy++ {
		y0, y1 := oy*sh/h, max((oy+1)*sh/h, oy*sh/h+1)
		for ox := 0; ox < w; ox++ {
			x0, x1 := ox*sw/w, max((ox+1)*sw/w, ox*sw/w+1)
			var sum [3]float64
			n := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					px := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
					sum[0] += float64(px.R)
					sum[1] += float64(px.G)
					sum[2] += float64(px.B)
					n++
				}
			}
			o := (oy*w + ox) * c
			if c == 1 {
				// ITU-R 601 luma, as image/color's Gray model uses.
				dst[o] = float32((0.299*sum[0] + 0.587*sum[1] + 0.114*sum[2]) / float64(n) / 65535 * top)
				continue
			}
			for k := 0; k < c && k < 3; k++ {
				dst[o+k] = float32(sum[k] / float64(n) / 65535 * top)
			}
		}
	}
}
