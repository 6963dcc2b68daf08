package kernel

import (
	"bytes"
	"unsafe"
)

// Winograd F(2x2, 3x3) convolution for 3x3 stride-1 windows (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block
// of outputs comes from a 4x4 input tile d and the 3x3 filter g as
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//	Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//	G  = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 -1 -1]
//
// Summed over input channels, the element-wise product becomes 16
// independent matrix products [tiles × C] x [C × K], which is where the
// time goes: 16·C·K multiplies per 4 outputs instead of 36·C·K, 2.25 times
// fewer than im2col + GEMM. Tiles are processed in blocks so the transformed
// inputs and products stay in cache. The transforms vectorise over channels
// (NHWC keeps them contiguous); on amd64 they are assembly with these Go
// loops as twins.
//
// F(4x4, 3x3) (winograd4.go) takes 36 products per 16 outputs, 44% fewer
// again, for larger transforms; with its assembly transforms it trains
// cifar10-fast's convolutions faster, so it is used wherever the output is
// at least 4x4 (variant). The code below serves both, with tiles of mt×mt
// outputs from a×a inputs.

// winoVariant is one Winograd algorithm F(mt×mt, 3×3): input tiles of
// a = mt+2 cells a side, a² element-wise products.
type winoVariant struct {
	mt, a int
	// block is about how many tiles are transformed and multiplied
	// together: whole rows of tiles, so that the block's input rows are
	// padded into a small per-thread buffer that stays in cache.
	block int
	// The per-tile transforms (package variables, so UsePortable can swap
	// them) and their versions for tiles that hang over the output's edge.
	in          *func(v []float32, vs int, d []float32, rs, cs, n int)
	out         *func(y []float32, rs, cs int, m []float32, ms, n int)
	gradOut     *func(m []float32, ms int, dy []float32, rs, cs, n int)
	outPart     func(y []float32, rs, cs int, m []float32, ms, n, rows, cols int)
	gradOutPart func(m []float32, ms int, dy []float32, rs, cs, n, rows, cols int)
	// The filter transform into u (see winoFilterBody for the layouts) and
	// its adjoint.
	filter     func(wg *Winograd, u, w []float32, c, k int, turned bool)
	filterGrad func(dw, du []float32, c, k int)
}

var (
	wino2 = winoVariant{mt: 2, a: 4, block: 192, in: &winoIn, out: &winoOut, gradOut: &winoGradOut,
		outPart: winoOutPartialGeneric, gradOutPart: winoGradOutPartialGeneric,
		filter: filterF2, filterGrad: filterGradF2}
	wino4 = winoVariant{mt: 4, a: 6, block: 96, in: &winoIn4, out: &winoOut4, gradOut: &winoGradOut4,
		outPart: winoOut4PartialGeneric, gradOutPart: winoGradOut4PartialGeneric,
		filter: filterF4, filterGrad: filterGradF4}
	// winoForce, when set (by tests), is the variant every pass uses.
	winoForce *winoVariant
)

// variant picks the algorithm for an oh×ow output: F(4x4) where its
// assembly transforms are in and the output is cut into whole 4x4 tiles,
// else F(2x2). Tiles that hang over the edge waste F(4x4)'s advantage
// (a 10x10 output takes 9 tiles of 36 products, 324, against F(2x2)'s 25
// of 16, 400) and go through the portable edge transforms: fashion-cnn's
// 10x10 convolution trained 13% slower with F(4x4).
func variant(oh, ow int) *winoVariant {
	if winoForce != nil {
		return winoForce
	}
	if wino4Fast && oh%4 == 0 && ow%4 == 0 {
		return &wino4
	}
	return &wino2
}

// WinogradUsable reports whether g is a 3x3 stride-1 window, the shape
// Winograd F(2x2,3x3) and F(4x4,3x3) compute, undilated and ungrouped.
func WinogradUsable(g *ConvGeom) bool {
	return g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && !g.general()
}

