package sweep

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// TestSweepTableColumns: a model with one input per column sweeps over
// a table whose Columns name them: every trial adapts, trains and is
// tested on the columns named after its inputs.
func TestSweepTableColumns(t *testing.T) {
	n := 120
	x, y := tensor.New(n, 3), tensor.New(n, 1)
	for i := range n {
		x.Data[i*3], x.Data[i*3+1], x.Data[i*3+2] = float32(i%5), float32(i)/10, float32(i%2)
		y.Data[i] = float32(i%5) + float32(i)/10
	}
	model := func() (*gokeras.Sequential, error) {
		a, b := gokeras.Input(1), gokeras.Input(1)
		a.Name, b.Name = "kind", "size"
		h := nn.Merge(&nn.Concatenate{}, nn.Call(&nn.CategoryEncoding{NumTokens: 5, OutputMode: "one_hot"}, a), nn.Call(&nn.Normalization{}, b))
		out := nn.Call(&nn.Dense{Units: 1, Name: "out"}, nn.Call(&nn.Dense{Units: 8, Activation: activation.ReLU}, h))
		m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{out})
		if err != nil {
			return nil, err
		}
		return m, m.Compile(loss.MSE{}, &optim.Adam{})
	}
	s := &Sweep{Model: model, X: x, Y: y, TestX: x, TestY: y, Columns: []string{"kind", "size", "unused"},
		Grid: mustGrid(t, "lr=0.01,0.05"), Epochs: 2, ValidationSplit: 0.2, Results: filepath.Join(t.TempDir(), "r.csv")}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("%d results", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Status != StatusOK || math.IsNaN(r.Score) || math.IsNaN(r.TestLoss) {
			t.Errorf("trial %s: %+v", r.Key, r)
		}
	}
	s2 := &Sweep{Model: model, X: x, Y: y, Grid: mustGrid(t, "lr=0.01"), Epochs: 1, Results: filepath.Join(t.TempDir(), "r2.csv")}
	if _, err := s2.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no column names") {
		t.Errorf("without Columns: err = %v", err)
	}
}
