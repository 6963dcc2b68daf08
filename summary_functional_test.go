package gokeras_test

import (
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
)

func functional(t *testing.T, name string, in *nn.InputLayer, out nn.Symbolic) *gokeras.Model {
	t.Helper()
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	m.Name = name
	return m
}

// The "toy ResNet" of keras.io's Functional API guide
// (keras-team/keras-io, guides/functional_api.py, "A toy ResNet model"),
// as Keras 3 printed its summary in the guide's rendered output (checked
// 2024-11-18; a mirror of the page is stored in the reference library).
// The layer names carry Keras's counters from the guide's earlier models.
func TestSummaryMatchesKerasToyResNet(t *testing.T) {
	conv := func(name string, filters int, same bool, x nn.Symbolic) *nn.Node {
		c := &nn.Conv2D{Name: name, Filters: filters, KernelSize: k2(3, 3), Activation: activation.ReLU}
		if same {
			c.Padding = nn.Same
		}
		return nn.Call(c, x)
	}
	in := &nn.InputLayer{Name: "img", Shape: []int{32, 32, 3}}
	x := conv("conv2d_8", 32, false, in)
	x = conv("conv2d_9", 64, false, x)
	block1 := nn.Call(&nn.MaxPooling2D{Name: "max_pooling2d_2", PoolSize: k2(3, 3)}, x)
	x = conv("conv2d_10", 64, true, block1)
	x = conv("conv2d_11", 64, true, x)
	block2 := nn.Merge(&nn.Add{}, x, block1)
	x = conv("conv2d_12", 64, true, block2)
	x = conv("conv2d_13", 64, true, x)
	block3 := nn.Merge(&nn.Add{}, x, block2)
	x = conv("conv2d_14", 64, false, block3)
	x = nn.Call(&nn.GlobalAveragePooling2D{}, x)
	x = nn.Call(&nn.Dense{Name: "dense_6", Units: 256, Activation: activation.ReLU}, x)
	x = nn.Call(&nn.Dropout{Rate: 0.5}, x)
	out := nn.Call(&nn.Dense{Name: "dense_7", Units: 10}, x)
	m := functional(t, "toy_resnet", in, out)
	want := `Model: "toy_resnet"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ img (InputLayer)    │ (None, 32, 32, 3) │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_8 (Conv2D)   │ (None, 30, 30,    │        896 │ img[0][0]         │
│                     │ 32)               │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_9 (Conv2D)   │ (None, 28, 28,    │     18,496 │ conv2d_8[0][0]    │
│                     │ 64)               │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ max_pooling2d_2     │ (None, 9, 9, 64)  │          0 │ conv2d_9[0][0]    │
│ (MaxPooling2D)      │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_10 (Conv2D)  │ (None, 9, 9, 64)  │     36,928 │ max_pooling2d_2[… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_11 (Conv2D)  │ (None, 9, 9, 64)  │     36,928 │ conv2d_10[0][0]   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add (Add)           │ (None, 9, 9, 64)  │          0 │ conv2d_11[0][0],  │
│                     │                   │            │ max_pooling2d_2[… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_12 (Conv2D)  │ (None, 9, 9, 64)  │     36,928 │ add[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_13 (Conv2D)  │ (None, 9, 9, 64)  │     36,928 │ conv2d_12[0][0]   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ add_1 (Add)         │ (None, 9, 9, 64)  │          0 │ conv2d_13[0][0],  │
│                     │                   │            │ add[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ conv2d_14 (Conv2D)  │ (None, 7, 7, 64)  │     36,928 │ add_1[0][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ global_average_poo… │ (None, 64)        │          0 │ conv2d_14[0][0]   │
│ (GlobalAveragePool… │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_6 (Dense)     │ (None, 256)       │     16,640 │ global_average_p… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dropout (Dropout)   │ (None, 256)       │          0 │ dense_6[0][0]     │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_7 (Dense)     │ (None, 10)        │      2,570 │ dropout[0][0]     │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 223,242 (872.04 KB)
 Trainable params: 223,242 (872.04 KB)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// A Functional model whose graph is a chain gets Sequential's three
// columns, with its InputLayer listed: the "encoder" of the same keras.io
// guide ("Use the same graph of layers to define multiple models"), as
// Keras 3 printed it there.
func TestSummaryMatchesKerasFunctionalChain(t *testing.T) {
	relu := activation.ReLU
	in := &nn.InputLayer{Name: "img", Shape: []int{28, 28, 1}}
	x := nn.Call(&nn.Conv2D{Filters: 16, KernelSize: k2(3, 3), Activation: relu}, in)
	x = nn.Call(&nn.Conv2D{Filters: 32, KernelSize: k2(3, 3), Activation: relu}, x)
	x = nn.Call(&nn.MaxPooling2D{PoolSize: k2(3, 3)}, x)
	x = nn.Call(&nn.Conv2D{Filters: 32, KernelSize: k2(3, 3), Activation: relu}, x)
	x = nn.Call(&nn.Conv2D{Filters: 16, KernelSize: k2(3, 3), Activation: relu}, x)
	out := nn.Call(&nn.GlobalMaxPooling2D{}, x)
	m := functional(t, "encoder", in, out)
	want := `Model: "encoder"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ img (InputLayer)                │ (None, 28, 28, 1)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d (Conv2D)                 │ (None, 26, 26, 16)     │           160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 24, 24, 32)     │         4,640 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 8, 8, 32)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_2 (Conv2D)               │ (None, 6, 6, 32)       │         9,248 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_3 (Conv2D)               │ (None, 4, 4, 16)       │         4,624 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ global_max_pooling2d            │ (None, 16)             │             0 │
