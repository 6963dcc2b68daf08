package optim

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Adamax is Keras's Adamax, Adam with the infinity norm
// (keras/src/optimizers/adamax.py). With t the step from 1:
//
//	m += (g-m)*(1-b1);  u = max(b2*u, |g|);  w -= lr*m/((1-b1^t)*(u+eps))
//
// The update is a plain Go loop.
type Adamax struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Beta1   float64 // 0 means Keras's 0.9
	Beta2   float64 // 0 means Keras's 0.999
	Epsilon float64 // 0 means Keras's 1e-7
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

	b1, b2, eps, c1 float32 // per step; c1 = 1-b1^t
}

// Name returns "adamax".
func (o *Adamax) Name() string { return NameAdamax }

// LearningRate returns the learning rate in use.
func (o *Adamax) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adamax) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adamax) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adamax) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adamax) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adamax) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adamax) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Adamax) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adamax) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Adamax) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i" and "u/i" (the infinity norm) of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Adamax) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Adamax) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Adamax step.
func (o *Adamax) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Adamax) specs() []slotSpec { return []slotSpec{{name: "m"}, {name: "u"}} }

func (o *Adamax) begin(t int64, lr float64) float64 {
	b1 := or(o.Beta1, 0.9)
	o.b1, o.b2, o.eps = float32(b1), float32(or(o.Beta2, 0.999)), float32(or(o.Epsilon, 1e-7))
	o.c1 = float32(1 - math.Pow(b1, float64(t)))
	return lr
}

func (o *Adamax) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	m, u := slots[0].Data, slots[1].Data
	g = g[:len(w)]
	for j, gj := range g {
		m[j] += (gj - m[j]) * (1 - o.b1)
		u[j] = max(o.b2*u[j], float32(math.Abs(float64(gj))))
		w[j] -= lr * m[j] / (o.c1 * (u[j] + o.eps))
	}
}

// Config returns Keras's config keys.
func (o *Adamax) Config() map[string]any {
	m := map[string]any{
		"beta_1":  or(o.Beta1, 0.9),
		"beta_2":  or(o.Beta2, 0.999),
		"epsilon": or(o.Epsilon, 1e-7),
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
