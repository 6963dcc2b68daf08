package nn_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestConvDilationGroupsGradients: finite-difference checks of the input,
// kernel and bias gradients of Conv2D with dilation 2 and 3 and groups 2
// and 4, with strides, same and valid padding, a 1x1 grouped window (the
// pointwise path) and Conv1D (valid, same, causal, dilated, grouped).
func TestConvDilationGroupsGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer func() nn.Layer
		in    tensor.Shape
	}{
		{"dil2_valid", func() nn.Layer {
			return &nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}}
		}, tensor.Shape{7, 8, 2}},
		{"dil3_same", func() nn.Layer {
			return &nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 2}, DilationRate: [2]int{3, 3}, Padding: nn.Same, Activation: activation.Tanh}
		}, tensor.Shape{6, 7, 2}},
		{"dil_2x3_same_rect", func() nn.Layer {
			return &nn.Conv2D{Filters: 2, KernelSize: [2]int{2, 3}, DilationRate: [2]int{2, 3}, Padding: nn.Same}
		}, tensor.Shape{5, 9, 3}},
		{"groups2_valid", func() nn.Layer {
			return &nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Groups: 2}
		}, tensor.Shape{5, 6, 4}},
		{"groups4_same_stride2", func() nn.Layer {
			return &nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Groups: 4, Strides: [2]int{2, 2}, Padding: nn.Same, Activation: activation.Sigmoid}
		}, tensor.Shape{6, 5, 8}},
		{"groups2_dil2_same", func() nn.Layer {
			return &nn.Conv2D{Filters: 6, KernelSize: [2]int{3, 3}, Groups: 2, DilationRate: [2]int{2, 2}, Padding: nn.Same}
		}, tensor.Shape{6, 6, 4}},
		{"groups4_dil3_valid_nobias", func() nn.Layer {
			return &nn.Conv2D{Filters: 4, KernelSize: [2]int{2, 2}, Groups: 4, DilationRate: [2]int{3, 3}, NoBias: true}
		}, tensor.Shape{6, 7, 8}},
		{"groups2_1x1", func() nn.Layer {
			return &nn.Conv2D{Filters: 6, KernelSize: [2]int{1, 1}, Groups: 2, Activation: activation.ELU}
		}, tensor.Shape{3, 4, 4}},
		{"groups4_3x3_winograd_shape", func() nn.Layer {
			// 3x3 stride 1 over 16 channels would take Winograd ungrouped.
			return &nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Groups: 4, Padding: nn.Same}
		}, tensor.Shape{5, 5, 16}},
		{"conv1d_valid", func() nn.Layer { return &nn.Conv1D{Filters: 3, KernelSize: 3} }, tensor.Shape{7, 2}},
		{"conv1d_same_stride2", func() nn.Layer {
			return &nn.Conv1D{Filters: 2, KernelSize: 4, Strides: 2, Padding: nn.Same, Activation: activation.Tanh}
		}, tensor.Shape{9, 3}},
		{"conv1d_causal_dil2", func() nn.Layer {
			return &nn.Conv1D{Filters: 2, KernelSize: 3, Causal: true, DilationRate: 2}
		}, tensor.Shape{8, 2}},
		{"conv1d_causal_stride3", func() nn.Layer {
			return &nn.Conv1D{Filters: 2, KernelSize: 2, Causal: true, Strides: 3}
		}, tensor.Shape{8, 2}},
		{"conv1d_groups2_dil3_same", func() nn.Layer {
			return &nn.Conv1D{Filters: 4, KernelSize: 3, Groups: 2, DilationRate: 3, Padding: nn.Same}
		}, tensor.Shape{10, 4}},
		{"conv1d_groups4_causal_dil2", func() nn.Layer {
			return &nn.Conv1D{Filters: 4, KernelSize: 2, Groups: 4, DilationRate: 2, Causal: true, NoBias: true}
		}, tensor.Shape{6, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer(), tt.in, nntest.GradOptions{MaxChecks: 100})
		})
	}
}

