package nn

// ContrastLimitedAdaptiveHistogramEqualization, as Keras 3's layer of that
// name (keras/src/layers/preprocessing/image_preprocessing/clahe.py).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// CLAHE is Keras's ContrastLimitedAdaptiveHistogramEqualization: each
// channel of each image, scaled from ValueRange to (0, 255), is cut into a
// TileGrid of tiles (the image padded symmetrically at the bottom and right
// to whole tiles); each tile's 256-bin histogram of the truncated values is
// clipped at ClipLimit·(tile pixels)/256 with the excess spread evenly, and
// turned into a lookup table round(255·(cdf - cdf_min)/(n - cdf_min))
// (without the rounding, as Keras); each pixel reads the tables of the
// four nearest tile centres at its own value and mixes them bilinearly.
// The zero values are Keras's defaults: ValueRange (0, 255), ClipLimit 4,
// TileGrid (8, 8); ClipLimit < 0 turns the clipping off (Keras's <= 0;
// here 0 means the default). It acts at training and inference alike, as
// Keras's. The output is piecewise constant in the input: the gradient is
// zero.
type CLAHE struct {
	Trainability
	Name       string
	ValueRange [2]float64
	ClipLimit  float64
	TileGrid   [2]int

	hist, lut []float32
	dx        *tensor.Tensor
	y         *tensor.Tensor
	pix       []int32 // the padded channel's values, truncated
}

func init() {
	register("ContrastLimitedAdaptiveHistogramEqualization", func(r *cfgReader) Layer {
		r.channelsLast()
		l := &CLAHE{ValueRange: r.valueRange(false)}
		if v, ok := r.Get("clip_limit"); ok && v != nil {
			c, isNum := config.Number(v)
			switch {
			case !isNum || math.IsNaN(c) || math.IsInf(c, 0):
				r.fail("clip_limit", v, "a number")
			case c <= 0:
				l.ClipLimit = -1
			default:
				l.ClipLimit = c
			}
		}
		if p, isPair, ok := r.numberOrPair("tile_grid_size"); ok {
			if !isPair || p[0] != math.Trunc(p[0]) || p[1] != math.Trunc(p[1]) || p[0] < 1 || p[1] < 1 {
				r.fail("tile_grid_size", r.M["tile_grid_size"], "a pair of whole numbers >= 1, e.g. [8, 8]")
			} else {
				l.TileGrid = [2]int{int(p[0]), int(p[1])}
			}
		}
		return l
	})
}

func (l *CLAHE) LayerName() string     { return l.Name }
func (l *CLAHE) SetLayerName(s string) { l.Name = s }
func (l *CLAHE) Class() string         { return "ContrastLimitedAdaptiveHistogramEqualization" }
func (l *CLAHE) Params() []*Param      { return nil }
func (l *CLAHE) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["clip_limit"] = l.clipLimit()
	g := l.grid()
	m["tile_grid_size"] = []any{g[0], g[1]}
	m["data_format"] = "channels_last"
	return m
}

func (l *CLAHE) clipLimit() float64 {
	switch {
	case l.ClipLimit == 0:
		return 4
	case l.ClipLimit < 0:
		return 0
	}
	return l.ClipLimit
}

func (l *CLAHE) grid() [2]int {
	if l.TileGrid == [2]int{} {
		return [2]int{8, 8}
	}
	return l.TileGrid
}

func (l *CLAHE) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	if g := l.grid(); g[0] < 1 || g[1] < 1 || g[0] > in[0] || g[1] > in[1] {
		return nil, fmt.Errorf("tile_grid_size %v must be at least 1 and at most the image's size (%d, %d)", g, in[0], in[1])
	}
	return in.Clone(), nil
}

func (l *CLAHE) Build(in tensor.Shape, _ *rand.Rand) error {
	_, err := l.OutputShape(in)
	return err
}

// symmetric is np.pad's "symmetric" index for i in [0, n+pad): the edge
// value repeated, then mirrored.
func symmetric(i, n int) int {
	if i < n {
		return i
	}
	return 2*n - 1 - i
}

