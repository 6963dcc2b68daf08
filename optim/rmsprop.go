package optim

import (
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// RMSprop is Keras 3's RMSprop (keras/src/optimizers/rmsprop.py):
//
//	v = rho*v + (1-rho)*g²
//	centered: a = rho*a + (1-rho)*g;  den = v - a² + eps;  else den = v + eps
//	inc = lr*g/sqrt(den)
//	momentum > 0: mom = momentum*mom + inc;  w -= mom;  else w -= inc
//
// Without momentum or centering it runs the vectorised kernel.
type RMSprop struct {
	LR       float64 // learning rate; 0 means Keras's 0.001
	Rho      float64 // 0 means Keras's 0.9
	Momentum float64 // Keras's default 0: no momentum slot
	Epsilon  float64 // 0 means Keras's 1e-7
	Centered bool    // Keras's centered: divide by the estimated variance
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

// Name returns "rmsprop".
func (o *RMSprop) Name() string { return NameRMSprop }

// LearningRate returns the learning rate in use.
func (o *RMSprop) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *RMSprop) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *RMSprop) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *RMSprop) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *RMSprop) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *RMSprop) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *RMSprop) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *RMSprop) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *RMSprop) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *RMSprop) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "v/i" (then "momentum/i" with Momentum and "average_gradient/i" when Centered) of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *RMSprop) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *RMSprop) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one RMSprop step.
func (o *RMSprop) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *RMSprop) specs() []slotSpec {
	s := []slotSpec{{name: "v"}}
	if o.Momentum > 0 {
		s = append(s, slotSpec{name: "momentum"})
	}
	if o.Centered {
		s = append(s, slotSpec{name: "average_gradient"})
	}
	return s
}

func (o *RMSprop) begin(_ int64, lr float64) float64 { return lr }

func (o *RMSprop) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	rho, eps := float32(or(o.Rho, 0.9)), float32(or(o.Epsilon, 1e-7))
	decay(w, d)
	v := slots[0].Data
	if o.Momentum <= 0 && !o.Centered {
		kernel.RMSpropUpdate(w, g, v, lr, rho, eps)
		return
	}
	var mom, avg []float32
	k := 1
	if o.Momentum > 0 {
		mom = slots[k].Data
		k++
	}
	if o.Centered {
		avg = slots[k].Data
	}
	mu := float32(o.Momentum)
	g = g[:len(w)]
	for j, gj := range g {
		v[j] = rho*v[j] + (1-rho)*gj*gj
		den := v[j] + eps
		if avg != nil {
			avg[j] = rho*avg[j] + (1-rho)*gj
			den = v[j] - avg[j]*avg[j] + eps
		}
		inc := lr * gj / sqrt32(den)
		if mom != nil {
			mom[j] = mu*mom[j] + inc
			inc = mom[j]
		}
		w[j] -= inc
	}
}

// Config returns Keras's config keys.
func (o *RMSprop) Config() map[string]any {
	m := map[string]any{
		"rho":      or(o.Rho, 0.9),
		"momentum": o.Momentum,
		"epsilon":  or(o.Epsilon, 1e-7),
		"centered": o.Centered,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
