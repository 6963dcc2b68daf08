package nn_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// TestLayers1DConfigRoundTrip: the 1-D layers write their configs as
// Keras does and read them back to the same layer; defaults (nil
// padding and cropping, None output_padding) and explicit values stay
// distinct.
func TestLayers1DConfigRoundTrip(t *testing.T) {
	l2 := &regularizer.L1L2{L2: 0.01}
	for _, l := range []nn.Layer{
		&nn.MaxPooling1D{Name: "mp"},
		&nn.MaxPooling1D{Name: "mp1", PoolSize: 3, Strides: 1, Padding: nn.Same},
		&nn.AveragePooling1D{Name: "ap", PoolSize: 4, Padding: nn.Same},
		&nn.GlobalAveragePooling1D{Name: "gap", Keepdims: true},
		&nn.GlobalMaxPooling1D{Name: "gmp"},
		&nn.UpSampling1D{Name: "up"},
		&nn.UpSampling1D{Name: "up3", Size: 3, InputShape: tensor.Shape{10, 2}},
		&nn.ZeroPadding1D{Name: "zp"},
		&nn.ZeroPadding1D{Name: "zp0", Padding: ends(0, 0)},
		&nn.ZeroPadding1D{Name: "zp2", Padding: ends(3, 1)},
		&nn.Cropping1D{Name: "cr"},
		&nn.Cropping1D{Name: "cr0", Cropping: ends(0, 0)},
		&nn.Cropping1D{Name: "cr2", Cropping: ends(2, 0)},
		&nn.SpatialDropout1D{Name: "sd", Rate: 0.3},
		&nn.Conv1DTranspose{Name: "ct", Filters: 3, KernelSize: 3, Strides: 2, Padding: nn.Same, Activation: activation.ReLU},
		&nn.Conv1DTranspose{Name: "ct0", Filters: 3, KernelSize: 2, Strides: 2, OutputPadding: op1(0), NoBias: true,
			KernelInitializer: nn.HeNormal, KernelRegularizer: l2, KernelConstraint: &constraint.MaxNorm{MaxValue: 2, Axis: []int{0, 1}}},
		&nn.Conv1DTranspose{Name: "ct1", Filters: 1, KernelSize: 4, DilationRate: 2, OutputPadding: op1(0), ActivityRegularizer: l2},
		&nn.DepthwiseConv1D{Name: "dw", KernelSize: 3, DepthMultiplier: 2, Padding: nn.Same, DepthwiseRegularizer: l2, ActivityRegularizer: l2},
		&nn.DepthwiseConv1D{Name: "dw1", KernelSize: 5, Strides: 2, NoBias: true, DepthwiseInitializer: nn.HeUniform},
		&nn.SeparableConv1D{Name: "sep", Filters: 8, KernelSize: 3, DepthMultiplier: 3, DilationRate: 2, Activation: activation.Tanh,
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
}

// TestLayers1DKerasValues: values as Keras 3 writes them (or as a user
// passes them: ints for tuples) land in the fields, and the defaults are
// Keras's.
func TestLayers1DKerasValues(t *testing.T) {
	read := func(class string, cfg map[string]any) nn.Layer {
		t.Helper()
		l, err := nn.FromConfig(class, cfg)
		if err != nil {
			t.Fatalf("%s %v: %v", class, cfg, err)
		}
		return l
	}
	if p := read("MaxPooling1D", map[string]any{"pool_size": 3.0, "strides": nil}).(*nn.MaxPooling1D); p.PoolSize != 3 || p.Strides != 0 {
		t.Errorf("MaxPooling1D read as %+v", p)
	}
	if c := read("MaxPooling1D", map[string]any{}).Config(); !reflect.DeepEqual(c["pool_size"], []int{2}) || !reflect.DeepEqual(c["strides"], []int{2}) {
		t.Errorf("MaxPooling1D defaults written as pool_size %v strides %v, want [2] [2]", c["pool_size"], c["strides"])
	}
	if p := read("ZeroPadding1D", map[string]any{"padding": 2.0}).(*nn.ZeroPadding1D); p.Padding == nil || *p.Padding != [2]int{2, 2} {
		t.Errorf("ZeroPadding1D padding=2 read as %v", p.Padding)
	}
	if c := read("ZeroPadding1D", map[string]any{}).Config(); !reflect.DeepEqual(c["padding"], []int{1, 1}) {
		t.Errorf("ZeroPadding1D default written as %v, want [1 1]", c["padding"])
	}
	if c := read("Cropping1D", map[string]any{"cropping": 1.0}).(*nn.Cropping1D); c.Cropping == nil || *c.Cropping != [2]int{1, 1} {
		t.Errorf("Cropping1D cropping=1 read as %v", c.Cropping)
	}
	if c := read("Cropping1D", map[string]any{}).Config(); !reflect.DeepEqual(c["cropping"], []int{1, 1}) {
		t.Errorf("Cropping1D default written as %v, want [1 1]", c["cropping"])
	}
	if u := read("UpSampling1D", map[string]any{}).Config(); u["size"] != 2 {
		t.Errorf("UpSampling1D default size written as %v, want 2", u["size"])
	}
	tr := read("Conv1DTranspose", map[string]any{"filters": 4.0, "kernel_size": 3.0, "strides": 2.0, "padding": "same", "output_padding": 1.0}).(*nn.Conv1DTranspose)
	if tr.OutputPadding == nil || *tr.OutputPadding != 1 || tr.Strides != 2 || tr.KernelSize != 3 || tr.Padding != nn.Same {
		t.Errorf("Conv1DTranspose read as %+v", tr)
	}
	sep := read("SeparableConv1D", map[string]any{"filters": 4.0, "kernel_size": []any{5.0}, "depth_multiplier": 2.0, "pointwise_initializer": "he_normal", "use_bias": false}).(*nn.SeparableConv1D)
	if sep.DepthMultiplier != 2 || sep.KernelSize != 5 || sep.PointwiseInitializer != nn.HeNormal || !sep.NoBias {
		t.Errorf("SeparableConv1D read as %+v", sep)
	}
	// Keras 2 writes groups=1 and (on SeparableConv1D) Conv's kernel_* keys.
	for class, cfg := range map[string]map[string]any{
		"Conv1DTranspose": {"filters": 2.0, "kernel_size": []any{3.0}, "strides": []any{2.0}, "groups": 1.0, "output_padding": nil},
		"DepthwiseConv1D": {"kernel_size": []any{3.0}, "groups": 1.0, "depth_multiplier": 1.0},
		"SeparableConv1D": {"filters": 2.0, "kernel_size": []any{3.0}, "groups": 1.0, "kernel_initializer": map[string]any{"class_name": "GlorotUniform", "config": map[string]any{"seed": nil}},
			"kernel_regularizer": nil, "kernel_constraint": nil},
	} {
		read(class, cfg)
	}
}

// TestLayers1DConfigRejected: unknown keys, keys of the 2-D classes that
// the 1-D ones do not take, values gokeras does not implement and values
// Keras rejects are errors naming the key.
func TestLayers1DConfigRejected(t *testing.T) {
	tr := func(k string, v any) map[string]any {
		return map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, k: v}
	}
	for _, tt := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"MaxPooling1D", map[string]any{"pool_size": []any{2.0, 2.0}}, "one integer (a 1-D layer has one axis)"},
		{"MaxPooling1D", map[string]any{"pool_size": 0.0}, "pool_size must be positive"},
		{"AveragePooling1D", map[string]any{"padding": "causal"}, `unknown padding "causal"`},
		{"AveragePooling1D", map[string]any{"data_format": "channels_first"}, `data_format="channels_first" is not implemented for AveragePooling1D`},
		{"GlobalAveragePooling1D", map[string]any{"data_format": "channels_first"}, "channels_last"},
		{"GlobalMaxPooling1D", map[string]any{"keepdims": "yes"}, "keepdims"},
		{"UpSampling1D", map[string]any{"size": []any{2.0}}, "size"},
		{"UpSampling1D", map[string]any{"size": 0.0}, "size must be positive"},
		{"UpSampling1D", map[string]any{"interpolation": "nearest"}, `unknown key "interpolation"`},
		{"ZeroPadding1D", map[string]any{"padding": -1.0}, "padding"},
		{"ZeroPadding1D", map[string]any{"padding": []any{1.0, 2.0, 3.0}}, "two integers (before, after)"},
		{"ZeroPadding1D", map[string]any{"data_format": "channels_last"}, `unknown key "data_format"`},
		{"Cropping1D", map[string]any{"cropping": []any{1.0}}, "cropping"},
		{"Cropping1D", map[string]any{"cropping": "1"}, "cropping"},
		{"SpatialDropout1D", map[string]any{"rate": 0.5, "data_format": "channels_last"}, `unknown key "data_format"`},
		{"SpatialDropout1D", map[string]any{"rate": 0.5, "noise_shape": nil}, `unknown key "noise_shape"`},
		{"Conv1DTranspose", tr("dilation_rate", 2.0), "strides > 1 together with dilation_rate > 1"},
		{"Conv1DTranspose", tr("output_padding", 2.0), "output_padding 2 must be smaller than strides 2"},
		{"Conv1DTranspose", tr("output_padding", []any{1.0, 1.0}), "one integer >= 0"},
		{"Conv1DTranspose", tr("output_padding", -1.0), "one integer >= 0"},
		{"Conv1DTranspose", tr("padding", "causal"), `unknown padding "causal"`},
		{"Conv1DTranspose", tr("data_format", "channels_first"), `data_format="channels_first" is not implemented for Conv1DTranspose`},
		{"Conv1DTranspose", tr("groups", 2.0), "groups=2 is not implemented"},
		{"DepthwiseConv1D", map[string]any{"kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, "strides > 1 together with dilation_rate > 1"},
		{"DepthwiseConv1D", map[string]any{"kernel_size": 3.0, "depth_multiplier": 0.0}, "depth_multiplier must be positive"},
		{"DepthwiseConv1D", map[string]any{"kernel_size": []any{3.0, 3.0}}, "one integer"},
		{"DepthwiseConv1D", map[string]any{"kernel_size": 3.0, "kernel_initializer": "he_normal"}, `unknown key "kernel_initializer"`},
		{"SeparableConv1D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "padding": "causal"}, `unknown padding "causal"`},
		{"SeparableConv1D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "pointwise_regularizer": "l3"}, "pointwise_regularizer"},
	} {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}

// TestLayers1DKernelShapes: the kernels are Keras's 1-D shapes, and their
// constraints and regularizers are checked against those shapes (an axis
// that exists only on the 2-D layer's kernel is refused).
func TestLayers1DKernelShapes(t *testing.T) {
	in := tensor.Shape{6, 3}
	for _, tt := range []struct {
		l     nn.Layer
		names []string
		want  []tensor.Shape
	}{
		{&nn.Conv1DTranspose{Filters: 4, KernelSize: 3}, []string{"kernel", "bias"}, []tensor.Shape{{3, 4, 3}, {4}}},
		{&nn.DepthwiseConv1D{KernelSize: 2, DepthMultiplier: 2}, []string{"kernel", "bias"}, []tensor.Shape{{2, 3, 2}, {6}}},
		{&nn.SeparableConv1D{Filters: 5, KernelSize: 3, DepthMultiplier: 2}, []string{"depthwise_kernel", "pointwise_kernel", "bias"}, []tensor.Shape{{3, 3, 2}, {1, 6, 5}, {5}}},
	} {
		if err := tt.l.Build(in, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		ps := tt.l.Params()
		if len(ps) != len(tt.want) {
			t.Fatalf("%s: %d weights, want %d", tt.l.Class(), len(ps), len(tt.want))
		}
		for i, p := range ps {
			if p.Name != tt.names[i] || !p.Value.Shape.Equal(tt.want[i]) || !p.Grad.Shape.Equal(tt.want[i]) {
				t.Errorf("%s weight %d: %s %v (grad %v), want %s %v", tt.l.Class(), i, p.Name, p.Value.Shape, p.Grad.Shape, tt.names[i], tt.want[i])
			}
		}
	}
	axis3 := &constraint.MaxNorm{MaxValue: 1, Axis: []int{3}}
	for _, l := range []nn.Layer{
		&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, KernelConstraint: axis3},
		&nn.DepthwiseConv1D{KernelSize: 3, DepthwiseConstraint: axis3},
		&nn.SeparableConv1D{Filters: 2, KernelSize: 3, PointwiseConstraint: axis3},
	} {
		if err := l.Build(in, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), "constraint") {
			t.Errorf("%s with a MaxNorm over axis 3 of a 3-D kernel: err = %v", l.Class(), err)
		}
	}
	ok := &constraint.MaxNorm{MaxValue: 1, Axis: []int{0, 1}}
	if err := (&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, KernelConstraint: ok}).Build(in, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Errorf("Conv1DTranspose with MaxNorm over axes (0, 1): %v", err)
	}
}

// TestLayers1DInAModel: a sequence model of the 1-D layers builds with
// the output lengths worked out by hand, trains a step, and a replica
// (rebuilt from the layers' configs, sharing the weights) computes the
// same output bits.
func TestLayers1DInAModel(t *testing.T) {
	var s nn.Stack
	s.Add(&nn.ZeroPadding1D{Padding: ends(1, 2)}, // 10 -> 13
		&nn.Conv1DTranspose{Filters: 4, KernelSize: 3, Strides: 2, Padding: nn.Same, Activation: activation.ReLU}, // 26
		&nn.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same},                                               // 13
		&nn.DepthwiseConv1D{KernelSize: 3, DepthMultiplier: 2, DilationRate: 2},                                   // 13-4 = 9, 8 channels
		&nn.SpatialDropout1D{Rate: 0.25},
		&nn.Cropping1D{},                                                            // 7
		&nn.UpSampling1D{},                                                          // 14
		&nn.AveragePooling1D{PoolSize: 3},                                           // 4
		&nn.SeparableConv1D{Filters: 3, KernelSize: 2, Activation: activation.Tanh}, // 3
		&nn.GlobalMaxPooling1D{Keepdims: true},                                      // (1, 3)
		&nn.GlobalAveragePooling1D{},                                                // (3)
		&nn.Dense{Units: 2})
	if err := s.Build(tensor.Shape{10, 2}, 3); err != nil {
		t.Fatal(err)
	}
	want := []tensor.Shape{{13, 2}, {26, 4}, {13, 4}, {9, 8}, {9, 8}, {7, 8}, {14, 8}, {4, 8}, {3, 3}, {1, 3}, {3}, {2}}
	for i := range want {
		if out := s.LayerOutputShape(i); !out.Equal(want[i]) {
			t.Errorf("layer %d (%s): output %v, want %v", i, s.Layers[i].Class(), out, want[i])
		}
	}
	x := tensor.New(3, 10, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	y := s.Forward(x, true)
	s.Backward(tensor.New(y.Shape...))
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	w := append([]float32(nil), s.Forward(x, false).Data...)
	got := r.Forward(x, false).Data
	for i := range w {
		if got[i] != w[i] {
			t.Fatalf("replica output %d = %v, model %v", i, got[i], w[i])
		}
	}
}