func (l *CLAHE) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	g := l.grid()
	gh, gw := g[0], g[1]
	th, tw := (h+gh-1)/gh, (w+gw-1)/gw
	H, W := th*gh, tw*gw
	vr := orDefaultRange(l.ValueRange)
	lo, span := float32(vr[0]), float32(vr[1]-vr[0])
	l.y = tensor.Ensure(l.y, x.Shape...)
	l.hist = grow(l.hist, 256)
	l.lut = grow(l.lut, (gh+2)*(gw+2)*256)
	if cap(l.pix) < H*W {
		l.pix = make([]int32, H*W)
	}
	pix := l.pix[:H*W]
	tilePx := float32(th * tw)
	limit := float32(l.clipLimit() * float64(th*tw) / 256)
	for b := range n {
		img := x.Data[b*h*w*c : (b+1)*h*w*c]
		out := l.y.Data[b*h*w*c : (b+1)*h*w*c]
		for ch := range c {
			// The padded channel on the (0, 255) scale, truncated to ints
			// and clipped (the cast then clip of the histogram, the clip
			// then cast of the lookup agree for finite values).
			for yy := range H {
				sy := symmetric(yy, h)
				for xx := range W {
					v := img[(sy*w+symmetric(xx, w))*c+ch]
					if vr != defaultValueRange { // _transform_value_range, in its order
						v = (v - lo) / span * 255
					}
					q := int32(0)
					if v > 0 { // NaN and negatives go to 0
						q = int32(min(v, 255))
					}
					pix[yy*W+xx] = q
				}
			}
			// Each tile's table, at (ty+1, tx+1) of the grid padded by
			// its edge tiles.
			for ty := range gh {
				for tx := range gw {
					clear(l.hist)
					for yy := ty * th; yy < (ty+1)*th; yy++ {
						for xx := tx * tw; xx < (tx+1)*tw; xx++ {
							l.hist[pix[yy*W+xx]]++
						}
					}
					if l.clipLimit() > 0 {
						var excess float32
						for i, v := range l.hist {
							if v > limit {
								excess += v - limit
								l.hist[i] = limit
							}
						}
						for i := range l.hist {
							l.hist[i] += excess / 256
						}
					}
					t := l.lut[((ty+1)*(gw+2)+tx+1)*256 : ((ty+1)*(gw+2)+tx+2)*256]
					var cdf float32
					cdfMin := l.hist[0]
					den := tilePx - cdfMin
					if den == 0 {
						den = 1
					}
					for i, v := range l.hist {
						cdf += v
						t[i] = min(max((cdf-cdfMin)*255/den, 0), 255)
					}
				}
			}
			// The edge tiles' copies.
			row := func(ty int) []float32 { return l.lut[ty*(gw+2)*256 : (ty+1)*(gw+2)*256] }
			copy(row(0), row(1))
			copy(row(gh+1), row(gh))
			for ty := range gh + 2 {
				r := row(ty)
				copy(r[:256], r[256:512])
				copy(r[(gw+1)*256:], r[gw*256:(gw+1)*256])
			}
			for yy := range h {
				yg := (float32(yy)-float32(th)/2)/float32(th) + 1
				y0 := float32(math.Floor(float64(yg)))
				wy := yg - y0
				iy0, iy1 := clampInt(int(y0), gh+1), clampInt(int(y0)+1, gh+1)
				for xx := range w {
					xg := (float32(xx)-float32(tw)/2)/float32(tw) + 1
					x0 := float32(math.Floor(float64(xg)))
					wx := xg - x0
					ix0, ix1 := clampInt(int(x0), gw+1), clampInt(int(x0)+1, gw+1)
					p := pix[yy*W+xx]
					at := func(ty, tx int) float32 { return l.lut[(ty*(gw+2)+tx)*256+int(p)] }
					top := at(iy0, ix0)*(1-wx) + at(iy0, ix1)*wx
					bot := at(iy1, ix0)*(1-wx) + at(iy1, ix1)*wx
					v := top*(1-wy) + bot*wy
					if vr != defaultValueRange {
						v = v/255*span + lo
					}
					out[(yy*w+xx)*c+ch] = v
				}
			}
		}
	}
	return l.y
}

func clampInt(v, hi int) int { return min(max(v, 0), hi) }

// Backward is zero: the output depends on the input's truncated values.
func (l *CLAHE) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	l.dx.Zero()
	return l.dx
}
