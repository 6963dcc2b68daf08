package nn

// Discretization, as Keras 3's keras.layers.Discretization
// (keras/src/layers/preprocessing/discretization.py).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/gokeras/gokeras/tensor"
)

// Discretization puts each value into a bin, as Keras's Discretization:
// the bin of x is the number of boundaries b with b <= x, so boundaries
// [0, 1, 2] give the bins (-inf, 0), [0, 1), [1, 2), [2, +inf) (NumPy's
// digitize; comparisons in float64, NaN in the last bin). The bins are
// encoded by OutputMode as catEncoder describes, with len(BinBoundaries)+1
// categories: "int" (Keras's default; the bin numbers as float32 values),
// "one_hot", "multi_hot" or "count".
//
// Give BinBoundaries, or NumBins and call Adapt (the model's Adapt, which
// adapts only a layer without boundaries yet; the layer's own relearns), which
// learns NumBins-1 boundaries from the quantiles of all the values it sees
// (every feature together, as Keras does) with Keras's approximate
// algorithm and tolerance Epsilon (zero: Keras's 0.01), bit for bit. As in
// Keras the learned boundaries are config, not weights, so a saved model
// keeps them. When the data has fewer than NumBins summary points Keras
// learns fewer boundaries; in a mode other than "int" that would change
// the output width the model was built with, so Adapt refuses it.
//
// The output does not depend on the input smoothly: the gradient is zero.
type Discretization struct {
	Trainability
	Name          string
	BinBoundaries []float64 // sorted, finite; given or learned
	NumBins       int       // the bins Adapt learns; 0 with BinBoundaries given
	Epsilon       float64   // Adapt's quantile tolerance in [2^-20, 1]; zero: 0.01
	OutputMode    string    // "int" ("" too), "one_hot", "multi_hot", "count"

	enc catEncoder
}

func init() {
	// Keys as discretization.py's get_config writes them: bin_boundaries,
	// num_bins, epsilon, output_mode, sparse, name, dtype. Keras writes
	// both bin_boundaries and num_bins after adapt and keeps the boundaries
	// (its from_config).
	register("Discretization", func(r *cfgReader) Layer {
		r.onlyValue("sparse", "gokeras tensors are dense", false)
		d := &Discretization{BinBoundaries: r.Floats("bin_boundaries"), NumBins: r.Int("num_bins", 0),
			Epsilon: r.Num("epsilon", 0.01), OutputMode: r.Str("output_mode", modeInt)}
		if r.Err == nil && d.BinBoundaries == nil && d.NumBins == 0 {
			if _, ok := r.Get("num_bins"); !ok {
				r.Failf(`give "bin_boundaries" or "num_bins" (Keras requires one of them)`)
			}
		}
		return d
	})
}

func (l *Discretization) LayerName() string     { return l.Name }
func (l *Discretization) SetLayerName(s string) { l.Name = s }
func (l *Discretization) Class() string         { return "Discretization" }
func (l *Discretization) Params() []*Param      { return nil }

func (l *Discretization) mode() string {
	if l.OutputMode == "" {
		return modeInt
	}
	return l.OutputMode
}

func (l *Discretization) epsilon() float64 {
	if l.Epsilon == 0 {
		return 0.01
	}
	return l.Epsilon
}

// Config has no "trainable": Keras's Discretization takes no such argument.
func (l *Discretization) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	delete(m, "trainable")
	m["bin_boundaries"] = nil
	if l.BinBoundaries != nil {
		m["bin_boundaries"] = slices.Clone(l.BinBoundaries)
	}
	m["num_bins"] = nil
	if l.NumBins > 0 {
		m["num_bins"] = l.NumBins
	}
	m["epsilon"] = l.epsilon()
	m["output_mode"] = l.mode()
	m["sparse"] = false
	return m
}

// depth is the number of bins the output encodes.
func (l *Discretization) depth() int {
	if l.BinBoundaries != nil {
		return len(l.BinBoundaries) + 1
	}
	return l.NumBins
}

