package gokeras

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// smallNet is a conv + batch-norm + dense classifier on 6x6x2 inputs.
func smallNet(seed uint64) *Sequential {
	m := NewSequential(
		&nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{6, 6, 2}},
		&nn.BatchNormalization{},
		&nn.Flatten{},
		&nn.Dense{Units: 4, Activation: activation.Softmax},
	)
	m.Seed = seed
	return m
}

func randomData(n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := tensor.New(n, 6, 6, 2)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := tensor.New(n)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(4))
	}
	return x, y
}

func TestWeightsOrderAndRoundTrip(t *testing.T) {
	m := smallNet(1)
	if _, err := m.GetWeights(); err == nil {
		t.Fatal("GetWeights of an unbuilt model: want an error")
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	// Keras's order: per layer, trainable then non-trainable.
	var shapes []string
	for _, w := range ws {
		shapes = append(shapes, w.Shape.String())
	}
	want := []string{"(3, 3, 2, 3)", "(3,)", "(3,)", "(3,)", "(3,)", "(3,)", "(48, 4)", "(4,)"}
	if !slices.Equal(shapes, want) {
		t.Fatalf("weight shapes %v, want %v", shapes, want)
	}
	// GetWeights copies: changing the copy leaves the model alone.
	before := ws[0].Data[0]
	ws[0].Data[0] += 1
	again, _ := m.GetWeights()
	if again[0].Data[0] != before {
		t.Fatal("GetWeights returned the model's own tensor, not a copy")
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	again, _ = m.GetWeights()
	if again[0].Data[0] != before+1 {
		t.Fatal("SetWeights did not set the weights")
	}
	// Wrong count or shape: an error that names the weight, nothing changed.
	if err := m.SetWeights(ws[:3]); err == nil || !strings.Contains(err.Error(), "8 weights") {
		t.Fatalf("short list: %v", err)
	}
	bad := slices.Clone(ws)
	bad[0] = tensor.New(9)
	bad[1] = tensor.New(3)
	bad[1].Data[0] = 42
	err = m.SetWeights(bad)
	if err == nil || !strings.Contains(err.Error(), "conv2d/kernel") {
		t.Fatalf("wrong shape: %v", err)
	}
	again, _ = m.GetWeights()
	if again[1].Data[0] == 42 {
		t.Fatal("a failed SetWeights changed a weight")
	}
	l, err := m.GetLayer("dense")
	if err != nil || l.Class() != "Dense" {
		t.Fatalf("GetLayer(dense) = %v, %v", l, err)
	}
	if _, err := m.GetLayer("dense_7"); err == nil || !strings.Contains(err.Error(), "conv2d, batch_normalization, flatten, dense") {
		t.Fatalf("GetLayer of a missing name: %v", err)
	}
}

func TestSaveLoadWeights(t *testing.T) {
	a, b := smallNet(1), smallNet(2)
	for _, m := range []*Sequential{a, b} {
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := a.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	if err := b.LoadWeights(path); err != nil {
		t.Fatal(err)
	}
	x, _ := randomData(5, 3)
	pa, _ := a.Predict(x, 0)
	pb, _ := b.Predict(x, 0)
	if !slices.Equal(pa.Data, pb.Data) {
		t.Fatal("predictions differ after LoadWeights")
	}
	// An unbuilt model with a declared input is built by LoadWeights.
	c := smallNet(3)
	if err := c.LoadWeights(path); err != nil {
		t.Fatal(err)
	}
	pc, _ := c.Predict(x, 0)
	if !slices.Equal(pa.Data, pc.Data) {
		t.Fatal("predictions differ after LoadWeights into an unbuilt model")
	}
	// A model with other layers: an error naming what does not fit.
	other := NewSequential(&nn.Flatten{InputShape: tensor.Shape{6, 6, 2}}, &nn.Dense{Units: 4, Name: "head"})
	if err := other.Build(); err != nil {
		t.Fatal(err)
	}
	keep, _ := other.GetWeights()
	err := other.LoadWeights(path)
	if err == nil || !strings.Contains(err.Error(), "missing head/kernel") || !strings.Contains(err.Error(), "conv2d/kernel") {
		t.Fatalf("mismatched model: %v", err)
	}
	now, _ := other.GetWeights()
	if !slices.Equal(now[0].Data, keep[0].Data) {
		t.Fatal("a failed LoadWeights changed a weight")
	}
	// A whole-model file carries weights too.
	full := filepath.Join(t.TempDir(), "m.gkm")
	if err := a.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(full); err != nil {
		t.Fatal(err)
	}
	if err := b.LoadWeights(full); err != nil {
		t.Fatalf("LoadWeights of a Save file: %v", err)
	}
}

// TestFineTuneFrozenLayersKeepTheirBits is the README's fine-tuning recipe:
// load a saved fashion-cnn, freeze every layer but the last Dense, compile
// again and train an epoch. The frozen weights must not change by a bit;
// the last layer must learn.
func TestFineTuneFrozenLayersKeepTheirBits(t *testing.T) {
	p, err := LookupPreset("fashion-cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	x := tensor.New(64, 28, 28, 1)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	y := tensor.New(64)
	for i := range y.Data {
		y.Data[i] = float32(r.IntN(10))
	}
	o := FitOptions{Epochs: 1, BatchSize: 32, Verbose: train.Silent, Out: io.Discard}
	if _, err := m.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fashion.gkm")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	ft, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.SetTrainable(false); err != nil {
		t.Fatal(err)
	}
	last := ft.Layers()[len(ft.Layers())-1]
	if err := nn.SetTrainable(last, true); err != nil {
		t.Fatal(err)
	}
	// The optimizer loaded with the model has state for every variable:
	// Fit refuses until the model is compiled again, as Keras does.
	if _, err := ft.Fit(x, y, o); err == nil || !strings.Contains(err.Error(), "compile the model again") {
		t.Fatalf("Fit after freezing without compiling: %v", err)
	}
	if err := ft.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}); err != nil {
		t.Fatal(err)
	}
	total, trainable, _ := ft.Net().CountParams()
	if want := 128*10 + 10; trainable != want || total <= want {
		t.Fatalf("trainable params %d (total %d), want %d", trainable, total, want)
	}
	before, _ := ft.GetWeights()
	o.Epochs = ft.Epoch() + 1 // one more epoch than the saved model had
	if _, err := ft.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	after, _ := ft.GetWeights()
	n := len(after)
	for i := 0; i < n-2; i++ {
		if !slices.Equal(before[i].Data, after[i].Data) {
			t.Fatalf("frozen weight %d changed", i)
		}
	}
	for i := n - 2; i < n; i++ {
		if slices.Equal(before[i].Data, after[i].Data) {
			t.Fatalf("the trainable last layer's weight %d did not change", i)
		}
	}
	// Trainability survives Save and Load.
	path2 := filepath.Join(t.TempDir(), "ft.gkm")
	if err := ft.Save(path2); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path2)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range back.Layers() {
		if got, want := nn.IsTrainable(l), i == len(back.Layers())-1; got != want {
			t.Fatalf("layer %s trainable %v after Load, want %v", l.LayerName(), got, want)
		}
	}
}

// A frozen BatchNormalization runs in inference mode during Fit: its moving
// statistics stay, and so do gamma and beta.
func TestFrozenBatchNormKeepsStatistics(t *testing.T) {
	m := smallNet(4)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	bn, _ := m.GetLayer("batch_normalization")
	if err := nn.SetTrainable(bn, false); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.SGD{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	before := make([][]float32, 0, 4)
	for _, p := range bn.Params() {
		before = append(before, slices.Clone(p.Value.Data))
	}
	x, y := randomData(40, 5)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 8, Verbose: train.Silent, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	for i, p := range bn.Params() {
		if !slices.Equal(before[i], p.Value.Data) {
			t.Fatalf("frozen batch normalization's %s changed", p.Name)
		}
	}
	_, trainable, non := m.Net().CountParams()
	if non != 4*3 || trainable != 3*3*2*3+3+48*4+4 {
		t.Fatalf("trainable %d, non-trainable %d", trainable, non)
	}
}
