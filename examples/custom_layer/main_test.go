package main

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestShort trains the model briefly, then checks that Save and Load give
// a model that predicts the same bits.
func TestShort(t *testing.T) {
	res, err := run(true, filepath.Join(t.TempDir(), "m.gkm"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !res.SameBits || res.Predicted == 0 {
		t.Errorf("loaded model: %d predictions, identical %v", res.Predicted, res.SameBits)
	}
	// Three epochs on 512 images are far above chance (0.1).
	if res.Logs["accuracy"] < 0.5 {
		t.Errorf("accuracy after a short run = %v", res.Logs["accuracy"])
	}
}

func TestChannelScaleGradients(t *testing.T) {
	for _, in := range []tensor.Shape{{5}, {3, 4, 2}} {
		nntest.CheckGradients(t, &ChannelScale{Initial: 0.7}, in, nntest.GradOptions{Batch: 3})
	}
	// The custom activation inside a built-in layer, through its Backward.
	nntest.CheckGradients(t, &nn.Conv2D{Filters: 3, KernelSize: [2]int{2, 2}, Activation: LeCunTanh}, tensor.Shape{4, 4, 2}, nntest.GradOptions{})
	nntest.CheckGradients(t, &nn.Activation{Activation: LeCunTanh}, tensor.Shape{6}, nntest.GradOptions{})
}

// TestLeCunTanhValues: f(1) = 1.7159·tanh(2/3) = 0.99995..., f(0) = 0, odd.
func TestLeCunTanhValues(t *testing.T) {
	y := make([]float32, 3)
	LeCunTanh.Forward(y, []float32{1, 0, -1}, 1, 3)
	if y[0] < 0.9999 || y[0] > 1.0001 || y[1] != 0 || y[2] != -y[0] {
		t.Errorf("lecun_tanh(1, 0, -1) = %v", y)
	}
}

// TestChannelScaleConfig: the config round trip, with the strict rule.
func TestChannelScaleConfig(t *testing.T) {
	src := &ChannelScale{Name: "cs", Initial: 0.5}
	src.SetTrainable(false)
	l, err := nn.FromConfig("ChannelScale", nn.LayerConfig(src))
	if err != nil {
		t.Fatal(err)
	}
	if c := l.(*ChannelScale); c.Name != "cs" || c.Initial != 0.5 || nn.IsTrainable(c) {
		t.Errorf("round trip %+v, trainable %v", c, nn.IsTrainable(c))
	}
	for cfg, want := range map[string]string{
		"initial": "initial is -1; give a positive starting scale",
		"initail": `unknown key "initail" (value -1); ChannelScale takes`,
	} {
		_, err := nn.FromConfig("ChannelScale", map[string]any{cfg: -1.0})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=-1: err = %v, want %q", cfg, err, want)
		}
	}
	// Forward by hand: scale (2, 3) on (1, 1, 1, 1) as (2, 2).
	l2 := &ChannelScale{Initial: 2}
	if err := l2.Build(tensor.Shape{2}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	l2.Params()[0].Value.Data[1] = 3
	y := l2.Forward(&tensor.Tensor{Shape: tensor.Shape{2, 2}, Data: []float32{1, 1, 1, 1}}, false)
	if want := []float32{2, 3, 2, 3}; !equal(y.Data, want) {
		t.Errorf("Forward = %v, want %v", y.Data, want)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
