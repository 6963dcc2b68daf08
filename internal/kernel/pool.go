package kernel

import "math"

// MaxPoolNHWC writes the maximum of each window into y (N×OH×OW×C) and the
// flat index into x of the winning cell into arg, for the backward pass.
// Cells in the padding never win (they count as -inf, as in TensorFlow).
// Ties go to the first cell in row-major window order. With arg nil only
// the maxima are written (inference).
func MaxPoolNHWC(g *ConvGeom, x, y []float32, arg []int32) {
	negInf := float32(math.Inf(-1))
	run(g.N*g.OH, 4, maxPoolNHWCBody, kargs{s: [8][]float32{0: x, 1: y}, f: [8]float32{0: negInf}, g: g, arg: arg})
}

// MaxPoolBackwardNHWC overwrites dx with dy routed to each window's winner.
// Work is split by image, so windows that overlap never race.
func MaxPoolBackwardNHWC(g *ConvGeom, dy []float32, arg []int32, dx []float32) {
	img := g.H * g.W * g.C
	out := g.OH * g.OW * g.C
	run(g.N, 1, maxPoolBackwardNHWCBody, kargs{s: [8][]float32{0: dy, 1: dx}, i: [4]int{0: img, 1: out}, arg: arg, g: g})
}

// AvgPoolNHWC writes the mean of each window over the cells inside the
// image (padding is not counted, as in TensorFlow) into y.
func AvgPoolNHWC(g *ConvGeom, x, y []float32) {
	run(g.N*g.OH, 4, avgPoolNHWCBody, kargs{s: [8][]float32{0: x, 1: y}, g: g})
}

// AvgPoolBackwardNHWC overwrites dx with each window's gradient shared
// equally among the window's cells inside the image.
func AvgPoolBackwardNHWC(g *ConvGeom, dy, dx []float32) {
	img := g.H * g.W * g.C
	run(g.N, 1, avgPoolBackwardNHWCBody, kargs{s: [8][]float32{0: dy, 1: dx}, i: [4]int{0: img}, g: g})
}

func maxPoolNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	x := ka.s[0]
	y := ka.s[1]
	arg := ka.arg
	negInf := ka.f[0]

	if pool2x2(g) {
		// The common 2x2 pool: one pass over each pair of input rows.
		row, orow := g.W*g.C, g.OW*g.C
		for r := lo; r < hi; r++ {
			n, oy := r/g.OH, r%g.OH
			i0 := (n*g.H + 2*oy) * row
			if arg == nil {
				maxPool2Row(y[r*orow:(r+1)*orow], x[i0:i0+row], x[i0+row:i0+2*row], g.C)
			} else {
				maxPool2Arg(y[r*orow:(r+1)*orow], arg[r*orow:(r+1)*orow], x[i0:i0+row], x[i0+row:i0+2*row], g.C, i0, row)
			}
		}
		return
	}
	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		y0, y1 := max(oy*g.SH-g.PadT, 0), min(oy*g.SH-g.PadT+g.KH, g.H)
		for ox := 0; ox < g.OW; ox++ {
			x0, x1 := max(ox*g.SW-g.PadL, 0), min(ox*g.SW-g.PadL+g.KW, g.W)
			o := ((n*g.OH+oy)*g.OW + ox) * g.C
			yo := y[o : o+g.C]
			first := ((n*g.H+y0)*g.W + x0) * g.C
			if arg == nil {
				if y0 >= y1 || x0 >= x1 {
					for c := range yo {
						yo[c] = negInf
					}
					continue
				}
				copy(yo, x[first:first+g.C])
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						if base := ((n*g.H+iy)*g.W + ix) * g.C; base != first {
							maxVec(yo, x[base:base+g.C])
						}
					}
				}
				continue
			}
			ao := arg[o : o+g.C]
			if y0 >= y1 || x0 >= x1 {
				// A window entirely in the padding (possible only with
				// huge strides): -inf with no winner.
				for c := range yo {
					yo[c], ao[c] = negInf, -1
				}
				continue
			}
			// The first cell wins until beaten.
			maxArgInit(yo, ao, x[first:first+g.C], first)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					base := ((n*g.H+iy)*g.W + ix) * g.C
					if base != first {
						maxArgUpdate(yo, ao, x[base:base+g.C], base)
					}
				}
			}
		}
	}
}

