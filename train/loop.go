package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// Verbosity selects the progress output, as Keras's verbose argument.
type Verbosity int

const (
	// Auto is Keras's verbose="auto": a progress bar (redrawn in place on a
	// terminal, one line per epoch otherwise).
	Auto Verbosity = iota
	// Silent prints nothing.
	Silent
	// ProgressBar is verbose=1.
	ProgressBar
	// OneLine is verbose=2: one line per epoch.
	OneLine
)

// ParseVerbosity maps Keras's verbose=0/1/2 to a Verbosity.
func ParseVerbosity(v int) (Verbosity, error) {
	switch v {
	case 0:
		return Silent, nil
	case 1:
		return ProgressBar, nil
	case 2:
		return OneLine, nil
	}
	return 0, fmt.Errorf("train: verbose %d is not 0, 1 or 2", v)
}

// Data is a set of inputs and targets with the batch on the first axis.
type Data struct {
	X Inputs // a *tensor.Tensor, or *tensor.Bytes scaled as batches are read
	Y *tensor.Tensor
	// Xs and Ys replace X and Y for a model with several inputs or
	// outputs (FitMulti): a List or a Named map each.
	Xs, Ys Arrays
	// SampleWeight, if non-nil, holds one weight per sample (see
	// Options.SampleWeight), as the third item of Keras's
	// validation_data=(x, y, sample_weight).
	SampleWeight []float32
}

// Options are fit()'s arguments. The zero value is Keras's defaults:
// batch size 32, one epoch, shuffled, no validation, progress bar.
type Options struct {
	Epochs       int
	InitialEpoch int // epochs already done (to resume a run)
	BatchSize    int
	// ValidationSplit holds out the LAST fraction of x and y (before any
	// shuffling, as Keras does) to validate on after each epoch; the same
	// fraction of SampleWeight goes with it.
	ValidationSplit float64
	ValidationData  *Data
	// SampleWeight, if non-nil, holds one finite, non-negative weight per
	// sample of x and y, as Keras's sample_weight: each sample's loss is
	// multiplied by its weight and the sum divided by the batch size (not
	// by the sum of the weights), and the model's WeightedMetrics average
	// with these weights. Nil weighs every sample 1.
	SampleWeight []float32
	// ClassWeight, if non-nil, maps a class index to the weight of the
	// training samples of that class, as Keras's class_weight: a sample's
	// class is its integer label, or the argmax of its one-hot row; classes
	// not in the map weigh 1. It weighs the training part only, never the
	// validation data, and cannot be given with SampleWeight.
	ClassWeight map[int]float64
	NoShuffle   bool
	// StepsPerEpoch, if positive, ends an epoch after that many batches, as
	// Keras's steps_per_epoch does with arrays: the next epoch goes on where
	// this one stopped, in the same shuffled order, and a new shuffle starts
	// once every batch has been seen; the epoch that reaches the end of the
	// data is cut short there. Zero, or at least the number of batches,
	// means one whole pass per epoch.
	StepsPerEpoch int
	// Seed makes shuffling and dropout repeatable; one seed, one run.
	Seed uint64
	// Mix, if non-nil, blends every training batch with a shuffled copy
	// of itself, inputs and targets (MixUp, CutMix), as Keras's layers of
	// those names do to (images, labels) in a data pipeline. Sparse class
	// labels are blended as one-hot rows, scored by the categorical twin
	// of the loss; the training metrics see each sample's dominant label.
	// Sample and class weights stay with the sample they belong to. It
	// needs a model with one input and one output.
	Mix       Mixer
	Callbacks []Callback
	Verbose   Verbosity
	Out       io.Writer // default os.Stdout
}

// ErrNaN is wrapped by the error Fit returns when the loss stops being
// finite, which it checks after every batch without being asked (Keras's
// TerminateOnNaN(raise_error=True)); a TerminateOnNaN{} callback makes it
// Keras's graceful stop instead.
var ErrNaN = errors.New("loss is not finite")