// Winograd holds the workspaces of one convolution's Winograd passes, so
// that steady-state training allocates nothing. The zero value is ready.
type Winograd struct {
	u, up, v, m, pad []float32
	wt               []float32 // F(4x4)'s turned kernel
	base             []int
	plan             winoPlan
	fwdVar           *winoVariant // the variant of the cached transform
	// When fwdOK, u and up hold the forward transform of fwd (a copy of
	// the kernel), packed for GEMM kernel fwdKern: inference calls with
	// unchanged weights (evaluate, predict) skip the transform and the
	// packing. Only a Forward that follows a Forward keeps the copy, so a
	// training step (whose backward passes reuse u and clear fwdOK and
	// inForward) does not copy the kernel for nothing.
	fwd       []float32
	fwdOK     bool
	fwdKern   string
	inForward bool
}

// winoPlan is one pass: input x (n×h×w×c, padded by padT, padL), output
// out (n×oh×ow×k). Tiles come in rows of tilesW; the batch's tile rows are
// numbered image by image and cut into blocks of rpb rows.
type winoPlan struct {
	vt               *winoVariant
	n, c, k          int
	h, w, padT, padL int
	oh, ow           int
	wp               int // padded row length in cells
	tilesH, tilesW   int
	rows, rpb, bt    int // tile rows, rows per block, tile capacity per block
	vs, ms           int // plane strides of v and m
	slots            int
	x, u, v, m, pad  []float32
	base             []int // each slot's pad rows of its block's tile rows (padBlock)
	// bias, when set, is added to each block's outputs once written (with
	// relu, then ReLU): k-long bias vectors one after the other.
	bias []float32
	relu bool
	out  []float32
	// With an assembly micro-kernel, U is packed once per pass into its
	// nr-wide panels (up) and the products are computed tile by tile into
	// m rows kp = k rounded up to nr wide; otherwise gemmSerial does them.
	kern func(k int, a []float32, rs, ks int, b, c []float32, ldc int)
	up   []float32
	kp   int
	// cp is BackwardFilter's C rounded up to mr (its dU is cp×kp).
	cp int
}

// init fills in the geometry and sizes the slot workspaces in wg (v and m
// for kp-wide products).
func (p *winoPlan) init(wg *Winograd, vt *winoVariant, n, h, w, c, k, oh, ow, padT, padL, slots, kp int) {
	mt := vt.mt
	*p = winoPlan{vt: vt, n: n, c: c, k: k, h: h, w: w, padT: padT, padL: padL, oh: oh, ow: ow,
		tilesH: ceilDiv(oh, mt), tilesW: ceilDiv(ow, mt), kern: p.kern, up: p.up, kp: kp,
		bias: p.bias, relu: p.relu}
	p.wp = mt*p.tilesW + 2
	p.rows = n * p.tilesH
	p.rpb = max(1, vt.block/p.tilesW)
	p.bt = ceilDiv(p.rpb*p.tilesW, 12) * 12 // a multiple of every mr
	p.slots = max(1, min(slots, ceilDiv(p.rows, p.rpb)))
	np := vt.a * vt.a
	// Plane strides: a multiple of 4 KiB would put the a² planes' cells
	// for one tile in the same L1 set (the tile transforms touch them all
	// at once); a cache line more spreads them.
	p.vs, p.ms = p.bt*c+16, p.bt*kp+16
	wg.v = growBuf(wg.v, p.slots*np*p.vs)
	wg.m = growBuf(wg.m, p.slots*np*p.ms)
	wg.pad = growBuf(wg.pad, p.slots*p.rpb*vt.a*p.wp*c)
	p.v, p.m, p.pad = wg.v, wg.m, wg.pad
	if len(wg.base) < p.slots*p.rpb {
		wg.base = make([]int, p.slots*p.rpb)
	}
	p.base = wg.base
}

// blocks is the number of tile-row blocks.
func (p *winoPlan) blocks() int { return ceilDiv(p.rows, p.rpb) }

