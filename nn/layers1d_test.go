package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

func op1(v int) *int        { return &v }
func ends(a, b int) *[2]int { return &[2]int{a, b} }

// TestLayers1DGradients: finite-difference checks of the 1-D layers that
// run a 2-D layer over a height-1 view.
func TestLayers1DGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer func() nn.Layer
		in    tensor.Shape
		o     nntest.GradOptions
	}{
		{"maxpool_valid", func() nn.Layer { return &nn.MaxPooling1D{} }, tensor.Shape{7, 3}, nntest.GradOptions{Input: distinct}},
		{"maxpool_same_3_2", func() nn.Layer { return &nn.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same} }, tensor.Shape{8, 2}, nntest.GradOptions{Input: distinct, Training: true}},
		{"avgpool_valid", func() nn.Layer { return &nn.AveragePooling1D{PoolSize: 3, Strides: 1} }, tensor.Shape{6, 2}, nntest.GradOptions{}},
		{"avgpool_same_4_3", func() nn.Layer { return &nn.AveragePooling1D{PoolSize: 4, Strides: 3, Padding: nn.Same} }, tensor.Shape{7, 3}, nntest.GradOptions{}},
		{"global_avg", func() nn.Layer { return &nn.GlobalAveragePooling1D{} }, tensor.Shape{5, 3}, nntest.GradOptions{}},
		{"global_avg_keepdims", func() nn.Layer { return &nn.GlobalAveragePooling1D{Keepdims: true} }, tensor.Shape{5, 3}, nntest.GradOptions{}},
		{"global_max", func() nn.Layer { return &nn.GlobalMaxPooling1D{} }, tensor.Shape{5, 3}, nntest.GradOptions{Input: distinct}},
		{"global_max_keepdims", func() nn.Layer { return &nn.GlobalMaxPooling1D{Keepdims: true} }, tensor.Shape{4, 2}, nntest.GradOptions{Input: distinct}},
		{"upsampling3", func() nn.Layer { return &nn.UpSampling1D{Size: 3} }, tensor.Shape{4, 2}, nntest.GradOptions{}},
		{"zeropad", func() nn.Layer { return &nn.ZeroPadding1D{Padding: ends(2, 1)} }, tensor.Shape{4, 2}, nntest.GradOptions{}},
		{"zeropad_none", func() nn.Layer { return &nn.ZeroPadding1D{Padding: ends(0, 0)} }, tensor.Shape{4, 2}, nntest.GradOptions{}},
		{"crop", func() nn.Layer { return &nn.Cropping1D{Cropping: ends(1, 2)} }, tensor.Shape{6, 2}, nntest.GradOptions{}},
		{"crop_default", func() nn.Layer { return &nn.Cropping1D{} }, tensor.Shape{4, 3}, nntest.GradOptions{}},
		{"convT_valid_s2", func() nn.Layer { return &nn.Conv1DTranspose{Filters: 3, KernelSize: 3, Strides: 2} }, tensor.Shape{4, 2}, nntest.GradOptions{}},
		{"convT_same_s3_op", func() nn.Layer {
			return &nn.Conv1DTranspose{Filters: 2, KernelSize: 4, Strides: 3, Padding: nn.Same, OutputPadding: op1(2), Activation: activation.Tanh}
		}, tensor.Shape{3, 2}, nntest.GradOptions{}},
		{"convT_dil2_same", func() nn.Layer {
			return &nn.Conv1DTranspose{Filters: 2, KernelSize: 3, DilationRate: 2, Padding: nn.Same, NoBias: true}
		}, tensor.Shape{5, 3}, nntest.GradOptions{}},
		{"depthwise_same_dm2", func() nn.Layer { return &nn.DepthwiseConv1D{KernelSize: 3, Padding: nn.Same, DepthMultiplier: 2} }, tensor.Shape{6, 3}, nntest.GradOptions{}},
		{"depthwise_s2_valid", func() nn.Layer {
			return &nn.DepthwiseConv1D{KernelSize: 2, Strides: 2, Activation: activation.Sigmoid}
		}, tensor.Shape{7, 2}, nntest.GradOptions{}},
		{"depthwise_dil3", func() nn.Layer { return &nn.DepthwiseConv1D{KernelSize: 2, DilationRate: 3, NoBias: true} }, tensor.Shape{6, 2}, nntest.GradOptions{}},
		{"separable_same", func() nn.Layer {
			return &nn.SeparableConv1D{Filters: 3, KernelSize: 3, Padding: nn.Same, DepthMultiplier: 2, Activation: activation.Tanh}
		}, tensor.Shape{6, 2}, nntest.GradOptions{}},
		{"separable_s2_nobias", func() nn.Layer { return &nn.SeparableConv1D{Filters: 2, KernelSize: 2, Strides: 2, NoBias: true} }, tensor.Shape{7, 3}, nntest.GradOptions{}},
		{"separable_dil2", func() nn.Layer { return &nn.SeparableConv1D{Filters: 2, KernelSize: 3, DilationRate: 2} }, tensor.Shape{8, 2}, nntest.GradOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer(), tt.in, tt.o)
		})
	}
	t.Run("spatial_dropout", func(t *testing.T) {
		l := &nn.SpatialDropout1D{Rate: 0.4}
		nntest.CheckGradients(t, l, tensor.Shape{5, 6}, nntest.GradOptions{Batch: 3, Training: true, BeforeForward: func() { l.Reseed(4, 5) }})
	})
}

