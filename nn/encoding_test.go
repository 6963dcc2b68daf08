package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// fromSlice is tensor.FromSlice for shapes the test knows are right.
func fromSlice(data []float32, shape ...int) *tensor.Tensor {
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return x
}

// runEncoding builds l for x's sample shape and returns its output for x.
func runEncoding(t *testing.T, l nn.Layer, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	if err := l.Build(x.Shape[1:], nil); err != nil {
		t.Fatalf("%s: Build(%v): %v", l.Class(), x.Shape[1:], err)
	}
	return l.Forward(x, false)
}

func sameValues(t *testing.T, what string, got *tensor.Tensor, wantShape []int, want []float32) {
	t.Helper()
	if !got.Shape.Equal(wantShape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, wantShape)
	}
	for i, v := range want {
		if got.Data[i] != v {
			t.Fatalf("%s: value %d is %v, want %v\n got %v\nwant %v", what, i, got.Data[i], v, got.Data, want)
		}
	}
}

// TestCategoryEncodingKerasExamples: the examples in Keras's
// CategoryEncoding docstring (category_encoding.py), and the count
// example without its weights.
func TestCategoryEncodingKerasExamples(t *testing.T) {
	oneHot := runEncoding(t, &nn.CategoryEncoding{NumTokens: 4, OutputMode: "one_hot"}, fromSlice([]float32{3, 2, 0, 1}, 4, 1))
	sameValues(t, "one_hot", oneHot, []int{4, 4}, []float32{0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0})
	pairs := fromSlice([]float32{0, 1, 0, 0, 1, 2, 3, 1}, 4, 2)
	multi := runEncoding(t, &nn.CategoryEncoding{NumTokens: 4}, pairs)
	sameValues(t, "multi_hot", multi, []int{4, 4}, []float32{1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1})
	count := runEncoding(t, &nn.CategoryEncoding{NumTokens: 4, OutputMode: "count"}, pairs)
	sameValues(t, "count", count, []int{4, 4}, []float32{1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1})
	// one_hot of (batch, n) with n > 1 adds an axis.
	both := runEncoding(t, &nn.CategoryEncoding{NumTokens: 3, OutputMode: "one_hot"}, fromSlice([]float32{2, 0}, 1, 2))
	sameValues(t, "one_hot (1, 2)", both, []int{1, 2, 3}, []float32{0, 0, 1, 1, 0, 0})
	// Out of range and NaN encode to nothing; 2.7 is category 2.
	odd := runEncoding(t, &nn.CategoryEncoding{NumTokens: 3, OutputMode: "count"},
		fromSlice([]float32{-1, 3, float32(math.NaN()), 2.7, -0.5}, 1, 5))
	sameValues(t, "count of odd values", odd, []int{1, 3}, []float32{1, 0, 1})
}

