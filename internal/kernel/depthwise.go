package kernel

// Depthwise 2-D convolution over NHWC data, as Keras's DepthwiseConv2D
// computes it (keras/src/ops/nn.py depthwise_conv): every input channel c
// has its own DM filters of KH×KW taps, and output channel c*DM+m is input
// channel c convolved with filter m of channel c. The kernel w is Keras's
// (KH, KW, C, DM) read row-major, so the weights of one tap for all output
// channels are contiguous, in output-channel order, like a row of the
// output. Every loop below runs innermost over channels, contiguous in x,
// w and y alike. There is no assembly version: these are the portable
// loops, which Go compiles to plain scalar code.
//
// g describes the window as for Conv2D: N images of H×W×C in, OH×OW out,
// PadT/PadL cells of zero padding before the first row/column, taps DH/DW
// cells apart (zero means 1); Groups is ignored (the depthwise convolution
// is the grouped one with a group per channel).

// DepthwiseConv2DNHWC overwrites y (N×OH×OW×C*dm) with the depthwise
// convolution of x (N×H×W×C) by w (KH×KW×C×dm). Its loop:
//
//	for n, oy, ox, ky, kx, c, m:
//	    iy, ix := oy*SH-PadT+ky*DH, ox*SW-PadL+kx*DW   (taps outside the image add 0)
//	    y[n,oy,ox,c*dm+m] += x[n,iy,ix,c] * w[ky,kx,c,m]
//
// Work is split by output row; the result does not depend on the thread
// count.
func DepthwiseConv2DNHWC(g *ConvGeom, dm int, x, w, y []float32) {
	co := g.C * dm
	_ = x[:g.N*g.H*g.W*g.C]
	_ = w[:g.KH*g.KW*co]
	_ = y[:g.N*g.OH*g.OW*co]
	work := max(1, g.OW*co*g.KH*g.KW)
	run(g.N*g.OH, max(1, grainElems/work), depthwiseForwardBody, kargs{s: [8][]float32{0: x, 1: w, 2: y}, i: [4]int{0: dm}, g: g})
}

