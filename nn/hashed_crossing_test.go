package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// tfCrossHashedRef transcribes TensorFlow's SparseCross with HashCrosser
// for dense inputs (tensorflow/core/kernels/sparse_cross_op.cc: the key
// 0xDECAFCAFFE from sparse_ops.py, FingerprintCat64 from
// platform/fingerprint.h; an integer feature is its own value, a string's
// is FarmHash's Fingerprint64). It first reproduces the example in Keras's
// HashedCrossing docstring, strings and all, with Debian's libfarmhash0
// when present, and fails if it does not.
const tfCrossHashedRef = `
import ctypes, json, sys
M = 2**64 - 1
def shift_mix(v): return v ^ (v >> 47)
def cat64(a, b):
    k = 0xc6a4a7935bd1e995
    r = a ^ k
    r ^= (shift_mix((b * k) & M) * k) & M
    r = (r * k) & M
    r = (shift_mix(r) * k) & M
    return shift_mix(r)
def cross(features, bins, fp=None):
    h = 0xDECAFCAFFE
    for f in features:
        h = cat64(h, fp(f.encode(), len(f)) if isinstance(f, str) else f % 2**64)
    return h % bins
checked = False
try:
    farm = ctypes.CDLL("libfarmhash.so.0")
    fp64 = farm._ZN4util13Fingerprint64EPKcm
    fp64.argtypes, fp64.restype = [ctypes.c_char_p, ctypes.c_size_t], ctypes.c_uint64
    got = [cross(p, 5, fp64) for p in zip(["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102])]
    assert got == [1, 4, 1, 1, 3], got  # Keras's docstring
    checked = True
except OSError:
    pass
c = json.load(sys.stdin)
json.dump({"bins": [cross(row, c["num_bins"]) for row in c["rows"]], "docstring_checked": checked}, sys.stdout)
`

// TestHashedCrossingMatchesTensorFlow: the bins of crossed integer
// features (negative, large, two and three inputs) against the
// transcription of TensorFlow's kernel.
func TestHashedCrossingMatchesTensorFlow(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, k := range []int{2, 3} {
		rows := make([][]int64, 64)
		xs := make([]*tensor.Tensor, k)
		for i := range xs {
			xs[i] = tensor.New(len(rows), 1)
		}
		for b := range rows {
			for i := range k {
				v := int64(r.IntN(2000) - 1000)
				if b%7 == 0 {
					v = int64(r.IntN(1<<24)) - 1<<23
				}
				rows[b] = append(rows[b], v)
				xs[i].Data[b] = float32(v)
			}
		}
		var want struct {
			Bins    []int64 `json:"bins"`
			Checked bool    `json:"docstring_checked"`
		}
		pyref.Run(t, tfCrossHashedRef, map[string]any{"rows": rows, "num_bins": 97}, &want)
		if !want.Checked {
			t.Log("libfarmhash0 absent: the reference did not reproduce Keras's docstring example (apt-get install libfarmhash0)")
		}
		l := &nn.HashedCrossing{NumBins: 97}
		shapes := make([]tensor.Shape, k)
		for i := range shapes {
			shapes[i] = tensor.Shape{1}
		}
		if err := l.BuildMerge(shapes); err != nil {
			t.Fatal(err)
		}
		y := l.ForwardMerge(xs, false)
		if !y.Shape.Equal(tensor.Shape{len(rows), 1}) {
			t.Fatalf("output shape %v", y.Shape)
		}
		for b, bin := range want.Bins {
			if int64(y.Data[b]) != bin {
				t.Fatalf("%d inputs, row %d (%v): bin %v, want %d", k, b, rows[b], y.Data[b], bin)
			}
		}
		// one_hot, zero gradients, no allocation per step.
		hot := &nn.HashedCrossing{NumBins: 97, OutputMode: "one_hot"}
		if err := hot.BuildMerge(shapes); err != nil {
			t.Fatal(err)
		}
		oh := hot.ForwardMerge(xs, true)
		for b := range rows {
			if oh.Data[b*97+int(y.Data[b])] != 1 {
				t.Fatalf("one_hot row %d lacks its bin %v", b, y.Data[b])
			}
		}
		for _, g := range hot.BackwardMerge(oh) {
			if !g.Shape.Equal(tensor.Shape{len(rows), 1}) {
				t.Fatalf("gradient shape %v", g.Shape)
			}
			for _, v := range g.Data {
				if v != 0 {
					t.Fatal("non-zero gradient")
				}
			}
		}
		if a := testing.AllocsPerRun(10, func() { hot.BackwardMerge(hot.ForwardMerge(xs, true)) }); a != 0 {
			t.Errorf("%v allocations per step", a)
		}
	}
}

// TestHashedCrossingGradientByDifferences: away from integers the output
// does not move, so the finite differences are zero, as Backward says.
func TestHashedCrossingGradientByDifferences(t *testing.T) {
	l := &nn.HashedCrossing{NumBins: 11, OutputMode: "one_hot"}
	a, b := tensor.New(3, 1), tensor.New(3, 1)
	copy(a.Data, []float32{1.5, 2.5, -3.5})
	copy(b.Data, []float32{7.5, 0.5, 9.5})
	if err := l.BuildMerge([]tensor.Shape{{1}, {1}}); err != nil {
		t.Fatal(err)
	}
	base := append([]float32(nil), l.ForwardMerge([]*tensor.Tensor{a, b}, false).Data...)
	for _, x := range []*tensor.Tensor{a, b} {
		for i := range x.Data {
			x.Data[i] += 0.01
			moved := l.ForwardMerge([]*tensor.Tensor{a, b}, false).Data
			x.Data[i] -= 0.01
			for j := range base {
				if moved[j] != base[j] {
					t.Fatalf("a step of 0.01 moved output %d", j)
				}
			}
		}
	}
}

// TestHashedCrossingRefusals: Keras's shape rules and the fraction check.
func TestHashedCrossingRefusals(t *testing.T) {
	for _, c := range []struct {
		l  *nn.HashedCrossing
		in []tensor.Shape
	}{
		{&nn.HashedCrossing{}, []tensor.Shape{{1}, {1}}},
		{&nn.HashedCrossing{NumBins: 3}, []tensor.Shape{{1}}},
		{&nn.HashedCrossing{NumBins: 3}, []tensor.Shape{{2}, {2}}},
		{&nn.HashedCrossing{NumBins: 3, OutputMode: "count"}, []tensor.Shape{{1}, {1}}},
	} {
		if err := c.l.BuildMerge(c.in); err == nil {
			t.Errorf("%+v on %v built", c.l, c.in)
		}
	}
	if err := (&nn.HashedCrossing{NumBins: 3}).CheckValue(2.5); err == nil {
		t.Error("2.5 accepted")
	}
}
