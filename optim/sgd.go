package optim

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// SGD is Keras's stochastic gradient descent (keras/src/optimizers/sgd.py).
// With Momentum mu > 0 it keeps a velocity m per variable:
//
//	m = mu*m - lr*g;  w += m          (Nesterov: w += mu*m - lr*g)
//
// and otherwise does w -= lr*g.
type SGD struct {
	LR       float64 // learning rate; 0 means Keras's 0.01
	Momentum float64 // Keras's default is 0 (no velocity slot)
	Nesterov bool    // Keras's default is false
	// WeightDecay, when positive, shrinks every variable before each step
	// as Keras 3's base optimizer does: w -= w*WeightDecay*lr (decoupled).
	WeightDecay float64
	// ExcludeFromWeightDecay is Keras's exclude_from_weight_decay(var_names=...):
	// regular expressions; a variable whose name (the part after "layer/",
	// such as "bias") matches one is not decayed. It takes effect through
	// SetVariableNames and, as in Keras, is not part of the config.
	ExcludeFromWeightDecay []string
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	// GradientAccumulationSteps (Keras gradient_accumulation_steps), when
	// 2 or more, makes only every that-many-th Apply a step, with the mean
	// of the gradients since the last one.
	GradientAccumulationSteps int
	st                        state
}

// Name returns "sgd".
func (o *SGD) Name() string { return NameSGD }

// LearningRate returns the learning rate in use.
func (o *SGD) LearningRate() float64 { return o.st.lr(o.LR, 0.01) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *SGD) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *SGD) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *SGD) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *SGD) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *SGD) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *SGD) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *SGD) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *SGD) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *SGD) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots velocity "m/i" (with Momentum) of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *SGD) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *SGD) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one SGD step.
func (o *SGD) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *SGD) specs() []slotSpec {
	if o.Momentum == 0 {
		return nil
	}
	return []slotSpec{{name: "m"}}
}

func (o *SGD) begin(_ int64, lr float64) float64 { return lr }

func (o *SGD) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	var m []float32
	if o.Momentum != 0 {
		m = slots[0].Data
	}
	decay(w, d)
	kernel.SGDUpdate(w, g, m, lr, float32(o.Momentum), o.Nesterov)
}

// Config returns Keras's config keys.
func (o *SGD) Config() map[string]any {
	m := map[string]any{
		"momentum": o.Momentum,
		"nesterov": o.Nesterov,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
