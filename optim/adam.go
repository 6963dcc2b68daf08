package optim

import (
	"math"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Adam is Keras's Adam (keras/src/optimizers/adam.py). With t the step
// number from 1, lr_t = lr*sqrt(1-b2^t)/(1-b1^t) and
//
//	m += (g-m)*(1-b1);  v += (g²-v)*(1-b2);  w -= lr_t*m/(sqrt(v)+eps)
//
// With AMSGrad, v_hat = max(v_hat, v) replaces v in the last step.
type Adam struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Beta1   float64 // 0 means Keras's 0.9
	Beta2   float64 // 0 means Keras's 0.999
	Epsilon float64 // 0 means Keras's 1e-7
	AMSGrad bool    // Keras's amsgrad: keep the running maximum of v
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
	moments
}

// Name returns "adam".
func (o *Adam) Name() string { return NameAdam }

// LearningRate returns the learning rate in use.
func (o *Adam) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adam) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adam) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adam) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adam) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adam) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adam) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Adam) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adam) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Adam) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i", "v/i" (and "v_hat/i" with AMSGrad) of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Adam) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Adam) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Adam step.
func (o *Adam) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Adam) specs() []slotSpec { return o.moments.specs(o.AMSGrad) }

func (o *Adam) begin(t int64, lr float64) float64 {
	return o.moments.begin(t, lr, or(o.Beta1, 0.9), or(o.Beta2, 0.999), or(o.Epsilon, 1e-7))
}

func (o *Adam) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	o.moments.update(w, g, slots, lr, d, o.AMSGrad)
}

// Config returns Keras's config keys.
func (o *Adam) Config() map[string]any {
	m := map[string]any{
		"beta_1":  or(o.Beta1, 0.9),
		"beta_2":  or(o.Beta2, 0.999),
		"epsilon": or(o.Epsilon, 1e-7),
		"amsgrad": o.AMSGrad,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}

// moments is the update shared by Adam and AdamW (Keras's AdamW is Adam
// with a weight decay default): the per-step constants and the update.
type moments struct {
	b1, b2, eps float32
}

func (moments) specs(amsgrad bool) []slotSpec {
	if amsgrad {
		return []slotSpec{{name: "m"}, {name: "v"}, {name: "v_hat"}}
	}
	return []slotSpec{{name: "m"}, {name: "v"}}
}

// begin sets the step's constants and returns its learning rate with the
// bias correction folded in, alpha = lr·sqrt(1-b2^t)/(1-b1^t), as Keras's
// Adam.update_step computes it; in float64, rounded once, so the step
// matches gokeras's earlier Adam bit for bit.
func (a *moments) begin(t int64, lr, b1, b2, eps float64) float64 {
	a.b1, a.b2, a.eps = float32(b1), float32(b2), float32(eps)
	return lr * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
}

// update is Keras's Adam.update_step after weight decay w -= w*d, with
// alpha the corrected rate from begin (times the variable's multiplier).
// Without AMSGrad it is the vectorised kernel (which takes the decay too).
func (a *moments) update(w, g []float32, slots []*tensor.Tensor, alpha, d float32, amsgrad bool) {
	m, v := slots[0].Data, slots[1].Data
	if !amsgrad {
		kernel.AdamUpdate(w, g, m, v, alpha, a.b1, a.b2, a.eps, d)
		return
	}
	decay(w, d)
	vh := slots[2].Data
	g = g[:len(w)]
	for j, gj := range g {
		m[j] += (gj - m[j]) * (1 - a.b1)
		v[j] += (gj*gj - v[j]) * (1 - a.b2)
		vh[j] = max(vh[j], v[j])
		w[j] -= m[j] * alpha / (sqrt32(vh[j]) + a.eps)
	}
}