// twin1D pairs a 1-D layer with the 2-D layer it must equal on a height-1
// input.
type twin1D struct {
	name   string
	l1, l2 nn.Layer
	in     tensor.Shape // (steps, channels)
}

func twins1D() []twin1D {
	return []twin1D{
		{"maxpool", &nn.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same}, &nn.MaxPooling2D{PoolSize: [2]int{1, 3}, Strides: [2]int{1, 2}, Padding: nn.Same}, tensor.Shape{9, 3}},
		{"avgpool", &nn.AveragePooling1D{PoolSize: 4, Padding: nn.Same}, &nn.AveragePooling2D{PoolSize: [2]int{1, 4}, Strides: [2]int{1, 4}, Padding: nn.Same}, tensor.Shape{10, 2}},
		{"global_avg", &nn.GlobalAveragePooling1D{Keepdims: true}, &nn.GlobalAveragePooling2D{Keepdims: true}, tensor.Shape{6, 3}},
		{"global_max", &nn.GlobalMaxPooling1D{}, &nn.GlobalMaxPooling2D{}, tensor.Shape{6, 3}},
		{"upsampling", &nn.UpSampling1D{}, &nn.UpSampling2D{Size: [2]int{1, 2}}, tensor.Shape{5, 2}},
		{"zeropad", &nn.ZeroPadding1D{Padding: ends(0, 3)}, &nn.ZeroPadding2D{Padding: [2][2]int{{0, 0}, {0, 3}}}, tensor.Shape{4, 2}},
		{"crop", &nn.Cropping1D{Cropping: ends(2, 0)}, &nn.Cropping2D{Cropping: [2][2]int{{0, 0}, {2, 0}}}, tensor.Shape{5, 2}},
		{"spatial_dropout", &nn.SpatialDropout1D{Rate: 0.5}, &nn.SpatialDropout2D{Rate: 0.5}, tensor.Shape{5, 8}},
		{"convT", &nn.Conv1DTranspose{Filters: 3, KernelSize: 3, Strides: 2, Padding: nn.Same, OutputPadding: op1(0), Activation: activation.ReLU},
			&nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{1, 3}, Strides: [2]int{1, 2}, Padding: nn.Same, OutputPadding: op2(0, 0), Activation: activation.ReLU}, tensor.Shape{5, 2}},
		{"depthwise", &nn.DepthwiseConv1D{KernelSize: 3, DilationRate: 2, Padding: nn.Same, DepthMultiplier: 2},
			&nn.DepthwiseConv2D{KernelSize: [2]int{1, 3}, DilationRate: [2]int{1, 2}, Padding: nn.Same, DepthMultiplier: 2}, tensor.Shape{8, 3}},
		{"separable", &nn.SeparableConv1D{Filters: 4, KernelSize: 2, Strides: 2, DepthMultiplier: 3, Activation: activation.ELU},
			&nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{1, 2}, Strides: [2]int{1, 2}, DepthMultiplier: 3, Activation: activation.ELU}, tensor.Shape{7, 2}},
	}
}

