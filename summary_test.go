package gokeras_test

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func summaryOf(t *testing.T, m *gokeras.Sequential) string {
	t.Helper()
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// diffSummary reports the first line where got and want differ.
func diffSummary(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("summary differs at line %d:\n got %q\nwant %q\nwhole summary:\n%s", i+1, gl, wl, got)
			return
		}
	}
}

func k2(a, b int) [2]int { return [2]int{a, b} }

// Keras's "Simple MNIST convnet" as the keras3 R package's vignette ran
// it on Keras 3 and kept the printed summary
// (github.com/rstudio/keras3, vignettes/examples/vision/mnist_convnet.Rmd,
// the "## " of knitr's output taken off).
func TestSummaryMatchesKerasMNISTConvnet(t *testing.T) {
	m := gokeras.NewSequential(
		gokeras.Input(28, 28, 1),
		&nn.Conv2D{Filters: 32, KernelSize: k2(3, 3), Activation: activation.ReLU},
		&nn.MaxPooling2D{PoolSize: k2(2, 2)},
		&nn.Conv2D{Filters: 64, KernelSize: k2(3, 3), Activation: activation.ReLU},
		&nn.MaxPooling2D{PoolSize: k2(2, 2)},
		&nn.Flatten{},
		&nn.Dropout{Rate: 0.5},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	want := `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 10)             │        16,010 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 34,826 (136.04 KB)
 Trainable params: 34,826 (136.04 KB)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// A Keras 3 Sequential CNN whose layers were numbered on from an earlier
// model (github.com/rahulodedra30/Melanoma_skin_cancer_detection,
// README.md, "Model Summary").
func TestSummaryMatchesKerasMelanomaCNN(t *testing.T) {
	m := gokeras.NewSequential(
		gokeras.Input(150, 150, 3),
		&nn.Conv2D{Name: "conv2d_3", Filters: 32, KernelSize: k2(3, 3), Activation: activation.ReLU},
		&nn.MaxPooling2D{Name: "max_pooling2d_3"},
		&nn.Conv2D{Name: "conv2d_4", Filters: 64, KernelSize: k2(3, 3), Activation: activation.ReLU},
		&nn.MaxPooling2D{Name: "max_pooling2d_4"},
		&nn.Conv2D{Name: "conv2d_5", Filters: 128, KernelSize: k2(3, 3), Activation: activation.ReLU},
		&nn.MaxPooling2D{Name: "max_pooling2d_5"},
		&nn.Flatten{Name: "flatten_1"},
		&nn.Dense{Name: "dense_2", Units: 128, Activation: activation.ReLU},
		&nn.Dense{Name: "dense_3", Units: 1, Activation: activation.Sigmoid},
	)
	m.Name = "sequential_1"
	want := `Model: "sequential_1"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d_3 (Conv2D)               │ (None, 148, 148, 32)   │           896 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_3 (MaxPooling2D)  │ (None, 74, 74, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_4 (Conv2D)               │ (None, 72, 72, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_4 (MaxPooling2D)  │ (None, 36, 36, 64)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_5 (Conv2D)               │ (None, 34, 34, 128)    │        73,856 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_5 (MaxPooling2D)  │ (None, 17, 17, 128)    │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten_1 (Flatten)             │ (None, 36992)          │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 128)            │     4,735,104 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_3 (Dense)                 │ (None, 1)              │           129 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 4,828,481 (18.42 MB)
 Trainable params: 4,828,481 (18.42 MB)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// A chest X-ray CNN run on Keras 3.11.3 with rich 14.1.0 and TensorFlow
// 2.20.0 (a console log kept in a public repository, found by code
// search): batch_normalization (BatchNormalization) does not fit the
// first column and wraps at the space, and the moving statistics are the
// non-trainable params.
func TestSummaryMatchesKerasBatchNormWrap(t *testing.T) {
	block := func(filters int) []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: filters, KernelSize: k2(3, 3), Activation: activation.ReLU},
			&nn.BatchNormalization{},
			&nn.MaxPooling2D{},
		}
	}
	ls := []nn.Layer{gokeras.Input(150, 150, 3)}
	for _, f := range []int{32, 64, 128, 128} {
		ls = append(ls, block(f)...)
	}
	ls = append(ls, &nn.Flatten{}, &nn.Dropout{Rate: 0.5},
		&nn.Dense{Units: 512, Activation: activation.ReLU}, &nn.Dropout{Rate: 0.5},
		&nn.Dense{Units: 1, Activation: activation.Sigmoid})
	m := gokeras.NewSequential(ls...)
	want := `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 148, 148, 32)   │           896 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 148, 148, 32)   │           128 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 74, 74, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 72, 72, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization_1           │ (None, 72, 72, 64)     │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 36, 36, 64)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_2 (Conv2D)               │ (None, 34, 34, 128)    │        73,856 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization_2           │ (None, 34, 34, 128)    │           512 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_2 (MaxPooling2D)  │ (None, 17, 17, 128)    │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_3 (Conv2D)               │ (None, 15, 15, 128)    │       147,584 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization_3           │ (None, 15, 15, 128)    │           512 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_3 (MaxPooling2D)  │ (None, 7, 7, 128)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 6272)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 6272)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 512)            │     3,211,776 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout_1 (Dropout)             │ (None, 512)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 1)              │           513 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 3,454,529 (13.18 MB)
 Trainable params: 3,453,825 (13.18 MB)
 Non-trainable params: 704 (2.75 KB)
`
	diffSummary(t, summaryOf(t, m), want)
}

