package gokeras

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// A Preset is one of the note's programs: its model, compile() and fit()
// settings, and the data set it trains on.
type Preset struct {
	Name        string
	Description string
	Dataset     string
	Compile     CompileConfig
	Fit         FitConfig
	layers      func() []nn.Layer                         // a Sequential model's layers
	graph       func() (in, out nn.Symbolic, name string) // or a Functional model's
}

// Model builds a fresh, compiled model for the preset.
func (p *Preset) Model() (*Sequential, error) {
	var m *Model
	if p.graph != nil {
		in, out, name := p.graph()
		var err error
		if m, err = NewModel([]nn.Symbolic{in}, []nn.Symbolic{out}); err != nil {
			return nil, fmt.Errorf("gokeras: preset %s: %w", p.Name, err)
		}
		m.Name = name
	} else {
		m = NewSequential(p.layers()...)
	}
	if err := p.Compile.apply(m, false); err != nil {
		return nil, fmt.Errorf("gokeras: preset %s: %w", p.Name, err)
	}
	return m, nil
}

func k(h, w int) [2]int { return [2]int{h, w} }

var (
	relu    = activation.ReLU
	softmax = activation.Softmax
	adamSCE = CompileConfig{Loss: "sparse_categorical_crossentropy", Optimizer: "adam", Metrics: []string{"accuracy"}}
)

// cifarCNN is the note's CIFAR model with its two tuned dropout rates.
func cifarCNN(d1, d2 float64, classes int) func() []nn.Layer {
	return func() []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: 64, KernelSize: k(3, 3), Padding: nn.Same, Activation: relu, InputShape: tensor.Shape{32, 32, 3}},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: d1},
			&nn.Conv2D{Filters: 128, KernelSize: k(3, 3), Padding: nn.Same, Activation: relu},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: d2},
			&nn.Flatten{},
			&nn.Dense{Units: 256, Activation: relu},
			&nn.Dense{Units: 128, Activation: relu},
			&nn.Dense{Units: classes, Activation: softmax},
		}
	}
}

// cifarFast is the cifar10-fast preset: a VGG-style net in the spirit of
// Keller Jordan's airbench (github.com/KellerJordan/cifar10-airbench) and
// David Page's DAWNBench ResNet ("How to train your ResNet", 2018), scaled
// to a 2-core CPU: flip and 4-pixel shift augmentation, airbench's
// whitening stem, then three blocks of conv → max-pool → batch norm → ReLU
// → conv → batch norm → ReLU with airbench's widths 64, 256, 256, and a
// global max-pool. It trains with SGD (Nesterov momentum, decoupled weight
// decay), a one-cycle learning rate and label smoothing 0.2. airbench's
// dirac initialisation and fast batch-norm shifts did not carry over
// (BENCHMARKS.md, session 4), so the convolutions keep Keras's
// glorot_uniform and every variable the one learning rate.
func cifarFast() []nn.Layer {
	cbr := func(filters int, pool bool) []nn.Layer {
		ls := []nn.Layer{&nn.Conv2D{Filters: filters, KernelSize: k(3, 3), Padding: nn.Same, NoBias: true}}
		if pool {
			ls = append(ls, &nn.MaxPooling2D{PoolSize: k(2, 2)})
		}
		// Momentum 0.9: the moving statistics must settle within a short run.
		return append(ls, &nn.BatchNormalization{Momentum: 0.9}, &nn.Activation{Activation: relu})
	}
	ls := []nn.Layer{
		&nn.InputLayer{Shape: tensor.Shape{32, 32, 3}},
		&nn.RandomFlip{Mode: nn.FlipHorizontal},
		// Shifts of up to 4 pixels: with 2, 16 epochs were no better than
		// 13 (0.8926 against 0.8936, the net fitting the training images);
		// with 4, 21 epochs reached 0.9020 (BENCHMARKS.md, run 9).
		&nn.RandomCrop{Padding: 4},
		// airbench's stem: 2x2 patches whitened into 24 channels (both
		// signs, each kept by the ReLU); "same" keeps 32x32, so the pools
		// halve even sizes and Winograd tiles have no waste. On 4-epoch
		// runs it gave 0.8275 against 0.8238 for a 3x3, 32-filter conv stem
		// and trained 12% faster (BENCHMARKS.md).
		&nn.PatchWhitening{Padding: nn.Same},
		&nn.Activation{Activation: relu},
	}
	for _, w := range []int{64, 256, 256} {
		ls = append(ls, cbr(w, true)...)
		ls = append(ls, cbr(w, false)...)
	}
	return append(ls, &nn.GlobalMaxPooling2D{}, &nn.Dense{Units: 10, Activation: softmax})
}