// padBlock copies into pad the padded input rows under the tile rows of
// block b, and sets base[i] to the pad row where tile row i of the block
// starts (its a rows follow). Consecutive tile rows of one image overlap
// by a−mt input rows, which are copied once: an image's k tile rows take
// k·mt+a−mt pad rows, not k·a. It returns the block's first tile row and
// its tile count.
func (p *winoPlan) padBlock(pad []float32, base []int, b int) (r0, tn int) {
	c, wp, a, mt := p.c, p.wp, p.vt.a, p.vt.mt
	r0 = b * p.rpb
	r1 := min(r0+p.rpb, p.rows)
	rowLen := wp * c
	cols := min(p.w, wp-p.padL)
	next := 0 // the first pad row not yet filled
	for r := r0; r < r1; r++ {
		img, ty := r/p.tilesH, r%p.tilesH
		first := 0 // the tile's first row that is not already there
		if r > r0 && ty > 0 {
			base[r-r0] = base[r-r0-1] + mt
			first = a - mt
		} else {
			base[r-r0] = next
		}
		for i := first; i < a; i++ {
			dst := pad[(base[r-r0]+i)*rowLen : (base[r-r0]+i+1)*rowLen]
			iy := mt*ty + i - p.padT
			if iy < 0 || iy >= p.h {
				clear(dst)
				continue
			}
			clear(dst[:p.padL*c])
			copy(dst[p.padL*c:(p.padL+cols)*c], p.x[(img*p.h+iy)*p.w*c:][:cols*c])
			clear(dst[(p.padL+cols)*c:])
		}
		next = base[r-r0] + a
	}
	return r0, (r1 - r0) * p.tilesW
}

// Forward overwrites y (N×OH×OW×k) with the convolution of x (N×H×W×C) with
// the Keras kernel w (3×3×C×k, HWIO), no bias.
func (wg *Winograd) Forward(g *ConvGeom, k int, x, w, y []float32) {
	wg.ForwardBias(g, k, x, w, nil, y, false)
}

// ForwardBias is Forward, then, unless bias is nil, AddBiasRows(y, bias)
// or, with relu, BiasReLURows(y, bias): the same bits, applied to each
// block of outputs as soon as it is written, while it is in cache.
func (wg *Winograd) ForwardBias(g *ConvGeom, k int, x, w, bias, y []float32, relu bool) {
	wg.plan.bias, wg.plan.relu = nil, relu
	if bias != nil {
		// The bias repeated over about biasTile floats (tileRows), so
		// that narrow rows go many to a vector call.
		m := max(1, biasTile/k)
		p := getF32(m * k)
		defer putF32(p)
		wg.plan.bias, _, _, _ = tileRows(*p, m, k, bias)
	}
	defer func() { wg.plan.bias = nil }()
	c := g.C
	w = w[:9*c*k]
	vt := variant(g.OH, g.OW)
	if wg.fwdOK && wg.fwdKern == sgemm.name && wg.fwdVar == vt && sameFloatBits(wg.fwd, w) {
		wg.conv(vt, g.N, g.H, g.W, c, k, g.OH, g.OW, g.PadT, g.PadL, x, y, true)
		return
	}
	wg.u = growBuf(wg.u, vt.a*vt.a*c*k)
	vt.filter(wg, wg.u, w, c, k, false)
	wg.conv(vt, g.N, g.H, g.W, c, k, g.OH, g.OW, g.PadT, g.PadL, x, y, false)
	if wg.inForward {
		wg.fwd, wg.fwdOK, wg.fwdKern, wg.fwdVar = append(wg.fwd[:0], w...), true, sgemm.name, vt
	}
	wg.inForward = true
}

// sameFloatBits reports whether a and b hold the same bits.
func sameFloatBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	ab := unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 4*len(a))
	bb := unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 4*len(b))
	return bytes.Equal(ab, bb)
}