func depthwiseForwardBody(ka *kargs, lo, hi int) {
	g := ka.g
	x, w, y := ka.s[0], ka.s[1], ka.s[2]
	dm := ka.i[0]
	co := g.C * dm
	dilY, dilX := g.dilation()
	for r := lo; r < hi; r++ {
		n, oy := r/g.OH, r%g.OH
		for ox := 0; ox < g.OW; ox++ {
			out := y[((n*g.OH+oy)*g.OW+ox)*co:][:co]
			clear(out)
			for ky := 0; ky < g.KH; ky++ {
				iy := oy*g.SH - g.PadT + ky*dilY
				if iy < 0 || iy >= g.H {
					continue
				}
				for kx := 0; kx < g.KW; kx++ {
					ix := ox*g.SW - g.PadL + kx*dilX
					if ix < 0 || ix >= g.W {
						continue
					}
					xs := x[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
					ws := w[(ky*g.KW+kx)*co:][:co]
					depthwiseTap(out, xs, ws, dm)
				}
			}
		}
	}
}

// depthwiseTap does out[c*dm+m] += xs[c]*ws[c*dm+m] for one tap.
func depthwiseTap(out, xs, ws []float32, dm int) {
	if dm == 1 {
		ws = ws[:len(xs)]
		out = out[:len(xs)]
		for c, v := range xs {
			out[c] += v * ws[c]
		}
		return
	}
	for c, v := range xs {
		o := out[c*dm:][:dm]
		wc := ws[c*dm:][:dm]
		for m := range o {
			o[m] += v * wc[m]
		}
	}
}

// DepthwiseConv2DBackwardInputNHWC overwrites dx (N×H×W×C) with the
// gradient of DepthwiseConv2DNHWC with respect to its input, given dy
// (N×OH×OW×C*dm). Each input cell gathers from the output cells whose
// windows cover it:
//
//	for n, iy, ix, ky, kx with oy = (iy+PadT-ky*DH)/SH, ox = (ix+PadL-kx*DW)/SW whole and in range, c, m:
//	    dx[n,iy,ix,c] += dy[n,oy,ox,c*dm+m] * w[ky,kx,c,m]
//
// Work is split by input row, so no two goroutines write the same cell.
func DepthwiseConv2DBackwardInputNHWC(g *ConvGeom, dm int, dy, w, dx []float32) {
	co := g.C * dm
	_ = dx[:g.N*g.H*g.W*g.C]
	_ = w[:g.KH*g.KW*co]
	_ = dy[:g.N*g.OH*g.OW*co]
	work := max(1, g.W*co*g.KH*g.KW/max(1, g.SH*g.SW))
	run(g.N*g.H, max(1, grainElems/work), depthwiseBackwardInputBody, kargs{s: [8][]float32{0: dy, 1: w, 2: dx}, i: [4]int{0: dm}, g: g})
}

func depthwiseBackwardInputBody(ka *kargs, lo, hi int) {
	g := ka.g
	dy, w, dx := ka.s[0], ka.s[1], ka.s[2]
	dm := ka.i[0]
	co := g.C * dm
	dilY, dilX := g.dilation()
	for r := lo; r < hi; r++ {
		n, iy := r/g.H, r%g.H
		for ix := 0; ix < g.W; ix++ {
			d := dx[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
			clear(d)
			for ky := 0; ky < g.KH; ky++ {
				ty := iy + g.PadT - ky*dilY
				if ty < 0 || ty%g.SH != 0 || ty/g.SH >= g.OH {
					continue
				}
				oy := ty / g.SH
				for kx := 0; kx < g.KW; kx++ {
					tx := ix + g.PadL - kx*dilX
					if tx < 0 || tx%g.SW != 0 || tx/g.SW >= g.OW {
						continue
					}
					ox := tx / g.SW
					gs := dy[((n*g.OH+oy)*g.OW+ox)*co:][:co]
					ws := w[(ky*g.KW+kx)*co:][:co]
					if dm == 1 {
						for c := range d {
							d[c] += gs[c] * ws[c]
						}
						continue
					}
					for c := range d {
						gc, wc := gs[c*dm:][:dm], ws[c*dm:][:dm]
						var s float32
						for m, v := range gc {
							s += v * wc[m]
						}
						d[c] += s
					}
				}
			}
		}
	}
}

// depthwiseBand is how many input channels one unit of the filter
// gradient's work covers (16 floats, a cache line, when dm is 1).
const depthwiseBand = 16

// DepthwiseConv2DBackwardFilterNHWC overwrites dw (KH×KW×C×dm) with the
// gradient of DepthwiseConv2DNHWC with respect to its kernel, given its
// input x and dy:
//
//	for ky, kx, c, m: dw[ky,kx,c,m] = sum over n, oy, ox (in that order) of
//	    x[n, oy*SH-PadT+ky*DH, ox*SW-PadL+kx*DW, c] * dy[n,oy,ox,c*dm+m]
//
// Work is split by tap and band of 16 channels, each summed by one
// goroutine in pixel order, so the result does not depend on the thread
// count.
func DepthwiseConv2DBackwardFilterNHWC(g *ConvGeom, dm int, x, dy, dw []float32) {
	co := g.C * dm
	_ = x[:g.N*g.H*g.W*g.C]
	_ = dw[:g.KH*g.KW*co]
	_ = dy[:g.N*g.OH*g.OW*co]
	bands := ceilDiv(g.C, depthwiseBand)
	work := max(1, g.N*g.OH*g.OW*min(g.C, depthwiseBand)*dm)
	run(g.KH*g.KW*bands, max(1, grainElems/work), depthwiseBackwardFilterBody, kargs{s: [8][]float32{0: x, 1: dy, 2: dw}, i: [4]int{0: dm, 1: bands}, g: g})
}

func depthwiseBackwardFilterBody(ka *kargs, lo, hi int) {
	g := ka.g
	x, dy, dw := ka.s[0], ka.s[1], ka.s[2]
	dm, bands := ka.i[0], ka.i[1]
	co := g.C * dm
	dilY, dilX := g.dilation()
	for u := lo; u < hi; u++ {
		tap, band := u/bands, u%bands
		ky, kx := tap/g.KW*dilY, tap%g.KW*dilX // the tap's offsets in the window
		c0, c1 := band*depthwiseBand, min(g.C, (band+1)*depthwiseBand)
		acc := dw[tap*co+c0*dm : tap*co+c1*dm]
		clear(acc)
		for n := 0; n < g.N; n++ {
			for oy := 0; oy < g.OH; oy++ {
				iy := oy*g.SH - g.PadT + ky
				if iy < 0 || iy >= g.H {
					continue
				}
				for ox := 0; ox < g.OW; ox++ {
					ix := ox*g.SW - g.PadL + kx
					if ix < 0 || ix >= g.W {
						continue
					}
					xs := x[((n*g.H+iy)*g.W+ix)*g.C+c0:][:c1-c0]
					gs := dy[((n*g.OH+oy)*g.OW+ox)*co+c0*dm:][:len(acc)]
					if dm == 1 {
						for c, v := range xs {
							acc[c] += v * gs[c]
						}
						continue
					}
					for c, v := range xs {
						a, gc := acc[c*dm:][:dm], gs[c*dm:][:dm]
						for m := range a {
							a[m] += v * gc[m]
						}
					}
				}
			}
		}
	}
}