// TestDiscretizationKerasExamples: the two examples in Keras's
// Discretization docstring (discretization.py).
func TestDiscretizationKerasExamples(t *testing.T) {
	x := fromSlice([]float32{-1.5, 1.0, 3.4, .5, 0.0, 3.0, 1.3, 0.0}, 2, 4)
	given := runEncoding(t, &nn.Discretization{BinBoundaries: []float64{0, 1, 2}}, x)
	sameValues(t, "bin_boundaries [0, 1, 2]", given, []int{2, 4}, []float32{0, 2, 3, 1, 1, 3, 2, 1})
	l := &nn.Discretization{NumBins: 4, Epsilon: 0.01}
	if err := l.Build(tensor.Shape{4}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Adapt(x); err != nil {
		t.Fatal(err)
	}
	sameValues(t, "num_bins 4 adapted", l.Forward(x, false), []int{2, 4}, []float32{0, 2, 3, 2, 1, 3, 3, 1})
}

// kerasDiscretizationNumPy transcribes keras/src/layers/preprocessing/
// discretization.py (summarize, merge_summaries, compress_summary,
// get_bin_boundaries) and numerical_utils.encode_categorical_inputs in
// NumPy: for each case, the adapted boundaries (when num_bins is given)
// and the encoded output.
const kerasDiscretizationNumPy = `
import json, sys
import numpy as np

def summarize(values, epsilon):
    values = np.reshape(values, [-1])
    values = np.sort(values)
    elements = np.size(values)
    num_buckets = 1.0 / epsilon
    increment = elements / num_buckets
    start = increment
    step = max(increment, 1)
    boundaries = values[int(start) :: int(step)]
    weights = np.ones_like(boundaries)
    weights = weights * step
    return np.stack([boundaries, weights])

def compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")

def merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)

def encode(idx, mode, depth):
    if mode == "int":
        return idx.astype("float32")
    if mode == "one_hot":
        if idx.shape[-1] == 1:
            idx = idx[..., 0]
        return np.eye(depth, dtype="float32")[idx]
    hot = np.eye(depth, dtype="float32")[idx]
    if mode == "multi_hot":
        return hot.max(axis=-2)
    return hot.sum(axis=1)

out = []
for c in json.load(sys.stdin):
    x = np.array(c["x"], dtype="float32").reshape(c["shape"])
    bounds = c["bounds"]
    if bounds is None:
        summary = summarize(x.astype("float32"), c["epsilon"])
        summary = merge_summaries(summary, np.array([[], []], dtype="float32"), c["epsilon"])
        bounds = compress_summary(summary, 1.0 / c["num_bins"])[0, :-1].tolist()
    idx = np.digitize(x, bounds)
    y = encode(idx, c["mode"], len(bounds) + 1)
    out.append({"bounds": bounds, "y": y.reshape(-1).tolist(), "shape": list(y.shape)})
json.dump(out, sys.stdout)
`

// TestDiscretizationMatchesNumPy: adapted boundaries bit for bit and every
// output mode against the NumPy transcription of Keras's code, on data
// with ties, with fewer values than 1/epsilon, and with more.
func TestDiscretizationMatchesNumPy(t *testing.T) {
	type tcase struct {
		X       []float32 `json:"x"`
		Shape   []int     `json:"shape"`
		Bounds  []float64 `json:"bounds"`
		NumBins int       `json:"num_bins"`
		Epsilon float64   `json:"epsilon"`
		Mode    string    `json:"mode"`
	}
	r := rand.New(rand.NewPCG(3, 4))
	normal := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64()*3 + 1)
		}
		return x
	}
	ties := make([]float32, 600)
	for i := range ties {
		ties[i] = float32(r.IntN(10))
	}
	var cases []tcase
	for _, mode := range []string{"int", "one_hot", "multi_hot", "count"} {
		cases = append(cases,
			tcase{normal(1000), []int{250, 4}, nil, 4, 0.01, mode},
			tcase{normal(3000), []int{1000, 3}, nil, 7, 0.001, mode},
			tcase{ties, []int{200, 3}, nil, 5, 0.01, mode},
			tcase{normal(40), []int{20, 2}, nil, 3, 0.01, mode},                   // fewer values than 1/epsilon
			tcase{normal(24), []int{8, 3}, nil, 4, 0.2, mode},                     // a coarse epsilon
			tcase{normal(30), []int{10, 3}, []float64{-1, 0, 0, 2.5}, 0, 0, mode}, // given, with a repeated boundary
		)
	}
	// Fewer summary points than num_bins: Keras learns fewer boundaries
	// (refused in the other modes, where the width would change).
	cases = append(cases, tcase{normal(24), []int{8, 3}, nil, 6, 0.2, "int"})
	cases = append(cases, tcase{normal(12), []int{3, 2, 2}, nil, 3, 0.01, "one_hot"},
		tcase{normal(12), []int{3, 2, 2}, []float64{0}, 0, 0, "multi_hot"},
		tcase{normal(5), []int{5, 1}, []float64{-2, 1}, 0, 0, "one_hot"})
	var want []struct {
		Bounds []float64 `json:"bounds"`
		Y      []float32 `json:"y"`
		Shape  []int     `json:"shape"`
	}
	pyref.Run(t, kerasDiscretizationNumPy, cases, &want, "numpy")
	for i, c := range cases {
		l := &nn.Discretization{BinBoundaries: c.Bounds, NumBins: c.NumBins, Epsilon: c.Epsilon, OutputMode: c.Mode}
		x := fromSlice(c.X, c.Shape...)
		if err := l.Build(x.Shape[1:], nil); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if c.Bounds == nil {
			if err := l.Adapt(x); err != nil {
				t.Fatalf("case %d (%s, %d values, num_bins %d): %v", i, c.Mode, len(c.X), c.NumBins, err)
			}
		}
		if len(l.BinBoundaries) != len(want[i].Bounds) {
			t.Fatalf("case %d: boundaries %v, want %v", i, l.BinBoundaries, want[i].Bounds)
		}
		for j, b := range want[i].Bounds {
			if l.BinBoundaries[j] != b {
				t.Fatalf("case %d: boundary %d is %v, want %v (all: %v)", i, j, l.BinBoundaries[j], b, want[i].Bounds)
			}
		}
		got := l.Forward(x, false)
		sameValues(t, c.Mode, got, append([]int{}, want[i].Shape...), want[i].Y)
	}
}

