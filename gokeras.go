// Package gokeras is the front door: a Keras-style Sequential model with
// Compile, Fit, Evaluate, Predict, Summary, Save and Load, in pure Go.
//
//	model := gokeras.NewSequential(
//		&nn.Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{28, 28, 1}},
//		&nn.MaxPooling2D{},
//		&nn.Flatten{},
//		&nn.Dense{Units: 10, Activation: activation.Softmax},
//	)
//	model.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{}, &metric.Accuracy{})
//	hist, err := model.Fit(xTrain, yTrain, gokeras.FitOptions{Epochs: 10, BatchSize: 256})
//
// It is a thin facade: layers live in nn, the training loop in train.
package gokeras

import (
	"context"
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// FitOptions are Fit's arguments (epochs, batch size, validation, seed,
// callbacks, verbosity); the zero value is Keras's defaults.
type FitOptions = train.Options

// EvaluateOptions are EvaluateWith's arguments (batch size, sample
// weights, test-time augmentation); the zero value is Keras's defaults.
type EvaluateOptions = train.EvaluateOptions

// History is what Fit returns: per-epoch loss and metrics.
type History = train.History

// Logs maps "loss", "accuracy", "val_loss", ... to values.
type Logs = train.Logs

// Inputs are what Fit, Evaluate and Predict read examples from: a float32
// *tensor.Tensor, or a *tensor.Bytes of uint8 pixels that is scaled a
// batch at a time (a quarter of the memory, the same results as scaling
// the whole array first).
type Inputs = train.Inputs

// TTA is a test-time augmentation for EvaluateTTA: TTANone, TTAFlip (each
// image and its mirror) or TTAFlipShift (also shifted a pixel both ways).
type TTA = train.TTA

const (
	TTANone      = train.TTANone
	TTAFlip      = train.TTAFlip
	TTAFlipShift = train.TTAFlipShift
)

// Model is a network with what compile() gives it: a Sequential model (a
// plain stack of layers, each feeding the next; NewSequential) or a
// Functional one (a graph of layer calls; NewModel). Both run on one
// engine, with the same Fit, Evaluate, Predict, Summary and Save.
//
// Predict, Evaluate and EvaluateTTA are safe to call from many goroutines
// at once on one model (a server's requests), and each call gives the same
// bits as it would alone: a call that finds the model's network busy runs
// on a replica that shares its weights (see inference.go), and the kernels
// share the cores among concurrent calls. Everything else (Fit, Build,
// Compile, Add, Save, changing the weights) must not run at the same time
// as another method; Predict while Fit runs reads weights mid-update.
type Model struct {
	Name string
	// Seed draws the initial weights; with FitOptions.Seed unset it also
	// drives shuffling and dropout, so one seed makes a run repeatable.
	Seed uint64
	// Classes names the output classes and DatasetName the data set the
	// model was trained on, when known; both are saved with the model.
	Classes     []string
	DatasetName string
	// Features names the input columns of a model trained on a table (CSV),
	// in order; it is saved with the model so that predict can match a
	// file's header by name rather than by position.
	Features []string
	// PixelRange is what a white pixel of the model's image inputs read
	// as in training: 255 when images were loaded as 0-255 floats (the
	// CLI's --pixel-range 255, for models that start with
	// Rescaling(1/255)), 0 or 1 for [0, 1]. It is saved with the model so
	// that evaluate and predict feed images in the same range.
	PixelRange int

	net      nn.Stack
	infer    inference // networks for concurrent Predict and Evaluate calls
	model    train.Model
	compiled bool
	epoch    int // epochs trained so far (saved, to resume)
	// loadNotes are what Load said about a Keras file (LoadNotes).
	loadNotes []string
}

// Sequential is the name Keras users know for a model built by adding
// layers; it is the same type as Model.
type Sequential = Model

// NewModel returns a Functional model: the layers called (nn.Call,
// nn.Merge) from inputs (Input) to outputs, as keras.Model(inputs,
// outputs). The shapes were checked at each call; the first error of a
// call is returned here. A model with several inputs or outputs trains
// with CompileOutputs and FitMulti, EvaluateMulti and PredictMulti (multi.go).
//
//	in := gokeras.Input(32, 32, 3)
//	x := nn.Call(&nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: nn.Same}, in)
//	y := nn.Call(&nn.Conv2D{Filters: 16, KernelSize: [2]int{3, 3}, Padding: nn.Same}, x)
//	z := nn.Call(&nn.ReLU{}, nn.Merge(&nn.Add{}, x, y))
//	out := nn.Call(&nn.Dense{Units: 10, Activation: activation.Softmax}, nn.Call(&nn.GlobalAveragePooling2D{}, z))
//	m, err := gokeras.NewModel([]nn.Symbolic{in}, []nn.Symbolic{out})
func NewModel(inputs, outputs []nn.Symbolic) (*Model, error) {
	g, err := nn.NewGraph(inputs, outputs)
	if err != nil {
		return nil, fmt.Errorf("gokeras: %w", err)
	}
	m := &Model{Name: "functional", net: *g}
	return m, nil
}

// NewSequential returns a model with the given layers.
func NewSequential(layers ...nn.Layer) *Sequential {
	m := &Sequential{Name: "sequential"}
	m.Add(layers...)
	return m
}

// Input declares the per-sample input shape, as keras.Input(shape=...):
// placed first in a Sequential model, or the symbolic tensor a Functional
// model's layers are called on (nn.Call).
func Input(shape ...int) *nn.InputLayer { return &nn.InputLayer{Shape: tensor.Shape(shape)} }

// Add appends layers. A layer added after building rebuilds the model.
func (m *Sequential) Add(layers ...nn.Layer) { m.net.Add(layers...) }

// Layers returns the layers in order.
func (m *Sequential) Layers() []nn.Layer { return m.net.Layers }

// Net is the underlying layer stack.
func (m *Sequential) Net() *nn.Stack { return &m.net }

// Build infers every shape and creates the weights. inputShape is the
// per-sample shape (no batch axis); with none, the shape declared on the
// first layer or by an InputLayer is used. Fit builds automatically. A
// model of more than MaxParams weights is an error, found before any is
// allocated.
func (m *Sequential) Build(inputShape ...int) error {
	var in tensor.Shape
	if len(inputShape) > 0 {
		in = tensor.Shape(inputShape)
	}
	plan, err := m.net.ParamShapes(in)
	if err != nil {
		return err // the errors Build itself would give, found before allocating
	}
	if err := checkParamCount(plan); err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	if err := m.build(in); err != nil {
		return err
	}
	if err := m.checkSampleSizes(); err != nil {
		m.net.Unbuild()
		return fmt.Errorf("gokeras: %w", err)
	}
	return nil
}

// build is Build without the MaxParams check (Load has checked the
// weights against the file instead).
func (m *Sequential) build(in tensor.Shape) error {
	if err := m.net.Build(in, m.Seed); err != nil {
		return err
	}

	m.model.Net = &m.net
	return nil
}

func (m *Sequential) ensureBuilt(x Inputs) error {
	m.infer.build.Lock() // concurrent first calls build once
	defer m.infer.build.Unlock()
	if m.net.Built() {
		return nil
	}
	var in tensor.Shape
	if !m.net.Functional() && m.net.DeclaredInputShape() == nil && !train.Missing(x) && len(x.RowShape()) > 0 {
		in = x.RowShape()
	}
	return m.Build(in...)
}

// Adapt lets preprocessing layers (Normalization, Discretization) learn
// from the training inputs x, as layer.adapt(x) does in Keras. Layers
// after the first see x passed through the layers before them. A model
// without such layers reads nothing; one with them reads all of x as
// float32. A model with several inputs takes AdaptMulti.
func (m *Sequential) Adapt(x Inputs) error {
	if err := m.ensureBuilt(x); err != nil {
		return err
	}
	if n := len(m.net.InputShapes()); n > 1 {
		return fmt.Errorf("gokeras: the model has %d inputs; adapt it with AdaptMulti and a List or Named map of arrays", n)
	}
	return m.AdaptMulti(List{x})
}

// AdaptMulti is Adapt for a model with several inputs: x gives one array
// per input, as FitMulti takes them. Each preprocessing layer learns from
// what reaches it (nn.Stack.Adapt), except those that already hold what
// they learn (nn.Settled: bin boundaries, a vocabulary adapted before the
// model was made or read from a file), which keep it.
func (m *Model) AdaptMulti(x Arrays) error {
	if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	adapters := m.net.Adapters()
	if len(adapters) == 0 {
		return nil
	}
	xs, err := train.ResolveInputs(&m.net, "adapt", x)
	if err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	// Layers that learn from a sample (PatchWhitening) get evenly spaced
	// rows instead of the whole set, unless another adapter needs it all.
	n, take := xs[0].Len(), 0
	for _, l := range adapters {
		if s, ok := l.(nn.SampleAdapter); ok {
			take = max(take, min(n, s.AdaptSample()))
		} else {
			take = n
		}
	}
	idx := make([]int, take)
	for i := range idx {
		idx[i] = i * n / take
	}
	ts := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		if t, ok := x.(*tensor.Tensor); ok && take == n {
			ts[i] = t // all of it, as it is
			continue
		}
		ts[i] = x.GatherRows(nil, idx)
	}
	if err := m.net.Adapt(ts); err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	return nil
}

