package gokeras_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestCTCTrains: a model of per-step logits learns label sequences with
// the CTC loss, and Fit refuses labels that are not 0-padded sequences of
// its classes before training.
func TestCTCTrains(t *testing.T) {
	const n, T, C, L = 64, 6, 4, 3
	r := rand.New(rand.NewPCG(1, 2))
	x, y := tensor.New(n, T, C), tensor.New(n, L)
	for i := range n {
		// Each step shows one class (1..3) or the blank as a noisy one-hot;
		// the labels are the shown classes, blanks and repeats merged.
		prev, k := -1, 0
		for s := range T {
			c := r.IntN(C)
			if k == L {
				c = 0 // the blank once three labels are shown
			}
			for j := range C {
				x.Data[(i*T+s)*C+j] = float32(r.NormFloat64() * 0.1)
			}
			x.Data[(i*T+s)*C+c] += 1
			if c != 0 && c != prev {
				y.Data[i*L+k] = float32(c)
				k++
			}
			prev = c
		}
	}
	m := gokeras.NewSequential(&nn.Dense{Units: C, InputShape: tensor.Shape{T, C}})
	m.Seed = 3
	if err := m.Compile(loss.CTC{}, &optim.Adam{LR: 0.05}); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(x, y, silent(30))
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.History["loss"][0], h.History["loss"][len(h.History["loss"])-1]
	if !(last < first/2) {
		t.Errorf("CTC loss went from %v to %v; want it at least halved", first, last)
	}
	// Greedy decoding reads the label sequences back.
	pred, err := m.Predict(x, 32)
	if err != nil {
		t.Fatal(err)
	}
	dec, _, err := loss.CTCGreedyDecode(pred, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, d := range dec {
		var want []int
		for _, v := range y.Data[i*L : (i+1)*L] {
			if v != 0 {
				want = append(want, int(v))
			}
		}
		if slices.Equal(d, want) {
			right++
		}
	}
	t.Logf("greedy decoding: %d of %d right", right, n)
	if right < n*9/10 {
		t.Errorf("greedy decoding reads %d of %d label sequences right after training", right, n)
	}
	bad := y.Clone()
	bad.Data[0], bad.Data[1] = 0, 2
	if _, err := m.Fit(x, bad, silent(1)); err == nil || !strings.Contains(err.Error(), "after a 0") {
		t.Errorf("Fit with a label after the padding: %v", err)
	}
}
