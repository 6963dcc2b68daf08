package gokeras_test

import (
	"reflect"
	"testing"

	"github.com/gokeras/gokeras/train"
)

// stepCounter records how many batches each epoch ran.
type stepCounter struct {
	train.NopCallback
	steps []int
}

func (c *stepCounter) OnBatchEnd(_ *train.Run, batch int, _ train.Logs) error {
	if batch == 0 {
		c.steps = append(c.steps, 0)
	}
	c.steps[len(c.steps)-1]++
	return nil
}

func TestStepsPerEpoch(t *testing.T) {
	x, y := toyImages(160, 9) // 10 batches of 16
	o := silent(5)
	o.StepsPerEpoch = 4
	count := &stepCounter{}
	o.Callbacks = []train.Callback{count}
	full := toyModel(5)
	h, err := full.Fit(x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	// Keras: 4 + 4 batches, the pass ends after 2 more, a new one begins.
	if want := []int{4, 4, 2, 4, 4}; !reflect.DeepEqual(count.steps, want) {
		t.Errorf("batches per epoch %v, want %v", count.steps, want)
	}
	if h.Len() != 5 {
		t.Errorf("history has %d epochs, want 5", h.Len())
	}
	if got := full.Optimizer().Iterations(); got != 18 {
		t.Errorf("optimizer iterations %d, want 18", got)
	}

	// Stopping after epoch 2 (mid-pass) and resuming trains the same batches.
	o.Callbacks = nil
	resumed := toyModel(5)
	o.Epochs = 2
	if _, err := resumed.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	o.Epochs = 5
	if _, err := resumed.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(full), weights(resumed)) {
		t.Error("2 epochs + resume to 5 differ from 5 uninterrupted epochs with StepsPerEpoch")
	}

	// Steps at least the batch count are whole passes, as without it.
	a, b := toyModel(6), toyModel(6)
	o = silent(2)
	if _, err := a.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	o.StepsPerEpoch = 10
	if _, err := b.Fit(x, y, o); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(a), weights(b)) {
		t.Error("StepsPerEpoch = the batch count changed training")
	}
}