// BackwardData overwrites dx (N×H×W×C) with the gradient of the input of
// the convolution Forward computes, given dy (N×OH×OW×k): a convolution of
// dy with the kernel turned 180° and its channel axes swapped.
func (wg *Winograd) BackwardData(g *ConvGeom, k int, dy, w, dx []float32) {
	c := g.C
	wg.fwdOK, wg.inForward = false, false
	vt := variant(g.H, g.W)
	wg.u = growBuf(wg.u, vt.a*vt.a*c*k)
	vt.filter(wg, wg.u, w, c, k, true)
	// Output cell i gets dy[i+PadT-ky]·w[ky]: a correlation of dy padded by
	// 2-PadT with the turned kernel.
	wg.plan.bias = nil
	wg.conv(vt, g.N, g.OH, g.OW, k, c, g.H, g.W, 2-g.PadT, 2-g.PadL, dy, dx, false)
}

// conv is the Winograd pass for input x (n×h×w×c) padded by (padT, padL),
// output y (n×oh×ow×k), with the transformed filter already in wg.u (and
// packed into wg.up when packed).
func (wg *Winograd) conv(vt *winoVariant, n, h, w, c, k, oh, ow, padT, padL int, x, y []float32, packed bool) {
	p := &wg.plan
	np := vt.a * vt.a
	p.kern, p.up = nil, nil
	kp := k
	if g := &sgemm; g.kernASet != nil && 12%g.mr == 0 {
		p.kern = g.kernASet
		kp = ceilDiv(k, g.nr) * g.nr
		if !packed {
			wg.up = growBuf(wg.up, np*c*kp)
			packWinoFilter(wg.up, wg.u, np, c, k, g.nr)
		}
		p.up = wg.up
	}
	// Each thread takes every slots-th block with its own workspace, so
	// the blocks need no synchronisation.
	p.init(wg, vt, n, h, w, c, k, oh, ow, padT, padL, Threads(), kp)
	p.x, p.u, p.out = x, wg.u, y[:n*oh*ow*k]
	run(p.slots, 1, winoSlotBody, kargs{wp: p})
}

// winoSlotBody runs workspace slots [lo, hi): slot s pads, transforms,
// multiplies and writes back blocks s, s+slots, s+2·slots, ...
func winoSlotBody(ka *kargs, lo, hi int) {
	p := ka.wp
	c, k, kp := p.c, p.k, p.kp
	a, mt, np := p.vt.a, p.vt.mt, p.vt.a*p.vt.a
	in := *p.vt.in
	vs, ms := p.vs, p.ms
	padLen := p.rpb * a * p.wp * c
	for s := lo; s < hi; s++ {
		v := p.v[s*np*vs : (s+1)*np*vs]
		m := p.m[s*np*ms : (s+1)*np*ms]
		pad := p.pad[s*padLen : (s+1)*padLen]
		base := p.base[s*p.rpb : (s+1)*p.rpb]
		for b := s; b < p.blocks(); b += p.slots {
			r0, tn := p.padBlock(pad, base, b)
			for t := range tn {
				o := (base[t/p.tilesW]*p.wp + mt*(t%p.tilesW)) * c
				in(v[t*c:], vs, pad[o:], p.wp*c, c, c)
			}
			for xi := range np {
				vx, mx := v[xi*vs:(xi+1)*vs], m[xi*ms:(xi+1)*ms]
				if p.kern == nil {
					gemmSerial(false, false, tn, k, c, 1, vx, c, p.u[xi*c*k:], k, 0, mx, k)
					continue
				}
				// Rows past tn hold stale tiles: computed, never read.
				mr, nr := sgemm.mr, sgemm.nr
				for j := 0; j < kp; j += nr {
					bp := p.up[(xi*kp+j)*c : (xi*kp+j+nr)*c]
					for i := 0; i < tn; i += mr {
						p.kern(c, vx[i*c:], c, 1, bp, mx[i*kp+j:], kp)
					}
				}
			}
			p.output(m, ms, r0, tn)
			if p.bias != nil {
				p.addBias(r0, tn)
			}
		}
	}
}