// convRef is a direct convolution written from Keras's definition
// (base_conv.py, conv1d.py): input (n, h, w, c), kernel (kh, kw, c/groups,
// f), output pixel (oy, ox) of filter o in group gr = o/(f/groups) sums
// x[oy*sh-padT+ky*dh][ox*sw-padL+kx*dw][gr*c/groups+ci] * k[ky][kx][ci][o],
// zero outside the image.
func convRef(x []float32, n, h, w, c int, k []float32, kh, kw, f int, bias []float32,
	sh, sw, dh, dw, groups, padT, padL, oh, ow int) []float32 {
	cg, fg := c/groups, f/groups
	out := make([]float32, n*oh*ow*f)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for o := 0; o < f; o++ {
					gr := o / fg
					var s float64
					if bias != nil {
						s = float64(bias[o])
					}
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := oy*sh-padT+ky*dh, ox*sw-padL+kx*dw
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ci := 0; ci < cg; ci++ {
								s += float64(x[((b*h+iy)*w+ix)*c+gr*cg+ci]) * float64(k[((ky*kw+kx)*cg+ci)*f+o])
							}
						}
					}
					out[((b*oh+oy)*ow+ox)*f+o] = float32(s)
				}
			}
		}
	}
	return out
}

func convClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestConvDilationGroupsDirect compares Conv2D and Conv1D outputs with the
// direct convolution above, where the output sizes and paddings are
// worked out by hand from Keras's compute_conv_output_shape (valid:
// floor((in-(k-1)*d-1)/s)+1; same: ceil(in/s) with TensorFlow's padding
// split, smaller half first; causal: (k-1)*d on the left).
func TestConvDilationGroupsDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name       string
		layer      nn.Layer
		n, h, w, c int
		kh, kw, f  int
		sh, sw     int
		dh, dw, gr int
		padT, padL int
		oh, ow     int
	}{
		// 9 - 2*2 = 5 rows, 10 - 2*2 = 6 columns.
		{"dil2_valid", &nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, DilationRate: [2]int{2, 2}}, 2, 9, 10, 3, 3, 3, 4, 1, 1, 2, 2, 1, 0, 0, 5, 6},
		// span 7: total padding 6, 3 before.
		{"dil3_same", &nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, DilationRate: [2]int{3, 3}, Padding: nn.Same}, 2, 6, 7, 2, 3, 3, 2, 1, 1, 3, 3, 1, 3, 3, 6, 7},
		// span (2-1)*2+1 = 3 rows: padding 2, 1 before; span 4 columns: padding 3, 1 before.
		{"dil_2x3_same", &nn.Conv2D{Filters: 2, KernelSize: [2]int{2, 2}, DilationRate: [2]int{2, 3}, Padding: nn.Same}, 1, 5, 6, 2, 2, 2, 2, 1, 1, 2, 3, 1, 1, 1, 5, 6},
		{"groups2_stride2_same", &nn.Conv2D{Filters: 6, KernelSize: [2]int{3, 3}, Groups: 2, Strides: [2]int{2, 2}, Padding: nn.Same}, 2, 7, 8, 4, 3, 3, 6, 2, 2, 1, 1, 2, 1, 0, 4, 4},
		{"groups4_dil2", &nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 2}, Groups: 4, DilationRate: [2]int{2, 2}}, 3, 8, 6, 8, 3, 2, 8, 1, 1, 2, 2, 4, 0, 0, 4, 4},
		{"groups4_3x3_16ch", &nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Groups: 4, Padding: nn.Same}, 2, 6, 6, 16, 3, 3, 16, 1, 1, 1, 1, 4, 1, 1, 6, 6},
		{"groups2_1x1", &nn.Conv2D{Filters: 4, KernelSize: [2]int{1, 1}, Groups: 2}, 2, 3, 3, 6, 1, 1, 4, 1, 1, 1, 1, 2, 0, 0, 3, 3},
		// Conv1D: height 1. causal k=3 d=2 pads 4 on the left.
		{"conv1d_causal", &nn.Conv1D{Filters: 3, KernelSize: 3, DilationRate: 2, Causal: true}, 2, 1, 10, 2, 1, 3, 3, 1, 1, 1, 2, 1, 0, 4, 1, 10},
		// causal stride 2 over 9 steps: ceil(9/2) = 5 outputs, pad 2.
		{"conv1d_causal_stride2", &nn.Conv1D{Filters: 2, KernelSize: 3, Strides: 2, Causal: true}, 2, 1, 9, 3, 1, 3, 2, 1, 2, 1, 1, 1, 0, 2, 1, 5},
		// same k=4 over 7: total 3, 1 before.
		{"conv1d_same_groups2", &nn.Conv1D{Filters: 4, KernelSize: 4, Groups: 2, Padding: nn.Same}, 2, 1, 7, 4, 1, 4, 4, 1, 1, 1, 1, 2, 0, 1, 1, 7},
		{"conv1d_valid_dil3", &nn.Conv1D{Filters: 2, KernelSize: 2, DilationRate: 3}, 3, 1, 8, 1, 1, 2, 2, 1, 1, 1, 3, 1, 0, 0, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tensor.Shape{tt.h, tt.w, tt.c}
			if _, ok := tt.layer.(*nn.Conv1D); ok {
				in = tensor.Shape{tt.w, tt.c}
			}
			if err := tt.layer.Build(in, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Fatal(err)
			}
			ps := tt.layer.Params()
			for _, p := range ps {
				for i := range p.Value.Data {
					p.Value.Data[i] = float32(r.NormFloat64())
				}
			}
			var bias []float32
			if len(ps) > 1 {
				bias = ps[1].Value.Data
			}
			x := convInput(r, append(tensor.Shape{tt.n}, in...))
			want := convRef(x.Data, tt.n, tt.h, tt.w, tt.c, ps[0].Value.Data, tt.kh, tt.kw, tt.f, bias,
				tt.sh, tt.sw, tt.dh, tt.dw, tt.gr, tt.padT, tt.padL, tt.oh, tt.ow)
			for _, training := range []bool{true, false} {
				y := tt.layer.Forward(x, training)
				wantShape := tensor.Shape{tt.n, tt.oh, tt.ow, tt.f}
				if len(in) == 2 {
					wantShape = tensor.Shape{tt.n, tt.ow, tt.f}
				}
				if !y.Shape.Equal(wantShape) {
					t.Fatalf("output shape %v, want %v", y.Shape, wantShape)
				}
				convClose(t, "output", y.Data, want, 1e-4)
			}
		})
	}
}