// fashionPooled is the note's max-pooling model (maxpooling section, and
// tf01_cnn_mnist with Dense(256) left without an activation when linear256).
func fashionPooled(linear256 bool) func() []nn.Layer {
	return func() []nn.Layer {
		act := relu
		if linear256 {
			act = activation.Linear
		}
		return []nn.Layer{
			&nn.Conv2D{Filters: 32, KernelSize: k(4, 4), Activation: relu, InputShape: tensor.Shape{28, 28, 1}},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Conv2D{Filters: 64, KernelSize: k(3, 3), Activation: relu},
			&nn.MaxPooling2D{PoolSize: k(2, 2)},
			&nn.Dropout{Rate: 0.2},
			&nn.Flatten{},
			&nn.Dense{Units: 256, Activation: act},
			&nn.Dense{Units: 128, Activation: relu},
			&nn.Dense{Units: 10, Activation: softmax},
		}
	}
}

// resnet20 is Keras's own CIFAR-10 ResNet, ResNet20 v1
// (keras-team/keras, examples/cifar10_resnet.py, resnet_v1 with n = 3):
// a 3x3 Conv2D-BN-ReLU stem, then 3 stages of 3 basic blocks (16, 32, 64
// filters; Conv2D-BN-ReLU, Conv2D-BN, added to the shortcut, ReLU), the
// first block of stages 2 and 3 downsampling with strides 2 and a 1x1
// Conv2D shortcut without BN; AveragePooling2D(8), Flatten, Dense(10,
// softmax). Every Conv2D has he_normal weights and an L2(1e-4) kernel
// regularizer. The example's ImageDataGenerator (shifts of up to 10% with
// nearest fill, horizontal flips) is RandomFlip and RandomTranslation in
// front, as Keras 3's tutorials write it; they have no weights.
func resnet20() (nn.Symbolic, nn.Symbolic, string) {
	conv := func(x nn.Symbolic, filters, size, stride int, act, bn bool) nn.Symbolic {
		x = nn.Call(&nn.Conv2D{Filters: filters, KernelSize: k(size, size), Strides: k(stride, stride), Padding: nn.Same,
			KernelInitializer: nn.HeNormal, KernelRegularizer: &regularizer.L2{L2: 1e-4}}, x)
		if bn {
			x = nn.Call(&nn.BatchNormalization{}, x)
		}
		if act {
			x = nn.Call(&nn.Activation{Activation: relu}, x)
		}
		return x
	}
	in := Input(32, 32, 3)
	var x nn.Symbolic = nn.Call(&nn.RandomFlip{Mode: nn.FlipHorizontal}, in)
	x = nn.Call(&nn.RandomTranslation{HeightFactor: [2]float64{-0.1, 0.1}, WidthFactor: [2]float64{-0.1, 0.1}, FillMode: nn.FillNearest}, x)
	x = conv(x, 16, 3, 1, true, true)
	filters := 16
	for stage := range 3 {
		for block := range 3 {
			stride := 1
			if stage > 0 && block == 0 {
				stride = 2
			}
			y := conv(x, filters, 3, stride, true, true)
			y = conv(y, filters, 3, 1, false, true)
			if stride == 2 {
				x = conv(x, filters, 1, stride, false, false)
			}
			x = nn.Call(&nn.Activation{Activation: relu}, nn.Merge(&nn.Add{}, x, y))
		}
		filters *= 2
	}
	x = nn.Call(&nn.AveragePooling2D{PoolSize: k(8, 8)}, x)
	x = nn.Call(&nn.Flatten{}, x)
	out := nn.Call(&nn.Dense{Units: 10, Activation: softmax, KernelInitializer: nn.HeNormal}, x)
	return in, out, "resnet20v1"
}