// addBias adds the bias to the outputs of the block of tn tiles from tile
// row r0 (with relu, then ReLU): whole output rows, one run of memory, as
// tile rows are numbered image by image.
func (p *winoPlan) addBias(r0, tn int) {
	r1 := r0 + tn/p.tilesW
	row := func(r int) int { return r/p.tilesH*p.oh + r%p.tilesH*p.vt.mt }
	lo, hi := row(r0)*p.ow*p.k, row(r1-1)*p.ow*p.k
	hi += min(p.vt.mt, p.oh-(r1-1)%p.tilesH*p.vt.mt) * p.ow * p.k
	for off := lo; off < hi; off += len(p.bias) {
		end := min(off+len(p.bias), hi)
		if p.relu {
			biasReLUVec(p.out[off:end], p.bias)
		} else {
			addVec(p.out[off:end], p.bias)
		}
	}
}

// packWinoFilter copies the np c×k matrices of u into up as nr-wide
// panels, each c rows of nr floats (the micro-kernel's packed B), with
// zero columns past k.
func packWinoFilter(up, u []float32, np, c, k, nr int) {
	kp := ceilDiv(k, nr) * nr
	for xi := range np {
		src := u[xi*c*k : (xi+1)*c*k]
		for j := 0; j < kp; j += nr {
			dst := up[(xi*kp+j)*c : (xi*kp+j+nr)*c]
			w := min(nr, k-j)
			for q := range c {
				copy(dst[q*nr:q*nr+w], src[q*k+j:q*k+j+w])
				clear(dst[q*nr+w : (q+1)*nr])
			}
		}
	}
}

// outCell returns, for tile t of the block starting at tile row r0, the
// offset in out of its top-left output and how many rows and columns of
// its mt×mt outputs exist.
func (p *winoPlan) outCell(r0, t int) (off, rows, cols int) {
	mt := p.vt.mt
	r := r0 + t/p.tilesW
	img, ty, tx := r/p.tilesH, r%p.tilesH, t%p.tilesW
	oy, ox := mt*ty, mt*tx
	return ((img*p.oh+oy)*p.ow + ox) * p.k, min(mt, p.oh-oy), min(mt, p.ow-ox)
}

// output writes the outputs of the block's tn tiles from their products m.
func (p *winoPlan) output(m []float32, ms, r0, tn int) {
	k, kp, mt := p.k, p.kp, p.vt.mt
	out := *p.vt.out
	for t := range tn {
		off, rows, cols := p.outCell(r0, t)
		dst := p.out[off:]
		if rows == mt && cols == mt {
			out(dst, p.ow*k, k, m[t*kp:], ms, k)
		} else {
			p.vt.outPart(dst, p.ow*k, k, m[t*kp:], ms, k, rows, cols)
		}
	}
}

// winoFilter writes U = G g Gᵀ for every (c, k) pair of the HWIO kernel w
// (3×3×c×k) into u as 16 matrices of c×k. With turned, g is the kernel
// for the data gradient instead: g'[ky][kx][k][c] = g[2-ky][2-kx][c][k],
// stored as 16 matrices of k×c.
func filterF2(_ *Winograd, u, w []float32, c, k int, turned bool) {
	run(c, max(1, 4096/max(k, 1)), winoFilterBody, kargs{s: [8][]float32{0: u, 1: w}, i: [4]int{0: c, 1: k}, flag: turned})
}

