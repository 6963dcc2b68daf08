package kernel

// Winograd F(4x4, 3x3): each 4x4 block of outputs comes from a 6x6 input
// tile, with the matrices of Lavin & Gray (2016, section 4.2; interpolation
// points 0, ±1, ±2, ∞):
//
//	Bᵀ = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0  4 -4 -1 1 0;
//	      0 -2 -1  2 1 0;  0  2 -1 -2 1 0;  0  4  0 -5 0 1]
//	G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
//	      1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//
// 36 products per 16 outputs instead of F(2x2)'s 16 per 4: 44% fewer
// multiplies in the matrix products, which are most of a convolution's
// time. The data transforms below use only additions and multiplications
// by powers of two, written so that no expression can be fused into an
// FMA: the assembly twins compute the same operations in the same order
// and match bit for bit. Each 2-D transform is the 1-D one applied to the
// rows, then to the columns of the result.

// in4 is the 1-D input transform y = Bᵀ x.
func in4(x0, x1, x2, x3, x4, x5 float32) (y0, y1, y2, y3, y4, y5 float32) {
	a := x4 - x2
	b := x1 - x3
	c := x4 - float32(4*x2)
	d := float32(4*x1) - x3
	y0 = float32(4*(x0-x2)) + a
	y1 = c - d
	y2 = c + d
	y3 = a - (b + b)
	y4 = a + (b + b)
	y5 = float32(4*b) + (x5 - x3)
	return
}

// out4 is the 1-D output transform y = Aᵀ m.
func out4(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	p, q := m1+m2, m1-m2
	r, s := m3+m4, m3-m4
	y0 = (m0 + p) + r
	y1 = q + (s + s)
	y2 = p + float32(4*r)
	y3 = (q + float32(8*s)) + m5
	return
}

// gradOut4 is the 1-D adjoint of out4, z = A y.
func gradOut4(y0, y1, y2, y3 float32) (z0, z1, z2, z3, z4, z5 float32) {
	e, f := y0+y2, y1+y3
	g := y0 + float32(4*y2)
	h := y1 + float32(4*y3)
	h += h
	return y0, e + f, e - f, g + h, g - h, y3
}

// winoIn4Generic writes V = Bᵀ d B for n channels of one 6x6 tile: d(i, j)
// is the n floats at d[i*rs+j*cs:], V(xi) goes to v[xi*vs:], xi = 6i+j.
func winoIn4Generic(v []float32, vs int, d []float32, rs, cs, n int) {
	for ch := range n {
		var e [36]float32 // e = d B, row by row
		for i := range 6 {
			r := d[i*rs+ch:]
			e[6*i], e[6*i+1], e[6*i+2], e[6*i+3], e[6*i+4], e[6*i+5] =
				in4(r[0], r[cs], r[2*cs], r[3*cs], r[4*cs], r[5*cs])
		}
		for j := range 6 {
			y0, y1, y2, y3, y4, y5 := in4(e[j], e[6+j], e[12+j], e[18+j], e[24+j], e[30+j])
			v[j*vs+ch] = y0
			v[(6+j)*vs+ch] = y1
			v[(12+j)*vs+ch] = y2
			v[(18+j)*vs+ch] = y3
			v[(24+j)*vs+ch] = y4
			v[(30+j)*vs+ch] = y5
		}
	}
}

// winoOut4Generic writes the 4x4 outputs Y = Aᵀ M A for n channels of one
// tile: M(xi) is at m[xi*ms:], Y(i, j) goes to y[i*rs+j*cs:].
func winoOut4Generic(y []float32, rs, cs int, m []float32, ms, n int) {
	winoOut4PartialGeneric(y, rs, cs, m, ms, n, 4, 4)
}

