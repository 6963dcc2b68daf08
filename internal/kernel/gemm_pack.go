package kernel

// packPanels packs panels [q0, q1) of an R×K operand X for the micro-kernel:
// panel q holds rows [r0+q*w, r0+q*w+w) ∩ [r0, r0+rows) and columns
// [p0, p0+kb) of X, times alpha, k-major with w values per k, at
// dst[q*w*kb:]; rows beyond the end are zero. X(r, p) is x[r*ld+p] when
// rMajor and x[p*ld+r] otherwise.
func packPanels(rMajor bool, x []float32, ld, r0, rows, p0, kb, w int, alpha float32, dst []float32, q0, q1 int) {
	if q0 >= q1 || kb <= 0 {
		return
	}
	if !rMajor {
		packStrips(x, ld, r0, rows, p0, kb, w, alpha, dst, q0, q1)
		return
	}
	for q := q0; q < q1; q++ {
		rs := min(w, rows-q*w)
		d := dst[q*w*kb : (q+1)*w*kb]
		src := x[(r0+q*w)*ld+p0:]
		if rs < w {
			clear(d)
		}
		i := 0
		for ; i+4 <= rs; i += 4 {
			packT4(src[i*ld:], ld, kb, w, alpha, d[i:])
		}
		for ; i < rs; i++ {
			row := src[i*ld : i*ld+kb]
			for p, v := range row {
				d[p*w+i] = alpha * v
			}
		}
	}
}

// packT4 transposes four rows of length kb (stride ld) of src into
// dst[p*w+0..3], times alpha.
func packT4(src []float32, ld, kb, w int, alpha float32, dst []float32) {
	s0 := src[:kb]
	s1 := src[ld : ld+kb]
	s2 := src[2*ld : 2*ld+kb]
	s3 := src[3*ld : 3*ld+kb]
	s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
	if len(dst) < (kb-1)*w+4 {
		panic("kernel: pack buffer too short")
	}
	if alpha == 1 {
		for p := range s0 {
			d := dst[p*w : p*w+4 : p*w+4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
		return
	}
	for p := range s0 {
		d := dst[p*w : p*w+4 : p*w+4]
		d[0], d[1], d[2], d[3] = alpha*s0[p], alpha*s1[p], alpha*s2[p], alpha*s3[p]
	}
}

// packStrips is packPanels for X(r, p) = x[p*ld+r]: every k row is one
// contiguous strip that is cut into the panels.
func packStrips(x []float32, ld, r0, rows, p0, kb, w int, alpha float32, dst []float32, q0, q1 int) {
	end := min(q1*w, rows) // rows of X covered, relative to r0
	full := min(q1, end/w) // panels q0..full-1 are whole
	if alpha == 1 && q0 < full {
		switch w {
		case 6:
			copyStrips(x, ld, r0, p0, kb, w, dst, q0, full)
		case 12:
			copyStrips(x, ld, r0, p0, kb, w, dst, q0, full)
		case 16:
			copyStrips(x, ld, r0, p0, kb, w, dst, q0, full)
		case 32:
			copyStrips(x, ld, r0, p0, kb, w, dst, q0, full)
		default:
			goto general
		}
		if full == q1 {
			return
		}
		q0 = full
	}
general:
	for p := 0; p < kb; p++ {
		src := x[(p0+p)*ld+r0 : (p0+p)*ld+r0+end]
		for q := q0; q < full; q++ {
			d := dst[q*w*kb+p*w : q*w*kb+p*w+w]
			s := src[q*w : q*w+w]
			if alpha == 1 {
				copy(d, s)
				continue
			}
			for j, v := range s {
				d[j] = alpha * v
			}
		}
		if full < q1 {
			q := full
			d := dst[q*w*kb+p*w : q*w*kb+p*w+w]
			s := src[q*w:]
			for j, v := range s {
				d[j] = alpha * v
			}
			clear(d[len(s):])
		}
	}
}

// copyRowsFast[w/16-1], when not nil, copies rows rows of w floats, ld
// apart in src, to consecutive rows of dst (w = 16, 32; set on amd64).
var copyRowsFast [2]func(dst, src []float32, ld, rows int)

// copyStrips is packStrips for whole panels [q0, q1) and alpha == 1, with
// fixed-size copies for the usual panel widths. It works on a few k rows at
// a time so that both the reads (one stream per row) and the writes (runs
// of chunk*w values per panel) stay sequential whatever the stride.
func copyStrips(x []float32, ld, r0, p0, kb, w int, dst []float32, q0, q1 int) {
	const chunk = 16
	var fast func(dst, src []float32, ld, rows int)
	if w == 16 || w == 32 {
		fast = copyRowsFast[w/16-1]
	}
	for pb := 0; pb < kb; pb += chunk {
		pe := min(pb+chunk, kb)
		for q := q0; q < q1; q++ {
			d := dst[q*w*kb : (q+1)*w*kb]
			s := x[p0*ld+r0+q*w:]
			if fast != nil {
				fast(d[pb*w:], s[pb*ld:], ld, pe-pb)
				continue
			}
			for p := pb; p < pe; p++ {
				dp, sp := d[p*w:], s[p*ld:]
				switch w {
				case 6:
					*(*[6]float32)(dp) = *(*[6]float32)(sp)
				case 12:
					*(*[12]float32)(dp) = *(*[12]float32)(sp)
				case 16:
					*(*[16]float32)(dp) = *(*[16]float32)(sp)
				default:
					*(*[32]float32)(dp) = *(*[32]float32)(sp)
				}
			}
		}
	}
}
