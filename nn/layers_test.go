package nn_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// distinct fills x with a shuffled ladder of values 0.05 apart, so that no
// window holds a near-tie that a finite-difference step could flip.
func distinct(r *rand.Rand, x []float32) {
	for i, p := range r.Perm(len(x)) {
		x[i] = float32(p)*0.05 - float32(len(x))*0.025
	}
}

func TestLayerGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer func() nn.Layer
		in    tensor.Shape
		opt   nntest.GradOptions
	}{
		{"dense_linear", func() nn.Layer { return &nn.Dense{Units: 4} }, tensor.Shape{5}, nntest.GradOptions{}},
		{"dense_tanh", func() nn.Layer { return &nn.Dense{Units: 3, Activation: activation.Tanh} }, tensor.Shape{6}, nntest.GradOptions{Batch: 3}},
		{"dense_softmax_nobias", func() nn.Layer { return &nn.Dense{Units: 4, Activation: activation.Softmax, NoBias: true} }, tensor.Shape{3}, nntest.GradOptions{}},
		{"conv_valid", func() nn.Layer { return &nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}} }, tensor.Shape{5, 6, 2}, nntest.GradOptions{}},
		{"conv_same_stride2_odd_pad", func() nn.Layer {
			// in 6, k 3, stride 2: out 3, total padding (3-1)*2+3-6 = 1, odd:
			// 0 on top/left, 1 on bottom/right.
			return &nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}
		}, tensor.Shape{6, 6, 3}, nntest.GradOptions{}},
		{"conv_same_rect_sigmoid", func() nn.Layer {
			return &nn.Conv2D{Filters: 2, KernelSize: [2]int{2, 3}, Strides: [2]int{1, 2}, Padding: nn.Same, Activation: activation.Sigmoid}
		}, tensor.Shape{5, 7, 2}, nntest.GradOptions{}},
		{"conv_1x1_elu", func() nn.Layer {
			return &nn.Conv2D{Filters: 3, KernelSize: [2]int{1, 1}, Activation: activation.ELU}
		}, tensor.Shape{3, 3, 4}, nntest.GradOptions{}},
		{"conv_gelu_nobias", func() nn.Layer {
			return &nn.Conv2D{Filters: 2, KernelSize: [2]int{2, 2}, Activation: activation.GELU, NoBias: true}
		}, tensor.Shape{4, 4, 1}, nntest.GradOptions{}},
		{"maxpool_valid", func() nn.Layer { return &nn.MaxPooling2D{} }, tensor.Shape{4, 6, 2}, nntest.GradOptions{Input: distinct}},
		// 2x2 one-pass kernels (assembly when channels are a multiple of
		// 8), odd sizes leaving a row and a column outside every window.
		{"maxpool_2x2_16ch_odd", func() nn.Layer { return &nn.MaxPooling2D{} }, tensor.Shape{5, 7, 16}, nntest.GradOptions{Input: distinct, Training: true, MaxChecks: 200}},
		{"maxpool_same_3_stride2", func() nn.Layer {
			return &nn.MaxPooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}
		}, tensor.Shape{6, 5, 2}, nntest.GradOptions{Input: distinct}},
		{"avgpool_valid", func() nn.Layer { return &nn.AveragePooling2D{} }, tensor.Shape{4, 5, 2}, nntest.GradOptions{}},
		{"avgpool_same", func() nn.Layer {
			return &nn.AveragePooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: nn.Same}
		}, tensor.Shape{5, 6, 2}, nntest.GradOptions{}},
		{"global_avg", func() nn.Layer { return &nn.GlobalAveragePooling2D{} }, tensor.Shape{3, 4, 5}, nntest.GradOptions{}},
		{"global_max", func() nn.Layer { return &nn.GlobalMaxPooling2D{} }, tensor.Shape{3, 4, 5}, nntest.GradOptions{Input: distinct}},
		{"flatten", func() nn.Layer { return &nn.Flatten{} }, tensor.Shape{2, 3, 2}, nntest.GradOptions{}},
		{"reshape", func() nn.Layer { return &nn.Reshape{TargetShape: tensor.Shape{3, -1}} }, tensor.Shape{12}, nntest.GradOptions{}},
		{"activation_relu", func() nn.Layer { return &nn.Activation{Activation: activation.ReLU} }, tensor.Shape{7}, nntest.GradOptions{}},
		{"activation_softmax", func() nn.Layer { return &nn.Activation{Activation: activation.Softmax} }, tensor.Shape{2, 5}, nntest.GradOptions{}},
		{"activation_leaky", func() nn.Layer { return &nn.Activation{Activation: activation.LeakyReLU} }, tensor.Shape{9}, nntest.GradOptions{}},
		{"dropout_inference", func() nn.Layer { return &nn.Dropout{Rate: 0.5} }, tensor.Shape{10}, nntest.GradOptions{}},
		{"batchnorm_training", func() nn.Layer { return &nn.BatchNormalization{} }, tensor.Shape{2, 2, 3}, nntest.GradOptions{Batch: 3, Training: true, Step: 1e-2, Tol: 2e-2}},
		{"batchnorm_inference", func() nn.Layer { return &nn.BatchNormalization{} }, tensor.Shape{4}, nntest.GradOptions{Batch: 3}},
		{"batchnorm_noscale", func() nn.Layer { return &nn.BatchNormalization{NoScale: true} }, tensor.Shape{2, 2, 3}, nntest.GradOptions{Batch: 3, Training: true, Step: 1e-2, Tol: 2e-2}},
		{"batchnorm_nocenter", func() nn.Layer { return &nn.BatchNormalization{NoCenter: true} }, tensor.Shape{2, 2, 3}, nntest.GradOptions{Batch: 3, Training: true, Step: 1e-2, Tol: 2e-2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer(), tt.in, tt.opt)
		})
	}
}