// splitAt returns where the held-out last part of n samples begins.
// Keras: split_at = floor(n * (1 - validation_split))
// (keras/src/trainers/data_adapters/array_slicing.py, train_validation_split).
func splitAt(n int, frac float64) (int, error) {
	if !(frac > 0 && frac < 1) {
		return 0, fmt.Errorf("train: validation_split %v must be in (0, 1), e.g. 0.2", frac)
	}
	at := int(math.Floor(float64(n) * (1 - frac)))
	if at <= 0 || at >= n {
		return 0, fmt.Errorf("train: validation_split %v of %d samples leaves an empty part; use more data or another split", frac, n)
	}
	return at, nil
}

// mix derives a stream seed from the run seed and up to two counters.
func mix(seed uint64, a, b uint64) (uint64, uint64) {
	z := seed + 0x9e3779b97f4a7c15*(a+1) + 0xbf58476d1ce4e5b9*(b+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31), seed ^ a<<32 ^ b
}

// epochBatches says which batches of which pass over the data an epoch
// trains on, when every epoch but a pass's last has steps of the pass's
// batches (Keras's EpochIterator with steps_per_epoch: the iterator
// persists across epochs and is renewed once exhausted). Passes are numbered
// from 0 and shuffled by number, so a resumed run draws what an
// uninterrupted one would.
func epochBatches(epoch, batches, steps int) (pass, first, count int) {
	perPass := (batches + steps - 1) / steps
	pass = epoch / perPass
	first = epoch % perPass * steps
	return pass, first, min(steps, batches-first)
}

// Fit trains m on x and y, reading x a batch at a time (see Inputs). It returns the History of the epochs that ran,
// also when ctx is cancelled (then with ctx's error) or the loss becomes NaN
// (then with an error naming the epoch and batch).
func Fit(ctx context.Context, m *Model, x Inputs, y *tensor.Tensor, o Options) (*History, error) {
	if err := fitOptions(&o); err != nil {
		return nil, err
	}
	if err := m.checkData("training", x, y); err != nil {
		return nil, err
	}
	return fit(ctx, m, []Inputs{x}, []*tensor.Tensor{y}, o)
}

// FitMulti is Fit for a model with several inputs or outputs, as Keras's
// fit(x, y) with lists or dicts of arrays: x holds one array per input and
// y one per output (nil, or left out of a Named map, for an output
// without a loss), each a List in the network's order or a Named map
// keyed by layer name. Every array has one row per sample; shuffling,
// batches and the validation split take the same rows of each. Sample
// weights weigh every output's loss, as in Keras; ClassWeight needs a
// model with one output.
func FitMulti(ctx context.Context, m *Model, x, y Arrays, o Options) (*History, error) {
	if err := fitOptions(&o); err != nil {
		return nil, err
	}
	if err := m.CheckOutputs(); err != nil {
		return nil, err
	}
	xs, ys, err := m.resolveData("training", x, y)
	if err != nil {
		return nil, err
	}
	if err := m.checkArrays("training", xs, ys); err != nil {
		return nil, err
	}
	return fit(ctx, m, xs, ys, o)
}