func convInput(r *rand.Rand, shape tensor.Shape) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// TestConv1DCausal: with padding="causal", output step t does not change
// when inputs after t change (conv1d.py: "output[t] does not depend on
// input[t + 1:]").
func TestConv1DCausal(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	c := &nn.Conv1D{Filters: 2, KernelSize: 3, DilationRate: 2, Causal: true}
	if err := c.Build(tensor.Shape{12, 3}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := convInput(r, tensor.Shape{1, 12, 3})
	y0 := c.Forward(x, false).Clone()
	for step := 0; step < 12; step++ {
		x2 := x.Clone()
		for s := step + 1; s < 12; s++ {
			for ch := 0; ch < 3; ch++ {
				x2.Data[s*3+ch] += 5
			}
		}
		y := c.Forward(x2, false)
		for i := 0; i <= step*2+1; i++ {
			if y.Data[i] != y0.Data[i] {
				t.Fatalf("changing inputs after step %d changed output %d", step, i/2)
			}
		}
	}
}

// TestConvDilationGroupsNoAllocs: a training step (Forward and Backward)
// of a dilated, grouped Conv2D and of Conv1D allocates nothing once the
// buffers exist.
func TestConvDilationGroupsNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, tc := range []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Groups: 2, DilationRate: [2]int{2, 2}, Padding: nn.Same, Activation: activation.ReLU}, tensor.Shape{8, 8, 4}},
		{&nn.Conv2D{Filters: 8, KernelSize: [2]int{1, 1}, Groups: 4}, tensor.Shape{8, 8, 4}},
		{&nn.Conv1D{Filters: 4, KernelSize: 3, Groups: 2, DilationRate: 2, Causal: true, Activation: activation.Tanh}, tensor.Shape{16, 4}},
	} {
		if err := tc.l.Build(tc.in, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		x := convInput(r, append(tensor.Shape{4}, tc.in...))
		y := tc.l.Forward(x, true)
		dy := convInput(r, y.Shape)
		tc.l.Backward(dy)
		if n := testing.AllocsPerRun(5, func() {
			tc.l.Forward(x, true)
			tc.l.Backward(dy)
		}); n != 0 {
			t.Errorf("%s %+v: %v allocations per step", tc.l.Class(), tc.l, n)
		}
	}
}

