package gokeras_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// toyImages is a small 2-class problem on 8x8x1 images: class 1 has a
// bright left half.
func toyImages(n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	x, y := tensor.New(n, 8, 8, 1), tensor.New(n)
	for i := 0; i < n; i++ {
		c := r.IntN(2)
		y.Data[i] = float32(c)
		for j := 0; j < 64; j++ {
			v := r.Float32() * 0.6
			if c == 1 && j%8 < 4 {
				v += 0.4
			}
			x.Data[i*64+j] = v
		}
	}
	return x, y
}

func toyModel(seed uint64) *gokeras.Sequential {
	m := gokeras.NewSequential(
		&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{8, 8, 1}},
		&nn.MaxPooling2D{},
		&nn.Dropout{Rate: 0.3},
		&nn.Flatten{},
		&nn.Dense{Units: 8, Activation: activation.ReLU},
		&nn.Dense{Units: 2, Activation: activation.Softmax},
	)
	m.Seed = seed
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{}); err != nil {
		panic(err)
	}
	return m
}

func silent(epochs int) gokeras.FitOptions {
	return gokeras.FitOptions{Epochs: epochs, BatchSize: 16, Verbose: train.Silent}
}

func TestFitLearns(t *testing.T) {
	x, y := toyImages(400, 1)
	m := toyModel(1)
	const epochs = 15
	o := silent(epochs)
	o.ValidationSplit = 0.25
	h, err := m.Fit(x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != epochs {
		t.Fatalf("history has %d epochs, want %d", h.Len(), epochs)
	}
	for _, k := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		if len(h.History[k]) != epochs {
			t.Errorf("history[%q] has %d values, want %d", k, len(h.History[k]), epochs)
		}
	}
	if acc, _ := h.Last("val_accuracy"); acc < 0.9 {
		t.Errorf("val_accuracy after %d epochs = %v, want >= 0.9 on an easy problem", epochs, acc)
	}
	if first, last := h.History["loss"][0], h.History["loss"][epochs-1]; last >= first {
		t.Errorf("loss went from %v to %v; it should fall", first, last)
	}
	xt, yt := toyImages(200, 2)
	logs, err := m.Evaluate(xt, yt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if logs["accuracy"] < 0.9 {
		t.Errorf("test accuracy = %v", logs["accuracy"])
	}
	p, err := m.Predict(xt.Slice(0, 5), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		s := p.Data[2*i] + p.Data[2*i+1]
		if math.Abs(float64(s)-1) > 1e-5 {
			t.Errorf("Predict row %d sums to %v, want probabilities", i, s)
		}
	}
}

func TestSameSeedSameHistory(t *testing.T) {
	x, y := toyImages(200, 3)
	run := func(seed uint64) map[string][]float64 {
		o := silent(3)
		o.ValidationSplit = 0.2
		h, err := toyModel(seed).Fit(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		return h.History
	}
	a, b, c := run(7), run(7), run(8)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs with seed 7 differ:\n%v\n%v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 7 and 8 gave identical histories")
	}
}

func weights(m *gokeras.Sequential) []float32 {
	var w []float32
	for _, p := range m.Net().Params() {
		w = append(w, p.Value.Data...)
	}
	return w
}

func TestSaveLoadEvaluateExact(t *testing.T) {
	x, y := toyImages(200, 4)
	m := toyModel(2)
	m.Classes = []string{"dark", "bright"}
	if _, err := m.Fit(x, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.Evaluate(x, y, 0)
	b, _ := m2.Evaluate(x, y, 0)
	if a["loss"] != b["loss"] || a["accuracy"] != b["accuracy"] {
		t.Errorf("evaluate after load = %v, before = %v; want identical", b, a)
	}
	if !reflect.DeepEqual(m2.Classes, m.Classes) || m2.Epoch() != 2 {
		t.Errorf("loaded classes %v epoch %d, want %v and 2", m2.Classes, m2.Epoch(), m.Classes)
	}
	if m2.Optimizer().Iterations() != m.Optimizer().Iterations() {
		t.Errorf("optimizer iterations %d after load, want %d", m2.Optimizer().Iterations(), m.Optimizer().Iterations())
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	x, y := toyImages(160, 5)
	full := toyModel(3)
	if _, err := full.Fit(x, y, silent(4)); err != nil {
		t.Fatal(err)
	}
	half := toyModel(3)
	if _, err := half.Fit(x, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "half.safetensors")
	if err := half.Save(path); err != nil {
		t.Fatal(err)
	}
	resumed, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := resumed.Fit(x, y, silent(4))
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 2 || h.Epoch[0] != 2 {
		t.Errorf("resumed run trained epochs %v, want [2 3]", h.Epoch)
	}
	if !reflect.DeepEqual(weights(full), weights(resumed)) {
		t.Error("weights after save at epoch 2 + resume to 4 differ from an uninterrupted 4-epoch run")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	x, y := toyImages(40, 6)
	m := toyModel(4)
	if _, err := m.Fit(x, y, silent(1)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	other := gokeras.NewSequential(&nn.Dense{Units: 3, InputShape: tensor.Shape{4}})
	other.CompileNamed("mse", "sgd")
	if err := other.Build(); err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(dir, "other.safetensors")
	other.Save(otherPath)
	otherData, _ := os.ReadFile(otherPath)

	cases := map[string][]byte{
		"empty":            {},
		"truncated header": data[:20],
		"truncated data":   data[:len(data)-7],
		"huge header":      append([]byte{255, 255, 255, 255, 255, 255, 255, 0}, data[8:]...),
		"garbage json":     append(append([]byte(nil), data[:8]...), bytes.Repeat([]byte{'x'}, len(data)-8)...),
	}
	// A weight of the wrong shape: swap in the other model's header
	// entries by corrupting the metadata's model JSON.
	mismatch := bytes.Replace(data, []byte(`\"units\": 8`), []byte(`\"units\": 9`), 1)
	if bytes.Equal(mismatch, data) {
		t.Fatal("test setup: units not found in header")
	}
	cases["shape mismatch"] = mismatch
	cases["other model's weights"] = otherData[:len(otherData)-4]
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, b, 0o644)
		got, err := gokeras.Load(p)
		if err == nil || got != nil {
			t.Errorf("%s: Load = %v, %v; want an error and no model", name, got, err)
			continue
		}
		if !errors.Is(err, gokeras.ErrBadModelFile) {
			t.Errorf("%s: err = %v, want it to wrap ErrBadModelFile", name, err)
		}
	}
}

func TestSaveIsAtomic(t *testing.T) {
	x, y := toyImages(40, 7)
	m := toyModel(5)
	m.Fit(x, y, silent(1))
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	// Saving into a missing folder fails without leaving temp files.
	if err := m.Save(filepath.Join(dir, "missing", "m.safetensors")); err == nil {
		t.Error("Save into a missing folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after saves, want only the model", len(entries))
	}
}

func TestPresetsBuildAndRoundTripJSON(t *testing.T) {
	for _, name := range gokeras.PresetNames() {
		p, _ := gokeras.LookupPreset(name)
		m, err := p.Model()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := m.Build(); err != nil {
			t.Fatalf("%s: Build: %v", name, err)
		}
		js, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		spec, err := gokeras.ParseModelJSON(js)
		if err != nil {
			t.Fatalf("%s: ParseModelJSON(ToJSON()): %v\n%s", name, err, js)
		}
		if err := spec.Model.Build(); err != nil {
			t.Fatalf("%s: rebuilt model: %v", name, err)
		}
		a, b, c := m.Net().CountParams()
		d, e, f := spec.Model.Net().CountParams()
		if a != d || b != e || c != f {
			t.Errorf("%s: params %d/%d/%d after JSON round trip, want %d/%d/%d", name, d, e, f, a, b, c)
		}
		if spec.Model.Loss().Name() != m.Loss().Name() || spec.Model.Optimizer().Name() != m.Optimizer().Name() {
			t.Errorf("%s: compile settings lost in JSON", name)
		}
	}
	if _, err := gokeras.LookupPreset("resnet"); err == nil || !strings.Contains(err.Error(), "digits-cnn") {
		t.Errorf("unknown preset: err = %v, want the list of presets", err)
	}
}

// kerasJSON is what Keras 2's model.to_json() writes for the note's first
// model (abridged to the keys that matter, plus some it ignores).
const kerasJSON = `{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 1], "dtype": "float32", "sparse": false, "ragged": false, "name": "conv2d_input"}},
 {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 10, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}}},
 {"class_name": "Conv2D", "config": {"name": "conv2d_1", "filters": 7, "kernel_size": [2, 2], "activation": "relu"}},
 {"class_name": "Flatten", "config": {"name": "flatten", "data_format": "channels_last"}},
 {"class_name": "Dense", "config": {"name": "dense", "units": 32, "activation": "relu"}},
 {"class_name": "Dense", "config": {"name": "dense_1", "units": 10, "activation": "softmax"}}]},
 "keras_version": "2.12.0", "backend": "tensorflow"}`

func TestParseKerasJSON(t *testing.T) {
	spec, err := gokeras.ParseModelJSON([]byte(kerasJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Model.Build(); err != nil {
		t.Fatal(err)
	}
	if total, _, _ := spec.Model.Net().CountParams(); total != 6349 {
		t.Errorf("params = %d, want 6349", total)
	}
	bad := strings.Replace(kerasJSON, `"Flatten"`, `"Flattenn"`, 1)
	if _, err := gokeras.ParseModelJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "Flatten") {
		t.Errorf("unknown layer class: err = %v, want the list of classes", err)
	}
}

func TestBadInputErrors(t *testing.T) {
	x, y := toyImages(32, 8)
	tests := []struct {
		name   string
		run    func() error
		advice string
	}{
		{"not compiled", func() error {
			m := gokeras.NewSequential(&nn.Dense{Units: 2, InputShape: tensor.Shape{3}})
			_, err := m.Fit(x, y, silent(1))
			return err
		}, "call Compile"},
		{"images without channel axis", func() error {
			flat, _ := x.Reshape(32, 8, 8)
			_, err := toyModel(1).Fit(flat, y, silent(1))
			return err
		}, "add a channel axis"},
		{"label count mismatch", func() error {
			_, err := toyModel(1).Fit(x, y.Slice(0, 10), silent(1))
			return err
		}, "must match"},
		{"label out of range", func() error {
			bad := y.Clone()
			bad.Data[3] = 7
			_, err := toyModel(1).Fit(x, bad, silent(1))
			return err
		}, "outside"},
		{"bad validation split", func() error {
			o := silent(1)
			o.ValidationSplit = 1.5
			_, err := toyModel(1).Fit(x, y, o)
			return err
		}, "e.g. 0.2"},
		{"unknown loss name", func() error {
			return gokeras.NewSequential().CompileNamed("cross_entropy", "adam")
		}, "sparse_categorical_crossentropy"},
		{"unknown optimizer name", func() error {
			return gokeras.NewSequential().CompileNamed("mse", "adamm")
		}, "adam"},
	}
	for _, tt := range tests {
		err := tt.run()
		if err == nil || !strings.Contains(err.Error(), tt.advice) {
			t.Errorf("%s: err = %v, want it to say %q", tt.name, err, tt.advice)
		}
	}
}

func TestNaNLossStopsWithEpochAndBatch(t *testing.T) {
	x, y := toyImages(64, 9)
	x.Data[40*64+3] = float32(math.NaN()) // sample 40 poisons its batch
	m := toyModel(6)
	o := silent(2)
	o.NoShuffle = true
	h, err := m.Fit(x, y, o)
	if !errors.Is(err, train.ErrNaN) {
		t.Fatalf("err = %v, want ErrNaN", err)
	}
	if !strings.Contains(err.Error(), "epoch 1/2, batch 3/4") {
		t.Errorf("err = %q, want it to name epoch 1/2, batch 3/4", err)
	}
	if h == nil || h.Len() != 0 {
		t.Errorf("history = %v, want empty (no epoch finished)", h)
	}
}

func TestCallbacks(t *testing.T) {
	x, y := toyImages(200, 10)
	dir := t.TempDir()
	m := toyModel(7)
	csvPath := filepath.Join(dir, "log.csv")
	es := &train.EarlyStopping{Monitor: "val_loss", Patience: 1, MinDelta: 10, RestoreBestWeights: true}
	o := silent(6)
	o.ValidationSplit = 0.2
	o.Callbacks = []train.Callback{
		es,
		&train.CSVLogger{Filename: csvPath},
		&gokeras.ModelCheckpoint{Model: m, Filepath: filepath.Join(dir, "ck-{epoch:02d}-{val_loss:.2f}.safetensors")},
		&train.LearningRateScheduler{Schedule: func(epoch int, lr float64) float64 { return 0.01 / float64(epoch+1) }},
	}
	h, err := m.Fit(x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	// min_delta 10 means no epoch after the first counts as better:
	// patience 1 stops after epoch 2 (index 1).
	if h.Len() != 2 || es.StoppedEpoch != 1 {
		t.Errorf("EarlyStopping ran %d epochs, stopped at %d; want 2 and 1", h.Len(), es.StoppedEpoch)
	}
	csvData, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSpace(string(csvData)), "\n")
	if len(lines) != 3 || lines[0] != "epoch,loss,accuracy,val_loss,val_accuracy" {
		t.Errorf("CSV log:\n%s", csvData)
	}
	cks, _ := filepath.Glob(filepath.Join(dir, "ck-0*.safetensors"))
	if len(cks) != 2 {
		t.Errorf("checkpoints %v, want one per epoch", cks)
	}
	if lr := m.Optimizer().LearningRate(); math.Abs(lr-0.005) > 1e-12 {
		t.Errorf("learning rate after 2 epochs of the schedule = %v, want 0.005", lr)
	}

	rl := &train.ReduceLROnPlateau{Monitor: "loss", Patience: 1, Factor: 0.5, MinDelta: 100}
	m2 := toyModel(8)
	o2 := silent(3)
	o2.Callbacks = []train.Callback{rl}
	if _, err := m2.Fit(x, y, o2); err != nil {
		t.Fatal(err)
	}
	// Epoch 0 sets the best; epochs 1 and 2 each halve the rate.
	if lr := m2.Optimizer().LearningRate(); math.Abs(lr-0.00025) > 1e-12 {
		t.Errorf("ReduceLROnPlateau left lr %v, want 0.00025", lr)
	}
	bad := &train.EarlyStopping{Monitor: "val_acc"}
	o3 := silent(1)
	o3.Callbacks = []train.Callback{bad}
	if _, err := toyModel(9).Fit(x, y, o3); err == nil || !strings.Contains(err.Error(), "available: loss, accuracy") {
		t.Errorf("monitoring a missing quantity: err = %v", err)
	}
}

func TestInputDeclaresShape(t *testing.T) {
	m := gokeras.NewSequential(gokeras.Input(4), &nn.Dense{Units: 2})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if got := m.Net().InputShape(); !got.Equal(tensor.Shape{4}) || len(m.Layers()) != 1 {
		t.Errorf("input shape %v with %d layers, want (4,) and the Input not counted", got, len(m.Layers()))
	}
}

// cancelAfter cancels training at the end of an epoch, as Ctrl-C would.
type cancelAfter struct {
	train.NopCallback
	epoch  int
	cancel func()
}

func (c *cancelAfter) OnEpochEnd(_ *train.Run, epoch int, _ train.Logs) error {
	if epoch == c.epoch {
		c.cancel()
	}
	return nil
}

func TestCancelKeepsHistory(t *testing.T) {
	x, y := toyImages(100, 11)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := silent(5)
	o.Callbacks = []train.Callback{&cancelAfter{epoch: 1, cancel: cancel}}
	m := toyModel(10)
	h, err := m.FitContext(ctx, x, y, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if h.Len() != 2 || m.Epoch() != 2 {
		t.Errorf("history has %d epochs, model at epoch %d; want the 2 finished", h.Len(), m.Epoch())
	}
}

func TestFLOPs(t *testing.T) {
	p, _ := gokeras.LookupPreset("cifar10-cnn")
	m, _ := p.Model()
	m.Build()
	// conv1 32*32*27*64*2 + conv2 16*16*576*128*2 + dense 8192*256*2 + 256*128*2 + 128*10*2
	want := int64(32*32*27*64*2 + 16*16*576*128*2 + 8192*256*2 + 256*128*2 + 128*10*2)
	if got := m.FLOPs(); got != want {
		t.Errorf("FLOPs = %d, want %d", got, want)
	}
	// Dense on a rank-3 input: one product per leading position.
	d := gokeras.NewSequential(&nn.Dense{Units: 5, InputShape: tensor.Shape{7, 3}})
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	if got, want := d.FLOPs(), int64(2*7*3*5); got != want {
		t.Errorf("FLOPs of Dense(5) on (7, 3) = %d, want %d", got, want)
	}
	// Grouped kernels see channels/groups inputs per filter: Conv1D(8, 3,
	// groups=2) on (10, 4) "same" is 10 steps * 3*2 * 8 multiply-adds,
	// Conv2D(6, 3x3, groups=3) on (5, 5, 6) "valid" 3*3 pixels * 9*2 * 6.
	c := gokeras.NewSequential(&nn.Conv1D{Filters: 8, KernelSize: 3, Groups: 2, Padding: nn.Same, InputShape: tensor.Shape{10, 4}})
	if err := c.Build(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.FLOPs(), int64(2*10*3*2*8); got != want {
		t.Errorf("FLOPs of grouped Conv1D = %d, want %d", got, want)
	}
	c = gokeras.NewSequential(&nn.Conv2D{Filters: 6, KernelSize: [2]int{3, 3}, Groups: 3, InputShape: tensor.Shape{5, 5, 6}})
	if err := c.Build(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.FLOPs(), int64(2*3*3*9*2*6); got != want {
		t.Errorf("FLOPs of grouped Conv2D = %d, want %d", got, want)
	}
}

// TestPatchWhiteningAdaptSaveLoad: Adapt sets the whitening kernel from a
// sample of uint8 images, training leaves the kernel alone (only the bias
// moves), and a saved model predicts the same after loading.
func TestPatchWhiteningAdaptSaveLoad(t *testing.T) {
	x, y := toyImages(120, 9)
	px := tensor.NewBytes(255, 120, 8, 8, 1)
	for i, v := range x.Data {
		px.Data[i] = uint8(v * 255)
	}
	wh := &nn.PatchWhitening{MaxImages: 50}
	m := gokeras.NewSequential(
		&nn.InputLayer{Shape: tensor.Shape{8, 8, 1}},
		wh,
		&nn.Activation{Activation: activation.ReLU},
		&nn.Flatten{},
		&nn.Dense{Units: 2, Activation: activation.Softmax},
	)
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	kernel := func() []float32 { return append([]float32(nil), wh.Params()[1].Value.Data...) }
	before := kernel()
	if err := m.Adapt(px); err != nil {
		t.Fatal(err)
	}
	adapted := kernel()
	if reflect.DeepEqual(before, adapted) {
		t.Fatal("Adapt left the whitening kernel at its initial values")
	}
	if _, err := m.Fit(px, y, silent(2)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kernel(), adapted) {
		t.Error("training changed the whitening kernel; only its bias is trained")
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.Predict(px, 0)
	b, _ := m2.Predict(px, 0)
	if !reflect.DeepEqual(a.Data, b.Data) {
		t.Error("predictions differ after save and load")
	}
}