func (l *Discretization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	return catOutputShape(l.mode(), l.depth(), in)
}

func (l *Discretization) check() error {
	if l.BinBoundaries == nil && l.NumBins <= 0 {
		return fmt.Errorf("num_bins is %d and no bin_boundaries are given; give one of them (num_bins with adapt)", l.NumBins)
	}
	if e := l.epsilon(); !(e >= 1.0/(1<<20) && e <= 1) {
		// Adapt's summary has 1/epsilon points.
		return fmt.Errorf("epsilon %v is not in [2^-20, 1]: the quantile summary has 1/epsilon points; Keras's default is 0.01", e)
	}
	if l.NumBins > 1<<20 {
		return fmt.Errorf("num_bins %d is more than 2^20", l.NumBins)
	}
	if len(l.BinBoundaries) > 1<<20 {
		return fmt.Errorf("%d bin boundaries are more than 2^20", len(l.BinBoundaries))
	}
	if l.BinBoundaries != nil && l.NumBins > 0 && len(l.BinBoundaries) > l.NumBins-1 {
		return fmt.Errorf("%d bin boundaries make %d bins, more than num_bins %d", len(l.BinBoundaries), len(l.BinBoundaries)+1, l.NumBins)
	}
	for i, b := range l.BinBoundaries {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("bin boundary %d is %v; boundaries must be finite", i, b)
		}
		if i > 0 && b < l.BinBoundaries[i-1] {
			return fmt.Errorf("bin boundaries must be sorted: %v comes after %v", b, l.BinBoundaries[i-1])
		}
	}
	return nil
}

func (l *Discretization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	return l.enc.build(l.mode(), l.depth(), in)
}

func (l *Discretization) rebuild(in tensor.Shape) error { return l.Build(in, nil) }

func (l *Discretization) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	idx := l.enc.indices(x, l.rebuild)
	b := l.BinBoundaries
	for i, v := range x.Data {
		f := float64(v)
		if f != f { // NaN sorts last, as in NumPy
			idx[i] = int32(len(b))
			continue
		}
		// The number of boundaries <= f: searchsorted(b, f, side="right").
		lo, hi := 0, len(b)
		for lo < hi {
			if m := int(uint(lo+hi) >> 1); b[m] > f {
				hi = m
			} else {
				lo = m + 1
			}
		}
		idx[i] = int32(lo)
	}
	return l.enc.encode(x)
}

// Settled reports whether the layer has its boundaries (given, learned, or
// from a model file): a model's Adapt then keeps them.
func (l *Discretization) Settled() bool { return l.BinBoundaries != nil }

// Backward is zero: the bins are piecewise constant in the input.
func (l *Discretization) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.enc.backward(dy) }

// Adapt learns the bin boundaries from x, all its values together, as
// Keras's adapt on one array: summarize, merge with the empty summary,
// then the boundaries of NumBins equal-weight bins. With BinBoundaries
// given and no NumBins it is an error, as in Keras; after an earlier Adapt
// it starts afresh (Keras's reset_state).
func (l *Discretization) Adapt(x *tensor.Tensor) error {
	if l.NumBins <= 0 {
		return fmt.Errorf("nn: Discretization: the layer was given bin_boundaries, so there is nothing to adapt; give num_bins instead to learn them")
	}
	if len(x.Data) == 0 {
		return fmt.Errorf("nn: Discretization: cannot adapt to empty data")
	}
	for i, v := range x.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("nn: Discretization: value %d of the adapt data is %v; remove or fill the missing and infinite values first", i, v)
		}
	}
	eps := l.epsilon()
	s := discSummarize(x.Data, eps)
	s = discCompress(s, eps) // merge_summaries with the empty summary
	s = discCompress(s, 1/float64(l.NumBins))
	bounds := make([]float64, len(s.values)-1)
	for i, v := range s.values[:len(s.values)-1] {
		bounds[i] = float64(v)
	}
	if l.mode() != modeInt && len(bounds) != l.NumBins-1 {
		return fmt.Errorf("nn: Discretization: the adapt data gives %d bin boundaries for num_bins %d (it has too few values), which would change the %q output's width; adapt to more data or use output_mode \"int\"", len(bounds), l.NumBins, l.mode())
	}
	old := l.BinBoundaries
	l.BinBoundaries = bounds
	if l.enc.in != nil {
		if err := l.Build(l.enc.in, nil); err != nil {
			l.BinBoundaries = old
			return fmt.Errorf("nn: Discretization: %w", err)
		}
	}
	return nil
}