// TestLayers1DMatch2D: each 1-D layer gives the same output, input
// gradient and weight gradients as its 2-D layer on the height-1 input,
// for several batch sizes, with the weights shared.
func TestLayers1DMatch2D(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tt := range twins1D() {
		t.Run(tt.name, func(t *testing.T) {
			in2 := tensor.Shape{1, tt.in[0], tt.in[1]}
			if err := tt.l1.Build(tt.in, rand.New(rand.NewPCG(1, 2))); err != nil {
				t.Fatal(err)
			}
			if err := tt.l2.Build(in2, rand.New(rand.NewPCG(1, 2))); err != nil {
				t.Fatal(err)
			}
			p1, p2 := tt.l1.Params(), tt.l2.Params()
			if len(p1) != len(p2) {
				t.Fatalf("%d weights, the 2-D layer %d", len(p1), len(p2))
			}
			for i := range p1 {
				if p1[i].Name != p2[i].Name || len(p1[i].Value.Data) != len(p2[i].Value.Data) {
					t.Fatalf("weight %d: %s %v, the 2-D layer's %s %v", i, p1[i].Name, p1[i].Value.Shape, p2[i].Name, p2[i].Value.Shape)
				}
				for j := range p1[i].Value.Data {
					p1[i].Value.Data[j] = float32(r.NormFloat64())
				}
				copy(p2[i].Value.Data, p1[i].Value.Data)
			}
			out1, err := tt.l1.OutputShape(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			out2, _ := tt.l2.OutputShape(in2)
			for _, n := range []int{3, 1, 3} {
				x := convInput(r, append(tensor.Shape{n}, tt.in...))
				x2 := &tensor.Tensor{Shape: append(tensor.Shape{n}, in2...), Data: x.Data}
				for _, l := range []nn.Layer{tt.l1, tt.l2} {
					if rs, ok := l.(reseeder); ok {
						rs.Reseed(8, 9)
					}
				}
				y1 := tt.l1.Forward(x, true)
				if !y1.Shape.Equal(append(tensor.Shape{n}, out1...)) {
					t.Fatalf("output shape %v, want %v", y1.Shape, append(tensor.Shape{n}, out1...))
				}
				y2 := tt.l2.Forward(x2, true)
				same(t, "output", y1.Data, y2.Data)
				dy := convInput(r, y1.Shape)
				dy2 := &tensor.Tensor{Shape: append(tensor.Shape{n}, out2...), Data: dy.Data}
				dx1 := tt.l1.Backward(dy)
				if !dx1.Shape.Equal(x.Shape) {
					t.Fatalf("input gradient shape %v, want %v", dx1.Shape, x.Shape)
				}
				same(t, "input gradient", dx1.Data, tt.l2.Backward(dy2).Data)
				for i := range p1 {
					same(t, p1[i].Name+" gradient", p1[i].Grad.Data, p2[i].Grad.Data)
				}
			}
		})
	}
}

// same fails unless got and want are equal to float32 rounding.
func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestLayers1DDirect compares the reshaping layers, the global pools and
// the windowed pools with formulas written here from Keras's definitions:
// UpSampling1D y[i] = x[i/size] (ops.repeat); ZeroPadding1D zeros before
// and after; Cropping1D y[i] = x[i+before]; the global pools the mean and
// the maximum over the steps; the windowed pools over windows that start
// at o*stride - before, where "same" pads ceil(steps/stride) windows'
// worth with the smaller half first and averages over the steps inside
// the sequence only.
func TestLayers1DDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, steps, c = 2, 7, 3
	x := convInput(r, tensor.Shape{n, steps, c})
	at := func(b, i, ch int) float64 { return float64(x.Data[(b*steps+i)*c+ch]) }
	// pool is a windowed pool of size k, stride s, pad before.
	pool := func(k, s, before, out int, avg bool) func(b, o, ch int) float64 {
		return func(b, o, ch int) float64 {
			best, sum, cnt := math.Inf(-1), 0.0, 0
			for j := range k {
				i := o*s - before + j
				if i < 0 || i >= steps {
					continue
				}
				best, sum, cnt = math.Max(best, at(b, i, ch)), sum+at(b, i, ch), cnt+1
			}
			if avg {
				return sum / float64(cnt)
			}
			return best
		}
	}
	tests := []struct {
		l     nn.Layer
		steps int // output steps; 0 for no steps axis
		f     func(b, o, ch int) float64
	}{
		{&nn.UpSampling1D{Size: 3}, 21, func(b, o, ch int) float64 { return at(b, o/3, ch) }},
		{&nn.ZeroPadding1D{Padding: ends(2, 1)}, 10, func(b, o, ch int) float64 {
			if o < 2 || o >= 9 {
				return 0
			}
			return at(b, o-2, ch)
		}},
		{&nn.ZeroPadding1D{}, 9, func(b, o, ch int) float64 {
			if o < 1 || o >= 8 {
				return 0
			}
			return at(b, o-1, ch)
		}},
		{&nn.Cropping1D{}, 5, func(b, o, ch int) float64 { return at(b, o+1, ch) }},
		{&nn.Cropping1D{Cropping: ends(0, 4)}, 3, func(b, o, ch int) float64 { return at(b, o, ch) }},
		{&nn.GlobalAveragePooling1D{}, 0, pool(steps, 1, 0, 1, true)},
		{&nn.GlobalAveragePooling1D{Keepdims: true}, 1, pool(steps, 1, 0, 1, true)},
		{&nn.GlobalMaxPooling1D{}, 0, pool(steps, 1, 0, 1, false)},
		// valid: floor((7-2)/2)+1 = 3 windows.
		{&nn.MaxPooling1D{}, 3, pool(2, 2, 0, 3, false)},
		// same, pool 3 stride 2: ceil(7/2) = 4 windows, total pad (4-1)*2+3-7 = 2, 1 before.
		{&nn.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same}, 4, pool(3, 2, 1, 4, false)},
		{&nn.AveragePooling1D{PoolSize: 3, Strides: 2, Padding: nn.Same}, 4, pool(3, 2, 1, 4, true)},
		// same, pool 4 stride 1: 7 windows, total 3, 1 before, 2 after.
		{&nn.AveragePooling1D{PoolSize: 4, Strides: 1, Padding: nn.Same}, 7, pool(4, 1, 1, 7, true)},
		// valid, pool 3 stride 3 (strides None = pool_size): 2 windows, step 6 unused.
		{&nn.AveragePooling1D{PoolSize: 3}, 2, pool(3, 3, 0, 2, true)},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tt.l.Class()), func(t *testing.T) {
			if err := tt.l.Build(tensor.Shape{steps, c}, nil); err != nil {
				t.Fatal(err)
			}
			y := tt.l.Forward(x, false)
			want := tensor.Shape{n, tt.steps, c}
			if tt.steps == 0 {
				want = tensor.Shape{n, c}
			}
			if !y.Shape.Equal(want) {
				t.Fatalf("output shape %v, want %v", y.Shape, want)
			}
			m := max(tt.steps, 1)
			for b := range n {
				for o := range m {
					for ch := range c {
						if got, w := float64(y.Data[(b*m+o)*c+ch]), tt.f(b, o, ch); math.Abs(got-w) > 1e-6 {
							t.Fatalf("y[%d,%d,%d] = %v, want %v", b, o, ch, got, w)
						}
					}
				}
			}
		})
	}
}

