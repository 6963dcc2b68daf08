package gokeras_test

import (
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// smallResNet is a residual CNN on 8x8x1 images with two classes.
func smallResNet(t *testing.T) *gokeras.Model {
	t.Helper()
	in := gokeras.Input(8, 8, 1)
	x := nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU}, in)
	y := nn.Call(&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, x)
	y = nn.Call(&nn.BatchNormalization{Momentum: 0.9}, y) // moving statistics settle within the run
	z := nn.Call(&nn.Activation{Activation: activation.ReLU}, nn.Merge(&nn.Add{}, x, y))
	z = nn.Call(&nn.GlobalAveragePooling2D{}, z)
	out := nn.Call(&nn.Dense{Units: 2, Activation: activation.Softmax}, z)
	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// brightDark is images whose class is whether they are bright.
func brightDark(n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 2))
	x, y := tensor.New(n, 8, 8, 1), tensor.New(n)
	for i := range n {
		c := r.IntN(2)
		y.Data[i] = float32(c)
		for j := range 64 {
			x.Data[i*64+j] = float32(c)*0.5 + r.Float32()*0.5
		}
	}
	return x, y
}

// A Functional model trains, evaluates, predicts (also concurrently, on
// replicas of the graph) and summarises through the same front door as a
// Sequential one.
func TestFunctionalModelFitEvaluatePredict(t *testing.T) {
	m := smallResNet(t)
	x, y := brightDark(256, 1)
	hist, err := m.Fit(x, y, gokeras.FitOptions{Epochs: 8, BatchSize: 32, Verbose: train.Silent, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	l := hist.History["loss"]
	first, last := l[0], l[len(l)-1]
	if !(last < first/2) {
		t.Fatalf("loss %v after the first epoch, %v after the last: not learning", first, last)
	}
	xt, yt := brightDark(128, 2)
	logs, err := m.Evaluate(xt, yt, 32)
	if err != nil {
		t.Fatal(err)
	}
	if logs["accuracy"] < 0.95 {
		t.Fatalf("test accuracy %v on bright vs dark", logs["accuracy"])
	}
	want, err := m.Predict(xt, 32)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := m.Predict(xt, 32)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range got.Data {
				if got.Data[i] != want.Data[i] {
					t.Error("concurrent Predict differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`Model: "functional"`, "add (Add)", "Trainable params: 206", "Non-trainable params: 8"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}
	if err := m.Net().Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m.Add(&nn.Dense{Units: 2})
	if err := m.Build(); err == nil || !strings.Contains(err.Error(), "cannot be added to a Functional model") {
		t.Fatalf("Add to a Functional model: %v", err)
	}
}

// resnet20 is Keras's CIFAR-10 ResNet20 v1 with the counts its summary
// prints: 274,442 params, 1,376 of them non-trainable.
func TestResNet20Preset(t *testing.T) {
	p, err := gokeras.LookupPreset("resnet20")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	total, trainable, non := m.Net().CountParams()
	if total != 274442 || non != 1376 || trainable != total-non {
		t.Fatalf("params %d (trainable %d, non-trainable %d), want 274,442 with 1,376 non-trainable", total, trainable, non)
	}
	adds := 0
	for _, l := range m.Layers() {
		if l.Class() == "Add" {
			adds++
		}
	}
	if adds != 9 {
		t.Fatalf("%d Add layers, want 9 residual blocks", adds)
	}
}
