package dataset

// numpyRand reproduces numpy's legacy np.random.RandomState for the two
// calls data sets need: seeding with an integer and shuffling a 1-D array.
// Keras splits boston_housing with RandomState(113).shuffle, so matching
// numpy bit for bit is what makes our split equal Keras's.
//
// References (numpy 1.17+; the legacy stream is frozen by NEP 19):
//   - numpy/random/src/mt19937/mt19937.c: mt19937_seed (Knuth's init_genrand),
//     mt19937_gen (the twist) and the tempering in mt19937_next32.
//   - numpy/random/_mt19937.pyx _legacy_seeding: an int seed in [0, 2**32)
//     goes to mt19937_seed.
//   - numpy/random/mtrand.pyx RandomState.shuffle → _shuffle_raw: for i from
//     n-1 down to 1, j = random_interval(i), swap(i, j).
//   - numpy/random/src/distributions/distributions.c random_interval: mask
//     rejection sampling on 32-bit outputs when max fits in 32 bits.
type numpyRand struct {
	mt  [624]uint32
	pos int
}

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// newNumpyRand seeds like np.random.RandomState(seed) for seed < 2**32.
// numpy rejects larger integer seeds; we fold them in with init_by_array on
// the two 32-bit halves so every uint64 is usable (that stream has no numpy twin).
func newNumpyRand(seed uint64) *numpyRand {
	r := &numpyRand{}
	if seed <= 0xffffffff {
		r.seed(uint32(seed))
	} else {
		r.seedArray([]uint32{uint32(seed), uint32(seed >> 32)})
	}
	return r
}

func (r *numpyRand) seed(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.pos = mtN
}

// seedArray is mt19937's init_by_array.
func (r *numpyRand) seedArray(key []uint32) {
	r.seed(19650218)
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
	r.pos = mtN
}

func (r *numpyRand) twist() {
	mag := [2]uint32{0, mtMatrixA}
	var i int
	for ; i < mtN-mtM; i++ {
		y := (r.mt[i] & mtUpperMask) | (r.mt[i+1] & mtLowerMask)
		r.mt[i] = r.mt[i+mtM] ^ (y >> 1) ^ mag[y&1]
	}
	for ; i < mtN-1; i++ {
		y := (r.mt[i] & mtUpperMask) | (r.mt[i+1] & mtLowerMask)
		r.mt[i] = r.mt[i+mtM-mtN] ^ (y >> 1) ^ mag[y&1]
	}
	y := (r.mt[mtN-1] & mtUpperMask) | (r.mt[0] & mtLowerMask)
	r.mt[mtN-1] = r.mt[mtM-1] ^ (y >> 1) ^ mag[y&1]
	r.pos = 0
}

// uint32 is mt19937_next32.
func (r *numpyRand) uint32() uint32 {
	if r.pos >= mtN {
		r.twist()
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// float64 is numpy's legacy random_sample: 53 bits from two 32-bit draws.
func (r *numpyRand) float64() float64 {
	a := r.uint32() >> 5
	b := r.uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// interval is random_interval: a uniform integer in [0, hi].
func (r *numpyRand) interval(hi uint64) uint64 {
	if hi == 0 {
		return 0
	}
	mask := hi
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if hi <= 0xffffffff {
		for {
			if v := uint64(r.uint32()) & mask; v <= hi {
				return v
			}
		}
	}
	for {
		v := (uint64(r.uint32())<<32 | uint64(r.uint32())) & mask
		if v <= hi {
			return v
		}
	}
}

// permutation returns np.random.RandomState(seed).permutation(n) for the
// state r is in: arange(n) shuffled in place.
func (r *numpyRand) permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.interval(uint64(i)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
