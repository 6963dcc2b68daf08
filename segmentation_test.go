package gokeras

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// TestDiceTrainsASegmenter: a small convolutional segmenter learns to mark
// the bright pixels of random images with Keras's per-sample Dice loss
// (its loss falls by more than half), and the loss, axis included, comes
// back from a saved model and from a .keras file.
func TestDiceTrainsASegmenter(t *testing.T) {
	x, _ := randomImages(64, 2, tensor.Shape{8, 8, 1}, 7)
	y := tensor.New(64, 8, 8, 1)
	for i, v := range x.Data {
		if v > 0.5 {
			y.Data[i] = 1
		}
	}
	m := NewSequential(
		&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{8, 8, 1}},
		&nn.Conv2D{Filters: 1, KernelSize: [2]int{1, 1}, Activation: activation.Sigmoid},
	)
	dice := loss.Dice{Axis: []int{1, 2, 3}}
	if err := m.Compile(dice, &optim.Adam{LR: 0.02}); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(x, y, FitOptions{Epochs: 15, BatchSize: 16, Verbose: train.Silent})
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.History["loss"][0], h.History["loss"][len(h.History["loss"])-1]
	t.Logf("dice loss %.4f -> %.4f", first, last)
	if !(last < first/2) {
		t.Errorf("dice loss %v after the first epoch, %v after the last: want it more than halved", first, last)
	}
	dir := t.TempDir()
	for _, name := range []string{"seg.gkm", "seg.keras"} {
		path := filepath.Join(dir, name)
		if err := m.Save(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := back.model.Loss; !reflect.DeepEqual(got, dice) {
			t.Errorf("%s: loss %#v, want %#v", name, got, dice)
		}
	}
}