// Compile sets the loss, the optimiser and the metrics, as model.compile().
// The metrics never see sample weights; SetWeightedMetrics adds Keras's
// weighted_metrics, which do. Compile removes the weighted metrics of an
// earlier Compile, as a new compile() without weighted_metrics does.
func (m *Sequential) Compile(l loss.Loss, o optim.Optimizer, metrics ...metric.Metric) error {
	if l == nil || o == nil {
		return fmt.Errorf("gokeras: Compile needs a loss and an optimizer, e.g. loss.SparseCategoricalCrossentropy{} and &optim.Adam{}")
	}
	if err := loss.CheckTrainable(l); err != nil {
		return fmt.Errorf("gokeras: Compile: %w", err)
	}
	if n := len(m.net.OutputShapes()); n > 1 {
		// Keras applies one loss to every output; its metrics list must
		// then have one entry per output, which CompileOutputs takes.
		if len(metrics) > 0 {
			return fmt.Errorf("gokeras: the model has %d outputs (%s); give each its metrics with CompileOutputs", n, strings.Join(m.OutputNames(), ", "))
		}
		outs := make([]Output, n)
		for j := range outs {
			outs[j].Loss = l
		}
		return m.CompileOutputs(o, outs...)
	}
	m.model = train.Model{Net: &m.net, Loss: l, Optimizer: o, Metrics: metrics}
	m.compiled = true
	return nil
}