func TestDropoutTrainingGradient(t *testing.T) {
	d := &nn.Dropout{Rate: 0.4}
	opt := nntest.GradOptions{Training: true, BeforeForward: func() { d.Reseed(1, 2) }}
	nntest.CheckGradients(t, d, tensor.Shape{50}, opt)
}

func TestDropoutSemantics(t *testing.T) {
	d := &nn.Dropout{Rate: 0.25}
	if err := d.Build(tensor.Shape{10000}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 10000)
	x.Fill(1)
	y := d.Forward(x, true)
	zeros := 0
	var sum float64
	for _, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case float32(1 / 0.75):
		default:
			t.Fatalf("kept value %v, want 1/(1-0.25)", v)
		}
		sum += float64(v)
	}
	if zeros < 2300 || zeros > 2700 {
		t.Errorf("dropped %d of 10000 at rate 0.25", zeros)
	}
	if math.Abs(sum/10000-1) > 0.03 {
		t.Errorf("mean after dropout = %v, want about 1 (inverted dropout)", sum/10000)
	}
	if y := d.Forward(x, false); &y.Data[0] != &x.Data[0] {
		t.Error("inference-mode dropout must pass its input through")
	}
	for _, rate := range []float64{-0.1, 1, 1.5} {
		err := (&nn.Dropout{Rate: rate}).Build(tensor.Shape{3}, rand.New(rand.NewPCG(1, 1)))
		if err == nil || !strings.Contains(err.Error(), "[0, 1)") {
			t.Errorf("rate %v: err = %v, want one naming [0, 1)", rate, err)
		}
	}
}

// naiveConv is the textbook convolution with TensorFlow's padding.
func naiveConv(x *tensor.Tensor, k *tensor.Tensor, bias []float32, sh, sw int, same bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	kh, kw, f := k.Shape[0], k.Shape[1], k.Shape[3]
	var oh, ow, pt, pl int
	if same {
		oh, ow = (h+sh-1)/sh, (w+sw-1)/sw
		pt = max(0, (oh-1)*sh+kh-h) / 2
		pl = max(0, (ow-1)*sw+kw-w) / 2
	} else {
		oh, ow = (h-kh)/sh+1, (w-kw)/sw+1
	}
	y := tensor.New(n, oh, ow, f)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for o := 0; o < f; o++ {
					s := float64(bias[o])
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := oy*sh-pt+ky, ox*sw-pl+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ch := 0; ch < c; ch++ {
								s += float64(x.At(b, iy, ix, ch)) * float64(k.At(ky, kx, ch, o))
							}
						}
					}
					y.Set(float32(s), b, oy, ox, o)
				}
			}
		}
	}
	return y
}

func naivePool(x *tensor.Tensor, ph, pw, sh, sw int, same, isMax bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	var oh, ow, pt, pl int
	if same {
		oh, ow = (h+sh-1)/sh, (w+sw-1)/sw
		pt = max(0, (oh-1)*sh+ph-h) / 2
		pl = max(0, (ow-1)*sw+pw-w) / 2
	} else {
		oh, ow = (h-ph)/sh+1, (w-pw)/sw+1
	}
	y := tensor.New(n, oh, ow, c)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for ch := 0; ch < c; ch++ {
					best, sum, cnt := math.Inf(-1), 0.0, 0
					for ky := 0; ky < ph; ky++ {
						for kx := 0; kx < pw; kx++ {
							iy, ix := oy*sh-pt+ky, ox*sw-pl+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							v := float64(x.At(b, iy, ix, ch))
							best = math.Max(best, v)
							sum += v
							cnt++
						}
					}
					if isMax {
						y.Set(float32(best), b, oy, ox, ch)
					} else {
						y.Set(float32(sum/float64(cnt)), b, oy, ox, ch)
					}
				}
			}
		}
	}
	return y
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