// winoOut4PartialGeneric is winoOut4Generic writing only the first
// rows×cols outputs, for tiles that hang over the output's edge.
func winoOut4PartialGeneric(y []float32, rs, cs int, m []float32, ms, n, rows, cols int) {
	for ch := range n {
		var s [24]float32 // s = M A, 6 rows of 4
		for i := range 6 {
			r := m[6*i*ms+ch:]
			s[4*i], s[4*i+1], s[4*i+2], s[4*i+3] = out4(r[0], r[ms], r[2*ms], r[3*ms], r[4*ms], r[5*ms])
		}
		for j := range cols {
			var o [4]float32
			o[0], o[1], o[2], o[3] = out4(s[j], s[4+j], s[8+j], s[12+j], s[16+j], s[20+j])
			for i := range rows {
				y[i*rs+j*cs+ch] = o[i]
			}
		}
	}
}

// winoGradOut4Generic writes dM = A dY Aᵀ for n channels of one tile, the
// adjoint of winoOut4Generic: dY(i, j) at dy[i*rs+j*cs:], dM(xi) to m[xi*ms:].
func winoGradOut4Generic(m []float32, ms int, dy []float32, rs, cs, n int) {
	winoGradOut4PartialGeneric(m, ms, dy, rs, cs, n, 4, 4)
}

// winoGradOut4PartialGeneric is winoGradOut4Generic for a tile of which only
// the first rows×cols outputs exist (the others count as zero).
func winoGradOut4PartialGeneric(m []float32, ms int, dy []float32, rs, cs, n, rows, cols int) {
	for ch := range n {
		var yv [16]float32
		for i := range rows {
			for j := range cols {
				yv[4*i+j] = dy[i*rs+j*cs+ch]
			}
		}
		var r [24]float32 // r = dY Aᵀ, 4 rows of 6
		for i := range 4 {
			r[6*i], r[6*i+1], r[6*i+2], r[6*i+3], r[6*i+4], r[6*i+5] = gradOut4(yv[4*i], yv[4*i+1], yv[4*i+2], yv[4*i+3])
		}
		for j := range 6 {
			z0, z1, z2, z3, z4, z5 := gradOut4(r[j], r[6+j], r[12+j], r[18+j])
			m[j*ms+ch] = z0
			m[(6+j)*ms+ch] = z1
			m[(12+j)*ms+ch] = z2
			m[(18+j)*ms+ch] = z3
			m[(24+j)*ms+ch] = z4
			m[(30+j)*ms+ch] = z5
		}
	}
}

// The filter transform and its adjoint multiply by 1/6, 1/12 and 1/24, so
// every product is a float32 conversion of its own: no FMA can form, and
// the assembly matches the Go twins bit for bit.
const (
	quarter   = float32(0.25)
	sixth     = float32(1.0 / 6)
	negSixth  = float32(-1.0 / 6)
	twelfth   = float32(1.0 / 12)
	twentyfth = float32(1.0 / 24)
)

// filter4 is the 1-D filter transform G g.
func filter4(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	even := g0 + g2
	u0 = float32(quarter * g0)
	u1 = float32(negSixth * (even + g1))
	u2 = float32(negSixth * (even - g1))
	a := float32(twentyfth*g0) + float32(sixth*g2)
	b := float32(twelfth * g1)
	return u0, u1, u2, a + b, a - b, g2
}

// filterGrad4 is the 1-D adjoint of filter4, Gᵀ d.
func filterGrad4(d0, d1, d2, d3, d4, d5 float32) (w0, w1, w2 float32) {
	p, q := d1+d2, d1-d2
	r, s := d3+d4, d3-d4
	w0 = (float32(quarter*d0) - float32(sixth*p)) + float32(twentyfth*r)
	w1 = float32(negSixth*q) + float32(twelfth*s)
	w2 = (float32(negSixth*p) + float32(sixth*r)) + d5
	return
}