var presets = map[string]*Preset{
	"resnet20": {
		Description: "Keras's CIFAR-10 ResNet20 v1 (examples/cifar10_resnet.py): a Functional model with 9 residual blocks, 274,442 params",
		Dataset:     "cifar10",
		// The example: Adam at 1e-3, divided by 10 after epochs 80, 120
		// and 160 and by 2000 after 180 (lr_schedule), batch 32, 200
		// epochs. As steps of 50,000/32 = 1,563 per epoch.
		Compile: CompileConfig{
			Loss: "sparse_categorical_crossentropy",
			Optimizer: map[string]any{"class_name": "Adam", "config": map[string]any{
				"learning_rate": map[string]any{"class_name": "PiecewiseConstantDecay", "config": map[string]any{
					"boundaries": []any{81 * 1563, 121 * 1563, 161 * 1563, 181 * 1563},
					"values":     []any{1e-3, 1e-4, 1e-5, 1e-6, 5e-7}}}}},
			Metrics: []string{"accuracy"},
		},
		Fit:   FitConfig{Epochs: 200, BatchSize: 32},
		graph: resnet20,
	},
	"digits-cnn": {
		Description: "the note's first CNN on 8x8x1 digit images",
		Dataset:     "digits",
		Compile:     adamSCE,
		// The note gives no fit() for this model; 30 epochs of 32 reach
		// about 0.97 on the embedded digits in a few seconds.
		Fit: FitConfig{Epochs: 30, BatchSize: 32},
		layers: func() []nn.Layer {
			return []nn.Layer{
				&nn.Conv2D{Filters: 10, KernelSize: k(3, 3), InputShape: tensor.Shape{8, 8, 1}},
				&nn.Conv2D{Filters: 7, KernelSize: k(2, 2), Activation: relu},
				&nn.Flatten{},
				&nn.Dense{Units: 32, Activation: relu},
				&nn.Dense{Units: 10, Activation: softmax},
			}
		},
	},
	"mnist-cnn": {
		Description: "the note's second model (tf01_cnn_mnist): Dense(256) has no activation, as written",
		Dataset:     "mnist",
		Compile:     adamSCE,
		Fit:         FitConfig{Epochs: 1, BatchSize: 32},
		layers:      fashionPooled(true),
	},
	"fashion-conv": {
		Description: "cnn_fashionMnist: two convolutions, no pooling",
		Dataset:     "fashion_mnist",
		Compile:     adamSCE,
		Fit:         FitConfig{Epochs: 10, BatchSize: 256},
		layers: func() []nn.Layer {
			return []nn.Layer{
				&nn.Conv2D{Filters: 32, KernelSize: k(3, 3), InputShape: tensor.Shape{28, 28, 1}},
				&nn.Conv2D{Filters: 64, KernelSize: k(3, 3), Activation: relu},
				&nn.Flatten{},
				&nn.Dense{Units: 256, Activation: relu},
				&nn.Dense{Units: 128, Activation: relu},
				&nn.Dense{Units: 10, Activation: softmax},
			}
		},
	},
	"fashion-cnn": {
		Description: "the note's max-pooling + dropout Fashion-MNIST model",
		Dataset:     "fashion_mnist",
		Compile:     adamSCE,
		Fit:         FitConfig{Epochs: 10, BatchSize: 256},
		layers:      fashionPooled(false),
	},
	"cifar10-cnn": {
		Description: "the note's final tuned CIFAR-10 model (dropout 0.1/0.8, 50 epochs, batch 128; 0.7837 in the note)",
		Dataset:     "cifar10",
		Compile:     adamSCE,
		Fit:         FitConfig{Epochs: 50, BatchSize: 128},
		layers:      cifarCNN(0.1, 0.8, 10),
	},
	"cifar10-fast": {
		Description: "beyond the note: VGG-style CIFAR-10 net with a whitening stem, batch norm, flip/shift augmentation, one-cycle SGD and label smoothing (BENCHMARKS.md)",
		Dataset:     "cifar10",
		Compile: CompileConfig{
			Loss: map[string]any{"class_name": "SparseCategoricalCrossentropy", "config": map[string]any{"label_smoothing": 0.2}},
			Optimizer: map[string]any{"class_name": "SGD", "config": map[string]any{
				// Decay 1e-2: 0.8936 against 0.8882 with 5e-3 (13 epochs,
				// BENCHMARKS.md); the net overfits the JPEG copy.
				"momentum": 0.9, "nesterov": true, "weight_decay": 1e-2,
				// No lr_multipliers: airbench's 64x rate for batch-norm
				// shifts won 0.6 points at 4 epochs but lost 1.5 at 13
				// (0.8783 against 0.8936; BENCHMARKS.md).
				// Peak 0.2 a quarter of the way in; without total_steps
				// the cycle is the whole run, so --epochs rescales it.
				"learning_rate": map[string]any{"class_name": "OneCycle", "config": map[string]any{
					"max_lr": 0.2, "pct_start": 0.25}},
			}},
			Metrics: []string{"accuracy"},
		},
		// 21 epochs fit in the 30 minutes since Winograd F(4x4) (session 5).
		Fit:    FitConfig{Epochs: 21, BatchSize: 256},
		layers: cifarFast,
	},
	"cifar100-cnn": {
		Description: "the note's CIFAR-100 model (dropout 0.25/0.2, 10 epochs, batch 256)",
		Dataset:     "cifar100",
		Compile:     adamSCE,
		Fit:         FitConfig{Epochs: 10, BatchSize: 256},
		layers:      cifarCNN(0.25, 0.2, 100),
	},
	"boston-mlp": {
		Description: "Boston housing regression MLP (Chollet, Deep Learning with Python, 3.6): inputs standardised with training statistics",
		Dataset:     "boston_housing",
		// Chollet compiles it with rmsprop, mse and mae; batch 16.
		Compile: CompileConfig{Loss: "mse", Optimizer: "rmsprop", Metrics: []string{"mae"}},
		Fit:     FitConfig{Epochs: 100, BatchSize: 16},
		layers: func() []nn.Layer {
			return []nn.Layer{
				&nn.Normalization{InputShape: tensor.Shape{13}},
				&nn.Dense{Units: 64, Activation: relu},
				&nn.Dense{Units: 64, Activation: relu},
				&nn.Dense{Units: 1},
			}
		},
	},
}

func init() {
	for name, p := range presets {
		p.Name = name
	}
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the named preset, or an error listing them all.
func LookupPreset(name string) (*Preset, error) {
	p, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("gokeras: unknown preset %q; choose one of %s", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}
