package kernel

// ConvGeom describes a 2-D convolution or pooling window over NHWC data:
// N images of H×W×C, a KH×KW window moved by (SH, SW), PadT/PadL zero (or
// -inf) cells before the first row/column, producing OH×OW outputs. Padding
// after the last row/column is implied by OH and OW.
type ConvGeom struct {
	N, H, W, C     int
	KH, KW, SH, SW int
	PadT, PadL     int
	OH, OW         int
}

// ColRows is the number of rows of the im2col matrix (one per output pixel).
func (g *ConvGeom) ColRows() int { return g.N * g.OH * g.OW }

// ColCols is the number of columns of the im2col matrix, ordered (ky, kx, c)
// to match a Keras kernel of shape (KH, KW, C, filters) read row-major.
func (g *ConvGeom) ColCols() int { return g.KH * g.KW * g.C }

// Im2colNHWC writes the im2col matrix of x into col (ColRows×ColCols,
// row-major): row (n, oy, ox) holds the window under that output pixel,
// with zeros where the window hangs over the padding. Its portable loop:
//
//	for n, oy, ox, ky, kx, c:
//	    iy, ix := oy*SH-PadT+ky, ox*SW-PadL+kx
//	    col[((n*OH+oy)*OW+ox)*K + (ky*KW+kx)*C + c] = x[((n*H+iy)*W+ix)*C+c] or 0
func Im2colNHWC(g *ConvGeom, x, col []float32) {
	k := g.ColCols()
	rowsPerImage := g.OH * g.OW
	run(g.N*g.OH, 4, im2colNHWCBody, kargs{s: [8][]float32{0: x, 1: col}, i: [4]int{0: k, 1: rowsPerImage}, g: g})
}

// Col2imNHWC is the adjoint of Im2colNHWC: it overwrites dx with the sum,
// over every window that covers an input cell, of that window's col entry.
// Work is split by image so that no two goroutines write the same cell.
func Col2imNHWC(g *ConvGeom, col, dx []float32) {
	k := g.ColCols()
	imgSize := g.H * g.W * g.C
	rowsPerImage := g.OH * g.OW
	run(g.N, 1, col2imNHWCBody, kargs{s: [8][]float32{0: col, 1: dx}, i: [4]int{0: k, 1: imgSize, 2: rowsPerImage}, g: g})
}

func im2colNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	x := ka.s[0]
	col := ka.s[1]
	k := ka.i[0]
	rowsPerImage := ka.i[1]

	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		for ox := 0; ox < g.OW; ox++ {
			dst := col[(n*rowsPerImage+oy*g.OW+ox)*k:][:k]
			for ky := 0; ky < g.KH; ky++ {
				iy := oy*g.SH - g.PadT + ky
				seg := dst[ky*g.KW*g.C : (ky+1)*g.KW*g.C]
				if iy < 0 || iy >= g.H {
					clear(seg)
					continue
				}
				ix0 := ox*g.SW - g.PadL
				if ix0 >= 0 && ix0+g.KW <= g.W {
					// The whole window row is inside: one contiguous copy.
					copyShort(seg, x[((n*g.H+iy)*g.W+ix0)*g.C:][:g.KW*g.C])
					continue
				}
				for kx := 0; kx < g.KW; kx++ {
					ix := ix0 + kx
					s := seg[kx*g.C : (kx+1)*g.C]
					if ix < 0 || ix >= g.W {
						clear(s)
					} else {
						copyShort(s, x[((n*g.H+iy)*g.W+ix)*g.C:][:g.C])
					}
				}
			}
		}
	}
}

func col2imNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	col := ka.s[0]
	dx := ka.s[1]
	k := ka.i[0]
	imgSize := ka.i[1]
	rowsPerImage := ka.i[2]

	clear(dx[lo*imgSize : hi*imgSize])
	for n := lo; n < hi; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				src := col[(n*rowsPerImage+oy*g.OW+ox)*k:][:k]
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.SH - g.PadT + ky
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.SW - g.PadL + kx
						if ix < 0 || ix >= g.W {
							continue
						}
						d := dx[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
						s := src[(ky*g.KW+kx)*g.C:][:g.C]
						Add(d, s)
					}
				}
			}
		}
	}
}

// copyShort is copy for the short window rows of first layers (a 3x3 RGB
// row is 9 floats), where calling memmove costs more than the copy.
func copyShort(dst, src []float32) {
	if len(dst) > 32 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}