// SetWeightedMetrics sets the metrics that Fit and Evaluate weigh with the
// sample or class weights they are given, as compile(weighted_metrics=...)
// in Keras; without weights they are plain metrics. In the logs a weighted
// metric whose name an unweighted one has is "weighted_<name>", as Keras
// names it. Call it after Compile; every metric must implement
// metric.Weighted (the built-in ones do).
func (m *Sequential) SetWeightedMetrics(ms ...metric.Metric) error {
	if !m.compiled {
		return fmt.Errorf("gokeras: SetWeightedMetrics before Compile; compile the model first (Compile replaces the weighted metrics)")
	}
	if len(m.model.Outputs) != 0 && len(ms) > 0 {
		return fmt.Errorf("gokeras: the model is compiled per output; give each output its WeightedMetrics in CompileOutputs")
	}
	for _, mt := range ms {
		if _, ok := mt.(metric.Weighted); !ok {
			return fmt.Errorf("gokeras: weighted metric %s (%T) does not take sample weights; implement metric.Weighted or pass it to Compile", mt.Name(), mt)
		}
	}
	m.model.WeightedMetrics = ms
	return nil
}

// WeightedMetrics returns what SetWeightedMetrics set.
func (m *Sequential) WeightedMetrics() []metric.Metric { return m.model.WeightedMetrics }

// CompileNamed is Compile with Keras's names, as written in Python:
// CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy").
func (m *Sequential) CompileNamed(lossName, optimizerName string, metricNames ...string) error {
	l, err := loss.Parse(lossName)
	if err != nil {
		return fmt.Errorf("gokeras: compile: %w", err)
	}
	o, err := optim.Parse(optimizerName)
	if err != nil {
		return fmt.Errorf("gokeras: compile: %w", err)
	}
	var ms []metric.Metric
	for _, n := range metricNames {
		mt, err := metric.Parse(n)
		if err != nil {
			return fmt.Errorf("gokeras: compile: %w", err)
		}
		ms = append(ms, mt)
	}
	return m.Compile(l, o, ms...)
}

// Loss, Optimizer and Metrics return what Compile set (Loss nil and no
// Metrics for a model compiled per output with CompileOutputs).
func (m *Sequential) Loss() loss.Loss            { return m.model.Loss }
func (m *Sequential) Optimizer() optim.Optimizer { return m.model.Optimizer }
func (m *Sequential) Metrics() []metric.Metric   { return m.model.Metrics }

// Epoch is the number of epochs trained so far, counting those before a
// Save when the model was loaded.
func (m *Sequential) Epoch() int { return m.epoch }

func (m *Sequential) ready(x Inputs) error {
	if !m.compiled {
		return fmt.Errorf("gokeras: the model is not compiled; call Compile (loss, optimizer, metrics) first")
	}
	return m.ensureBuilt(x)
}

// Fit trains the model, as model.fit(). Training continues from the
// epochs already done (Epoch) up to o.Epochs when o.InitialEpoch is unset
// and the model was loaded mid-training. x is usually a float32
// *tensor.Tensor; image pixels may stay uint8 as a *tensor.Bytes.
func (m *Sequential) Fit(x Inputs, y *tensor.Tensor, o FitOptions) (*History, error) {
	return m.FitContext(context.Background(), x, y, o)
}