// TestEncodingGradients: both layers are piecewise constant, so the finite
// differences away from the steps are zero, and so is Backward.
func TestEncodingGradients(t *testing.T) {
	// Values k+0.5 (and boundaries at integers) keep x±h in one bin.
	halves := func(r *rand.Rand, x []float32) {
		for i := range x {
			x[i] = float32(r.IntN(4)) + 0.5
		}
	}
	for _, mode := range []string{"one_hot", "multi_hot", "count"} {
		nntest.CheckGradients(t, &nn.CategoryEncoding{NumTokens: 5, OutputMode: mode}, tensor.Shape{3}, nntest.GradOptions{Input: halves})
	}
	for _, mode := range []string{"int", "one_hot", "multi_hot", "count"} {
		nntest.CheckGradients(t, &nn.Discretization{BinBoundaries: []float64{1, 2, 3}, OutputMode: mode}, tensor.Shape{3}, nntest.GradOptions{Input: halves})
	}
	l := &nn.Discretization{BinBoundaries: []float64{1, 2}, OutputMode: "one_hot"}
	y := runEncoding(t, l, fromSlice([]float32{0.5, 1.5, 2.5, 9}, 2, 2))
	dx := l.Backward(y)
	if !dx.Shape.Equal(tensor.Shape{2, 2}) {
		t.Fatalf("gradient shape %v, want (2, 2)", dx.Shape)
	}
	for _, g := range dx.Data {
		if g != 0 {
			t.Fatalf("gradient %v, want 0", dx.Data)
		}
	}
}

// TestEncodingNoAllocs: a forward and backward pass allocate nothing once
// the buffers exist.
func TestEncodingNoAllocs(t *testing.T) {
	x := fromSlice([]float32{0, 1, 2, 3, 1, 1}, 2, 3)
	for _, l := range []nn.Layer{
		&nn.CategoryEncoding{NumTokens: 4, OutputMode: "one_hot"}, &nn.CategoryEncoding{NumTokens: 4, OutputMode: "count"},
		&nn.Discretization{BinBoundaries: []float64{0.5, 2}}, &nn.Discretization{BinBoundaries: []float64{0.5, 2}, OutputMode: "multi_hot"},
		&nn.IntegerLookup{Vocabulary: []int64{3, 1}}, &nn.IntegerLookup{Vocabulary: []int64{3, 1}, OutputMode: "tf_idf", IDFWeights: []float64{1, 2}},
		&nn.IntegerLookup{Vocabulary: []int64{3, 1}, Invert: true},
	} {
		y := runEncoding(t, l, x)
		step := func() { l.Backward(l.Forward(x, true)) }
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("%s: %v allocations per step, want 0", l.Class(), a)
		}
		_ = y
	}
}

// TestEncodingRefusals: what Keras refuses, and what gokeras cannot do,
// fails at Build or Adapt with an error that says what to change.
func TestEncodingRefusals(t *testing.T) {
	for _, c := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.CategoryEncoding{}, tensor.Shape{3}, "num_tokens is 0"},
		{&nn.CategoryEncoding{NumTokens: 1 << 25}, tensor.Shape{3}, "2^24"},
		{&nn.CategoryEncoding{NumTokens: 3, OutputMode: "int"}, tensor.Shape{3}, `"int" is not one of`},
		{&nn.CategoryEncoding{NumTokens: 3, OutputMode: "tf_idf"}, tensor.Shape{3}, `"tf_idf" is not one of`},
		{&nn.CategoryEncoding{NumTokens: 3, OutputMode: "count"}, tensor.Shape{2, 3}, "reshape it to (6,)"},
		{&nn.CategoryEncoding{NumTokens: 3}, tensor.Shape{}, "no axes besides the batch"},
		{&nn.CategoryEncoding{NumTokens: 1 << 24, OutputMode: "one_hot"}, tensor.Shape{1 << 20, 1 << 10}, "2^50"},
		{&nn.Discretization{}, tensor.Shape{3}, "give one of them"},
		{&nn.Discretization{BinBoundaries: []float64{1, 0}}, tensor.Shape{3}, "sorted"},
		{&nn.Discretization{BinBoundaries: []float64{math.NaN()}}, tensor.Shape{3}, "finite"},
		{&nn.Discretization{NumBins: 3, Epsilon: 2}, tensor.Shape{3}, "epsilon 2"},
		{&nn.Discretization{NumBins: 3, Epsilon: 1e-300}, tensor.Shape{3}, "1/epsilon points"},
		{&nn.Discretization{NumBins: 1 << 21}, tensor.Shape{3}, "more than 2^20"},
		{&nn.Discretization{NumBins: 3, BinBoundaries: []float64{1, 2, 3}}, tensor.Shape{3}, "more than num_bins 3"},
	} {
		err := c.l.Build(c.in, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v on %v: err = %v, want it to say %q", c.l.Class(), c.l, c.in, err, c.want)
		}
	}
	given := &nn.Discretization{BinBoundaries: []float64{0}}
	runEncoding(t, given, tensor.New(1, 2))
	if err := given.Adapt(tensor.New(4, 2)); err == nil || !strings.Contains(err.Error(), "num_bins") {
		t.Errorf("adapting given boundaries: err = %v", err)
	}
	l := &nn.Discretization{NumBins: 4}
	runEncoding(t, l, tensor.New(1, 2))
	bad := fromSlice([]float32{1, float32(math.Inf(1))}, 1, 2)
	if err := l.Adapt(bad); err == nil || !strings.Contains(err.Error(), "+Inf") {
		t.Errorf("adapting to Inf: err = %v", err)
	}
	// Three values cannot make four one-hot bins: the width would change.
	hot := &nn.Discretization{NumBins: 4, OutputMode: "one_hot"}
	runEncoding(t, hot, tensor.New(1, 3))
	if err := hot.Adapt(fromSlice([]float32{1, 2, 3}, 1, 3)); err == nil || !strings.Contains(err.Error(), "width") {
		t.Errorf("adapting 3 values to 4 one-hot bins: err = %v", err)
	}
	if hot.BinBoundaries != nil {
		t.Errorf("a failed Adapt left boundaries %v", hot.BinBoundaries)
	}
}