func winoFilterBody(ka *kargs, lo, hi int) {
	u, w := ka.s[0], ka.s[1]
	c, k := ka.i[0], ka.i[1]
	turned := ka.flag
	var g [9]float32
	plane := c * k
	for ci := lo; ci < hi; ci++ {
		for ki := range k {
			for ky := range 3 {
				for kx := range 3 {
					if turned {
						g[ky*3+kx] = w[((2-ky)*3+(2-kx))*plane+ci*k+ki]
					} else {
						g[ky*3+kx] = w[(ky*3+kx)*plane+ci*k+ki]
					}
				}
			}
			// t = G g (4×3), then U = t Gᵀ (4×4).
			var t [12]float32
			for j := range 3 {
				g0, g1, g2 := g[j], g[3+j], g[6+j]
				t[j], t[3+j], t[6+j], t[9+j] = g0, 0.5*(g0+g1+g2), 0.5*(g0-g1+g2), g2
			}
			off := ci*k + ki
			if turned {
				off = ki*c + ci
			}
			for i := range 4 {
				t0, t1, t2 := t[i*3], t[i*3+1], t[i*3+2]
				u[(i*4+0)*plane+off] = t0
				u[(i*4+1)*plane+off] = 0.5 * (t0 + t1 + t2)
				u[(i*4+2)*plane+off] = 0.5 * (t0 - t1 + t2)
				u[(i*4+3)*plane+off] = t2
			}
		}
	}
}

// winoInGeneric writes V = Bᵀ d B for n channels of one tile: d(i, j) is
// the n floats at d[i*rs+j*cs:], V(xi) goes to v[xi*vs:], xi = 4i+j.
func winoInGeneric(v []float32, vs int, d []float32, rs, cs, n int) {
	for ch := range n {
		// e = d B row by row, then V = Bᵀ e: the order the assembly uses,
		// so both round alike.
		var e [16]float32
		for i := range 4 {
			d0, d1, d2, d3 := d[i*rs+ch], d[i*rs+cs+ch], d[i*rs+2*cs+ch], d[i*rs+3*cs+ch]
			e[4*i], e[4*i+1], e[4*i+2], e[4*i+3] = d0-d2, d1+d2, d2-d1, d1-d3
		}
		for j := range 4 {
			e0, e1, e2, e3 := e[j], e[4+j], e[8+j], e[12+j]
			v[j*vs+ch] = e0 - e2
			v[(4+j)*vs+ch] = e1 + e2
			v[(8+j)*vs+ch] = e2 - e1
			v[(12+j)*vs+ch] = e1 - e3
		}
	}
}

// winoOutGeneric writes the 2×2 outputs Y = Aᵀ M A for n channels of one
// tile: M(xi) is at m[xi*ms:], Y(i, j) goes to y[i*rs+j*cs:].
func winoOutGeneric(y []float32, rs, cs int, m []float32, ms, n int) {
	winoOutPartialGeneric(y, rs, cs, m, ms, n, 2, 2)
}

// winoOutPartialGeneric is winoOutGeneric writing only the first rows×cols
// outputs, for tiles that hang over an odd-sized output.
func winoOutPartialGeneric(y []float32, rs, cs int, m []float32, ms, n, rows, cols int) {
	for ch := range n {
		var s [8]float32
		for j := range 4 {
			m0, m1, m2, m3 := m[j*ms+ch], m[(4+j)*ms+ch], m[(8+j)*ms+ch], m[(12+j)*ms+ch]
			s[j], s[4+j] = m0+m1+m2, m1-m2-m3
		}
		for i := range rows {
			a0, a1, a2, a3 := s[4*i], s[4*i+1], s[4*i+2], s[4*i+3]
			y[i*rs+ch] = a0 + a1 + a2
			if cols == 2 {
				y[i*rs+cs+ch] = a1 - a2 - a3
			}
		}
	}
}

// winoGradSlots is how many partial filter gradients BackwardFilter sums.
// It is fixed, not the thread count, so that the sum (and so training) is
// the same for any number of threads.
const winoGradSlots = 4

// winoGradDirect lets BackwardFilter feed the transforms' outputs to the
// assembly micro-kernel as they lie (tests turn it off to compare with
// the gemmSerial path, which must give the same bits).
var winoGradDirect = true

