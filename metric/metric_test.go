package metric

import (
	"math"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

type batch struct {
	pred, target []float32
	predShape    []int
	targetShape  []int
}

func (b batch) tensors(t *testing.T) (*tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	p, err := tensor.FromSlice(b.pred, b.predShape...)
	if err != nil {
		t.Fatal(err)
	}
	y, err := tensor.FromSlice(b.target, b.targetShape...)
	if err != nil {
		t.Fatal(err)
	}
	return p, y
}

// TestMetrics feeds each metric two batches of different sizes and checks
// the running result after each.
func TestMetrics(t *testing.T) {
	cases := []struct {
		name    string
		metric  Metric
		batches []batch
		want    []float64 // Result after each batch
	}{
		{
			name:   "sparse categorical",
			metric: &SparseCategoricalAccuracy{},
			batches: []batch{
				{[]float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2}, []float32{1, 2}, []int{2, 3}, []int{2}},
				// Row 0 ties at index 0 and 1: argmax is 0, the label.
				{[]float32{0.4, 0.4, 0.2, 0, 0, 1, 1, 0, 0}, []float32{0, 2, 1}, []int{3, 3}, []int{3, 1}},
			},
			want: []float64{1.0 / 2, 3.0 / 5},
		},
		{
			name:   "categorical",
			metric: &CategoricalAccuracy{},
			batches: []batch{
				{[]float32{0.1, 0.9, 0.8, 0.2}, []float32{0, 1, 0, 1}, []int{2, 2}, []int{2, 2}},
				// Row 0 ties: argmax is the first index, 0, so it misses class 1.
				{[]float32{0.5, 0.5, 0.6, 0.4, 0.3, 0.7}, []float32{0, 1, 1, 0, 0, 1}, []int{3, 2}, []int{3, 2}},
			},
			want: []float64{1.0 / 2, 3.0 / 5},
		},
		{
			name:   "binary",
			metric: &BinaryAccuracy{},
			batches: []batch{
				// 0.5 is not above the threshold, so it counts as 0.
				{[]float32{0.9, 0.5, 0.2}, []float32{1, 0, 1}, []int{3, 1}, []int{3}},
				{[]float32{0.6}, []float32{0}, []int{1, 1}, []int{1, 1}},
			},
			want: []float64{2.0 / 3, 2.0 / 4},
		},
		{
			name:   "binary threshold 0.7",
			metric: &BinaryAccuracy{Threshold: new(0.7)},
			batches: []batch{
				{[]float32{0.9, 0.6}, []float32{1, 1}, []int{2}, []int{2}},
				{[]float32{0.65, 0.8, 0.1}, []float32{0, 1, 0}, []int{3}, []int{3}},
			},
			want: []float64{1.0 / 2, 4.0 / 5},
		},
		{
			name:   "accuracy picks sparse",
			metric: &Accuracy{},
			batches: []batch{
				{[]float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2}, []float32{1, 2}, []int{2, 3}, []int{2}},
				{[]float32{0, 0, 1}, []float32{2}, []int{1, 3}, []int{1, 1}},
			},
			want: []float64{1.0 / 2, 2.0 / 3},
		},
		{
			name:   "accuracy picks categorical",
			metric: &Accuracy{},
			batches: []batch{
				{[]float32{0.1, 0.9, 0.8, 0.2}, []float32{0, 1, 0, 1}, []int{2, 2}, []int{2, 2}},
				{[]float32{0.3, 0.7, 0.6, 0.4, 0.1, 0.9}, []float32{0, 1, 1, 0, 0, 1}, []int{3, 2}, []int{3, 2}},
			},
			want: []float64{1.0 / 2, 4.0 / 5},
		},
		{
			name:   "accuracy picks binary",
			metric: &Accuracy{},
			batches: []batch{
				{[]float32{0.9, 0.2}, []float32{1, 1}, []int{2, 1}, []int{2, 1}},
				{[]float32{0.1, 0.8, 0.7}, []float32{0, 1, 0}, []int{3}, []int{3}},
			},
			want: []float64{1.0 / 2, 3.0 / 5},
		},
		{
			name:   "mae",
			metric: &MAE{},
			batches: []batch{
				{[]float32{1, 2}, []float32{0, 4}, []int{2, 1}, []int{2}},
				{[]float32{1, 1, 1}, []float32{1, 2, 4}, []int{3}, []int{3}},
			},
			want: []float64{3.0 / 2, 7.0 / 5},
		},
		{
			name:   "mse",
			metric: &MSE{},
			batches: []batch{
				{[]float32{1, 2}, []float32{0, 4}, []int{2, 1}, []int{2}},
				{[]float32{1, 1, 1}, []float32{1, 2, 4}, []int{3}, []int{3}},
			},
			want: []float64{5.0 / 2, 15.0 / 5},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.metric.Result(); got != 0 {
				t.Errorf("Result before any Update: got %v, want 0", got)
			}
			for i, b := range tc.batches {
				p, y := b.tensors(t)
				tc.metric.Update(p, y)
				if got := tc.metric.Result(); math.Abs(got-tc.want[i]) > 1e-12 {
					t.Errorf("after batch %d: got %v, want %v", i, got, tc.want[i])
				}
			}
			tc.metric.Reset()
			if got := tc.metric.Result(); got != 0 {
				t.Errorf("after Reset: got %v, want 0", got)
			}
			p, y := tc.batches[0].tensors(t)
			tc.metric.Update(p, y)
			if got := tc.metric.Result(); math.Abs(got-tc.want[0]) > 1e-12 {
				t.Errorf("first batch after Reset: got %v, want %v", got, tc.want[0])
			}
		})
	}
}

