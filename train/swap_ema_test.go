package train

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// emaSpy records, at the hooks, the model's trainable values and the
// optimizer's averages; with stopAt > 0 it stops training after that
// epoch, as EarlyStopping would.
type emaSpy struct {
	NopCallback
	stopAt            int
	test, end, endAvg [][]float32 // per epoch: weights seen in validation, at OnEpochEnd, averages at OnEpochEnd
	valLoss, evalRaw  []float64
	evalAvg           []float64
	x, y              *tensor.Tensor
}

func flat(ts []*tensor.Tensor) []float32 {
	var out []float32
	for _, t := range ts {
		out = append(out, t.Data...)
	}
	return out
}

func (s *emaSpy) OnTestBegin(r *Run) error {
	v, _ := r.Model.trainable()
	s.test = append(s.test, flat(v))
	return nil
}

func (s *emaSpy) OnTestEnd(*Run, Logs) error { return nil }

func (s *emaSpy) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	v, _ := r.Model.trainable()
	avg := r.Model.Optimizer.(optim.EMAHolder).EMAAverages()
	s.end = append(s.end, flat(v))
	s.endAvg = append(s.endAvg, flat(avg))
	s.valLoss = append(s.valLoss, logs["val_loss"])
	// The validation loss of the weights in the model, and of the averages.
	ev := func() float64 {
		l, err := Evaluate(r.Model, s.x, s.y, 4)
		if err != nil {
			panic(err)
		}
		return l["loss"]
	}
	s.evalRaw = append(s.evalRaw, ev())
	keep := flat(v)
	for i, w := range v {
		copy(w.Data, avg[i].Data)
	}
	s.evalAvg = append(s.evalAvg, ev())
	at := 0
	for _, w := range v {
		at += copy(w.Data, keep[at:])
	}
	if s.stopAt > 0 && epoch+1 == s.stopAt {
		r.StopTraining = true
	}
	return nil
}

// emaFit trains a Dense(1) with SGD and EMA for 4 epochs, validating on
// held-out rows, with cbs.
func emaFit(t *testing.T, spy *emaSpy, cbs ...Callback) (*Model, *History) {
	t.Helper()
	net := &nn.Stack{}
	net.Add(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}})
	if err := net.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Loss: loss.MSE{}, Optimizer: &optim.SGD{LR: 0.1, Momentum: 0.5, EMA: optim.EMA{Use: true, Momentum: 0.7}}}
	x, y := tensor.New(16, 2), tensor.New(16, 1)
	for i := range x.Data {
		x.Data[i] = float32(i%5)*0.3 - 0.4
	}
	for i := range y.Data {
		y.Data[i] = float32(i%3) - 1
	}
	spy.x = &tensor.Tensor{Shape: tensor.Shape{4, 2}, Data: x.Data[24:]}
	spy.y = &tensor.Tensor{Shape: tensor.Shape{4, 1}, Data: y.Data[12:]}
	h, err := Fit(context.Background(), m, x, y, Options{Epochs: 4, BatchSize: 4, ValidationSplit: 0.25, NoShuffle: true,
		Verbose: Silent, Out: io.Discard, Callbacks: append(cbs, spy)})
	if err != nil {
		t.Fatal(err)
	}
	return m, h
}

// TestSwapEMAWeights: validation scores the averages, training goes on
// with the trained weights exactly as without the callback, and Fit ends
// with the averages in the model.
func TestSwapEMAWeights(t *testing.T) {
	ref, with := &emaSpy{}, &emaSpy{}
	mRef, hRef := emaFit(t, ref)
	m, h := emaFit(t, with, &SwapEMAWeights{})
	for e := range 4 {
		if !slices.Equal(with.test[e], ref.endAvg[e]) || slices.Equal(ref.test[e], ref.endAvg[e]) {
			t.Errorf("epoch %d: validation saw %v, want the averages %v (without the callback: %v)", e, with.test[e], ref.endAvg[e], ref.test[e])
		}
		if !slices.Equal(with.end[e], ref.end[e]) || !slices.Equal(with.endAvg[e], ref.endAvg[e]) {
			t.Errorf("epoch %d: after validation the model holds %v and the averages %v, want %v and %v as without the callback", e, with.end[e], with.endAvg[e], ref.end[e], ref.endAvg[e])
		}
		if with.valLoss[e] != ref.evalAvg[e] || ref.valLoss[e] != ref.evalRaw[e] || with.valLoss[e] == ref.valLoss[e] {
			t.Errorf("epoch %d: val_loss %v with the callback, %v without; the averages score %v, the weights %v", e, with.valLoss[e], ref.valLoss[e], ref.evalAvg[e], ref.evalRaw[e])
		}
		if h.History["loss"][e] != hRef.History["loss"][e] {
			t.Errorf("epoch %d: training loss %v, want %v as without the callback", e, h.History["loss"][e], hRef.History["loss"][e])
		}
	}
	if got, want := flat(m.values), flat(mRef.values); !slices.Equal(got, want) || !slices.Equal(want, ref.endAvg[3]) {
		t.Errorf("after Fit the model holds %v, want the averages %v", got, want)
	}
}

// TestSwapEMAWeightsOnEpoch: with SwapOnEpoch the callbacks after it see
// the averages at the end of each epoch, and Fit ends with the averages in
// the model, also when a callback stops training early.
func TestSwapEMAWeightsOnEpoch(t *testing.T) {
	for _, stop := range []int{0, 2} {
		ref, with := &emaSpy{stopAt: stop}, &emaSpy{stopAt: stop}
		mRef, _ := emaFit(t, ref)
		m, _ := emaFit(t, with, &SwapEMAWeights{SwapOnEpoch: true})
		if len(with.end) != len(ref.end) {
			t.Fatalf("stop %d: %d epochs with the callback, %d without", stop, len(with.end), len(ref.end))
		}
		for e := range with.end {
			if !slices.Equal(with.end[e], ref.endAvg[e]) || !slices.Equal(with.endAvg[e], ref.end[e]) {
				t.Errorf("stop %d, epoch %d: at OnEpochEnd the model holds %v and the averages %v, want them exchanged: %v and %v", stop, e, with.end[e], with.endAvg[e], ref.endAvg[e], ref.end[e])
			}
		}
		if got, want := flat(m.values), flat(mRef.values); !slices.Equal(got, want) {
			t.Errorf("stop %d: after Fit the model holds %v, want the averages %v", stop, got, want)
		}
	}
}

// TestSwapEMAWeightsNeedsEMA: without EMA, Fit refuses the callback
// before a step, as Keras does.
func TestSwapEMAWeightsNeedsEMA(t *testing.T) {
	m, _, err := tinyFit(t, Options{Epochs: 1, Callbacks: []Callback{&SwapEMAWeights{}}})
	if err == nil || !strings.Contains(err.Error(), "SwapEMAWeights needs an optimizer with EMA on") {
		t.Errorf("err = %v", err)
	}
	if m.Optimizer.Iterations() != 0 {
		t.Errorf("%d steps ran", m.Optimizer.Iterations())
	}
}
