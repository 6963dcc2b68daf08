package plot

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
)

// WriteANSI prints img for a terminal with 24-bit colour: each character
// is the upper half block ▀ with the top pixel as its foreground colour and
// the pixel below as its background, so one line shows two pixel rows. An
// image wider than maxCols characters is shrunk by the smallest whole
// factor that fits, keeping every factor-th pixel; maxCols <= 0 means no
// limit.
func WriteANSI(w io.Writer, img image.Image, maxCols int) error {
	b := img.Bounds()
	step := 1
	if maxCols > 0 && b.Dx() > maxCols {
		step = (b.Dx() + maxCols - 1) / maxCols
	}
	at := func(x, y int) color.RGBA {
		return color.RGBAModel.Convert(img.At(b.Min.X+x*step, b.Min.Y+y*step)).(color.RGBA)
	}
	cols, rows := (b.Dx()+step-1)/step, (b.Dy()+step-1)/step
	bw := bufio.NewWriter(w)
	for y := 0; y < rows; y += 2 {
		// Colours are set only when they change: a flat background costs
		// one escape, not one per character.
		var fg, bg color.RGBA
		first := true
		for x := 0; x < cols; x++ {
			top := at(x, y)
			if first || top != fg {
				fmt.Fprintf(bw, "\x1b[38;2;%d;%d;%dm", top.R, top.G, top.B)
				fg = top
			}
			if y+1 < rows {
				bot := at(x, y+1)
				if first || bot != bg {
					fmt.Fprintf(bw, "\x1b[48;2;%d;%d;%dm", bot.R, bot.G, bot.B)
					bg = bot
				}
			} else if first {
				// An odd last row: only the top half has a pixel.
				bw.WriteString("\x1b[49m")
			}
			first = false
			bw.WriteString("▀")
		}
		bw.WriteString("\x1b[0m\n")
	}
	return bw.Flush()
}