// TestConv1DTransposeOutputShape: Keras's output lengths
// (compute_conv_transpose_output_shape), by hand for 5 input steps: span
// = (k-1)*d+1; "valid" (5-1)*s + span + op with op = max(span, s) - span
// when None; "same" 5*s when op is None, else (5-1)*s + span%2 + op.
func TestConv1DTransposeOutputShape(t *testing.T) {
	for _, tt := range []struct {
		k, s, d int
		pad     nn.Padding
		op      *int
		want    int
	}{
		{3, 1, 1, nn.Valid, nil, 7},       // 4 + 3
		{3, 2, 1, nn.Valid, nil, 11},      // 8 + 3
		{2, 3, 1, nn.Valid, nil, 15},      // 12 + 2 + 1
		{3, 2, 1, nn.Valid, op1(1), 12},   // 8 + 3 + 1
		{3, 2, 1, nn.Same, nil, 10},       // 5*2
		{4, 3, 1, nn.Same, op1(2), 14},    // 12 + 0 + 2
		{3, 2, 1, nn.Same, op1(0), 9},     // 8 + 1 + 0
		{3, 1, 2, nn.Valid, nil, 9},       // span 5: 4 + 5
		{3, 1, 2, nn.Same, nil, 5},        // 5*1
		{2, 1, 3, nn.Same, op1(0), 4 + 0}, // span 4: 4 + 0 + 0
	} {
		l := &nn.Conv1DTranspose{Filters: 2, KernelSize: tt.k, Strides: tt.s, DilationRate: tt.d, Padding: tt.pad, OutputPadding: tt.op}
		out, err := l.OutputShape(tensor.Shape{5, 3})
		if err != nil {
			t.Errorf("%+v: %v", tt, err)
			continue
		}
		if !out.Equal(tensor.Shape{tt.want, 2}) {
			t.Errorf("k %d s %d d %d %v op %v: output %v, want (%d, 2)", tt.k, tt.s, tt.d, tt.pad, tt.op, out, tt.want)
		}
	}
}

