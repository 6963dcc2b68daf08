package sweep

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
)

func TestWithLayerConfig(t *testing.T) {
	p, _ := gokeras.LookupPreset("cifar10-cnn")
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = 7
	n, err := withLayerConfig(m,
		layerSetting{Layer: "dropout_1", Value: 0.5}, // the main field: rate
		layerSetting{Layer: "dense", Field: "units", Value: 64.0},
	)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{}
	for _, l := range n.Layers() {
		if d, ok := l.(*nn.Dropout); ok {
			rates[d.Name] = d.Rate
		}
	}
	if want := map[string]float64{"dropout": 0.1, "dropout_1": 0.5}; !reflect.DeepEqual(rates, want) {
		t.Errorf("dropout rates %v, want %v", rates, want)
	}
	if u := n.Layers()[7].(*nn.Dense).Units; u != 64 {
		t.Errorf("dense units %d, want 64", u)
	}
	if n.Seed != 7 || n.Loss() == nil || n.Optimizer() == nil {
		t.Errorf("seed %d, loss %v, optimizer %v: not carried over", n.Seed, n.Loss(), n.Optimizer())
	}
	// The original is untouched.
	if d := m.Layers()[5].(*nn.Dropout); d.Rate != 0.8 {
		t.Errorf("original dropout_1 rate changed to %v", d.Rate)
	}
	if err := n.Build(); err != nil {
		t.Fatal(err)
	}
	// An int-or-tuple argument given as one number is the same setting.
	if _, err := withLayerConfig(m, layerSetting{Layer: "conv2d", Field: "kernel_size", Value: 3.0}); err != nil {
		t.Errorf("kernel_size=3: %v", err)
	}
}

func TestWithLayerConfigErrors(t *testing.T) {
	p, _ := gokeras.LookupPreset("cifar10-cnn")
	tests := []struct {
		set  layerSetting
		want []string
	}{
		// The 1-based names: Keras calls the second Dropout dropout_1.
		{layerSetting{Layer: "dropout_2", Value: 0.5}, []string{`no layer named "dropout_2"`, "dropout (Dropout): rate", "dropout_1 (Dropout): rate", "conv2d (Conv2D): activation"}},
		{layerSetting{Layer: "dropout", Field: "rat", Value: 0.5}, []string{`no field "rat"`, "its fields are rate"}},
		{layerSetting{Layer: "flatten", Value: 1.0}, []string{"flatten (Flatten) has no main field", "flatten.FIELD"}},
		{layerSetting{Layer: "dropout", Value: 1.5}, []string{"rate 1.5 is outside [0, 1)"}},
		// Values the layer does not implement fail through nn.FromConfig's
		// strict rule, naming the layer, the key and the value: pooling
		// layers write data_format but only work channels-last.
		{layerSetting{Layer: "max_pooling2d", Field: "data_format", Value: "channels_first"}, []string{`"max_pooling2d" (MaxPooling2D)`, `data_format="channels_first" is not implemented for MaxPooling2D`, "channels_last"}},
		{layerSetting{Layer: "conv2d", Field: "groups", Value: 5.0}, []string{`"conv2d" (Conv2D)`, "filters=64 is not divisible by groups=5"}},
		{layerSetting{Layer: "conv2d", Field: "padding", Value: "sane"}, []string{`unknown padding "sane"`}},
		{layerSetting{Layer: "dropout", Value: "half"}, []string{`"rate" is half; want a number`}},
	}
	for _, tt := range tests {
		m, _ := p.Model()
		n, err := withLayerConfig(m, tt.set)
		if err == nil {
			err = n.Build() // a bad value shows when the layer is built
		}
		if err == nil {
			t.Errorf("%v: no error", tt.set)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not contain %q", tt.set, err, w)
			}
		}
	}
}

// A setting of a Functional model's layer keeps the graph: resnet20 with
// its first block's first convolution at 8 filters instead of 16 (that
// convolution, its batch normalization and the next convolution shrink:
// 2,320 → 1,160, 64 → 32 and 2,320 → 1,168 params).
func TestWithLayerConfigFunctional(t *testing.T) {
	p, err := gokeras.LookupPreset("resnet20")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	n, err := withLayerConfig(m, layerSetting{Layer: "conv2d_1", Field: "filters", Value: 8.0})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Net().Functional() {
		t.Fatal("the new model is not Functional")
	}
	if err := n.Build(); err != nil {
		t.Fatal(err)
	}
	if total, _, _ := n.Net().CountParams(); total != 274442-2344 {
		t.Fatalf("%d params, want %d", total, 274442-2344)
	}
}
