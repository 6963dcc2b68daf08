package optim

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Adagrad is Keras's Adagrad (keras/src/optimizers/adagrad.py): an
// accumulator a per variable, starting at InitialAccumulator, and
//
//	a += g²;  w -= lr*g/sqrt(a+eps)
type Adagrad struct {
	LR                 float64 // learning rate; 0 means Keras's 0.001
	InitialAccumulator float64 // 0 means Keras's initial_accumulator_value 0.1
	Epsilon            float64 // 0 means Keras's 1e-7
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

// Name returns "adagrad".
func (o *Adagrad) Name() string { return NameAdagrad }

// LearningRate returns the learning rate in use.
func (o *Adagrad) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adagrad) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adagrad) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adagrad) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adagrad) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adagrad) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adagrad) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Adagrad) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adagrad) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Adagrad) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "accumulator/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Adagrad) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Adagrad) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Adagrad step.
func (o *Adagrad) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Adagrad) specs() []slotSpec {
	return []slotSpec{{name: "accumulator", init: float32(or(o.InitialAccumulator, 0.1))}}
}

func (o *Adagrad) begin(_ int64, lr float64) float64 { return lr }

func (o *Adagrad) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	kernel.AdagradUpdate(w, g, slots[0].Data, lr, float32(or(o.Epsilon, 1e-7)))
}

// Config returns Keras's config keys.
func (o *Adagrad) Config() map[string]any {
	m := map[string]any{
		"initial_accumulator_value": or(o.InitialAccumulator, 0.1),
		"epsilon":                   or(o.Epsilon, 1e-7),
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
