package nn_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// TestConvVariantsConfigRoundTrip: Conv2DTranspose, DepthwiseConv2D and
// SeparableConv2D write their configs as Keras does and read them back
// to the same layer; output_padding None and (0, 0) stay distinct.
func TestConvVariantsConfigRoundTrip(t *testing.T) {
	l2 := &regularizer.L1L2{L2: 0.01}
	for _, l := range []nn.Layer{
		&nn.Conv2DTranspose{Name: "up", Filters: 3, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, Activation: activation.ReLU},
		&nn.Conv2DTranspose{Name: "up0", Filters: 3, KernelSize: [2]int{2, 2}, Strides: [2]int{2, 1}, OutputPadding: op2(0, 0), NoBias: true,
			KernelInitializer: nn.HeNormal, KernelRegularizer: l2, KernelConstraint: &constraint.MaxNorm{MaxValue: 2, Axis: []int{0, 1, 2}}},
		&nn.Conv2DTranspose{Name: "up1", Filters: 1, KernelSize: [2]int{3, 3}, Strides: [2]int{3, 3}, OutputPadding: op2(2, 1)},
		&nn.Conv2DTranspose{Name: "up2", Filters: 2, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 3}, Padding: nn.Same},
		&nn.DepthwiseConv2D{Name: "dw", KernelSize: [2]int{3, 3}, DepthMultiplier: 2, Padding: nn.Same, DepthwiseRegularizer: l2, ActivityRegularizer: l2},
		&nn.DepthwiseConv2D{Name: "dw1", KernelSize: [2]int{5, 3}, Strides: [2]int{2, 2}, NoBias: true, DepthwiseInitializer: nn.HeUniform},
		&nn.DepthwiseConv2D{Name: "dw2", KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}},
		&nn.SeparableConv2D{Name: "sep", Filters: 8, KernelSize: [2]int{3, 3}, DepthMultiplier: 3, DilationRate: [2]int{1, 2}, Activation: activation.Tanh,
			PointwiseInitializer: nn.HeNormal, PointwiseRegularizer: l2, PointwiseConstraint: &constraint.NonNeg{}},
	} {
		b, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		back, err := nn.FromConfig(l.Class(), cfg)
		if err != nil {
			t.Fatalf("%s: FromConfig(%s): %v", l.LayerName(), b, err)
		}
		if !reflect.DeepEqual(back.Config(), l.Config()) {
			t.Errorf("%s: round trip gave\n%+v\nwant\n%+v", l.LayerName(), back.Config(), l.Config())
		}
	}
	if op := (&nn.Conv2DTranspose{}).Config()["output_padding"]; op != nil {
		t.Errorf("output_padding None is written as %v, want null", op)
	}
}

// TestConvVariantsKerasValues: values as Keras 3 writes them land in the
// fields, including an integer output_padding and depth_multiplier.
func TestConvVariantsKerasValues(t *testing.T) {
	l, err := nn.FromConfig("Conv2DTranspose", map[string]any{"filters": 4.0, "kernel_size": 3.0, "strides": 2.0, "padding": "same", "output_padding": 1.0})
	if err != nil {
		t.Fatal(err)
	}
	tr := l.(*nn.Conv2DTranspose)
	if tr.OutputPadding == nil || *tr.OutputPadding != [2]int{1, 1} || tr.Strides != [2]int{2, 2} || tr.Padding != nn.Same {
		t.Errorf("Conv2DTranspose read as %+v", tr)
	}
	l, err = nn.FromConfig("SeparableConv2D", map[string]any{"filters": 4.0, "kernel_size": []any{3.0, 5.0}, "depth_multiplier": 2.0, "pointwise_initializer": "he_normal", "use_bias": false})
	if err != nil {
		t.Fatal(err)
	}
	if s := l.(*nn.SeparableConv2D); s.DepthMultiplier != 2 || s.KernelSize != [2]int{3, 5} || s.PointwiseInitializer != nn.HeNormal || !s.NoBias {
		t.Errorf("SeparableConv2D read as %+v", s)
	}
}

