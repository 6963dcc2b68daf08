package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestGroupNormalizationValues: a (2 positions, 4 channels) example in 2
// groups; group 0 is channels 0-1 at both positions, (1, 2, 5, 6), group
// 1 is (3, 4, 7, 9), each standardised with epsilon 1e-3 inside the root
// (numbers worked out with NumPy).
func TestGroupNormalizationValues(t *testing.T) {
	l := &nn.GroupNormalization{Groups: 2}
	x := &tensor.Tensor{Shape: tensor.Shape{1, 2, 4}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 9}}
	y := runLayer(t, l, x)
	closeToAll(t, "groups 2", y.Data, []float64{-1.21253548, -0.72752129, -1.15301196, -0.73373488, 0.72752129, 1.21253548, 0.52409635, 1.3626505}, 1e-6)
	// groups=-1 is one group per channel (instance normalization): two
	// values each, ±1 scaled by 1/sqrt(1+eps/d²).
	inst := &nn.GroupNormalization{Groups: -1}
	y = runLayer(t, inst, x)
	if g := inst.Params()[0].Value.Shape; !g.Equal(tensor.Shape{4}) {
		t.Errorf("gamma shape %v, want (4)", g)
	}
	closeToAll(t, "groups -1, channel 3", []float32{y.Data[3], y.Data[7]}, []float64{-2.5 / 2.5002, 2.5 / 2.5002}, 1e-4)
}

func TestGroupNormalizationGradients(t *testing.T) {
	for _, c := range []struct {
		name string
		l    *nn.GroupNormalization
		in   tensor.Shape
	}{
		{"groups2_image", &nn.GroupNormalization{Groups: 2}, tensor.Shape{3, 2, 4}},
		{"groups1_vector", &nn.GroupNormalization{Groups: 1}, tensor.Shape{6}},
		{"instance_noscale", &nn.GroupNormalization{Groups: -1, NoScale: true}, tensor.Shape{3, 3, 2}},
		{"groups3_nocenter", &nn.GroupNormalization{Groups: 3, NoCenter: true}, tensor.Shape{2, 6}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nntest.CheckGradients(t, c.l, c.in, nntest.GradOptions{Batch: 2, Training: true, Tol: 2e-2})
		})
	}
}

// TestGroupNormalizationMatchesPyTorch compares with F.group_norm, which
// groups consecutive channels of NCHW input as Keras does for
// channels_last (the input is permuted for it).
func TestGroupNormalizationMatchesPyTorch(t *testing.T) {
	type job struct {
		N, H, W, C, G int
		X, Gamma, B   []float32
	}
	r := rand.New(rand.NewPCG(8, 9))
	var jobs []job
	for _, s := range [][5]int{{2, 3, 4, 8, 4}, {1, 5, 5, 64, 32}, {3, 1, 1, 6, 6}, {2, 4, 2, 6, 1}} {
		j := job{N: s[0], H: s[1], W: s[2], C: s[3], G: s[4]}
		j.X = randVec(r, j.N*j.H*j.W*j.C, 2, -5)
		j.Gamma, j.B = randVec(r, j.C, 1, 0), randVec(r, j.C, 1, 0)
		jobs = append(jobs, j)
	}
	var want [][]float64
	torchReference(t, `
import json, sys, torch
import torch.nn.functional as F
out = []
for j in json.load(sys.stdin):
    x = torch.tensor(j["X"], dtype=torch.float64).reshape(j["N"], j["H"], j["W"], j["C"]).permute(0, 3, 1, 2)
    g, b = torch.tensor(j["Gamma"], dtype=torch.float64), torch.tensor(j["B"], dtype=torch.float64)
    y = F.group_norm(x, j["G"], g, b, 1e-3)
    out.append(y.permute(0, 2, 3, 1).reshape(-1).tolist())
json.dump(out, sys.stdout)
`, jobs, &want)
	for i, j := range jobs {
		l := &nn.GroupNormalization{Groups: j.G}
		if err := l.Build(tensor.Shape{j.H, j.W, j.C}, nil); err != nil {
			t.Fatal(err)
		}
		copy(l.Params()[0].Value.Data, j.Gamma)
		copy(l.Params()[1].Value.Data, j.B)
		y := l.Forward(&tensor.Tensor{Shape: tensor.Shape{j.N, j.H, j.W, j.C}, Data: j.X}, false)
		closeToAll(t, fmt.Sprintf("%v groups %d", y.Shape, j.G), y.Data, want[i], 2e-5)
	}
}
