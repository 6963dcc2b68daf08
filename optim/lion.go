package optim

import "github.com/gokeras/gokeras/tensor"

// Lion is Keras's Lion (keras/src/optimizers/lion.py):
//
//	w -= lr*sign(b1*m + (1-b1)*g);  m = b2*m + (1-b2)*g
//
// Keras advises a rate 3-10x smaller than AdamW's and a weight decay 3-10x
// larger. The update is a plain Go loop.
type Lion struct {
	LR    float64 // learning rate; 0 means Keras's 0.001
	Beta1 float64 // 0 means Keras's 0.9; Keras requires (0, 1]
	Beta2 float64 // 0 means Keras's 0.99
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

// Name returns "lion".
func (o *Lion) Name() string { return NameLion }

// LearningRate returns the learning rate in use.
func (o *Lion) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Lion) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Lion) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Lion) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Lion) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Lion) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Lion) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Lion) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Lion) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Lion) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Lion) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Lion) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Lion step.
func (o *Lion) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Lion) specs() []slotSpec { return []slotSpec{{name: "m"}} }

func (o *Lion) begin(_ int64, lr float64) float64 { return lr }

func (o *Lion) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	b1, b2 := float32(or(o.Beta1, 0.9)), float32(or(o.Beta2, 0.99))
	m := slots[0].Data
	g = g[:len(w)]
	for j, gj := range g {
		c := m[j]*b1 + gj*(1-b1)
		switch {
		case c > 0:
			w[j] -= lr
		case c < 0:
			w[j] += lr
		}
		m[j] = m[j]*b2 + gj*(1-b2)
	}
}

// Config returns Keras's config keys.
func (o *Lion) Config() map[string]any {
	m := map[string]any{
		"beta_1": or(o.Beta1, 0.9),
		"beta_2": or(o.Beta2, 0.99),
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