// BackwardFilter overwrites dw (3×3×C×k, HWIO) with the gradient of the
// kernel of the convolution Forward computes, given its input x and dy:
// per tile, dM = A dY Aᵀ (the adjoint of the output transform), then
// dU(xi) = Σ over tiles of V(xi)ᵀ dM(xi) as 16 matrix products, and
// dw = Gᵀ dU G (the adjoint of the filter transform).
//
// With an assembly micro-kernel (mr×nr), the products skip gemmSerial
// and its packing, which took more time than the multiplications for
// resnet20's 16 to 64 channels: the kernel reads V(xi)ᵀ in place (tile
// rows of C channels), and dM is written as the kernel's packed B, in
// nr-wide panels of tile rows. dU is then cp×kp, C and k rounded up to
// mr and nr: rows past C read the next tile's channels and columns past
// k read zeros, and both are dropped.
func (wg *Winograd) BackwardFilter(g *ConvGeom, k int, x, dy, dw []float32) {
	c := g.C
	p := &wg.plan
	p.kern, p.up = nil, nil
	vt := variant(g.OH, g.OW)
	np := vt.a * vt.a
	cp, kp := c, k
	if gk := &sgemm; winoGradDirect && gk.kernASet != nil && 12%gk.mr == 0 {
		p.kern = gk.kernASet
		cp, kp = ceilDiv(c, gk.mr)*gk.mr, ceilDiv(k, gk.nr)*gk.nr
	}
	p.init(wg, vt, g.N, g.H, g.W, c, k, g.OH, g.OW, g.PadT, g.PadL, winoGradSlots, kp)
	p.cp = cp
	wg.fwdOK, wg.inForward = false, false
	if kp != k {
		// The transforms never write the columns past k: zero, not stale
		// values that could be subnormal and slow the kernel.
		clear(p.m[:p.slots*np*p.ms])
	}
	plane := cp * kp
	wg.u = growBuf(wg.u, p.slots*np*plane)
	p.x, p.u, p.out = x, wg.u, dy[:g.N*g.OH*g.OW*k]
	run(p.slots, 1, winoGradSlotBody, kargs{wp: p})
	du := wg.u[:np*plane]
	for s := 1; s < p.slots; s++ {
		AddParallel(du, wg.u[s*np*plane:(s+1)*np*plane])
	}
	if plane != c*k {
		// Compact to np planes of c×k (each row moves down, never up).
		for xi := range np {
			for ci := range c {
				copy(du[(xi*c+ci)*k:][:k], du[xi*plane+ci*kp:][:k])
			}
		}
	}
	vt.filterGrad(dw, du[:np*c*k], c, k)
}

// winoGradSlotBody accumulates slot s's partial dU over blocks s, s+slots, ...
func winoGradSlotBody(ka *kargs, lo, hi int) {
	p := ka.wp
	c, k, cp, kp := p.c, p.k, p.cp, p.kp
	a, mt, np := p.vt.a, p.vt.mt, p.vt.a*p.vt.a
	in, gradOut := *p.vt.in, *p.vt.gradOut
	vs, ms := p.vs, p.ms
	mr, nr := sgemm.mr, sgemm.nr
	padLen := p.rpb * a * p.wp * c
	plane := cp * kp
	for s := lo; s < hi; s++ {
		v := p.v[s*np*vs : (s+1)*np*vs]
		m := p.m[s*np*ms : (s+1)*np*ms]
		pad := p.pad[s*padLen : (s+1)*padLen]
		base := p.base[s*p.rpb : (s+1)*p.rpb]
		du := p.u[s*np*plane : (s+1)*np*plane]
		var beta float32
		for b := s; b < p.blocks(); b += p.slots {
			r0, tn := p.padBlock(pad, base, b)
			for t := range tn {
				o := (base[t/p.tilesW]*p.wp + mt*(t%p.tilesW)) * c
				in(v[t*c:], vs, pad[o:], p.wp*c, c, c)
				off, rows, cols := p.outCell(r0, t)
				src := p.out[off:]
				// dM row t: k wide, or with the kernel, nr-wide pieces
				// in panels of bt rows.
				w, step, dst := k, k, m[t*k:]
				if p.kern != nil {
					w, step, dst = nr, nr, m[t*nr:]
				}
				for j := 0; j < k; j += step {
					n := min(w, k-j)
					if rows == mt && cols == mt {
						gradOut(dst[j*p.bt:], ms, src[j:], p.ow*k, k, n)
					} else {
						p.vt.gradOutPart(dst[j*p.bt:], ms, src[j:], p.ow*k, k, n, rows, cols)
					}
				}
			}
			for xi := range np {
				vx, mx, dx := v[xi*vs:(xi+1)*vs], m[xi*ms:(xi+1)*ms], du[xi*plane:(xi+1)*plane]
				if p.kern == nil {
					gemmSerial(true, false, c, k, tn, 1, vx, c, mx, k, beta, dx, k)
					continue
				}
				kern := sgemm.kernA
				if beta == 0 {
					kern = sgemm.kernASet
				}
				for j := 0; j < kp; j += nr {
					for i := 0; i < cp; i += mr {
						kern(tn, vx[i:], 1, c, mx[j*p.bt:], dx[i*kp+j:], kp)
					}
				}
			}
			beta = 1
		}
		if beta == 0 {
			clear(du)
		}
	}
}