// TestConvDilationGroupsConfig: Keras 3 configs with dilation_rate and
// groups load and are written back as Keras writes them; invalid
// combinations are refused as BaseConv refuses them.
func TestConvDilationGroupsConfig(t *testing.T) {
	conv2 := map[string]any{"name": "c", "filters": 4.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{1.0, 1.0},
		"padding": "same", "dilation_rate": []any{2.0, 3.0}, "groups": 2.0}
	l, err := nn.FromConfig("Conv2D", conv2)
	if err != nil {
		t.Fatal(err)
	}
	c := l.(*nn.Conv2D)
	if c.DilationRate != [2]int{2, 3} || c.Groups != 2 {
		t.Errorf("read %+v", c)
	}
	cfg := nn.LayerConfig(l)
	if !reflect.DeepEqual(cfg["dilation_rate"], []int{2, 3}) || cfg["groups"] != 2 {
		t.Errorf("written dilation_rate %v groups %v", cfg["dilation_rate"], cfg["groups"])
	}
	conv1 := map[string]any{"name": "c1", "filters": 4.0, "kernel_size": []any{5.0}, "strides": []any{1.0},
		"padding": "causal", "dilation_rate": []any{4.0}, "groups": 4.0, "data_format": "channels_last",
		"activation": "relu", "use_bias": false}
	l, err = nn.FromConfig("Conv1D", conv1)
	if err != nil {
		t.Fatal(err)
	}
	c1 := l.(*nn.Conv1D)
	if c1.KernelSize != 5 || !c1.Causal || c1.DilationRate != 4 || c1.Groups != 4 || !c1.NoBias || c1.Activation != activation.ReLU {
		t.Errorf("read %+v", c1)
	}
	cfg = nn.LayerConfig(l)
	for k, want := range map[string]any{"kernel_size": []int{5}, "strides": []int{1}, "padding": "causal", "dilation_rate": []int{4}, "groups": 4} {
		if !reflect.DeepEqual(cfg[k], want) {
			t.Errorf("Conv1D config %s = %#v, want %#v", k, cfg[k], want)
		}
	}
	// Scalars as Keras accepts them in a constructor, and "same".
	l, err = nn.FromConfig("Conv1D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "padding": "same"})
	if err != nil {
		t.Fatal(err)
	}
	if c1 := l.(*nn.Conv1D); c1.KernelSize != 3 || c1.Strides != 2 || c1.Padding != nn.Same || c1.Causal {
		t.Errorf("read %+v", c1)
	}

	for _, tc := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Conv2D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "groups": 2.0}, "filters=3 is not divisible by groups=2"},
		{"Conv2D", map[string]any{"filters": 4.0, "kernel_size": 3.0, "groups": 0.0}, "groups must be positive"},
		{"Conv2D", map[string]any{"filters": 4.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, "strides > 1 together with dilation_rate > 1"},
		{"Conv1D", map[string]any{"filters": 4.0, "kernel_size": 3.0, "strides": 2.0, "dilation_rate": 2.0}, "strides > 1 together with dilation_rate > 1"},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "groups": 2.0}, "filters=3 is not divisible by groups=2"},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": []any{3.0, 3.0}}, `"kernel_size" is [3,3]; want one integer`},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": 0.0}, "kernel_size must be positive"},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "padding": "full"}, `Conv1D takes "valid", "same" or "causal"`},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "data_format": "channels_first"}, `data_format="channels_first" is not implemented for Conv1D`},
		{"Conv1D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "lora_rank": 2.0}, "LoRA"},
		{"Conv2D", map[string]any{"filters": 3.0, "kernel_size": 3.0, "padding": "causal"}, `unknown padding "causal"`},
	} {
		_, err := nn.FromConfig(tc.class, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.class, tc.cfg, err, tc.want)
		}
	}

	// Errors found when the input is known.
	for _, tc := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Groups: 2}, tensor.Shape{6, 6, 3}, "the input has 3 channels, not divisible by groups=2"},
		{&nn.Conv1D{Filters: 4, KernelSize: 3, Groups: 4}, tensor.Shape{6, 6}, "the input has 6 channels, not divisible by groups=4"},
		{&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, DilationRate: [2]int{3, 3}}, tensor.Shape{6, 6, 1}, "spans 7x7, larger than the 6x6 input"},
		{&nn.Conv1D{Filters: 4, KernelSize: 3, DilationRate: 3}, tensor.Shape{6, 1}, "spans 7 steps, more than the 6 input steps"},
		{&nn.Conv1D{Filters: 4, KernelSize: 3}, tensor.Shape{6, 6, 1}, "Conv1D takes (batch, steps, channels)"},
		{&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 1}, DilationRate: [2]int{1, 2}}, tensor.Shape{6, 6, 1}, "strides > 1 together with dilation_rate > 1"},
	} {
		_, err := tc.l.OutputShape(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v on %v: err = %v, want %q", tc.l, tc.in, err, tc.want)
		}
	}
	// Causal padding keeps every step even when the window is longer than
	// the input, as Keras's output shape does.
	if out, err := (&nn.Conv1D{Filters: 2, KernelSize: 3, DilationRate: 3, Causal: true}).OutputShape(tensor.Shape{4, 1}); err != nil || !out.Equal(tensor.Shape{4, 2}) {
		t.Errorf("causal over a short input: %v, %v", out, err)
	}
}