// TestEncodingConfigRoundTrip: the configs go through JSON and back to the
// same layers; Discretization's carries the learned boundaries (and no
// "trainable", which Keras's constructor would refuse).
func TestEncodingConfigRoundTrip(t *testing.T) {
	d := &nn.Discretization{Name: "bins", NumBins: 3, OutputMode: "one_hot"}
	x := fromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8}, 9, 1)
	runEncoding(t, d, x)
	if err := d.Adapt(x); err != nil {
		t.Fatal(err)
	}
	for _, l := range []nn.Layer{d, &nn.CategoryEncoding{Name: "cats", NumTokens: 7, OutputMode: "count", InputShape: tensor.Shape{3}}} {
		cfg := nn.LayerConfig(l)
		raw, _ := json.Marshal(cfg)
		var decoded map[string]any
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		back, err := nn.FromConfig(l.Class(), decoded)
		if err != nil {
			t.Fatalf("%s: %v\n%s", l.Class(), err, raw)
		}
		again, _ := json.Marshal(nn.LayerConfig(back))
		if string(again) != string(raw) {
			t.Errorf("%s: config after the round trip\n got %s\nwant %s", l.Class(), again, raw)
		}
		if _, ok := cfg["trainable"]; ok == (l.Class() == "Discretization") {
			t.Errorf("%s: config %s (Keras's Discretization takes no trainable; the others do)", l.Class(), raw)
		}
	}
	// np.interp at 1/3 and 2/3 of the float32 cumulative weights k/9.
	want := `{"bin_boundaries":[1.9999998807907104,5],"dtype":"float32","epsilon":0.01,"name":"bins","num_bins":3,"output_mode":"one_hot","sparse":false}`
	if raw, _ := json.Marshal(nn.LayerConfig(d)); string(raw) != want {
		t.Errorf("adapted config %s, want %s", raw, want)
	}
}

// TestInputLayerIntegerDType: an input may declare an integer dtype, as
// Keras's tabular models do for categories; it is kept in the config and
// other dtypes are refused with the choices.
func TestInputLayerIntegerDType(t *testing.T) {
	for _, dt := range []any{"int64", "uint8", map[string]any{"class_name": "DTypePolicy", "config": map[string]any{"name": "int32"}}} {
		l, err := nn.FromConfig("InputLayer", map[string]any{"batch_shape": []any{nil, 1.0}, "dtype": dt, "name": "cat"})
		if err != nil {
			t.Fatalf("dtype %v: %v", dt, err)
		}
		want := dt
		if m, ok := dt.(map[string]any); ok {
			want = m["config"].(map[string]any)["name"]
		}
		if got := l.Config()["dtype"]; got != want {
			t.Errorf("dtype %v: config has %v", dt, got)
		}
	}
	_, err := nn.FromConfig("InputLayer", map[string]any{"batch_shape": []any{nil, 1.0}, "dtype": "float16"})
	if err == nil || !strings.Contains(err.Error(), "float32 only") || !strings.Contains(err.Error(), "int64") {
		t.Errorf("float16 input: err = %v, want the float32 rule and the integer types", err)
	}
	if _, err := nn.FromConfig("Dense", map[string]any{"units": 2.0, "dtype": "int64"}); err == nil {
		t.Error("a Dense layer with dtype int64 was accepted")
	}
	if got := (&nn.InputLayer{}).Config()["dtype"]; got != "float32" {
		t.Errorf("a float input's dtype is %v", got)
	}
}