// filterGradF2 writes dw = Gᵀ dU G from F(2x2)'s dU.
func filterGradF2(dw, du []float32, c, k int) {
	run(c, max(1, 4096/max(k, 1)), winoFilterGradBody, kargs{s: [8][]float32{0: dw, 1: du}, i: [4]int{0: c, 1: k}})
}

// winoFilterGradBody writes dw = Gᵀ dU G for input channels [lo, hi).
func winoFilterGradBody(ka *kargs, lo, hi int) {
	dw, du := ka.s[0], ka.s[1]
	c, k := ka.i[0], ka.i[1]
	plane := c * k
	for ci := lo; ci < hi; ci++ {
		for ki := range k {
			off := ci*k + ki
			var s [12]float32 // Gᵀ dU, 3×4
			for j := range 4 {
				d0, d1, d2, d3 := du[j*plane+off], du[(4+j)*plane+off], du[(8+j)*plane+off], du[(12+j)*plane+off]
				s[j], s[4+j], s[8+j] = d0+0.5*(d1+d2), 0.5*(d1-d2), 0.5*(d1+d2)+d3
			}
			for ky := range 3 {
				s0, s1, s2, s3 := s[4*ky], s[4*ky+1], s[4*ky+2], s[4*ky+3]
				dw[(ky*3+0)*plane+off] = s0 + 0.5*(s1+s2)
				dw[(ky*3+1)*plane+off] = 0.5 * (s1 - s2)
				dw[(ky*3+2)*plane+off] = 0.5*(s1+s2) + s3
			}
		}
	}
}

// winoGradOutGeneric writes dM = A dY Aᵀ for n channels of one tile, the
// adjoint of winoOutGeneric: dY(i, j) at dy[i*rs+j*cs:], dM(xi) to m[xi*ms:].
func winoGradOutGeneric(m []float32, ms int, dy []float32, rs, cs, n int) {
	winoGradOutPartialGeneric(m, ms, dy, rs, cs, n, 2, 2)
}

// winoGradOutPartialGeneric is winoGradOutGeneric for a tile of which only
// the first rows×cols outputs exist (the others count as zero).
func winoGradOutPartialGeneric(m []float32, ms int, dy []float32, rs, cs, n, rows, cols int) {
	for ch := range n {
		var y [4]float32
		for i := range rows {
			for j := range cols {
				y[2*i+j] = dy[i*rs+j*cs+ch]
			}
		}
		// r = A dY (4×2), then dM = r Aᵀ (4×4).
		r := [8]float32{y[0], y[1], y[0] + y[2], y[1] + y[3], y[0] - y[2], y[1] - y[3], -y[2], -y[3]}
		for i := range 4 {
			r0, r1 := r[2*i], r[2*i+1]
			m[(4*i)*ms+ch] = r0
			m[(4*i+1)*ms+ch] = r0 + r1
			m[(4*i+2)*ms+ch] = r0 - r1
			m[(4*i+3)*ms+ch] = -r1
		}
	}
}
