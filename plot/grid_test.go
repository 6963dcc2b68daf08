package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// decode round-trips img through PNG, as a reader of the file sees it.
func decode(t *testing.T, img image.Image) image.Image {
	t.Helper()
	data, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding our own PNG: %v", err)
	}
	return out
}

func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// pixelImages returns n images whose values are exact multiples of 1/255,
// so each maps to one 8-bit level without rounding doubts.
func pixelImages(n, h, w, c int, seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	x := tensor.New(n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(r.IntN(256)) / 255
	}
	return x
}

// countColors counts the pixels of r in img equal to each of cs.
func countColors(img image.Image, r image.Rectangle, cs ...color.RGBA) []int {
	n := make([]int, len(cs))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := rgbaAt(img, x, y)
			for i, c := range cs {
				if p == c {
					n[i]++
				}
			}
		}
	}
	return n
}

// nonBackground counts the pixels of r in img that are not the page.
func nonBackground(img image.Image, r image.Rectangle) int {
	return r.Dy()*r.Dx() - countColors(img, r, background)[0]
}

func TestGridPixels(t *testing.T) {
	tests := []struct {
		name       string
		n, h, w, c int
		o          GridOptions
		wantScale  int
		wantCols   int
	}{
		{"digits 8x8 gray", 5, 8, 8, 1, GridOptions{}, 10, 3},
		{"mnist 28x28 with captions", 4, 28, 28, 1, GridOptions{Captions: []string{"5", "0", "4", "1"}}, 3, 2},
		{"cifar 32x32 RGB, wrong marks", 6, 32, 32, 3, GridOptions{Cols: 3, Captions: []string{"cat / cat", "ship / truck", "a", "b", "c", "d"}, Wrong: []bool{false, true, false, false, false, true}}, 3, 3},
		{"non-square, fixed scale, title", 3, 5, 7, 3, GridOptions{Scale: 4, Title: "three"}, 4, 2},
		{"one image, 3-D batch", 1, 6, 4, 0, GridOptions{Captions: []string{"only"}}, 14, 1},
		{"viridis", 2, 4, 4, 1, GridOptions{Colormap: Viridis, Captions: []string{"x", "y"}}, 20, 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := max(tt.c, 1)
			x := pixelImages(tt.n, tt.h, tt.w, c, uint64(i))
			if tt.c == 0 {
				x.Shape = tensor.Shape{tt.n, tt.h, tt.w}
			}
			img, err := Grid(x, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			got := decode(t, img)
			l := layoutGrid(tt.n, tt.h, tt.w, tt.o)
			if l.scale != tt.wantScale || l.cols != tt.wantCols {
				t.Errorf("scale %d, cols %d; want %d, %d", l.scale, l.cols, tt.wantScale, tt.wantCols)
			}
			if sz := got.Bounds().Size(); sz != l.size() {
				t.Errorf("PNG is %v, layout says %v", sz, l.size())
			}
			minW := 2*margin + l.cols*tt.w*l.scale + (l.cols-1)*gap
			if got.Bounds().Dx() < minW {
				t.Errorf("PNG width %d, less than %d images of %d scaled pixels", got.Bounds().Dx(), l.cols, tt.w*l.scale)
			}
			for k := 0; k < tt.n; k++ {
				r := l.image(k)
				if r.Dx() != tt.w*l.scale || r.Dy() != tt.h*l.scale {
					t.Fatalf("image %d drawn as %v", k, r)
				}
				// Every screen pixel is its source pixel, upscaled.
				for y := 0; y < r.Dy(); y++ {
					for xx := 0; xx < r.Dx(); xx++ {
						src := ((k*tt.h+y/l.scale)*tt.w + xx/l.scale) * c
						var want color.RGBA
						if c == 1 {
							want = tt.o.Colormap.At(float64(x.Data[src]))
						} else {
							want = color.RGBA{to8(float64(x.Data[src])), to8(float64(x.Data[src+1])), to8(float64(x.Data[src+2])), 255}
						}
						if p := rgbaAt(got, r.Min.X+xx, r.Min.Y+y); p != want {
							t.Fatalf("image %d pixel (%d, %d) = %v, want source pixel (%d, %d) = %v", k, xx, y, p, xx/l.scale, y/l.scale, want)
						}
					}
				}
				if tt.o.Captions == nil {
					continue
				}
				band := l.caption(k)
				wrong := tt.o.Wrong != nil && tt.o.Wrong[k]
				n := countColors(got, band, ink, wrongInk)
				if wrong && (n[1] == 0 || n[0] != 0) {
					t.Errorf("caption %d %q: %d red and %d black pixels, want red only", k, tt.o.Captions[k], n[1], n[0])
				}
				if !wrong && (n[0] == 0 || n[1] != 0) {
					t.Errorf("caption %d %q: %d black and %d red pixels, want black only", k, tt.o.Captions[k], n[0], n[1])
				}
				if n[0]+n[1] != nonBackground(got, band) {
					t.Errorf("caption %d band has pixels that are neither ink nor page", k)
				}
			}
			if tt.o.Title != "" {
				title := image.Rect(0, margin, got.Bounds().Dx(), margin+lineHeight)
				if nonBackground(got, title) == 0 {
					t.Error("title band is blank")
				}
			}
		})
	}
}