// discSummary is Keras's quantile summary: sorted values with weights,
// both float32 as Keras keeps them.
type discSummary struct{ values, weights []float32 }

// discSummarize is discretization.py's summarize: of the sorted values,
// every int(step)-th from int(N*eps) on, each weighted step, where step is
// max(N*eps, 1).
func discSummarize(data []float32, eps float64) discSummary {
	v := slices.Clone(data)
	slices.Sort(v)
	n := float64(len(v))
	increment := n / (1.0 / eps)
	step := math.Max(increment, 1)
	var s discSummary
	for i := int(increment); i < len(v); i += int(step) {
		s.values = append(s.values, v[i])
		s.weights = append(s.weights, float32(step)) // ones_like(float32) * step
	}
	return s
}

// discCompress is discretization.py's compress_summary: unless the summary
// has fewer than 1/eps points, the values and cumulative weights are
// interpolated at eps, 2 eps, ..., 1 of the total weight.
func discCompress(s discSummary, eps float64) discSummary {
	if float64(len(s.values))*eps < 1 {
		return s
	}
	// percents = epsilon + np.arange(0.0, 1.0, epsilon): arange has
	// ceil(1/eps) values i*eps.
	n := int(math.Ceil(1.0 / eps))
	cum := make([]float32, len(s.weights)) // float32 cumsum
	var acc float32
	for i, w := range s.weights {
		acc += w
		cum[i] = acc
	}
	xp := make([]float64, len(cum)) // cum_weights / cum_weights[-1], in float32
	fp := make([]float64, len(cum))
	vals := make([]float64, len(cum))
	for i, c := range cum {
		xp[i] = float64(c / cum[len(cum)-1])
		fp[i] = float64(c)
		vals[i] = float64(s.values[i])
	}
	out := discSummary{values: make([]float32, n), weights: make([]float32, n)}
	prev := 0.0
	for i := range n {
		p := eps + float64(float64(i)*eps)
		out.values[i] = float32(numpyInterp(p, xp, vals))
		c := numpyInterp(p, xp, fp)
		out.weights[i] = float32(c - prev)
		prev = c
	}
	return out
}

// numpyInterp is numpy.interp for one point x over increasing xp, as
// numpy/_core/src/multiarray/compiled_base.c computes it: fp's ends
// outside xp, fp[j] where x equals xp[j], else the slope through j and
// j+1 from j (from j+1 if that is NaN). The explicit float64 conversions
// keep Go from fusing the multiply and add, which NumPy does not.
func numpyInterp(x float64, xp, fp []float64) float64 {
	last := len(xp) - 1
	switch {
	case x != x:
		return x
	case x < xp[0]:
		return fp[0]
	case x > xp[last]:
		return fp[last]
	}
	// j with xp[j] <= x < xp[j+1], or last when x == xp[last].
	j := sort.Search(len(xp), func(k int) bool { return xp[k] > x }) - 1
	if j == last || xp[j] == x {
		return fp[j]
	}
	slope := (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])
	r := float64(slope*(x-xp[j])) + fp[j]
	if r != r {
		r = float64(slope*(x-xp[j+1])) + fp[j+1]
		if r != r && fp[j] == fp[j+1] {
			r = fp[j]
		}
	}
	return r
}
