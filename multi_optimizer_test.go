package gokeras_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// multiToy is toyModel compiled with a MultiOptimizer: Adam for the
// convolution, SGD with momentum (and a schedule) for the rest.
func multiToy(seed uint64) *gokeras.Sequential {
	m := toyModel(seed)
	sgd := &optim.SGD{Momentum: 0.9}
	sgd.SetSchedule(optim.CosineDecay{InitialLearningRate: 0.05, DecaySteps: 40})
	opt := &optim.MultiOptimizer{Default: sgd, Routes: []optim.Route{{Key: "conv2d/.*", Opt: &optim.Adam{LR: 0.01}}}}
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, opt, &metric.Accuracy{}); err != nil {
		panic(err)
	}
	return m
}

// TestMultiOptimizerResumes: a model trained with a MultiOptimizer, saved
// and loaded half way, ends where an uninterrupted run does: the file
// keeps the routes, each inner optimizer's options, schedule and state.
func TestMultiOptimizerResumes(t *testing.T) {
	x, y := toyImages(160, 5)
	full := multiToy(3)
	if _, err := full.Fit(x, y, silent(4)); err != nil {
		t.Fatal(err)
	}
	half := multiToy(3)
	if _, err := half.Fit(x, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"gkm", "safetensors"} {
		path := filepath.Join(t.TempDir(), "half."+ext)
		if err := half.Save(path); err != nil {
			t.Fatal(err)
		}
		resumed, err := gokeras.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := resumed.Optimizer().(*optim.MultiOptimizer); !ok {
			t.Fatalf("%s: loaded optimizer %T, want *optim.MultiOptimizer", ext, resumed.Optimizer())
		}
		if _, err := resumed.Fit(x, y, silent(4)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(weights(full), weights(resumed)) {
			t.Errorf("%s: weights after save at epoch 2 + resume to 4 differ from an uninterrupted run", ext)
		}
	}
	// A Keras file keeps the optimizer's config (not its state, which
	// Keras lays out per inner optimizer).
	path := filepath.Join(t.TempDir(), "half.keras")
	if err := half.Save(path); err != nil {
		t.Fatal(err)
	}
	k, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(k.Optimizer().Config(), half.Optimizer().Config()) {
		t.Errorf(".keras optimizer config\n%v\nwant\n%v", k.Optimizer().Config(), half.Optimizer().Config())
	}
}

// TestMultiOptimizerRefusals: a key that names no variable stops Fit
// before it trains, and so do the callbacks that set one learning rate.
func TestMultiOptimizerRefusals(t *testing.T) {
	x, y := toyImages(32, 5)
	m := toyModel(1)
	opt := &optim.MultiOptimizer{Default: &optim.SGD{}, Routes: []optim.Route{{Key: "sequential/conv2d/.*", Opt: &optim.Adam{}}}}
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(x, y, silent(1)); err == nil || !strings.Contains(err.Error(), "matches no trainable variable") {
		t.Errorf("Fit with a key matching nothing: %v", err)
	}
	m = multiToy(1)
	fo := silent(1)
	fo.Callbacks = []train.Callback{&train.ReduceLROnPlateau{}}
	if _, err := m.Fit(x, y, fo); err == nil || !strings.Contains(err.Error(), "one per inner optimizer") {
		t.Errorf("ReduceLROnPlateau with a MultiOptimizer: %v", err)
	}
}
