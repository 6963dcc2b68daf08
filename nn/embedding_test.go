package nn_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestEmbeddingMatchesNumPy: the output is np.take(embeddings, indices,
// axis=0) (Keras's ops.take) for indices cast to int32, and the
// embeddings' gradient is np.add.at of the output gradient, both against
// NumPy.
func TestEmbeddingMatchesNumPy(t *testing.T) {
	l := &nn.Embedding{InputDim: 7, OutputDim: 3}
	x := fromSlice([]float32{0, 6, 2.9, 2, 2, 5, 1, 0}, 2, 4)
	y := runEncoding(t, l, x)
	dy := tensor.New(y.Shape...)
	r := rand.New(rand.NewPCG(6, 6))
	for i := range dy.Data {
		dy.Data[i] = float32(r.NormFloat64())
	}
	l.Backward(dy)
	var want struct {
		Y    []float32 `json:"y"`
		Grad []float32 `json:"grad"`
	}
	pyref.Run(t, `
import json, sys
import numpy as np
c = json.load(sys.stdin)
w = np.array(c["w"], dtype="float32").reshape(7, 3)
idx = np.array(c["x"], dtype="float32").reshape(2, 4).astype("int32")
dy = np.array(c["dy"], dtype="float32").reshape(2, 4, 3)
g = np.zeros_like(w)
np.add.at(g, idx.reshape(-1), dy.reshape(-1, 3))
json.dump({"y": np.take(w, idx, axis=0).reshape(-1).tolist(), "grad": g.reshape(-1).tolist()}, sys.stdout)
`, map[string]any{"w": l.Params()[0].Value.Data, "x": x.Data, "dy": dy.Data}, &want, "numpy")
	sameValues(t, "embedding", y, []int{2, 4, 3}, want.Y)
	closeValues(t, "embeddings gradient", l.Params()[0].Grad, want.Grad)
}

// TestEmbeddingGradients: finite differences for the embeddings (the
// output is linear in them) and a zero gradient for the indices.
func TestEmbeddingGradients(t *testing.T) {
	halves := func(r *rand.Rand, x []float32) {
		for i := range x {
			x[i] = float32(r.IntN(5)) + 0.5
		}
	}
	nntest.CheckGradients(t, &nn.Embedding{InputDim: 5, OutputDim: 4}, tensor.Shape{3}, nntest.GradOptions{Input: halves})
	nntest.CheckGradients(t, &nn.Embedding{InputDim: 5, OutputDim: 2}, tensor.Shape{2, 2}, nntest.GradOptions{Input: halves})
}

// TestEmbeddingConfigAndLimits: Keras 3's config round-trips, Keras 2's
// input_length is accepted, mask_zero and bad sizes are refused, and an
// index out of range is a zero vector in a forward pass and an error for
// a model input.
func TestEmbeddingConfigAndLimits(t *testing.T) {
	l := &nn.Embedding{Name: "emb", InputDim: 10, OutputDim: 4, EmbeddingsInitializer: nn.RandomNormal(0, 0.1)}
	raw, _ := json.Marshal(nn.LayerConfig(l))
	var decoded map[string]any
	json.Unmarshal(raw, &decoded)
	back, err := nn.FromConfig("Embedding", decoded)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(nn.LayerConfig(back)); string(again) != string(raw) {
		t.Errorf("config after the round trip\n got %s\nwant %s", again, raw)
	}
	if _, err := nn.FromConfig("Embedding", map[string]any{"input_dim": 5.0, "output_dim": 2.0, "input_length": 3.0}); err != nil {
		t.Errorf("Keras 2's input_length: %v", err)
	}
	if _, err := nn.FromConfig("Embedding", map[string]any{"input_dim": 5.0, "output_dim": 2.0, "mask_zero": true}); err == nil || !strings.Contains(err.Error(), "no masks") {
		t.Errorf("mask_zero: %v", err)
	}
	for _, bad := range []*nn.Embedding{{OutputDim: 2}, {InputDim: 2}, {InputDim: 1 << 25, OutputDim: 1}} {
		if err := bad.Build(tensor.Shape{1}, nil); err == nil {
			t.Errorf("%+v built", bad)
		}
	}
	e := &nn.Embedding{InputDim: 3, OutputDim: 2}
	y := runEncoding(t, e, fromSlice([]float32{7, -1}, 2, 1))
	for _, v := range y.Data {
		if v != 0 {
			t.Fatalf("out-of-range indices gave %v, want zeros", y.Data)
		}
	}
	if err := e.CheckValue(3); err == nil || !strings.Contains(err.Error(), "outside [0, 3)") {
		t.Errorf("CheckValue(3): %v", err)
	}
	x := fromSlice([]float32{1, 2, 0}, 3, 1)
	if a := testing.AllocsPerRun(10, func() { e.Backward(e.Forward(x, true)) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}