// fitOptions fills in the defaults of o and checks it.
func fitOptions(o *Options) error {
	if o.Epochs == 0 {
		o.Epochs = 1
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.Epochs < 0 || o.BatchSize < 0 || o.InitialEpoch < 0 || o.StepsPerEpoch < 0 {
		return fmt.Errorf("train: epochs %d, initial_epoch %d, batch_size %d and steps_per_epoch %d must be positive", o.Epochs, o.InitialEpoch, o.BatchSize, o.StepsPerEpoch)
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	return nil
}

// fit is Fit on checked arrays: one per input, one per output.
func fit(ctx context.Context, m *Model, x []Inputs, y []*tensor.Tensor, o Options) (*History, error) {
	multi := m.multi(len(x))
	if err := m.checkWeightedMetrics(); err != nil {
		return nil, err
	}
	m.gather()
	if err := m.nameVariables(); err != nil {
		return nil, err
	}
	m.nameMetrics()
	m.fuseKnown = false
	m.prepareOutputs()
	w, err := m.trainingWeights(x, y, o)
	if err != nil {
		return nil, err
	}
	// Training reads rows [0, n) through shuffled indices; the held-out
	// part of a validation split is the rows after them, with the
	// sample weights (never the class weights) of those rows.
	n := x[0].Len()
	train := rows{x, y, w, 0, n}
	var val *rows
	switch {
	case o.ValidationData != nil:
		vr, err := m.validationRows(o.ValidationData, multi)
		if err != nil {
			return nil, err
		}
		val = vr
	case o.ValidationSplit != 0:
		at, err := splitAt(n, o.ValidationSplit)
		if err != nil {
			return nil, err
		}
		train.hi = at
		val = &rows{x, y, o.SampleWeight, at, n}
	}
	n = train.hi
	batches := (n + o.BatchSize - 1) / o.BatchSize // the last partial batch is kept
	steps := batches
	if o.StepsPerEpoch > 0 && o.StepsPerEpoch < batches {
		steps = o.StepsPerEpoch
	}
	hist := &History{}
	run := &Run{Model: m, Epochs: o.Epochs, InitialEpoch: o.InitialEpoch, Steps: steps, History: hist, Out: o.Out}
	// A TerminateOnNaN that does not raise turns the built-in NaN error
	// into Keras's graceful stop (see TerminateOnNaN).
	graceful := gracefulNaN(o.Callbacks)
	prog := newProgress(o.Out, o.Verbose, steps)
	if err := callAll(o.Callbacks, func(c Callback) error { return c.OnTrainBegin(run) }); err != nil {
		return hist, err
	}
	var mx *mixing
	if o.Mix != nil {
		if multi {
			return nil, fmt.Errorf("train: %s mixes one input and one target per sample; the model has several inputs or outputs", o.Mix.Name())
		}
		if mx, err = newMixing(m, o.Mix, x[0], o.Seed); err != nil {
			return nil, err
		}
	}
	b := &batcher{}
	perm := make([]int, n)
	shuffled := -1 // the pass perm holds
	var stopErr error
	for epoch := run.InitialEpoch; epoch < o.Epochs && !run.StopTraining; epoch++ {
		run.Epoch = epoch
		pass, first, count := epochBatches(epoch, batches, steps)
		run.Steps, prog.steps = count, count
		if pass != shuffled {
			for i := range perm {
				perm[i] = i
			}
			s1, s2 := mix(o.Seed, uint64(pass), 0)
			if !o.NoShuffle {
				rand.New(rand.NewPCG(s1, s2)).Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			}
			shuffled = pass
		}
		// Dropout masks depend only on (seed, epoch, layer), so a run resumed
		// at an epoch boundary draws what an uninterrupted one would.
		for li, l := range m.Net.Layers {
			if r, ok := l.(interface{ Reseed(a, b uint64) }); ok {
				r.Reseed(mix(o.Seed, uint64(epoch), uint64(li)+1))
			}
		}
		if err := callAll(o.Callbacks, func(c Callback) error { return c.OnEpochBegin(run, epoch) }); err != nil {
			return hist, err
		}
		prog.epochBegin(epoch, o.Epochs)
		m.resetMetrics()
		start := time.Now()
		var lossSum float64
		seen := 0
		// One map per epoch, refilled after each batch: callbacks that keep
		// a batch's values must copy them (as with Keras's logs dict).
		logs := Logs{}
		for s := 0; s < count; s++ {
			if err := ctx.Err(); err != nil {
				stopErr = err
				break
			}
			lo, hi := (first+s)*o.BatchSize, min((first+s+1)*o.BatchSize, n)
			xb, yb, wb := b.gather(train, perm[lo:hi])
			var l float64
			switch {
			case multi:
				l = m.stepAll(xb, yb, wb)
			case mx != nil:
				l = mx.step(m, epoch, s, xb[0], yb[0], wb)
			default:
				l = m.step(xb[0], yb[0], wb)
			}
			if (math.IsNaN(l) || math.IsInf(l, 0)) && !graceful {
				stopErr = fmt.Errorf("train: %w (%v) at epoch %d/%d, batch %d/%d; lower the learning rate, check the data for NaN or huge values, or scale inputs (e.g. divide pixels by 255)",
					ErrNaN, l, epoch+1, o.Epochs, s+1, count)
				break
			}
			// Keras weights the running loss by batch size.
			lossSum += l * float64(hi-lo)
			seen += hi - lo
			m.fillLogs(logs, "", lossSum/float64(seen))
			prog.batchEnd(s+1, logs)
			if err := callAll(o.Callbacks, func(c Callback) error { return c.OnBatchEnd(run, s, logs) }); err != nil {
				return hist, err
			}
			// Keras's epoch loop breaks after the batch that set stop_training.
			if run.StopTraining {
				break
			}
		}
		if stopErr != nil {
			prog.abort()
			break
		}
		if val != nil {
			if err := callTest(o.Callbacks, func(c TestCallback) error { return c.OnTestBegin(run) }); err != nil {
				return hist, err
			}
			vl, err := evaluate(m, b, *val, o.BatchSize, m.Net.Infer)
			// OnTestEnd runs even when validation failed, so that what
			// OnTestBegin changed (SwapEMAWeights's weights) is undone.
			if endErr := callTest(o.Callbacks, func(c TestCallback) error { return c.OnTestEnd(run, vl) }); err == nil {
				err = endErr
			}
			if err != nil {
				return hist, err
			}
			for k, v := range vl {
				logs["val_"+k] = v
			}
		}
		secs := time.Since(start).Seconds()
		if err := callAll(o.Callbacks, func(c Callback) error { return c.OnEpochEnd(run, epoch, logs) }); err != nil {
			prog.abort()
			return hist, err
		}
		// Keras's History and progress bar are callbacks added after the
		// user's (callback_list.py): they see what those add to the logs,
		// such as ReduceLROnPlateau's learning_rate.
		prog.epochEnd(count, secs, logs)
		hist.add(epoch, secs, logs)
	}
	// Keras's fit finalizes the variables (EMA averages in) when the epochs
	// end, before on_train_end; an interrupted or failed fit does not.
	if f, ok := m.Optimizer.(optim.Finalizer); ok && stopErr == nil {
		for _, c := range o.Callbacks {
			if f, ok := c.(finalizeHook); ok {
				f.beforeFinalize(run)
			}
		}
		v, _ := m.trainable()
		f.FinalizeVariableValues(v)
	}
	run.Err = stopErr
	if err := callAll(o.Callbacks, func(c Callback) error { return c.OnTrainEnd(run) }); err != nil && stopErr == nil {
		stopErr = err
	}
	return hist, stopErr
}

// logs snapshots the running loss and metric values under prefix.
func (m *Model) logs(prefix string, l float64) Logs {
	logs := Logs{}
	m.fillLogs(logs, prefix, l)
	return logs
}

// validationRows checks Options.ValidationData and returns its rows.
func (m *Model) validationRows(v *Data, multi bool) (*rows, error) {
	var xs []Inputs
	var ys []*tensor.Tensor
	if multi {
		if v.X != nil || v.Y != nil {
			return nil, fmt.Errorf("train: validation data of a model with several inputs or outputs goes in Data.Xs and Data.Ys (a List or a Named map each)")
		}
		var err error
		if xs, ys, err = m.resolveData("validation", v.Xs, v.Ys); err != nil {
			return nil, err
		}
		if err := m.checkArrays("validation", xs, ys); err != nil {
			return nil, err
		}
	} else {
		if v.Xs != nil || v.Ys != nil {
			return nil, fmt.Errorf("train: validation data of a model with one input and one output goes in Data.X and Data.Y")
		}
		if err := m.checkData("validation", v.X, v.Y); err != nil {
			return nil, err
		}
		xs, ys = []Inputs{v.X}, []*tensor.Tensor{v.Y}
	}
	n := xs[0].Len()
	if err := m.checkEvalWeights("validation", v.SampleWeight, n); err != nil {
		return nil, err
	}
	return &rows{xs, ys, v.SampleWeight, 0, n}, nil
}

// EvaluateOptions are evaluate()'s arguments. The zero value is Keras's
// defaults: batches of 32, every sample weighing 1.
type EvaluateOptions struct {
	BatchSize int // 0 means 32
	// SampleWeight, if non-nil, holds one finite, non-negative weight per
	// sample, as Keras's evaluate(sample_weight=...): it weighs the loss
	// and the model's WeightedMetrics (see Options.SampleWeight).
	SampleWeight []float32
	// TTA averages the outputs over test-time views of each image before
	// the loss and metrics (a gokeras extension; see EvaluateTTA).
	TTA TTA
}

// Evaluate returns the loss and metrics of m on x and y, in inference
// mode; batchSize 0 means 32. EvaluateWith takes sample weights.
func Evaluate(m *Model, x Inputs, y *tensor.Tensor, batchSize int) (Logs, error) {
	return EvaluateWith(m, x, y, EvaluateOptions{BatchSize: batchSize})
}

// EvaluateWith returns the loss and metrics of m on x and y, in inference
// mode, as Keras's evaluate(x, y, batch_size, sample_weight).
func EvaluateWith(m *Model, x Inputs, y *tensor.Tensor, o EvaluateOptions) (Logs, error) {
	if o.TTA < 0 || o.TTA > TTAFlipShift {
		return nil, fmt.Errorf("train: unknown test-time augmentation %d", int(o.TTA))
	}
	if err := m.checkData("evaluation", x, y); err != nil {
		return nil, err
	}
	if err := m.checkEvalWeights("evaluation", o.SampleWeight, x.Len()); err != nil {
		return nil, err
	}
	if err := m.checkWeightedMetrics(); err != nil {
		return nil, err
	}
	infer := m.Net.Infer
	if o.TTA != TTANone {
		if len(x.RowShape()) != 3 {
			return nil, fmt.Errorf("train: test-time augmentation %v needs images (N, H, W, C), got inputs of shape %v", o.TTA, shapeOf(x))
		}
		infer = (&ttaViews{net: m.Net, t: o.TTA}).infer
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	m.gather()
	m.nameMetrics()
	m.prepareOutputs()
	return evaluate(m, &batcher{}, rows{[]Inputs{x}, []*tensor.Tensor{y}, o.SampleWeight, 0, x.Len()}, o.BatchSize, infer)
}

// EvaluateMulti is EvaluateWith for a model with several inputs or
// outputs, x and y as FitMulti takes them. Test-time augmentation is for
// single-input image models only.
func EvaluateMulti(m *Model, x, y Arrays, o EvaluateOptions) (Logs, error) {
	if o.TTA != TTANone {
		return nil, fmt.Errorf("train: test-time augmentation is for a model with one image input and one output")
	}
	if err := m.CheckOutputs(); err != nil {
		return nil, err
	}
	xs, ys, err := m.resolveData("evaluation", x, y)
	if err != nil {
		return nil, err
	}
	if err := m.checkArrays("evaluation", xs, ys); err != nil {
		return nil, err
	}
	n := xs[0].Len()
	if err := m.checkEvalWeights("evaluation", o.SampleWeight, n); err != nil {
		return nil, err
	}
	if err := m.checkWeightedMetrics(); err != nil {
		return nil, err
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	m.gather()
	m.nameMetrics()
	m.prepareOutputs()
	return evaluate(m, &batcher{}, rows{xs, ys, o.SampleWeight, 0, n}, o.BatchSize, nil)
}

// checkEvalWeights checks the sample weights of evaluation or validation
// data, and that the loss takes them.
func (m *Model) checkEvalWeights(what string, w []float32, n int) error {
	if w == nil {
		return nil
	}
	if err := checkSampleWeights(what, w, n); err != nil {
		return err
	}
	return m.checkWeighted()
}

// trainingWeights returns the training data's per-sample weights: the
// sample weights, or the class weights turned into them, or nil.
func (m *Model) trainingWeights(x []Inputs, y []*tensor.Tensor, o Options) ([]float32, error) {
	switch {
	case o.ClassWeight != nil && o.SampleWeight != nil:
		return nil, fmt.Errorf("train: class_weight and sample_weight cannot be given at the same time (as in Keras); fold the class weights into the sample weights")
	case o.ClassWeight != nil:
		if len(y) != 1 {
			return nil, fmt.Errorf("train: class_weight needs a model with one output (as in Keras); give sample_weight instead")
		}
		if err := m.checkWeighted(); err != nil {
			return nil, err
		}
		return m.classWeights(o.ClassWeight, y[0])
	case o.SampleWeight != nil:
		if err := checkSampleWeights("training", o.SampleWeight, x[0].Len()); err != nil {
			return nil, err
		}
		return o.SampleWeight, m.checkWeighted()
	}
	return nil, nil
}

// evaluate computes the loss and metrics of rows r in batches, with infer
// giving a batch's outputs (the network in inference mode, or an average
// over test-time views; unused for several inputs or outputs, which run
// ForwardAll). As Keras's loss tracker, the loss is the mean of the
// batches' losses weighted by their sizes.
func evaluate(m *Model, b *batcher, r rows, batchSize int, infer func(*tensor.Tensor) *tensor.Tensor) (Logs, error) {
	m.resetMetrics()
	multi := m.multi(len(r.x))
	var sum float64
	for lo := r.lo; lo < r.hi; lo += batchSize {
		hi := min(lo+batchSize, r.hi)
		xb, yb, wb := b.span(r, lo, hi)
		var l float64
		if multi {
			l = m.lossAll(m.Net.ForwardAll(xb, false), yb, wb, nil)
		} else {
			out := infer(xb[0])
			l = m.lossOf(out, yb[0], wb, nil)
			m.updateMetrics(out, yb[0], wb)
		}
		sum += (l + m.penalty()) * float64(hi-lo)
	}
	return m.logs("", sum/float64(r.hi-r.lo)), nil
}

// Predict runs m on x in inference mode and returns the outputs (for a
// softmax classifier, per-class probabilities), in a new tensor.
func Predict(net *nn.Stack, x Inputs, batchSize int) (*tensor.Tensor, error) {
	if Missing(x) {
		return nil, fmt.Errorf("train: predict inputs are missing")
	}
	if err := checkOne(net, "predict"); err != nil {
		return nil, err
	}
	want := append(tensor.Shape{-1}, net.InputShape()...)
	if err := tensor.CheckShape("train: predict inputs", shapeOf(x), want); err != nil {
		return nil, fmt.Errorf("%w; the model's input shape is %v", err, net.InputShape())
	}
	if err := checkValues(net, "predict", []Inputs{x}); err != nil {
		return nil, err
	}
	if batchSize <= 0 {
		batchSize = 32
	}
	n := x.Len()
	out := tensor.New(append(tensor.Shape{n}, net.OutputShape()...)...)
	row := net.OutputShape().Size()
	b := &batcher{}
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		xb, _, _ := b.span(rows{x: []Inputs{x}}, lo, hi)
		y := net.Infer(xb[0])
		copy(out.Data[lo*row:hi*row], y.Data)
	}
	return out, nil
}