// After training with Adam, Keras adds the optimizer's variables: the
// iteration counter, the learning rate and m and v for every trainable
// weight, 2*50,890+2 = 101,782, in 4*101,780+8+4 bytes. The expected
// text is a Keras 3 run's
// (github.com/amartilomena-netizen/mlp-simple, docs/report.md).
func TestSummaryMatchesKerasOptimizerParams(t *testing.T) {
	m := gokeras.NewSequential(
		&nn.Dense{Units: 64, Activation: activation.ReLU, InputShape: tensor.Shape{784}},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		t.Fatal(err)
	}
	before := summaryOf(t, m)
	if strings.Contains(before, "Optimizer params") {
		t.Errorf("an optimizer that has not stepped is listed, Keras builds it when training starts:\n%s", before)
	}
	x, y := tensor.New(8, 784), tensor.New(8)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	if _, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 1, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	want := `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │        50,240 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 152,672 (596.38 KB)
 Trainable params: 50,890 (198.79 KB)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 101,782 (397.59 KB)
`
	diffSummary(t, summaryOf(t, m), want)
}

// The note's CIFAR-10 model (preset cifar10-cnn). The counts are
// 3*3*3*64+64, 3*3*64*128+128, 8*8*128*256+256, 256*128+128 and
// 128*10+10; 2,207,242 float32 weights are 8,828,968 bytes, 8.42 MB. The
// layout is the one of the Keras outputs above.
func TestSummaryCIFAR10Preset(t *testing.T) {
	p, err := gokeras.LookupPreset("cifar10-cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	want := `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 32, 32, 64)     │         1,792 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 16, 16, 64)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 16, 16, 64)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 16, 16, 128)    │        73,856 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 8, 8, 128)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout_1 (Dropout)             │ (None, 8, 8, 128)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 8192)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 256)            │     2,097,408 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 128)            │        32,896 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 10)             │         1,290 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,207,242 (8.42 MB)
 Trainable params: 2,207,242 (8.42 MB)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// Frozen layers' weights move to the non-trainable line, and the
// optimizer then has state only for the others.
func TestSummaryFrozenLayers(t *testing.T) {
	first := &nn.Dense{Units: 4, InputShape: tensor.Shape{3}}
	m := gokeras.NewSequential(first, &nn.Dense{Units: 2})
	if err := nn.SetTrainable(first, false); err != nil {
		t.Fatal(err)
	}
	if err := m.CompileNamed("mse", "adam"); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(4, 3), tensor.New(4, 2)
	if _, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 1, BatchSize: 4, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	got := summaryOf(t, m)
	// 16 frozen, 10 trainable; Adam: 2*10 slots, the counter, the rate:
	// 80+8+4 bytes.
	for _, want := range []string{
		" Total params: 48 (196.00 B)\n",
		" Trainable params: 10 (40.00 B)\n",
		" Non-trainable params: 16 (64.00 B)\n",
		" Optimizer params: 22 (92.00 B)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

// What Keras's optimizer.variables holds, per optimizer and option: the
// counter (int64, 8 bytes), the learning rate unless a schedule drives it
// (4 bytes) and one float32 slot per weight per kind.
func TestSummaryOptimizerVariables(t *testing.T) {
	cases := []struct {
		name     string
		opt      optim.Optimizer
		schedule bool
		want     string
	}{
		{"sgd", &optim.SGD{}, false, " Optimizer params: 2 (12.00 B)\n"},
		{"sgd momentum", &optim.SGD{Momentum: 0.9}, false, " Optimizer params: 10 (44.00 B)\n"},
		{"adam", &optim.Adam{}, false, " Optimizer params: 18 (76.00 B)\n"},
		{"adam with schedule", &optim.Adam{}, true, " Optimizer params: 17 (72.00 B)\n"},
		{"adam ema", &optim.Adam{EMA: optim.EMA{Use: true}}, false, " Optimizer params: 26 (108.00 B)\n"},
		{"rmsprop", &optim.RMSprop{}, false, " Optimizer params: 10 (44.00 B)\n"},
		{"adagrad", &optim.Adagrad{}, false, " Optimizer params: 10 (44.00 B)\n"},
		// Its own counter and rate (12 B), Adam's counter, rate and m, v
		// of the kernel (60 B), SGD's counter and rate (12 B).
		{"multi", &optim.MultiOptimizer{Default: &optim.SGD{}, Routes: []optim.Route{{Key: "dense/kernel", Opt: &optim.Adam{}}}}, false, " Optimizer params: 18 (84.00 B)\n"},
	}
	for _, c := range cases {
		m := gokeras.NewSequential(&nn.Dense{Units: 2, InputShape: tensor.Shape{3}}) // 8 weights
		if err := m.Compile(loss.MSE{}, c.opt); err != nil {
			t.Fatal(err)
		}
		if c.schedule {
			c.opt.SetSchedule(optim.ExponentialDecay{InitialLearningRate: 0.01, DecaySteps: 10, DecayRate: 0.9})
		}
		x, y := tensor.New(4, 3), tensor.New(4, 2)
		if _, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 1, BatchSize: 4, Verbose: train.Silent}); err != nil {
			t.Fatal(err)
		}
		got := summaryOf(t, m)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: summary lacks %q:\n%s", c.name, c.want, got)
		}
	}
}

// A model that has no input shape yet is listed as Keras lists one that
// has not seen data.
func TestSummaryUnbuilt(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 64}, &nn.Dense{Units: 1})
	want := `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ ?                      │   0 (unbuilt) │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
	if m.Net().Built() {
		t.Error("Summary built a model that has no input shape")
	}
}

// Long cells against rich itself: the same rows laid out by rich's Table
// the way keras/src/utils/summary_utils.py sets it up. Skipped without
// /usr/bin/python3 and rich (Debian: python3-rich).
func TestSummaryWrapsAsRich(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import rich").Run() != nil {
		t.Skip("needs /usr/bin/python3 with rich")
	}
	names := []string{
		"global_average_pooling2d_12", "random_translation", "a_name_much_longer_than_the_first_column_allows",
		"two words", "x", "layer with several short words that wrap twice", "ünïcödé_nämé",
		"exactly_thirty_one_characters_", "name-with-dashes-but-no-spaces-at-all",
	}
	var layers []nn.Layer
	layers = append(layers, gokeras.Input(4, 4, 2))
	for i, n := range names {
		if i%2 == 0 {
			layers = append(layers, &nn.Conv2D{Name: n, Filters: 1 + i, KernelSize: k2(1, 1), Padding: nn.Same})
		} else {
			layers = append(layers, &nn.BatchNormalization{Name: n})
		}
	}
	layers = append(layers, &nn.GlobalAveragePooling2D{}, &nn.Dense{Units: 3})
	m := gokeras.NewSequential(layers...)
	m.Name = "a model"
	got := summaryOf(t, m)

	// The rows as Keras passes them to rich, read back from our table's
	// inputs rather than its output.
	type row [3]string
	var rows []row
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	for i, l := range m.Layers() {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Shape.Size()
		}
		shape := "(None"
		for _, d := range m.Net().LayerOutputShape(i) {
			shape += ", " + strconv.Itoa(d)
		}
		rows = append(rows, row{l.LayerName() + " (" + l.Class() + ")", shape + ")", commasOf(n)})
	}
	// Extra rows with cells no layer makes: a long shape, a wide count.
	extra := []row{
		{"x (Y)", "(None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)", "123,456,789,012"},
		{"", "", ""},
	}
	in, _ := json.Marshal(map[string]any{"name": m.Name, "rows": rows})
	out, err := exec.Command("/usr/bin/python3", "-c", richSummaryScript, string(in)).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	want := string(out)
	// Our footer, not rich's business: compare the table part.
	if cut := strings.Index(got, " Total params"); cut >= 0 {
		got = got[:cut]
	}
	diffSummary(t, got, want)

	// The extra cells through the same table code.
	in, _ = json.Marshal(map[string]any{"name": "x", "rows": extra})
	out, err = exec.Command("/usr/bin/python3", "-c", richSummaryScript, string(in)).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var cells [][3]string
	for _, r := range extra {
		cells = append(cells, r)
	}
	diffSummary(t, gokeras.SummaryTableForTest("x", cells), string(out))
}

// richSummaryScript renders {"name", "rows"} as Keras 3's print_summary
// does for a Sequential written to a non-terminal: line length 76
// (min(88, 80-4)), columns at 0.45, 0.80 and 1.0 of it, left, left and
// right aligned, a rule between rows, no colour.
const richSummaryScript = `
import json, sys
import rich.console, rich.markup, rich.table
spec = json.loads(sys.argv[1])
length, edges, cols = 76, [0.45, 0.80, 1.0], []
done = 0
for title, edge, side in zip(["Layer (type)", "Output Shape", "Param #"], edges, ["left", "left", "right"]):
    width = int(edge * length) - done
    done += width
    cols.append(rich.table.Column(title, justify=side, width=width))
table = rich.table.Table(*cols, width=length, show_lines=True)
for r in spec["rows"]:
    table.add_row(*[rich.markup.escape(c) for c in r])
console = rich.console.Console(highlight=False, force_terminal=False, color_system=None)
console.begin_capture()
console.print('Model: "' + rich.markup.escape(spec["name"]) + '"')
console.print(table)
sys.stdout.write(console.end_capture())
`

// commasOf is Python's f"{n:,}".
func commasOf(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// A trained model keeps its optimizer state through Save and Load, and
// with it the Optimizer params line, as a Keras model loaded from a
// .keras file does.
func TestSummaryAfterLoad(t *testing.T) {
	m := gokeras.NewSequential(&nn.Dense{Units: 2, InputShape: tensor.Shape{3}})
	if err := m.CompileNamed("mse", "adam"); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(4, 3), tensor.New(4, 2)
	if _, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 1, BatchSize: 4, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/m.safetensors"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	before, after := summaryOf(t, m), summaryOf(t, loaded)
	if !strings.Contains(before, " Optimizer params: 18 (76.00 B)\n") {
		t.Errorf("trained summary lacks the optimizer line:\n%s", before)
	}
	diffSummary(t, after, before)
}
