package nn

// HashedCrossing, as Keras 3's keras.layers.HashedCrossing
// (keras/src/layers/preprocessing/hashed_crossing.py), for integer inputs.

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// HashedCrossing crosses integer features into one of NumBins bins, as
// Keras's HashedCrossing: called with nn.Merge on two or more inputs of
// shape (1,), it gives each sample the bin of the tuple of its values.
// Keras runs tf.sparse.cross_hashed, whose hash for integers (TensorFlow's
// SparseCross op with HashCrosser, tensorflow/core/kernels/
// sparse_cross_op.cc) starts from the key 0xDECAFCAFFE
// (tensorflow/python/ops/sparse_ops.py) and folds in each value, as int64,
// with FingerprintCat64 (tensorflow/core/platform/fingerprint.h); the bin
// is the result modulo NumBins. OutputMode is "int" (Keras's default: the
// bin, shape (1,)) or "one_hot" ((NumBins,)). Values are truncated to
// integers as Keras casts them, and a fraction in a model input is an
// error (CheckValue): Keras takes integer and string tensors only. The
// gradient is zero.
type HashedCrossing struct {
	Trainability
	multiInput
	Name       string
	NumBins    int    // required, positive
	OutputMode string // "int" ("" too) or "one_hot"

	enc catEncoder
	n   int // inputs
	dxs []*tensor.Tensor
}

// crossHashKey is tf.sparse.cross_hashed's default hash key.
const crossHashKey = 0xDECAFCAFFE

func init() {
	// Keys as hashed_crossing.py's get_config writes them: num_bins,
	// output_mode, sparse, name, dtype (int64 in "int" mode).
	register("HashedCrossing", func(r *cfgReader) Layer {
		r.onlyValue("sparse", "gokeras tensors are dense", false)
		inputDType(r)
		if _, ok := r.Get("num_bins"); !ok {
			r.Failf(`"num_bins" is required: the number of hash bins`)
		}
		return &HashedCrossing{NumBins: r.Int("num_bins", 0), OutputMode: r.Str("output_mode", modeInt)}
	})
}

func (l *HashedCrossing) LayerName() string     { return l.Name }
func (l *HashedCrossing) SetLayerName(s string) { l.Name = s }
func (l *HashedCrossing) Class() string         { return "HashedCrossing" }
func (l *HashedCrossing) Params() []*Param      { return nil }

func (l *HashedCrossing) mode() string {
	if l.OutputMode == "" {
		return modeInt
	}
	return l.OutputMode
}

func (l *HashedCrossing) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["num_bins"] = l.NumBins
	m["output_mode"] = l.mode()
	m["sparse"] = false
	return m
}

func (l *HashedCrossing) MergeOutputShape(in []tensor.Shape) (tensor.Shape, error) {
	if l.NumBins <= 0 || l.NumBins > 1<<24 {
		return nil, fmt.Errorf("num_bins is %d; give the number of hash bins, 1 to 2^24", l.NumBins)
	}
	if m := l.mode(); m != modeInt && m != modeOneHot {
		return nil, fmt.Errorf("output_mode %q is not \"int\" or \"one_hot\", the two Keras's HashedCrossing has", m)
	}
	if len(in) < 2 {
		return nil, fmt.Errorf("it crosses at least two inputs; got %d", len(in))
	}
	for i, s := range in {
		if !s.Equal(tensor.Shape{1}) {
			return nil, fmt.Errorf("input %d has shape %v; every input is one integer feature per sample, shape (1,), as Keras requires", i, s)
		}
	}
	return catOutputShape(l.mode(), l.NumBins, tensor.Shape{1})
}

func (l *HashedCrossing) BuildMerge(in []tensor.Shape) error {
	if _, err := l.MergeOutputShape(in); err != nil {
		return err
	}
	l.n = len(in)
	return l.enc.build(l.mode(), l.NumBins, tensor.Shape{1})
}

// fingerprintCat64 is TensorFlow's FingerprintCat64.
func fingerprintCat64(fp1, fp2 uint64) uint64 {
	const kMul = 0xc6a4a7935bd1e995
	shiftMix := func(v uint64) uint64 { return v ^ (v >> 47) }
	result := fp1 ^ kMul
	result ^= shiftMix(fp2*kMul) * kMul
	result *= kMul
	result = shiftMix(result) * kMul
	return shiftMix(result)
}

// toInt64 is the cast of v to int64: truncation, and -2^63 for NaN and
// values int64 cannot hold (x86's conversion).
func toInt64(v float32) int64 {
	if t, ok := toInt(v); ok {
		return t
	}
	return math.MinInt64
}

// CrossBin is the bin of one sample's values, as ForwardMerge computes it.
func (l *HashedCrossing) CrossBin(values ...float32) int64 {
	h := uint64(crossHashKey)
	for _, v := range values {
		h = fingerprintCat64(h, uint64(toInt64(v)))
	}
	return int64(h % uint64(l.NumBins))
}

func (l *HashedCrossing) ForwardMerge(xs []*tensor.Tensor, _ bool) *tensor.Tensor {
	if l.n != len(xs) || l.enc.shape == nil || !xs[0].Shape[1:].Equal(l.enc.in) {
		shapes := make([]tensor.Shape, len(xs))
		for i, x := range xs {
			shapes[i] = x.Shape[1:]
		}
		if err := l.BuildMerge(shapes); err != nil {
			panic(fmt.Sprintf("nn: HashedCrossing: %v", err))
		}
	}
	n := xs[0].Shape[0]
	if cap(l.enc.idx) < n {
		l.enc.idx = make([]int32, n)
	}
	l.enc.idx = l.enc.idx[:n]
	for b := range n {
		h := uint64(crossHashKey)
		for _, x := range xs {
			h = fingerprintCat64(h, uint64(toInt64(x.Data[b])))
		}
		l.enc.idx[b] = int32(h % uint64(l.NumBins))
	}
	return l.enc.encode(xs[0])
}

// BackwardMerge is zero for every input: the bins are piecewise constant.
func (l *HashedCrossing) BackwardMerge(dy *tensor.Tensor) []*tensor.Tensor {
	if len(l.dxs) != l.n {
		l.dxs = make([]*tensor.Tensor, l.n)
	}
	for i := range l.dxs {
		l.dxs[i] = tensor.Ensure(l.dxs[i], dy.Shape[0], 1)
		l.dxs[i].Zero()
	}
	return l.dxs
}

// CheckValue refuses fractions: Keras crosses integer (or string) tensors.
func (l *HashedCrossing) CheckValue(v float32) error {
	if float64(v) != math.Trunc(float64(v)) {
		return fmt.Errorf("value %v is not an integer; Keras's HashedCrossing takes integer features (cast or bin them first, e.g. with Discretization)", v)
	}
	return nil
}

// ValidValue is 0.
func (l *HashedCrossing) ValidValue() float32 { return 0 }
