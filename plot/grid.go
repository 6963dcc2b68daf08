package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/gokeras/gokeras/tensor"
)

// GridOptions lays out a Grid. The zero value draws the images in a
// square-ish grid, about 80 pixels tall each, in gray, without captions.
type GridOptions struct {
	// Cols is the number of images per row; zero means ceil(sqrt(N)).
	Cols int
	// Scale is the nearest-neighbour upscaling factor: each source pixel
	// becomes a Scale×Scale block. Zero picks the smallest factor that
	// makes an image at least 80 pixels tall (8 for 8x8 digits, 3 for
	// 28x28 MNIST and 32x32 CIFAR-10).
	Scale int
	// Captions, if set, has one line of text per image, drawn under it:
	// a class name, or "true / predicted".
	Captions []string
	// Wrong, if set, marks images whose caption is drawn in red: the
	// wrong predictions.
	Wrong []bool
	// Title is a line drawn above the grid; empty means none.
	Title string
	// Colormap colours one-channel images; RGB images are drawn as they are.
	Colormap Colormap
	// Normalize stretches each image's own minimum..maximum to 0..1, for
	// values that are not pixels (weights, activations). Without it values
	// are clamped to [0, 1], the range dataset.Load scales pixels to.
	Normalize bool
}

// Spacing of every figure, in pixels.
const (
	margin     = 8 // around the figure
	gap        = 6 // between cells
	captionGap = 3 // between an image and its caption
)

// gridLayout says where each image and caption of a grid goes.
type gridLayout struct {
	n, cols, rows int
	scale         int
	iw, ih        int // scaled image size
	cw, ch        int // cell size: the image plus its caption
	top           int // y of the first row (below the title)
	captions      bool
}

func (l gridLayout) size() image.Point {
	return image.Pt(2*margin+l.cols*l.cw+(l.cols-1)*gap, l.top+l.rows*l.ch+(l.rows-1)*gap+margin)
}

// cell is the top-left corner of cell i.
func (l gridLayout) cell(i int) image.Point {
	return image.Pt(margin+(i%l.cols)*(l.cw+gap), l.top+(i/l.cols)*(l.ch+gap))
}

// image is where image i is drawn, centred in its cell's width.
func (l gridLayout) image(i int) image.Rectangle {
	c := l.cell(i)
	p := image.Pt(c.X+(l.cw-l.iw)/2, c.Y)
	return image.Rectangle{p, p.Add(image.Pt(l.iw, l.ih))}
}

// caption is the band under image i that holds its caption.
func (l gridLayout) caption(i int) image.Rectangle {
	if !l.captions {
		return image.Rectangle{}
	}
	c := l.cell(i)
	y := c.Y + l.ih + captionGap
	return image.Rect(c.X, y, c.X+l.cw, y+lineHeight)
}

func layoutGrid(n, h, w int, o GridOptions) gridLayout {
	l := gridLayout{n: n, cols: o.Cols, scale: o.Scale, top: margin, captions: o.Captions != nil}
	if l.cols <= 0 {
		l.cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	l.cols = min(l.cols, n)
	l.rows = (n + l.cols - 1) / l.cols
	if l.scale <= 0 {
		l.scale = max(1, (80+h-1)/h)
	}
	l.iw, l.ih = w*l.scale, h*l.scale
	l.cw, l.ch = l.iw, l.ih
	if l.captions {
		for _, c := range o.Captions {
			l.cw = max(l.cw, textWidth(c))
		}
		l.ch += captionGap + lineHeight
	}
	if o.Title != "" {
		l.top += lineHeight + gap
	}
	return l
}

// Grid draws a batch of images — shape (N, H, W, C) with C 1 (gray) or 3
// (RGB), or (N, H, W) — as a grid, each upscaled with nearest neighbour
// and captioned as o says.
func Grid(x *tensor.Tensor, o GridOptions) (*image.RGBA, error) {
	if x == nil {
		return nil, fmt.Errorf("plot: Grid needs images, got nil")
	}
	s := x.Shape
	if len(s) == 3 {
		s = tensor.Shape{s[0], s[1], s[2], 1}
	}
	if len(s) != 4 || (s[3] != 1 && s[3] != 3) {
		return nil, fmt.Errorf("plot: Grid takes images of shape (N, H, W, C) with 1 or 3 channels, got %v", x.Shape)
	}
	n, h, w, c := s[0], s[1], s[2], s[3]
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("plot: no images to draw (shape %v)", x.Shape)
	}
	if len(x.Data) != n*h*w*c {
		return nil, fmt.Errorf("plot: %d values do not fill shape %v", len(x.Data), x.Shape)
	}
	if o.Captions != nil && len(o.Captions) != n {
		return nil, fmt.Errorf("plot: %d captions for %d images", len(o.Captions), n)
	}
	if o.Wrong != nil && len(o.Wrong) != n {
		return nil, fmt.Errorf("plot: %d wrong marks for %d images", len(o.Wrong), n)
	}
	l := layoutGrid(n, h, w, o)
	sz := l.size()
	dst := newCanvas(sz.X, sz.Y)
	if o.Title != "" {
		drawTextCentered(dst, sz.X/2, margin, o.Title, ink)
	}
	px := make([]color.RGBA, h*w)
	for i := 0; i < n; i++ {
		toColors(px, x.Data[i*h*w*c:(i+1)*h*w*c], c, o)
		r := l.image(i)
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				col := px[y*w+xx]
				for dy := 0; dy < l.scale; dy++ {
					row := (r.Min.Y+y*l.scale+dy-dst.Rect.Min.Y)*dst.Stride + (r.Min.X+xx*l.scale-dst.Rect.Min.X)*4
					for dx := 0; dx < l.scale; dx++ {
						q := dst.Pix[row+4*dx : row+4*dx+4 : row+4*dx+4]
						q[0], q[1], q[2], q[3] = col.R, col.G, col.B, col.A
					}
				}
			}
		}
		if l.captions {
			cl := ink
			if o.Wrong != nil && o.Wrong[i] {
				cl = wrongInk
			}
			cr := l.caption(i)
			drawTextCentered(dst, (cr.Min.X+cr.Max.X)/2, cr.Min.Y, o.Captions[i], cl)
		}
	}
	return dst, nil
}

