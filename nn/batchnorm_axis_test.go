package nn_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// A BatchNormalization config may name the last axis by its positive index,
// as a built Keras 2 layer saves it ([3] for images) and Keras 3 may write
// it (3): it loads, normalises the last axis and writes the axis back; an
// axis that is not the last is refused when the input shape is known.
func TestBatchNormalizationPositiveAxis(t *testing.T) {
	img := tensor.Shape{8, 8, 4}
	for _, axis := range []any{[]any{3.0}, 3.0, -1.0, []any{-1.0}} {
		l, err := nn.FromConfig("BatchNormalization", map[string]any{"axis": axis})
		if err != nil {
			t.Fatalf("axis %v: %v", axis, err)
		}
		if err := l.Build(img, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Errorf("axis %v on (batch, 8, 8, 4): %v", axis, err)
		}
		back, err := nn.FromConfig("BatchNormalization", l.Config())
		if err != nil || back.(*nn.BatchNormalization).Axis != l.(*nn.BatchNormalization).Axis {
			t.Errorf("axis %v: config round trip gave %v, %v", axis, back, err)
		}
	}
	for _, c := range []struct {
		axis  any
		shape tensor.Shape
	}{{1.0, img}, {[]any{2.0}, img}, {3.0, tensor.Shape{4}}} {
		l, err := nn.FromConfig("BatchNormalization", map[string]any{"axis": c.axis})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Build(c.shape, rand.New(rand.NewPCG(1, 1)))
		if err == nil || !strings.Contains(err.Error(), "not the last axis") {
			t.Errorf("axis %v on %v: err = %v, want a refusal naming the last axis", c.axis, c.shape, err)
		}
	}
}
