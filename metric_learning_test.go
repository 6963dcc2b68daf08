package gokeras_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestCircleTrainsEmbeddings: a Dense + UnitNormalization model trained
// with the Circle loss, as Keras's docstring builds it, learns embeddings
// in which samples of a class are closer to each other than to the
// others, and its loss falls; the model file keeps the loss.
func TestCircleTrainsEmbeddings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, classes = 240, 4
	x, y := tensor.New(n, 6), tensor.New(n)
	for i := range n {
		c := i % classes
		y.Data[i] = float32(c)
		for k := range 6 {
			v := r.NormFloat64()
			if k == c {
				v += 2.5
			}
			x.Data[i*6+k] = float32(v)
		}
	}
	m := gokeras.NewSequential(gokeras.Input(6), &nn.Dense{Units: 8}, &nn.UnitNormalization{})
	m.Seed = 3
	if err := m.Compile(loss.Circle{Gamma: loss.Float(32)}, &optim.Adam{LR: 0.01}); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(x, y, silent(30))
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.History["loss"][0], h.History["loss"][h.Len()-1]
	if !(last < 0.5*first) {
		t.Errorf("circle loss %v after the first epoch, %v after the last; want it at least halved", first, last)
	}
	emb, err := m.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	var same, other, ns, no float64
	for i := range n {
		for j := range i {
			var s float64
			for k := range 8 {
				s += float64(emb.Data[i*8+k] * emb.Data[j*8+k])
			}
			if y.Data[i] == y.Data[j] {
				same, ns = same+s, ns+1
			} else {
				other, no = other+s, no+1
			}
		}
	}
	// Circle's optima with margin 0.4: similarity above 1 - 0.4 within a
	// class, below 0.4 across.
	if !(same/ns > 0.6 && other/no < 0.4) || math.IsNaN(same) {
		t.Errorf("mean cosine similarity %v within classes, %v across; want above 0.6 and below 0.4", same/ns, other/no)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := gokeras.ParseModelJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if back.Compile == nil || !strings.Contains(fmt.Sprint(back.Compile.Loss), "Circle") {
		t.Fatalf("the model file's compile_config lost the Circle loss: %+v", back.Compile)
	}
}