// toColors converts one image's values, channels-last, into colours.
func toColors(dst []color.RGBA, v []float32, c int, o GridOptions) {
	lo, scale := 0.0, 1.0
	if o.Normalize {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, f := range v {
			mn, mx = min(mn, float64(f)), max(mx, float64(f))
		}
		lo = mn
		scale = 0 // a constant image is drawn as 0
		if mx > mn {
			scale = 1 / (mx - mn)
		}
	}
	for i := range dst {
		if c == 1 {
			dst[i] = o.Colormap.At((float64(v[i]) - lo) * scale)
			continue
		}
		dst[i] = color.RGBA{
			to8((float64(v[3*i]) - lo) * scale),
			to8((float64(v[3*i+1]) - lo) * scale),
			to8((float64(v[3*i+2]) - lo) * scale),
			255,
		}
	}
}

// indexCaptions returns "0", "1", … for n images.
func indexCaptions(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}

// Filters draws a convolution kernel of shape (KH, KW, Cin, Filters), as
// Conv2D stores it, one small image per filter, each stretched to its own
// range (o.Normalize is implied). Filters with three input channels are
// drawn in colour — the first layer of an RGB model; with one, through
// o.Colormap; with any other number, as the mean over the input channels.
// Without o.Captions each filter is captioned with its index.
func Filters(kernel *tensor.Tensor, o GridOptions) (*image.RGBA, error) {
	if kernel == nil || len(kernel.Shape) != 4 {
		var s tensor.Shape
		if kernel != nil {
			s = kernel.Shape
		}
		return nil, fmt.Errorf("plot: Filters takes a Conv2D kernel of shape (KH, KW, Cin, Filters), got %v", s)
	}
	kh, kw, cin, nf := kernel.Shape[0], kernel.Shape[1], kernel.Shape[2], kernel.Shape[3]
	c := 1
	if cin == 3 {
		c = 3
	}
	x := tensor.New(nf, kh, kw, c)
	for y := 0; y < kh; y++ {
		for xx := 0; xx < kw; xx++ {
			for ci := 0; ci < cin; ci++ {
				for f := 0; f < nf; f++ {
					v := kernel.Data[((y*kw+xx)*cin+ci)*nf+f]
					if c == 3 {
						x.Data[((f*kh+y)*kw+xx)*3+ci] = v
					} else {
						x.Data[(f*kh+y)*kw+xx] += v / float32(cin)
					}
				}
			}
		}
	}
	o.Normalize = true
	if o.Captions == nil {
		o.Captions = indexCaptions(nf)
	}
	return Grid(x, o)
}

// FeatureMaps draws a layer's output for one input — shape (1, H, W, C)
// or (H, W, C) — as C one-channel images, each stretched to its own range
// (o.Normalize is implied) and coloured with o.Colormap. Without
// o.Captions each map is captioned with its channel index.
func FeatureMaps(maps *tensor.Tensor, o GridOptions) (*image.RGBA, error) {
	if maps == nil {
		return nil, fmt.Errorf("plot: FeatureMaps needs a tensor, got nil")
	}
	s := maps.Shape
	if len(s) == 4 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 3 {
		return nil, fmt.Errorf("plot: FeatureMaps takes one image's maps of shape (1, H, W, C), got %v; pick a convolution or pooling layer", maps.Shape)
	}
	h, w, c := s[0], s[1], s[2]
	x := tensor.New(c, h, w, 1)
	for p := 0; p < h*w; p++ {
		for k := 0; k < c; k++ {
			x.Data[k*h*w+p] = maps.Data[p*c+k]
		}
	}
	o.Normalize = true
	if o.Captions == nil {
		o.Captions = indexCaptions(c)
	}
	return Grid(x, o)
}