// FitContext is Fit that stops cleanly when ctx is cancelled (Ctrl-C in the
// CLI), returning the History so far together with ctx's error.
func (m *Sequential) FitContext(ctx context.Context, x Inputs, y *tensor.Tensor, o FitOptions) (*History, error) {
	if err := m.ready(x); err != nil {
		return nil, err
	}
	return m.fit(ctx, o, func(o FitOptions) (*History, error) { return train.Fit(ctx, &m.model, x, y, o) })
}

// fit runs one of train's fits (run) with what the model adds: the model's
// seed and epoch, its epoch counter and the optimizer's schedule callback.
func (m *Sequential) fit(ctx context.Context, o FitOptions, run func(FitOptions) (*History, error)) (*History, error) {
	if err := m.ready(nil); err != nil {
		return nil, err
	}
	if err := m.checkClasses(); err != nil {
		return nil, fmt.Errorf("gokeras: %w", err) // saved, the model would not load
	}
	// Inference calls during Fit (from callbacks or other goroutines) use
	// replicas, never the network being trained.
	m.infer.own.Lock()
	m.infer.fitting.Store(true)
	defer m.infer.own.Unlock()
	defer m.infer.fitting.Store(false)
	if o.Seed == 0 {
		o.Seed = m.Seed
	}
	if o.InitialEpoch == 0 {
		o.InitialEpoch = m.epoch
	}
	cbs := []train.Callback{&epochCounter{m: m}}
	// The optimizer's schedule (optim.Optimizer.SetSchedule) learns the
	// run's length and logs its rate through the LRSchedule callback.
	if m.model.Optimizer.Schedule() != nil && !hasLRSchedule(o.Callbacks) {
		cbs = append(cbs, &train.LRSchedule{})
	}
	o.Callbacks = append(cbs, o.Callbacks...)
	return run(o)
}

func hasLRSchedule(cbs []train.Callback) bool {
	for _, c := range cbs {
		if _, ok := c.(*train.LRSchedule); ok {
			return true
		}
	}
	return false
}

// epochCounter keeps Sequential.epoch in step with training, so Save in a
// callback (ModelCheckpoint) records where to resume.
type epochCounter struct {
	train.NopCallback
	m *Sequential
}

func (e *epochCounter) OnEpochEnd(_ *train.Run, epoch int, _ train.Logs) error {
	e.m.epoch = epoch + 1
	return nil
}

// Evaluate returns the loss and metrics on x and y, in inference mode, as
// model.evaluate(). batchSize 0 means 32. EvaluateWith takes sample
// weights.
func (m *Sequential) Evaluate(x Inputs, y *tensor.Tensor, batchSize int) (Logs, error) {
	return m.EvaluateWith(x, y, EvaluateOptions{BatchSize: batchSize})
}

// EvaluateTTA is Evaluate with test-time augmentation: the outputs are
// averaged over mirrored (and with TTAFlipShift, shifted) views of each
// image before the loss and metrics (a gokeras extension; Keras has none).
func (m *Sequential) EvaluateTTA(x Inputs, y *tensor.Tensor, batchSize int, t TTA) (Logs, error) {
	return m.EvaluateWith(x, y, EvaluateOptions{BatchSize: batchSize, TTA: t})
}

// EvaluateWith is Evaluate with all of evaluate()'s options, as
// model.evaluate(x, y, batch_size=..., sample_weight=...): with
// o.SampleWeight each sample's loss is multiplied by its weight (the sum
// still divided by the number of samples) and the weighted metrics
// average with the weights.
func (m *Sequential) EvaluateWith(x Inputs, y *tensor.Tensor, o EvaluateOptions) (Logs, error) {
	if err := m.ready(x); err != nil {
		return nil, err
	}
	tm, release, err := m.evalModel()
	if err != nil {
		return nil, err
	}
	defer release()
	return train.EvaluateWith(tm, x, y, o)
}

// Predict returns the model's outputs for x (per-class probabilities for a
// softmax classifier), as model.predict(). batchSize 0 means 32.
func (m *Sequential) Predict(x Inputs, batchSize int) (*tensor.Tensor, error) {
	if err := m.ensureBuilt(x); err != nil {
		return nil, err
	}
	net, release, err := m.inferNet()
	if err != nil {
		return nil, err
	}
	defer release()
	return train.Predict(net, x, batchSize)
}

// SetLabelSmoothing sets the label smoothing of the compiled loss, which
// must be a cross-entropy (categorical, sparse, binary or focal; see
// loss.WithLabelSmoothing).
func (m *Sequential) SetLabelSmoothing(ls float64) error {
	if !m.compiled {
		return fmt.Errorf("gokeras: the model is not compiled; compile it before setting label smoothing")
	}
	l, err := loss.WithLabelSmoothing(m.model.Loss, ls)
	if err != nil {
		return fmt.Errorf("gokeras: %w", err)
	}
	m.model.Loss = l
	return nil
}