// winoFilter4Generic writes U = G g Gᵀ for n filters: g(ky, kx) is w[(3ky+kx)*plane:]
// and U(xi) goes to u[xi*plane:], each a run of n floats, so a kernel's
// c×k matrices transform element by element (the assembly twin does 8 at
// a time).
func winoFilter4Generic(u, w []float32, plane, n int) {
	for q := range n {
		var t [18]float32 // t = G g, 6×3
		for j := range 3 {
			t[j], t[3+j], t[6+j], t[9+j], t[12+j], t[15+j] = filter4(w[j*plane+q], w[(3+j)*plane+q], w[(6+j)*plane+q])
		}
		for i := range 6 {
			u0, u1, u2, u3, u4, u5 := filter4(t[3*i], t[3*i+1], t[3*i+2])
			o := u[6*i*plane+q:]
			o[0], o[plane], o[2*plane], o[3*plane], o[4*plane], o[5*plane] = u0, u1, u2, u3, u4, u5
		}
	}
}

// winoFilterGrad4Generic writes dw = Gᵀ dU G for n filters, the adjoint of
// winoFilter4Generic with the same layout.
func winoFilterGrad4Generic(dw, du []float32, plane, n int) {
	for q := range n {
		var s [18]float32 // Gᵀ dU, 3×6
		for j := range 6 {
			d := du[j*plane+q:]
			s[j], s[6+j], s[12+j] = filterGrad4(d[0], d[6*plane], d[12*plane], d[18*plane], d[24*plane], d[30*plane])
		}
		for ky := range 3 {
			w0, w1, w2 := filterGrad4(s[6*ky], s[6*ky+1], s[6*ky+2], s[6*ky+3], s[6*ky+4], s[6*ky+5])
			dw[3*ky*plane+q] = w0
			dw[(3*ky+1)*plane+q] = w1
			dw[(3*ky+2)*plane+q] = w2
		}
	}
}

// filterF4 writes F(4x4)'s transformed filter into u: 36 matrices of c×k,
// or with turned, of the data gradient's kernel (turned 180°, channel axes
// swapped) as 36 matrices of k×c. The turned kernel is first written to
// wg.wt so that both transform the same way, element-wise over whole
// matrices.
func filterF4(wg *Winograd, u, w []float32, c, k int, turned bool) {
	plane := c * k
	if turned {
		wg.wt = growBuf(wg.wt, 9*plane)
		run(9, 1, winoTurnBody, kargs{s: [8][]float32{0: wg.wt, 1: w}, i: [4]int{0: c, 1: k}})
		w = wg.wt
	}
	run(plane, 2048, winoFilter4Body, kargs{s: [8][]float32{0: u, 1: w}, i: [4]int{0: plane}})
}

// winoTurnBody writes, for kernel positions p in [lo, hi), the k×c
// transpose of w's position 8-p (the 180° turn) into wt's position p.
func winoTurnBody(ka *kargs, lo, hi int) {
	wt, w := ka.s[0], ka.s[1]
	c, k := ka.i[0], ka.i[1]
	plane := c * k
	const tb = 32 // transpose in tb×tb blocks, which stay in cache
	for p := lo; p < hi; p++ {
		dst, src := wt[p*plane:(p+1)*plane], w[(8-p)*plane:(9-p)*plane]
		for c0 := 0; c0 < c; c0 += tb {
			for k0 := 0; k0 < k; k0 += tb {
				for ci := c0; ci < min(c0+tb, c); ci++ {
					row := src[ci*k:]
					for ki := k0; ki < min(k0+tb, k); ki++ {
						dst[ki*c+ci] = row[ki]
					}
				}
			}
		}
	}
}

func winoFilter4Body(ka *kargs, lo, hi int) {
	winoFilter4(ka.s[0][lo:], ka.s[1][lo:], ka.i[0], hi-lo)
}

// filterGradF4 writes dw = Gᵀ dU G from F(4x4)'s dU (36 matrices of c×k).
func filterGradF4(dw, du []float32, c, k int) {
	run(c*k, 2048, winoFilterGrad4Body, kargs{s: [8][]float32{0: dw, 1: du}, i: [4]int{0: c * k}})
}

func winoFilterGrad4Body(ka *kargs, lo, hi int) {
	winoFilterGrad4(ka.s[0][lo:], ka.s[1][lo:], ka.i[0], hi-lo)
}
