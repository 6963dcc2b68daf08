package nn_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestRandAugment: Keras's config (get_config writes the factor pair)
// reads and writes back; inference is the identity; each batch runs
// num_ops distinct operations, in an order that varies between batches and
// replays after Reseed; the output is those operations applied in turn
// (checked on the two that draw nothing, AutoContrast and Equalization);
// the gradient passes back through them.
func TestRandAugment(t *testing.T) {
	var cfg map[string]any
	_ = json.Unmarshal([]byte(`{"name": "rand_augment", "trainable": true, "dtype": "float32", "value_range": [0, 255], "num_ops": 2, "factor": [0.0, 0.5], "interpolation": "bilinear", "seed": null, "data_format": "channels_last"}`), &cfg)
	l, err := nn.FromConfig("RandAugment", cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := nn.FromConfig("RandAugment", viaJSON(t, nn.LayerConfig(l)))
	if err != nil || !reflect.DeepEqual(nn.LayerConfig(back), nn.LayerConfig(l)) {
		t.Fatalf("config reads back as %v, %v", back, err)
	}
	if !reflect.DeepEqual(nn.LayerConfig(l), nn.LayerConfig(&nn.RandAugment{Name: "rand_augment"})) {
		t.Errorf("Keras's defaults read as %v, the zero value writes %v", nn.LayerConfig(l), nn.LayerConfig(&nn.RandAugment{Name: "rand_augment"}))
	}
	in := tensor.Shape{8, 8, 3}
	a := l.(*nn.RandAugment)
	buildAug(t, a, in, 1)
	x := tensor.New(4, 8, 8, 3)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range x.Data {
		x.Data[i] = float32(r.IntN(256))
	}
	if a.Forward(x, false) != x {
		t.Fatal("inference Forward must return its input")
	}
	a.Reseed(1, 2)
	y1 := a.Forward(x, true).Clone()
	ops := nn.RandAugmentOps(a)
	a.Reseed(1, 2)
	if y2 := a.Forward(x, true); !reflect.DeepEqual(y1.Data, y2.Data) || !slices.Equal(ops, nn.RandAugmentOps(a)) {
		t.Error("Reseed did not replay the batch")
	}
	if len(ops) != 2 || ops[0] == ops[1] {
		t.Errorf("operations %v, want two distinct ones", ops)
	}
	seen := map[string]bool{}
	for range 200 {
		a.Forward(x, true)
		for _, c := range nn.RandAugmentOps(a) {
			seen[c] = true
		}
	}
	if len(seen) != 11 {
		t.Errorf("200 batches used %d of the 11 operations: %v", len(seen), seen)
	}
	if reflect.DeepEqual(y1.Data, x.Data) {
		t.Error("RandAugment left the batch unchanged")
	}
	three := &nn.RandAugment{NumOps: 3}
	buildAug(t, three, in, 2)
	three.Forward(x, true)
	if n := len(nn.RandAugmentOps(three)); n != 3 {
		t.Errorf("num_ops 3 ran %d operations", n)
	}
	det := &nn.RandAugment{}
	nn.RandAugmentOnly(det, 5, 6) // AutoContrast, Equalization
	buildAug(t, det, in, 3)
	got := det.Forward(x, true)
	apply := func(l nn.Layer, x *tensor.Tensor) *tensor.Tensor {
		buildAug(t, l, in, 4)
		return l.Forward(x, true)
	}
	var want *tensor.Tensor
	if order := nn.RandAugmentOps(det); order[0] == "AutoContrast" {
		want = apply(&nn.Equalization{}, apply(&nn.AutoContrast{}, x).Clone())
	} else {
		want = apply(&nn.AutoContrast{}, apply(&nn.Equalization{}, x).Clone())
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		t.Errorf("the output differs from %v applied in turn", nn.RandAugmentOps(det))
	}
	smooth := &nn.RandAugment{ValueRange: [2]float64{-1000, 1000}, NumOps: 2}
	nn.RandAugmentOnly(smooth, 0, 1, 2, 8, 10) // shear, translation, rotation, color degeneration, sharpness
	nntest.CheckGradients(t, smooth, tensor.Shape{5, 6, 3}, nntest.GradOptions{Batch: 2, Training: true, BeforeForward: func() { smooth.Reseed(3, 4) }})
}
