package metric

import (
	"math"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// TestWeighted checks weighted updates against Keras's Mean: each
// sample's value (the mean over its rows or outputs) times its weight,
// summed over every batch, over the sum of the weights
// (keras/src/metrics/reduction_metrics.py).
func TestWeighted(t *testing.T) {
	cases := []struct {
		name    string
		metric  Weighted
		batches []batch
		weights [][]float32
		want    []float64 // Result after each batch
	}{
		{
			name:   "sparse categorical",
			metric: &SparseCategoricalAccuracy{},
			batches: []batch{
				// Rows 0 and 1 right, row 2 wrong.
				{[]float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0, 1, 0}, []float32{1, 0, 2}, []int{3, 3}, []int{3}},
				{[]float32{0.9, 0.1, 0.3, 0.7}, []float32{1, 1}, []int{2, 2}, []int{2, 1}},
			},
			weights: [][]float32{{2, 0.5, 1}, {3, 4}},
			want:    []float64{2.5 / 3.5, (2.5 + 4) / (3.5 + 7)},
		},
		{
			name:   "accuracy picks categorical",
			metric: &Accuracy{},
			batches: []batch{
				{[]float32{0.1, 0.9, 0.8, 0.2}, []float32{0, 1, 0, 1}, []int{2, 2}, []int{2, 2}},
			},
			weights: [][]float32{{1, 3}},
			want:    []float64{1.0 / 4},
		},
		{
			// Two outputs per sample: a sample's value is its fraction right.
			name:   "binary two outputs",
			metric: &BinaryAccuracy{},
			batches: []batch{
				{[]float32{0.9, 0.2, 0.7, 0.6}, []float32{1, 1, 0, 1}, []int{2, 2}, []int{2, 2}},
			},
			weights: [][]float32{{2, 1}},
			want:    []float64{(2*0.5 + 1*0.5) / 3},
		},
		{
			name:   "sparse (N,T,C): a sample's value is the mean over its steps",
			metric: &SparseCategoricalAccuracy{},
			batches: []batch{
				{[]float32{1, 0, 0, 1, 1, 0, 1, 0}, []float32{0, 0, 0, 0}, []int{2, 2, 2}, []int{2, 2}},
			},
			weights: [][]float32{{1, 3}},
			want:    []float64{(1*0.5 + 3*1) / 4},
		},
		{
			name:   "mae",
			metric: &MAE{},
			batches: []batch{
				{[]float32{1, 3, 0, 0}, []float32{0, 0, 0, 2}, []int{2, 2}, []int{2, 2}},
			},
			weights: [][]float32{{0.5, 2}},
			want:    []float64{(0.5*2 + 2*1) / 2.5},
		},
		{
			name:   "mse",
			metric: &MSE{},
			batches: []batch{
				{[]float32{1, 2, 3}, []float32{0, 0, 0}, []int{3, 1}, []int{3}},
			},
			weights: [][]float32{{1, 0, 2}},
			want:    []float64{(1 + 0 + 18) / 3.0},
		},
		{
			name:   "zero weights: 0 until some weight is seen",
			metric: &CategoricalAccuracy{},
			batches: []batch{
				{[]float32{0.1, 0.9}, []float32{0, 1}, []int{1, 2}, []int{1, 2}},
				{[]float32{0.1, 0.9}, []float32{1, 0}, []int{1, 2}, []int{1, 2}},
			},
			weights: [][]float32{{0}, {2}},
			want:    []float64{0, 0},
		},
	}
	for _, tc := range cases {
		tc.metric.Reset()
		for i, b := range tc.batches {
			p, y := b.tensors(t)
			tc.metric.UpdateWeighted(p, y, tc.weights[i])
			if got := tc.metric.Result(); math.Abs(got-tc.want[i]) > 1e-12 {
				t.Errorf("%s, batch %d: got %v, want %v", tc.name, i, got, tc.want[i])
			}
		}
	}
}

// TestWeightedOnesAndNil checks that nil weights are Update and that
// weights of 1 give Update's result for every metric Parse knows.
func TestWeightedOnesAndNil(t *testing.T) {
	pred, _ := tensor.FromSlice([]float32{0.9, 0.2, 0.7, 0.4}, 4, 1)
	target, _ := tensor.FromSlice([]float32{1, 1, 0, 0}, 4, 1)
	ones := []float32{1, 1, 1, 1}
	// Sparse cross-entropy needs classes: two, and labels 0/1.
	pred2, _ := tensor.FromSlice([]float32{0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6}, 4, 2)
	for _, name := range names {
		a, _ := Parse(name)
		b, _ := Parse(name)
		c, _ := Parse(name)
		pred := pred
		if _, ok := a.(*SparseCategoricalCrossentropy); ok {
			pred = pred2
		}
		a.Update(pred, target)
		b.(Weighted).UpdateWeighted(pred, target, nil)
		c.(Weighted).UpdateWeighted(pred, target, ones)
		if a.Result() != b.Result() || a.Result() != c.Result() {
			t.Errorf("%s: Update %v, nil weights %v, weights of 1 %v", name, a.Result(), b.Result(), c.Result())
		}
	}
}

func TestWeightedAllocatesNothing(t *testing.T) {
	pred, _ := tensor.FromSlice([]float32{0.1, 0.9, 0.8, 0.2}, 2, 2)
	target, _ := tensor.FromSlice([]float32{1, 0}, 2)
	w := []float32{1, 2}
	m := &Accuracy{}
	if a := testing.AllocsPerRun(10, func() { m.UpdateWeighted(pred, target, w) }); a != 0 {
		t.Errorf("UpdateWeighted allocates %v times, want 0", a)
	}
}

func TestWeightedPanicsOnWrongLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("1 weight for a batch of 2 did not panic")
		}
	}()
	pred, _ := tensor.FromSlice([]float32{1, 2}, 2, 1)
	(&MAE{}).UpdateWeighted(pred, pred, []float32{1})
}