func closeTo(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	for i := range got.Data {
		if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > tol*(1+math.Abs(float64(want.Data[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got.Data[i], want.Data[i])
		}
	}
}

func TestConvAndPoolMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	for trial := 0; trial < 60; trial++ {
		n := 1 + r.IntN(4)
		h, w, c := 1+r.IntN(9), 1+r.IntN(9), 1+r.IntN(4)
		kh, kw := 1+r.IntN(4), 1+r.IntN(4)
		sh, sw := 1+r.IntN(3), 1+r.IntN(3)
		same := r.IntN(2) == 0
		pad := nn.Valid
		if same {
			pad = nn.Same
		}
		if !same && (kh > h || kw > w) {
			continue
		}
		x := randTensor(r, n, h, w, c)
		conv := &nn.Conv2D{Filters: 1 + r.IntN(5), KernelSize: [2]int{kh, kw}, Strides: [2]int{sh, sw}, Padding: pad}
		if err := conv.Build(tensor.Shape{h, w, c}, rand.New(rand.NewPCG(uint64(trial), 1))); err != nil {
			t.Fatal(err)
		}
		ps := conv.Params()
		for i := range ps[1].Value.Data {
			ps[1].Value.Data[i] = float32(r.NormFloat64())
		}
		want := naiveConv(x, ps[0].Value, ps[1].Value.Data, sh, sw, same)
		closeTo(t, "conv", conv.Forward(x, false), want, 1e-5)

		for _, isMax := range []bool{true, false} {
			var l nn.Layer = &nn.MaxPooling2D{PoolSize: [2]int{kh, kw}, Strides: [2]int{sh, sw}, Padding: pad}
			if !isMax {
				l = &nn.AveragePooling2D{PoolSize: [2]int{kh, kw}, Strides: [2]int{sh, sw}, Padding: pad}
			}
			if err := l.Build(tensor.Shape{h, w, c}, nil); err != nil {
				t.Fatal(err)
			}
			closeTo(t, l.Class(), l.Forward(x, false), naivePool(x, kh, kw, sh, sw, same, isMax), 1e-6)
		}
	}
}

func TestBatchNormSemantics(t *testing.T) {
	b := &nn.BatchNormalization{}
	if err := b.Build(tensor.Shape{2}, nil); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice([]float32{1, 10, 3, 20, 5, 30}, 3, 2)
	y := b.Forward(x, true)
	// Column 0: mean 3, biased var 8/3; y = (x-3)/sqrt(8/3+1e-3).
	want0 := float32(-2 / math.Sqrt(8.0/3+1e-3))
	if math.Abs(float64(y.Data[0]-want0)) > 1e-6 {
		t.Errorf("normalised y[0] = %v, want %v", y.Data[0], want0)
	}
	ps := b.Params()
	mm, mv := ps[2].Value.Data, ps[3].Value.Data
	if math.Abs(float64(mm[0])-0.03) > 1e-6 || math.Abs(float64(mv[0])-(0.99+0.01*8.0/3)) > 1e-6 {
		t.Errorf("moving mean/var = %v/%v, want 0.03/%v (momentum 0.99)", mm[0], mv[0], 0.99+0.01*8.0/3)
	}
	yi := b.Forward(x, false)
	wantI := float32((1 - 0.03) / math.Sqrt(float64(mv[0])+1e-3))
	if math.Abs(float64(yi.Data[0]-wantI)) > 1e-5 {
		t.Errorf("inference y[0] = %v, want %v (moving statistics)", yi.Data[0], wantI)
	}
	if ps[2].Trainable() || ps[3].Trainable() || !ps[0].Trainable() {
		t.Error("gamma/beta must be trainable, moving statistics not")
	}
	// scale=False: no gamma weight, and the output is (x-mean)*invStd+beta.
	ns := &nn.BatchNormalization{NoScale: true}
	if err := ns.Build(tensor.Shape{2}, nil); err != nil {
		t.Fatal(err)
	}
	names := ""
	for _, p := range ns.Params() {
		names += p.Name + " "
	}
	if names != "beta moving_mean moving_variance " {
		t.Errorf("scale=False weights: %q, want beta and the moving statistics", names)
	}
	ns.Params()[0].Value.Data[0] = 0.5
	if y := ns.Forward(x, true); math.Abs(float64(y.Data[0]-(want0+0.5))) > 1e-6 {
		t.Errorf("scale=False y[0] = %v, want %v", y.Data[0], want0+0.5)
	}
}

func build(t *testing.T, layers ...nn.Layer) *nn.Stack {
	t.Helper()
	s := &nn.Stack{}
	s.Add(layers...)
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNoteModelParamCounts(t *testing.T) {
	relu, softmax := activation.ReLU, activation.Softmax
	k := func(h, w int) [2]int { return [2]int{h, w} }
	tests := []struct {
		name                   string
		layers                 []nn.Layer
		total, train, nonTrain int
	}{
		{"digits 8x8x1", []nn.Layer{
			&nn.Conv2D{Filters: 10, KernelSize: k(3, 3), InputShape: tensor.Shape{8, 8, 1}},
			&nn.Conv2D{Filters: 7, KernelSize: k(2, 2), Activation: relu},
			&nn.Flatten{},
			&nn.Dense{Units: 32, Activation: relu},
			&nn.Dense{Units: 10, Activation: softmax},
		}, 6349, 6349, 0},
		{"fashion max-pooling", []nn.Layer{
			&nn.Conv2D{Filters: 32, KernelSize: k(4, 4), Activation: relu, InputShape: tensor.Shape{28, 28, 1}},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Conv2D{Filters: 64, KernelSize: k(3, 3), Activation: relu},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: 0.2},
			&nn.Flatten{},
			&nn.Dense{Units: 256, Activation: relu},
			&nn.Dense{Units: 128, Activation: relu},
			&nn.Dense{Units: 10, Activation: softmax},
		}, 463082, 463082, 0},
		{"cifar10 final", []nn.Layer{
			&nn.Conv2D{Filters: 64, KernelSize: k(3, 3), Padding: nn.Same, Activation: relu, InputShape: tensor.Shape{32, 32, 3}},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: 0.1},
			&nn.Conv2D{Filters: 128, KernelSize: k(3, 3), Padding: nn.Same, Activation: relu},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: 0.8},
			&nn.Flatten{},
			&nn.Dense{Units: 256, Activation: relu},
			&nn.Dense{Units: 128, Activation: relu},
			&nn.Dense{Units: 10, Activation: softmax},
		}, 2207242, 2207242, 0},
		{"batchnorm counts non-trainable", []nn.Layer{
			&nn.Dense{Units: 8, InputShape: tensor.Shape{4}},
			&nn.BatchNormalization{},
		}, 40 + 32, 40 + 16, 16},
	}
	for _, tt := range tests {
		s := build(t, tt.layers...)
		total, train, non := s.CountParams()
		if total != tt.total || train != tt.train || non != tt.nonTrain {
			t.Errorf("%s: params total/trainable/non-trainable = %d/%d/%d, want %d/%d/%d", tt.name, total, train, non, tt.total, tt.train, tt.nonTrain)
		}
	}
}

