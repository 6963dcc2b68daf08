package gokeras_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/tensor"
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

// toyPixels is toyImages as uint8 pixels, and the float32 array a Keras
// user gets from x / 255.
func toyPixels(n int, seed uint64) (*tensor.Bytes, *tensor.Tensor, *tensor.Tensor) {
	x, y := toyImages(n, seed)
	b := tensor.NewBytes(255, x.Shape...)
	f := tensor.New(x.Shape...)
	for i, v := range x.Data {
		b.Data[i] = uint8(v * 255)
		f.Data[i] = float32(b.Data[i]) / 255
	}
	return b, f, y
}

func TestBytesTrainLikeFloat32(t *testing.T) {
	px, fx, y := toyPixels(200, 10)
	vpx, vfx, vy := toyPixels(50, 11)
	tests := []struct {
		name string
		opt  func(o *gokeras.FitOptions, val gokeras.Inputs)
	}{
		{"validation split", func(o *gokeras.FitOptions, _ gokeras.Inputs) { o.ValidationSplit = 0.2 }},
		{"validation data", func(o *gokeras.FitOptions, val gokeras.Inputs) { o.ValidationData = &train.Data{X: val, Y: vy} }},
		{"steps per epoch", func(o *gokeras.FitOptions, _ gokeras.Inputs) { o.StepsPerEpoch = 5 }},
	}
	for _, tt := range tests {
		run := func(x, val gokeras.Inputs) (*gokeras.Sequential, *gokeras.History) {
			m := toyModel(7)
			o := silent(3)
			tt.opt(&o, val)
			h, err := m.Fit(x, y, o)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			return m, h
		}
		mf, hf := run(fx, vfx)
		mb, hb := run(px, vpx)
		if !reflect.DeepEqual(hf.History, hb.History) {
			t.Errorf("%s: history from uint8 pixels %v, from x/255 %v; want identical", tt.name, hb.History, hf.History)
		}
		if !reflect.DeepEqual(weights(mf), weights(mb)) {
			t.Errorf("%s: weights after training on uint8 pixels differ from x/255's", tt.name)
		}
		lf, _ := mf.Evaluate(vfx, vy, 16)
		lb, err := mb.Evaluate(vpx, vy, 16)
		if err != nil || !reflect.DeepEqual(lf, lb) {
			t.Errorf("%s: Evaluate on pixels %v (%v), on x/255 %v", tt.name, lb, err, lf)
		}
		pf, _ := mf.Predict(vfx, 7)
		pb, err := mb.Predict(vpx, 7)
		if err != nil || !reflect.DeepEqual(pf.Data, pb.Data) {
			t.Errorf("%s: Predict on pixels differs from x/255 (%v)", tt.name, err)
		}
	}
}

func TestBytesBadInputs(t *testing.T) {
	m := toyModel(1)
	_, y := toyImages(10, 1)
	wrong := tensor.NewBytes(255, 10, 8, 8)
	if _, err := m.Fit(wrong, y, silent(1)); err == nil || !strings.Contains(err.Error(), "add a channel axis") {
		t.Errorf("Fit on (N,8,8) pixels: %v, want the channel-axis hint", err)
	}
	var none *tensor.Bytes
	if _, err := m.Fit(none, y, silent(1)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Fit on nil pixels: %v, want inputs are missing", err)
	}
	if _, err := m.Predict(none, 0); err == nil {
		t.Error("Predict on nil pixels: no error")
	}
}