│ (GlobalMaxPooling2D)            │                        │               │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 18,672 (72.94 KB)
 Trainable params: 18,672 (72.94 KB)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// A layer called twice has one row, as Keras lists each layer once: its
// output shape is its last call's and "Connected to" lists the inputs of
// both calls, the second call's input being the first call's output
// (shared[0][0]). The graph is a chain, but a shared layer makes it
// "not sequential-like" (print_summary), so it gets four columns. An
// unnamed Input is named as Keras 3 names it.
func TestSummaryFunctionalSharedLayer(t *testing.T) {
	in := gokeras.Input(4)
	shared := &nn.Dense{Name: "shared", Units: 4}
	out := nn.Call(shared, nn.Call(shared, in))
	m := functional(t, "functional", in, out)
	want := `Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 4)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ shared (Dense)      │ (None, 4)         │         20 │ input_layer[0][0… │
│                     │                   │            │ shared[0][0]      │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 20 (80.00 B)
 Trainable params: 20 (80.00 B)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}

// Layers at the same depth are listed in the order a depth-first walk
// from the output first reaches them (keras/src/ops/function.py
// _build_map): Add's first input, then its second, whichever was made
// first.
func TestSummaryFunctionalBranchOrder(t *testing.T) {
	in := &nn.InputLayer{Name: "x", Shape: []int{3}}
	left := nn.Call(&nn.Dense{Name: "left", Units: 2}, in)
	right := nn.Call(&nn.Dense{Name: "right", Units: 2}, in)
	out := nn.Merge(&nn.Add{Name: "sum"}, right, left)
	m := functional(t, "functional", in, out)
	want := `Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)      │ (None, 3)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ right (Dense)       │ (None, 2)         │          8 │ x[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ left (Dense)        │ (None, 2)         │          8 │ x[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ sum (Add)           │ (None, 2)         │          0 │ right[0][0],      │
│                     │                   │            │ left[0][0]        │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 16 (64.00 B)
 Trainable params: 16 (64.00 B)
 Non-trainable params: 0 (0.00 B)
`
	diffSummary(t, summaryOf(t, m), want)
}