// TestConvVariantsKeras2Configs: the keys Keras 2 writes on these classes
// (Conv's groups=1, and on SeparableConv2D Conv's unused kernel_* keys)
// are read.
func TestConvVariantsKeras2Configs(t *testing.T) {
	for class, cfg := range map[string]map[string]any{
		"Conv2DTranspose": {"filters": 2.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{2.0, 2.0}, "groups": 1.0, "output_padding": nil},
		"DepthwiseConv2D": {"kernel_size": []any{3.0, 3.0}, "groups": 1.0, "depth_multiplier": 1.0},
		"SeparableConv2D": {"filters": 2.0, "kernel_size": []any{3.0, 3.0}, "groups": 1.0, "kernel_initializer": map[string]any{"class_name": "GlorotUniform", "config": map[string]any{"seed": nil}},
			"kernel_regularizer": nil, "kernel_constraint": nil},
	} {
		if _, err := nn.FromConfig(class, cfg); err != nil {
			t.Errorf("%s: %v", class, err)
		}
		cfg["groups"] = 2.0
		if _, err := nn.FromConfig(class, cfg); err == nil || !strings.Contains(err.Error(), "groups=2 is not implemented") {
			t.Errorf("%s groups=2: err = %v", class, err)
		}
	}
}

// TestConvVariantsConfigRejected: values gokeras does not implement, and
// values Keras rejects, are errors naming the key.
func TestConvVariantsConfigRejected(t *testing.T) {
	tr := func(k string, v any) map[string]any {
		return map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, k: v}
	}
	dw := func(k string, v any) map[string]any { return map[string]any{"kernel_size": 3.0, k: v} }
	sep := func(k string, v any) map[string]any { return map[string]any{"filters": 2.0, "kernel_size": 3.0, k: v} }
	for _, tt := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Conv2DTranspose", tr("dilation_rate", []any{2.0, 2.0}), "Keras does not support strides > 1 together with dilation_rate > 1"},
		{"Conv2DTranspose", tr("dilation_rate", 0.0), "dilation_rate must be positive"},
		{"Conv2DTranspose", tr("output_padding", []any{2.0, 1.0}), "output_padding [2 1] must be smaller than strides [2 2]"},
		{"Conv2DTranspose", tr("output_padding", -1.0), "output_padding must be at least 0"},
		{"Conv2DTranspose", tr("output_padding", []any{1.0, 1.0, 1.0}), "output_padding"},
		{"Conv2DTranspose", tr("data_format", "channels_first"), `data_format="channels_first" is not implemented for Conv2DTranspose`},
		{"Conv2DTranspose", tr("lora_rank", 4.0), `unknown key "lora_rank"`},
		{"DepthwiseConv2D", map[string]any{"kernel_size": 3.0, "strides": []any{1.0, 2.0}, "dilation_rate": 2.0}, "strides > 1 together with dilation_rate > 1"},
		{"DepthwiseConv2D", dw("depth_multiplier", 0.0), "depth_multiplier must be positive"},
		{"DepthwiseConv2D", dw("kernel_initializer", "he_normal"), `unknown key "kernel_initializer"`},
		{"SeparableConv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": []any{1.0, 3.0}}, "strides > 1 together with dilation_rate > 1"},
		{"SeparableConv2D", sep("data_format", "channels_first"), "channels_last"},
		{"SeparableConv2D", sep("pointwise_regularizer", "l3"), "pointwise_regularizer"},
	} {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}

// TestConvVariantsInAModel: a model of the three layers trains a step,
// and a replica (rebuilt from the layers' configs, sharing the weights)
// computes the same output bits.
func TestConvVariantsInAModel(t *testing.T) {
	var s nn.Stack
	s.Add(&nn.Conv2DTranspose{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same, OutputPadding: op2(1, 0), Activation: activation.ReLU},
		&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, DepthMultiplier: 2, DilationRate: [2]int{2, 1}},
		&nn.SeparableConv2D{Filters: 3, KernelSize: [2]int{2, 2}, Strides: [2]int{2, 2}, Activation: activation.Tanh},
		&nn.Flatten{}, &nn.Dense{Units: 2})
	if err := s.Build(tensor.Shape{4, 5, 2}, 3); err != nil {
		t.Fatal(err)
	}
	// 4x5 -> same, stride 2: (4-1)*2+1+1 = 8, 5*2 = 10; depthwise 3x3
	// dilated (2, 1): 8-5+1 = 4, 10-3+1 = 8; separable 2x2 stride 2: 2x4.
	if out, err := s.Layers[2].OutputShape(tensor.Shape{4, 8, 8}); err != nil || !out.Equal(tensor.Shape{2, 4, 3}) {
		t.Fatalf("separable output %v, %v", out, err)
	}
	var names []string
	for _, p := range s.Params() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "kernel bias kernel bias depthwise_kernel pointwise_kernel bias kernel bias" {
		t.Errorf("weights %s", got)
	}
	x := tensor.New(3, 4, 5, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	y := s.Forward(x, true)
	s.Backward(tensor.New(y.Shape...))
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), s.Forward(x, false).Data...)
	got := r.Forward(x, false).Data
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("replica output %d = %v, model %v", i, got[i], want[i])
		}
	}
}