func TestParse(t *testing.T) {
	// As in Keras's compile (keras/src/trainers/compile_utils.py,
	// get_metric), a metric given by name is logged under that name.
	cases := []struct{ in, want string }{
		{"accuracy", "accuracy"},
		{"acc", "acc"},
		{"ACC", "ACC"},
		{"AUC", "AUC"},
		{"auc", "auc"},
		{"mape", "mape"},
		{"f1_score", "f1_score"},
		{"f_beta_score", "f_beta_score"},
		{"sparse_categorical_accuracy", "sparse_categorical_accuracy"},
		{"categorical_accuracy", "categorical_accuracy"},
		{"binary_accuracy", "binary_accuracy"},
		{"mae", "mae"},
		{"mean_absolute_error", "mean_absolute_error"},
		{"mse", "mse"},
		{"mean_squared_error", "mean_squared_error"},
	}
	for _, tc := range cases {
		m, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := m.Name(); got != tc.want {
			t.Errorf("Parse(%q).Name(): got %q, want %q", tc.in, got, tc.want)
		}
	}
	a, _ := Parse("acc")
	b, _ := Parse("acc")
	if a == b {
		t.Error("Parse returned the same metric twice; want a fresh one each call")
	}
	_, err := Parse("f1")
	if err == nil || !strings.Contains(err.Error(), `metric: unknown metric "f1"`) || !strings.Contains(err.Error(), "accuracy") {
		t.Errorf(`Parse("f1"): got %v, want an error naming it and listing valid names`, err)
	}
}

func TestUpdatePanicsOnMismatch(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "categorical_accuracy") {
			t.Errorf("got panic %v, want one naming categorical_accuracy", r)
		}
	}()
	(&CategoricalAccuracy{}).Update(tensor.New(2, 3), tensor.New(2, 4))
}

// TestNewMetricsPanicOnMismatch: shapes and class ids the new metrics
// cannot score panic with a message naming the metric and the problem.
func TestNewMetricsPanicOnMismatch(t *testing.T) {
	ten := func(v []float32, shape ...int) *tensor.Tensor {
		x, err := tensor.FromSlice(v, shape...)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		name         string
		m            Weighted
		pred, target *tensor.Tensor
		w            []float32
		want         string
	}{
		{"loss shapes", &KLDivergence{}, tensor.New(2, 3), tensor.New(2, 4), nil, "kl_divergence"},
		{"loss weights", &Poisson{}, tensor.New(2, 3), tensor.New(2, 3), []float32{1}, "1 sample weights for a batch of 2"},
		{"sparse label", &SparseCategoricalCrossentropy{}, tensor.New(2, 3), ten([]float32{0, 3}, 2), nil, "label 3"},
		{"class_id", &PrecisionAtRecall{Recall: 0.5, ClassID: new(3)}, tensor.New(2, 3), tensor.New(2, 3), nil, "class_id 3"},
		{"count shapes", &TruePositives{}, tensor.New(2, 3), tensor.New(2, 2), nil, "true_positives"},
		{"IoU class", &IoU{NumClasses: 2, TargetClassIDs: []int{0}}, ten([]float32{0, 2}, 2), ten([]float32{0, 1}, 2), nil, "num_classes is 2"},
		{"BinaryIoU target", &BinaryIoU{}, ten([]float32{0.2, 0.7}, 2), ten([]float32{0, 2}, 2), nil, "binary_io_u"},
		{"accuracy shapes", &ExactAccuracy{}, tensor.New(2, 3), tensor.New(2, 2), nil, "accuracy"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				s, _ := r.(string)
				if r == nil || !strings.Contains(s, c.want) {
					t.Errorf("%s: got panic %v, want one with %q", c.name, r, c.want)
				}
			}()
			c.m.UpdateWeighted(c.pred, c.target, c.w)
		}()
	}
}
