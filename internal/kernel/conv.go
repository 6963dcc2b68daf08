package kernel

// ConvGeom describes a 2-D convolution or pooling window over NHWC data:
// N images of H×W×C, a KH×KW window moved by (SH, SW), PadT/PadL zero (or
// -inf) cells before the first row/column, producing OH×OW outputs. Padding
// after the last row/column is implied by OH and OW.
//
// DH and DW dilate the window (tap ky reads input row oy*SH-PadT+ky*DH) and
// Groups splits the channels into groups convolved separately, as Keras's
// dilation_rate and groups do (keras/src/layers/convolutional/base_conv.py);
// zero means 1 for all three. Only Im2colNHWC and Col2imNHWC read them:
// pooling leaves them zero and WinogradUsable refuses a geometry that sets
// them.
type ConvGeom struct {
	N, H, W, C     int
	KH, KW, SH, SW int
	PadT, PadL     int
	OH, OW         int
	DH, DW, Groups int
}

// general reports whether the window is dilated or grouped: such a
// geometry takes the portable loop of im2colGeneralBody, not the copy
// fast paths of im2colNHWCBody, which assume contiguous window rows.
func (g *ConvGeom) general() bool { return g.DH > 1 || g.DW > 1 || g.Groups > 1 }

// dilation returns (DH, DW) with zero read as 1.
func (g *ConvGeom) dilation() (int, int) { return max(g.DH, 1), max(g.DW, 1) }

// groups returns Groups with zero read as 1.
func (g *ConvGeom) groups() int { return max(g.Groups, 1) }

// ColRows is the number of rows of the im2col matrix (one per output pixel).
func (g *ConvGeom) ColRows() int { return g.N * g.OH * g.OW }

// ColCols is the number of columns of the im2col matrix, ordered (ky, kx, c)
// to match a Keras kernel of shape (KH, KW, C, filters) read row-major.
// With Groups > 1 they are ordered (group, ky, kx, c within the group):
// group gr's columns [gr*K/Groups, (gr+1)*K/Groups) are the im2col matrix
// of its channel slice, to be multiplied by the kernel (KH, KW, C/Groups,
// filters)'s columns of that group's filters.
func (g *ConvGeom) ColCols() int { return g.KH * g.KW * g.C }

// Im2colNHWC writes the im2col matrix of x into col (ColRows×ColCols,
// row-major): row (n, oy, ox) holds the window under that output pixel,
// with zeros where the window hangs over the padding. Its portable loop
// (Cg = C/Groups, K = ColCols):
//
//	for n, oy, ox, gr, ky, kx, c < Cg:
//	    iy, ix := oy*SH-PadT+ky*DH, ox*SW-PadL+kx*DW
//	    col[((n*OH+oy)*OW+ox)*K + gr*K/Groups + (ky*KW+kx)*Cg + c] = x[((n*H+iy)*W+ix)*C + gr*Cg + c] or 0
//
// There is no assembly version: undilated, ungrouped windows take Go copy
// fast paths (whole window rows are contiguous in x), dilated or grouped
// ones the plain loop above, where each tap is a copy of Cg floats.
func Im2colNHWC(g *ConvGeom, x, col []float32) {
	k := g.ColCols()
	rowsPerImage := g.OH * g.OW
	body := im2colNHWCBody
	if g.general() {
		body = im2colGeneralBody
	}
	run(g.N*g.OH, 4, body, kargs{s: [8][]float32{0: x, 1: col}, i: [4]int{0: k, 1: rowsPerImage}, g: g})
}

// Col2imNHWC is the adjoint of Im2colNHWC: it overwrites dx with the sum,
// over every window that covers an input cell, of that window's col entry.
// Work is split by image so that no two goroutines write the same cell.
func Col2imNHWC(g *ConvGeom, col, dx []float32) {
	k := g.ColCols()
	imgSize := g.H * g.W * g.C
	rowsPerImage := g.OH * g.OW
	body := col2imNHWCBody
	if g.general() {
		body = col2imGeneralBody
	}
	run(g.N, 1, body, kargs{s: [8][]float32{0: col, 1: dx}, i: [4]int{0: k, 1: imgSize, 2: rowsPerImage}, g: g})
}

// im2colGeneralBody is Im2colNHWC's loop for dilated or grouped windows,
// over rows (n, oy) in [lo, hi).
func im2colGeneralBody(ka *kargs, lo, hi int) {
	g := ka.g
	x := ka.s[0]
	col := ka.s[1]
	k := ka.i[0]
	rowsPerImage := ka.i[1]
	dh, dw := g.dilation()
	groups := g.groups()
	cg, kg := g.C/groups, k/groups
	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		for ox := 0; ox < g.OW; ox++ {
			dst := col[(n*rowsPerImage+oy*g.OW+ox)*k:][:k]
			for ky := 0; ky < g.KH; ky++ {
				iy := oy*g.SH - g.PadT + ky*dh
				for kx := 0; kx < g.KW; kx++ {
					ix := ox*g.SW - g.PadL + kx*dw
					tap := (ky*g.KW + kx) * cg
					if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
						for gr := 0; gr < groups; gr++ {
							clear(dst[gr*kg+tap:][:cg])
						}
						continue
					}
					src := x[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
					for gr := 0; gr < groups; gr++ {
						copyShort(dst[gr*kg+tap:][:cg], src[gr*cg:][:cg])
					}
				}
			}
		}
	}
}

