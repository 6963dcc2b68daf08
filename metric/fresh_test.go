package metric

import (
	"reflect"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// TestFreshEveryMetric: every metric Parse returns has a Fresh twin of the
// same kind and settings and with nothing accumulated (concurrent
// Evaluate calls each take one).
func TestFreshEveryMetric(t *testing.T) {
	pred1, _ := tensor.FromSlice([]float32{0.9, 0.2, 0.7}, 3, 1)
	target1, _ := tensor.FromSlice([]float32{1, 1, 0}, 3, 1)
	// Sparse cross-entropy needs classes: two, and labels 0/1.
	pred2, _ := tensor.FromSlice([]float32{0.9, 0.1, 0.2, 0.8, 0.7, 0.3}, 3, 2)
	for _, name := range names {
		m, err := Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		pred, target := pred1, target1
		if _, ok := m.(*SparseCategoricalCrossentropy); ok {
			pred = pred2
		}
		if b, ok := m.(*BinaryAccuracy); ok {
			b.Threshold = new(0.8)
		}
		m.Update(pred, target)
		c, ok := Fresh(m)
		if !ok {
			t.Fatalf("%s (%T): Fresh does not know it", name, m)
		}
		if c.Name() != m.Name() || c == m {
			t.Fatalf("%s: Fresh gave %s (same value: %v)", name, c.Name(), c == m)
		}
		c.Update(pred, target)
		if c.Result() != m.Result() {
			t.Fatalf("%s: fresh result after one batch %v, the original's %v (settings or sums carried over)", name, c.Result(), m.Result())
		}
	}
	for _, m := range settingsTable() {
		c, ok := Fresh(m)
		if !ok || c == m || !reflect.DeepEqual(c, mustFresh(t, c)) {
			t.Errorf("%T: Fresh gave %#v (ok %v)", m, c, ok)
		}
	}
	if _, ok := Fresh(nil); ok {
		t.Fatal("Fresh(nil) is ok")
	}
}

func mustFresh(t *testing.T, m Metric) Metric {
	t.Helper()
	c, ok := Fresh(m)
	if !ok {
		t.Fatalf("%T: Fresh not ok", m)
	}
	return c
}
