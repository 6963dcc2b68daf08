package optim

import "github.com/gokeras/gokeras/tensor"

// AdamW is Keras's AdamW (keras/src/optimizers/adamw.py): Adam with
// decoupled weight decay w -= w*WeightDecay*lr before each step, which
// Keras requires (weight_decay None is an error there).
type AdamW struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Beta1   float64 // 0 means Keras's 0.9
	Beta2   float64 // 0 means Keras's 0.999
	Epsilon float64 // 0 means Keras's 1e-7
	AMSGrad bool    // Keras's amsgrad: keep the running maximum of v
	// WeightDecay (0 means Keras's 0.004; use Adam for none) shrinks every variable before each step
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
	moments
}

// Name returns "adamw".
func (o *AdamW) Name() string { return NameAdamW }

// LearningRate returns the learning rate in use.
func (o *AdamW) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *AdamW) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *AdamW) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *AdamW) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *AdamW) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *AdamW) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *AdamW) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *AdamW) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *AdamW) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *AdamW) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: or(o.WeightDecay, 0.004), accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i", "v/i" (and "v_hat/i" with AMSGrad) of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *AdamW) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *AdamW) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one AdamW step.
func (o *AdamW) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *AdamW) specs() []slotSpec { return o.moments.specs(o.AMSGrad) }

func (o *AdamW) begin(t int64, lr float64) float64 {
	return o.moments.begin(t, lr, or(o.Beta1, 0.9), or(o.Beta2, 0.999), or(o.Epsilon, 1e-7))
}

func (o *AdamW) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	o.moments.update(w, g, slots, lr, d, o.AMSGrad)
}

// Config returns Keras's config keys.
func (o *AdamW) Config() map[string]any {
	m := map[string]any{
		"beta_1":  or(o.Beta1, 0.9),
		"beta_2":  or(o.Beta2, 0.999),
		"epsilon": or(o.Epsilon, 1e-7),
		"amsgrad": o.AMSGrad,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