// TestLayers1DErrors: wrong inputs and arguments are errors saying what
// to do, not panics.
func TestLayers1DErrors(t *testing.T) {
	for _, tt := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.MaxPooling1D{}, tensor.Shape{4, 4, 2}, "MaxPooling1D takes (batch, steps, channels)"},
		{&nn.AveragePooling1D{PoolSize: 5}, tensor.Shape{4, 2}, "pool_size 5 is larger than the 4 input steps"},
		{&nn.GlobalMaxPooling1D{}, tensor.Shape{4}, "GlobalMaxPooling1D takes (batch, steps, channels)"},
		{&nn.UpSampling1D{Size: -1}, tensor.Shape{4, 2}, "size -1 must be positive"},
		{&nn.ZeroPadding1D{Padding: ends(-1, 0)}, tensor.Shape{4, 2}, "negative entry"},
		{&nn.Cropping1D{Cropping: ends(2, 2)}, tensor.Shape{4, 2}, "leaving none"},
		{&nn.SpatialDropout1D{Rate: 0.5}, tensor.Shape{4, 4, 2}, "is not (steps, channels)"},
		{&nn.SpatialDropout1D{Rate: 1}, tensor.Shape{4, 2}, "outside [0, 1)"},
		{&nn.Conv1DTranspose{KernelSize: 3}, tensor.Shape{4, 2}, "positive number of filters"},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, Strides: 2, OutputPadding: op1(2)}, tensor.Shape{4, 2}, "output_padding 2 must be at least 0 and smaller than strides 2"},
		{&nn.Conv1DTranspose{Filters: 2, KernelSize: 3, OutputPadding: op1(-1)}, tensor.Shape{4, 2}, "output_padding -1 must be at least 0"},
		{&nn.DepthwiseConv1D{KernelSize: 5}, tensor.Shape{4, 2}, "spans 5 steps, more than the 4 input steps"},
		{&nn.DepthwiseConv1D{KernelSize: 2, Strides: 2, DilationRate: 2}, tensor.Shape{8, 2}, "dilation"},
		{&nn.SeparableConv1D{KernelSize: 3}, tensor.Shape{4, 2}, "positive number of filters"},
		{&nn.SeparableConv1D{Filters: 2, KernelSize: 3}, tensor.Shape{4, 2, 1}, "SeparableConv1D takes (batch, steps, channels)"},
	} {
		_, err := tt.l.OutputShape(tt.in)
		if err == nil {
			err = tt.l.Build(tt.in, rand.New(rand.NewPCG(1, 1)))
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: error %v, want one containing %q", tt.l.Class(), tt.in, err, tt.want)
		}
	}
}

// TestLayers1DNoAllocs: a training step (Forward and Backward) of each
// 1-D layer allocates nothing once warmed up.
func TestLayers1DNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, tt := range twins1D() {
		if err := tt.l1.Build(tt.in, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		x := convInput(r, append(tensor.Shape{4}, tt.in...))
		y := tt.l1.Forward(x, true)
		dy := convInput(r, y.Shape)
		tt.l1.Backward(dy)
		if a := testing.AllocsPerRun(5, func() {
			tt.l1.Forward(x, true)
			tt.l1.Backward(dy)
		}); a != 0 {
			t.Errorf("%s: %v allocations per training step", tt.l1.Class(), a)
		}
	}
}

// TestLayers1DKerasDocExamples: the output shapes of the examples in
// Keras's docstrings (conv1d_transpose.py: 10 steps, Conv1DTranspose(32,
// 3, 2) gives 21; depthwise_conv1d.py: (10, 12), kernel 3, depth
// multiplier 3, strides 2 gives (4, 36); up_sampling1d.py and
// zero_padding1d.py: (2, 3) by 2 gives (4, 3) and (6, 3)).
func TestLayers1DKerasDocExamples(t *testing.T) {
	for _, tt := range []struct {
		l       nn.Layer
		in, out tensor.Shape
	}{
		{&nn.Conv1DTranspose{Filters: 32, KernelSize: 3, Strides: 2, Activation: activation.ReLU}, tensor.Shape{10, 128}, tensor.Shape{21, 32}},
		{&nn.DepthwiseConv1D{KernelSize: 3, DepthMultiplier: 3, Strides: 2, Activation: activation.ReLU}, tensor.Shape{10, 12}, tensor.Shape{4, 36}},
		{&nn.UpSampling1D{Size: 2}, tensor.Shape{2, 3}, tensor.Shape{4, 3}},
		{&nn.ZeroPadding1D{Padding: ends(2, 2)}, tensor.Shape{2, 3}, tensor.Shape{6, 3}},
		{&nn.GlobalAveragePooling1D{}, tensor.Shape{3, 4}, tensor.Shape{4}},
		{&nn.GlobalMaxPooling1D{}, tensor.Shape{3, 4}, tensor.Shape{4}},
	} {
		if out, err := tt.l.OutputShape(tt.in); err != nil || !out.Equal(tt.out) {
			t.Errorf("%s on %v: %v, %v; want %v", tt.l.Class(), tt.in, out, err, tt.out)
		}
	}
}