// Captions are drawn where the layout says and nowhere else: without
// captions the bands below the images are page.
func TestGridNoCaptionsBlank(t *testing.T) {
	x := pixelImages(4, 8, 8, 1, 3)
	withCap, _ := Grid(x, GridOptions{Captions: []string{"a", "b", "c", "d"}})
	without, _ := Grid(x, GridOptions{})
	if withCap.Bounds().Dy() <= without.Bounds().Dy() {
		t.Errorf("captions did not add height: %v vs %v", withCap.Bounds(), without.Bounds())
	}
	l := layoutGrid(4, 8, 8, GridOptions{})
	for k := 0; k < 4; k++ {
		r := l.image(k)
		gapRow := image.Rect(r.Min.X, r.Max.Y, r.Max.X, r.Max.Y+captionGap)
		if gapRow.Max.Y <= without.Bounds().Max.Y && nonBackground(without, gapRow) != 0 {
			t.Errorf("image %d spills below its cell", k)
		}
	}
}

func TestGridClampsAndNormalizes(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{-1, 0.5, 2, 1}, 1, 2, 2, 1)
	img, err := Grid(x, GridOptions{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := layoutGrid(1, 2, 2, GridOptions{Scale: 1})
	p := l.image(0).Min
	want := []uint8{0, 128, 255, 255}
	for i, w := range want {
		if g := rgbaAt(img, p.X+i%2, p.Y+i/2).R; g != w {
			t.Errorf("clamped value %v drawn as %d, want %d", x.Data[i], g, w)
		}
	}
	img, _ = Grid(x, GridOptions{Scale: 1, Normalize: true})
	want = []uint8{0, 128, 255, 170} // (v+1)/3
	for i, w := range want {
		if g := rgbaAt(img, p.X+i%2, p.Y+i/2).R; g != w {
			t.Errorf("normalised value %v drawn as %d, want %d", x.Data[i], g, w)
		}
	}
}

func TestGridErrors(t *testing.T) {
	tests := []struct {
		name string
		x    *tensor.Tensor
		o    GridOptions
		want string
	}{
		{"nil", nil, GridOptions{}, "needs images"},
		{"table", tensor.New(4, 3), GridOptions{}, "shape (N, H, W, C)"},
		{"two channels", tensor.New(2, 4, 4, 2), GridOptions{}, "1 or 3 channels"},
		{"empty", &tensor.Tensor{Shape: tensor.Shape{0, 4, 4, 1}}, GridOptions{}, "no images"},
		{"captions", tensor.New(2, 4, 4, 1), GridOptions{Captions: []string{"a"}}, "1 captions for 2 images"},
		{"wrong", tensor.New(2, 4, 4, 1), GridOptions{Wrong: []bool{true}}, "1 wrong marks for 2 images"},
	}
	for _, tt := range tests {
		_, err := Grid(tt.x, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "plot: ") {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	// Two 2x2 filters over one input channel: filter f at (y, x) is
	// f*10 + y*2 + x, so each spans 0..3 above its own offset.
	k := tensor.New(2, 2, 1, 2)
	for y := 0; y < 2; y++ {
		for x := 0; x < 2; x++ {
			for f := 0; f < 2; f++ {
				k.Data[(y*2+x)*2+f] = float32(f*10 + y*2 + x)
			}
		}
	}
	img, err := Filters(k, GridOptions{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := GridOptions{Scale: 1, Captions: indexCaptions(2)}
	l := layoutGrid(2, 2, 2, o)
	if img.Bounds().Size() != l.size() {
		t.Fatalf("size %v, want %v", img.Bounds().Size(), l.size())
	}
	want := []uint8{0, 85, 170, 255} // each filter stretched to its own range
	for f := 0; f < 2; f++ {
		p := l.image(f).Min
		for i, w := range want {
			if g := rgbaAt(img, p.X+i%2, p.Y+i/2).R; g != w {
				t.Errorf("filter %d pixel %d = %d, want %d", f, i, g, w)
			}
		}
		if nonBackground(img, l.caption(f)) == 0 {
			t.Errorf("filter %d has no index caption", f)
		}
	}
	// Three input channels are drawn as colour.
	k3 := tensor.New(1, 1, 3, 1)
	copy(k3.Data, []float32{-1, 0, 1})
	img, err = Filters(k3, GridOptions{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := layoutGrid(1, 1, 1, GridOptions{Scale: 1, Captions: []string{"0"}}).image(0).Min
	if c := rgbaAt(img, p.X, p.Y); c != (color.RGBA{0, 128, 255, 255}) {
		t.Errorf("RGB filter pixel = %v, want {0 128 255 255}", c)
	}
	if _, err := Filters(tensor.New(3, 3, 1), GridOptions{}); err == nil {
		t.Error("a 3-D kernel was accepted")
	}
}

func TestFeatureMaps(t *testing.T) {
	const h, w, c = 3, 4, 5
	maps := tensor.New(1, h, w, c)
	for p := 0; p < h*w; p++ {
		for k := 0; k < c; k++ {
			maps.Data[p*c+k] = float32(p * (k + 1)) // map k is p scaled by k+1
		}
	}
	img, err := FeatureMaps(maps, GridOptions{Scale: 2, Colormap: Gray})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, img)
	l := layoutGrid(c, h, w, GridOptions{Scale: 2, Captions: indexCaptions(c)})
	if got.Bounds().Size() != l.size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), l.size())
	}
	for k := 0; k < c; k++ {
		r := l.image(k)
		for p := 0; p < h*w; p++ {
			want := to8(float64(p) / float64(h*w-1)) // every map normalises to p/(n-1)
			x, y := r.Min.X+(p%w)*2+1, r.Min.Y+(p/w)*2+1
			if g := rgbaAt(got, x, y).R; g != want {
				t.Fatalf("map %d position %d = %d, want %d", k, p, g, want)
			}
		}
		if nonBackground(got, l.caption(k)) == 0 {
			t.Errorf("map %d has no caption", k)
		}
	}
	if _, err := FeatureMaps(tensor.New(2, 32), GridOptions{}); err == nil || !strings.Contains(err.Error(), "convolution or pooling") {
		t.Errorf("dense output: err = %v", err)
	}
}

func TestColormap(t *testing.T) {
	tests := []struct {
		c    Colormap
		v    float64
		want color.RGBA
	}{
		{Gray, 0, color.RGBA{0, 0, 0, 255}},
		{Gray, 1, color.RGBA{255, 255, 255, 255}},
		{Gray, 2, color.RGBA{255, 255, 255, 255}},
		{Viridis, 0, color.RGBA{0x44, 0x01, 0x54, 255}},
		{Viridis, 1, color.RGBA{0xfd, 0xe7, 0x25, 255}},
		{Viridis, 0.5, color.RGBA{0x21, 0x91, 0x8c, 255}},
		{Blues, -3, color.RGBA{0xf7, 0xfb, 0xff, 255}},
	}
	for _, tt := range tests {
		if got := tt.c.At(tt.v); got != tt.want {
			t.Errorf("%v.At(%v) = %v, want %v", tt.c, tt.v, got, tt.want)
		}
	}
}

func TestBeside(t *testing.T) {
	a := newCanvas(3, 5)
	a.Set(0, 0, ink)
	b := newCanvas(4, 2)
	b.Set(3, 1, wrongInk)
	got := Beside(a, b)
	if got.Bounds() != image.Rect(0, 0, 7, 5) {
		t.Fatalf("bounds %v", got.Bounds())
	}
	if rgbaAt(got, 0, 0) != ink || rgbaAt(got, 6, 1) != wrongInk || rgbaAt(got, 6, 4) != background {
		t.Error("pieces not placed side by side on white")
	}
}