// pool2x2 reports whether g is a 2x2, stride-2 window with every window
// inside the input (valid, or same on even sizes): windows that do not
// overlap, which the one-pass kernels handle.
func pool2x2(g *ConvGeom) bool {
	return g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PadT == 0 && g.PadL == 0 &&
		2*g.OH <= g.H && 2*g.OW <= g.W
}

func maxPoolBackwardNHWCBody(ka *kargs, lo, hi int) {
	dy := ka.s[0]
	arg := ka.arg
	dx := ka.s[1]
	img := ka.i[0]
	out := ka.i[1]
	if g := ka.g; pool2x2(g) {
		// Each input cell is in at most one window: write every cell once
		// (the winner's gradient or zero) instead of clearing and scattering.
		row, orow, used := g.W*g.C, g.OW*g.C, 2*g.OW*g.C
		for n := lo; n < hi; n++ {
			for oy := 0; oy < g.OH; oy++ {
				i0 := (n*g.H + 2*oy) * row
				o := (n*g.OH + oy) * orow
				maxPool2Back(dx[i0:i0+row], dx[i0+row:i0+2*row], dy[o:o+orow], arg[o:o+orow], g.C, i0, row)
				clear(dx[i0+used : i0+row]) // an odd last column
				clear(dx[i0+row+used : i0+2*row])
			}
			clear(dx[(n*g.H+2*g.OH)*row : (n+1)*g.H*row]) // an odd last row
		}
		return
	}

	clear(dx[lo*img : hi*img])
	for i, a := range arg[lo*out : hi*out] {
		if a >= 0 {
			dx[a] += dy[lo*out+i]
		}
	}
}

func avgPoolNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	x := ka.s[0]
	y := ka.s[1]

	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		y0, y1 := max(oy*g.SH-g.PadT, 0), min(oy*g.SH-g.PadT+g.KH, g.H)
		for ox := 0; ox < g.OW; ox++ {
			x0, x1 := max(ox*g.SW-g.PadL, 0), min(ox*g.SW-g.PadL+g.KW, g.W)
			o := ((n*g.OH+oy)*g.OW + ox) * g.C
			yo := y[o : o+g.C]
			clear(yo)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					Add(yo, x[((n*g.H+iy)*g.W+ix)*g.C:][:g.C])
				}
			}
			cnt := (y1 - y0) * (x1 - x0)
			if cnt > 0 {
				Scale(yo, 1/float32(cnt))
			}
		}
	}
}

func avgPoolBackwardNHWCBody(ka *kargs, lo, hi int) {
	g := ka.g
	dy := ka.s[0]
	dx := ka.s[1]
	img := ka.i[0]

	clear(dx[lo*img : hi*img])
	for n := lo; n < hi; n++ {
		for oy := 0; oy < g.OH; oy++ {
			y0, y1 := max(oy*g.SH-g.PadT, 0), min(oy*g.SH-g.PadT+g.KH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				x0, x1 := max(ox*g.SW-g.PadL, 0), min(ox*g.SW-g.PadL+g.KW, g.W)
				cnt := (y1 - y0) * (x1 - x0)
				if cnt == 0 {
					continue
				}
				s := 1 / float32(cnt)
				d := dy[((n*g.OH+oy)*g.OW+ox)*g.C:][:g.C]
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						Axpy(s, d, dx[((n*g.H+iy)*g.W+ix)*g.C:][:g.C])
					}
				}
			}
		}
	}
}