// col2imGeneralBody is Col2imNHWC's loop for dilated or grouped windows,
// over images [lo, hi).
func col2imGeneralBody(ka *kargs, lo, hi int) {
	g := ka.g
	col := ka.s[0]
	dx := ka.s[1]
	k := ka.i[0]
	imgSize := ka.i[1]
	rowsPerImage := ka.i[2]
	dh, dw := g.dilation()
	groups := g.groups()
	cg, kg := g.C/groups, k/groups

	clear(dx[lo*imgSize : hi*imgSize])
	for n := lo; n < hi; n++ {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				src := col[(n*rowsPerImage+oy*g.OW+ox)*k:][:k]
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.SH - g.PadT + ky*dh
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.SW - g.PadL + kx*dw
						if ix < 0 || ix >= g.W {
							continue
						}
						d := dx[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
						tap := (ky*g.KW + kx) * cg
						for gr := 0; gr < groups; gr++ {
							Add(d[gr*cg:][:cg], src[gr*kg+tap:][:cg])
						}
					}
				}
			}
		}
	}
}

func im2colNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	x := ka.s[0]
	col := ka.s[1]
	k := ka.i[0]
	rowsPerImage := ka.i[1]
	seg := g.KW * g.C // one window row
	// Windows ox in [in0, in1) lie inside the image horizontally: their
	// rows are one contiguous copy each.
	in0 := min(g.OW, ceilDiv(g.PadL, g.SW))
	in1 := in0
	if room := g.W - g.KW + g.PadL; room >= 0 {
		in1 = max(in0, min(g.OW, room/g.SW+1))
	}

	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		base := (n*rowsPerImage + oy*g.OW) * k
		for ky := 0; ky < g.KH; ky++ {
			iy := oy*g.SH - g.PadT + ky
			d0 := base + ky*seg
			if iy < 0 || iy >= g.H {
				for ox := 0; ox < g.OW; ox++ {
					clear(col[d0+ox*k : d0+ox*k+seg])
				}
				continue
			}
			xrow := x[(n*g.H+iy)*g.W*g.C : (n*g.H+iy+1)*g.W*g.C]
			for ox := 0; ox < in0; ox++ {
				im2colEdge(g, col[d0+ox*k:d0+ox*k+seg], xrow, ox)
			}
			s0, sstep := (in0*g.SW-g.PadL)*g.C, g.SW*g.C
			switch seg {
			case 4: // a 4-wide grey window
				for ox, s := in0, s0; ox < in1; ox, s = ox+1, s+sstep {
					*(*[4]float32)(col[d0+ox*k:]) = *(*[4]float32)(xrow[s:])
				}
			case 9: // a 3-wide RGB window
				for ox, s := in0, s0; ox < in1; ox, s = ox+1, s+sstep {
					d := col[d0+ox*k:][:9]
					*(*[8]float32)(d) = *(*[8]float32)(xrow[s:])
					d[8] = xrow[s+8]
				}
			default:
				for ox, s := in0, s0; ox < in1; ox, s = ox+1, s+sstep {
					copyShort(col[d0+ox*k:d0+ox*k+seg], xrow[s:s+seg])
				}
			}
			for ox := in1; ox < g.OW; ox++ {
				im2colEdge(g, col[d0+ox*k:d0+ox*k+seg], xrow, ox)
			}
		}
	}
}

// im2colEdge fills one window row dst of output column ox that hangs over
// the left or right padding, from image row xrow.
func im2colEdge(g *ConvGeom, dst, xrow []float32, ox int) {
	ix0 := ox*g.SW - g.PadL
	for kx := 0; kx < g.KW; kx++ {
		ix := ix0 + kx
		s := dst[kx*g.C : (kx+1)*g.C]
		if ix < 0 || ix >= g.W {
			clear(s)
		} else {
			copyShort(s, xrow[ix*g.C:(ix+1)*g.C])
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

// copyShort is copy for the short window rows of first layers (a 4x4
// grey row is 4 floats, a 3x3 RGB row 9), where calling memmove costs
// more than the copy: whole 8- and 4-float blocks move as arrays (one
// vector load and store each), the rest one by one.
func copyShort(dst, src []float32) {
	n := len(dst)
	if n > 32 {
		copy(dst, src)
		return
	}
	src = src[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		*(*[8]float32)(dst[i:]) = *(*[8]float32)(src[i:])
	}
	if i+4 <= n {
		*(*[4]float32)(dst[i:]) = *(*[4]float32)(src[i:])
		i += 4
	}
	for ; i < n; i++ {
		dst[i] = src[i]
	}
}