func TestKerasNames(t *testing.T) {
	s := build(t,
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{1, 1}, InputShape: tensor.Shape{4, 4, 1}},
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{1, 1}},
		&nn.MaxPooling2D{},
		&nn.GlobalAveragePooling2D{},
		&nn.BatchNormalization{},
		&nn.Dense{Units: 2, Name: "out"},
	)
	want := []string{"conv2d", "conv2d_1", "max_pooling2d", "global_average_pooling2d", "batch_normalization", "out"}
	for i, l := range s.Layers {
		if l.LayerName() != want[i] {
			t.Errorf("layer %d named %q, want %q", i, l.LayerName(), want[i])
		}
	}
}

func TestBadConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		layers []nn.Layer
		layer  string // the layer the error must name
		advice string // what the error must tell the user to do
	}{
		{"kernel larger than valid input", []nn.Layer{
			&nn.Conv2D{Filters: 2, KernelSize: [2]int{5, 5}, InputShape: tensor.Shape{4, 4, 1}},
		}, "conv2d", "padding=\"same\""},
		{"negative dropout", []nn.Layer{
			&nn.Dense{Units: 3, InputShape: tensor.Shape{4}},
			&nn.Dropout{Rate: -0.2},
		}, "dropout", "fraction of inputs to drop"},
		{"conv on flat input", []nn.Layer{
			&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, InputShape: tensor.Shape{64}},
		}, "conv2d", "add a channel axis"},
		{"zero units", []nn.Layer{&nn.Dense{InputShape: tensor.Shape{3}}}, "dense", "positive number of units"},
		{"bad reshape", []nn.Layer{&nn.Reshape{TargetShape: tensor.Shape{5}, InputShape: tensor.Shape{6}}}, "reshape", "sizes must match"},
	}
	for _, tt := range tests {
		s := &nn.Stack{}
		s.Add(tt.layers...)
		err := s.Build(nil, 1)
		var le *nn.LayerError
		if !errors.As(err, &le) {
			t.Errorf("%s: err = %v, want a *nn.LayerError", tt.name, err)
			continue
		}
		if le.Layer != tt.layer || !strings.Contains(err.Error(), tt.advice) {
			t.Errorf("%s: err = %q; want it to name layer %q and say %q", tt.name, err, tt.layer, tt.advice)
		}
	}
	s := &nn.Stack{}
	s.Add(&nn.Dense{Units: 2})
	if err := s.Build(nil, 1); err == nil || !strings.Contains(err.Error(), "give it on the first layer") {
		t.Errorf("missing input shape: err = %v", err)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	layers := []nn.Layer{
		&nn.Conv2D{Name: "c", Filters: 4, KernelSize: [2]int{3, 2}, Strides: [2]int{2, 1}, Padding: nn.Same, Activation: activation.ReLU, KernelInitializer: nn.HeNormal, InputShape: tensor.Shape{8, 8, 3}},
		&nn.MaxPooling2D{Name: "p", PoolSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: nn.Same},
		&nn.AveragePooling2D{Name: "a"},
		&nn.BatchNormalization{Name: "bn", Momentum: 0.9},
		&nn.BatchNormalization{Name: "bn2", Epsilon: 1e-5, NoScale: true},
		&nn.Dropout{Name: "d", Rate: 0.3},
		&nn.Flatten{Name: "f"},
		&nn.Reshape{Name: "r", TargetShape: tensor.Shape{-1}},
		&nn.Dense{Name: "o", Units: 5, Activation: activation.Softmax, NoBias: true},
		&nn.Activation{Name: "act", Activation: activation.GELU},
		&nn.GlobalMaxPooling2D{Name: "gm"},
		&nn.GlobalAveragePooling2D{Name: "ga"},
	}
	for _, l := range layers {
		cfg := l.Config()
		got, err := nn.FromConfig(l.Class(), cfg)
		if err != nil {
			t.Errorf("%s: FromConfig: %v", l.Class(), err)
			continue
		}
		// Through JSON, as a model file would carry it.
		raw, _ := json.Marshal(cfg)
		var decoded map[string]any
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		again, err := nn.FromConfig(l.Class(), decoded)
		if err != nil {
			t.Errorf("%s: FromConfig from JSON: %v", l.Class(), err)
			continue
		}
		want, _ := json.Marshal(cfg)
		for _, g := range []nn.Layer{got, again} {
			if b, _ := json.Marshal(g.Config()); string(b) != string(want) {
				t.Errorf("%s: config after round trip\n got %s\nwant %s", l.Class(), b, want)
			}
		}
	}
	if _, err := nn.FromConfig("LSTM", map[string]any{}); err == nil || !strings.Contains(err.Error(), "Conv2D") {
		t.Errorf("unknown class: err = %v, want a list of known classes", err)
	}
	if _, err := nn.FromConfig("Dense", map[string]any{"units": "ten"}); err == nil || !strings.Contains(err.Error(), "units") {
		t.Errorf("bad units: err = %v", err)
	}
}

func TestNormalization(t *testing.T) {
	n := &nn.Normalization{}
	if err := n.Build(tensor.Shape{2}, nil); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromSlice([]float32{1, 10, 3, 10, 5, 10}, 3, 2)
	if err := n.Adapt(x); err != nil {
		t.Fatal(err)
	}
	y := n.Forward(x, false)
	want := []float32{float32(-2 / math.Sqrt(8.0/3)), 0, 0, 0, float32(2 / math.Sqrt(8.0/3)), 0}
	for i := range want {
		if math.Abs(float64(y.Data[i]-want[i])) > 1e-5 {
			t.Errorf("normalised[%d] = %v, want %v (constant column must give 0, not NaN)", i, y.Data[i], want[i])
		}
	}
	nntest.CheckGradients(t, n, tensor.Shape{3}, nntest.GradOptions{})
	if _, _, non := build(t, &nn.Normalization{InputShape: tensor.Shape{13}}).CountParams(); non != 27 {
		t.Errorf("Normalization of 13 features has %d non-trainable weights, want 27 (mean, variance, count)", non)
	}
}
