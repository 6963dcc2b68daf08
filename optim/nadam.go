package optim

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Nadam is Keras's Nadam, Adam with Nesterov momentum
// (keras/src/optimizers/nadam.py). With t the step from 1,
// u_t = b1*(1 - 0.5*0.96^t) and U_t = u_1*...*u_t:
//
//	m += (g-m)*(1-b1);  v += (g²-v)*(1-b2)
//	m_hat = u_{t+1}*m/(1-U_t*u_{t+1}) + (1-u_t)*g/(1-U_t);  v_hat = v/(1-b2^t)
//	w -= lr*m_hat/(sqrt(v_hat)+eps)
//
// Keras keeps U_t as an optimizer variable (_u_product); here it is
// recomputed from the step count (in float64), so it is not a slot. The
// update is a plain Go loop.
type Nadam struct {
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

	// Per-step constants from begin.
	uProduct, uT, uNext float64 // U_t, u_t, u_{t+1}
	uStep               int64
	b1, b2, eps, c2     float32 // c2 = 1-b2^t
}

// Name returns "nadam".
func (o *Nadam) Name() string { return NameNadam }

// LearningRate returns the learning rate in use.
func (o *Nadam) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Nadam) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Nadam) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Nadam) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Nadam) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Nadam) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Nadam) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Nadam) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Nadam) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Nadam) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i" and "v/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Nadam) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Nadam) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Nadam step.
func (o *Nadam) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Nadam) specs() []slotSpec { return []slotSpec{{name: "m"}, {name: "v"}} }

// begin advances U_t, Keras's _backend_update_step, recomputing it when
// the step count jumped (restored state).
func (o *Nadam) begin(t int64, lr float64) float64 {
	b1, b2 := or(o.Beta1, 0.9), or(o.Beta2, 0.999)
	u := func(k int64) float64 { return b1 * (1 - 0.5*math.Pow(0.96, float64(k))) }
	if o.uStep != t-1 || o.uStep == 0 {
		o.uProduct = 1
		for k := int64(1); k < t; k++ {
			o.uProduct *= u(k)
		}
	}
	o.uT, o.uNext = u(t), u(t+1)
	o.uProduct *= o.uT
	o.uStep = t
	o.b1, o.b2, o.eps = float32(b1), float32(b2), float32(or(o.Epsilon, 1e-7))
	o.c2 = float32(1 - math.Pow(b2, float64(t)))
	return lr
}

func (o *Nadam) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	m, v := slots[0].Data, slots[1].Data
	cm := float32(o.uNext / (1 - o.uProduct*o.uNext))
	cg := float32((1 - o.uT) / (1 - o.uProduct))
	g = g[:len(w)]
	for j, gj := range g {
		m[j] += (gj - m[j]) * (1 - o.b1)
		v[j] += (gj*gj - v[j]) * (1 - o.b2)
		mh := cm*m[j] + cg*gj
		w[j] -= mh * lr / (sqrt32(v[j]/o.c2) + o.eps)
	}
}

// Config returns Keras's config keys.
func (o *Nadam) Config() map[string]any {
	m := map[string]any{
		"beta_1":  or(o.Beta1, 0.9),
		"beta_2":  or(o.Beta2, 0.999),
		"epsilon": or(o.Epsilon, 1e-7),
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
