package optim

import "github.com/gokeras/gokeras/tensor"

// Adadelta is Keras's Adadelta (keras/src/optimizers/adadelta.py), with
// rms(x) = sqrt(x+eps):
//
//	a = rho*a + (1-rho)*g²;  delta = -rms(d)*g/rms(a)
//	d = rho*d + (1-rho)*delta²;  w += lr*delta
//
// Keras's default rate is 0.001; use 1.0 for the paper's form. The update
// is a plain Go loop.
type Adadelta struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Rho     float64 // 0 means Keras's 0.95
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
}

// Name returns "adadelta".
func (o *Adadelta) Name() string { return NameAdadelta }

// LearningRate returns the learning rate in use.
func (o *Adadelta) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adadelta) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adadelta) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adadelta) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adadelta) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adadelta) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adadelta) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Adadelta) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adadelta) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Adadelta) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "accumulated_grad/i" and "accumulated_delta_var/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Adadelta) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Adadelta) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Adadelta step.
func (o *Adadelta) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Adadelta) specs() []slotSpec {
	return []slotSpec{{name: "accumulated_grad"}, {name: "accumulated_delta_var"}}
}

func (o *Adadelta) begin(_ int64, lr float64) float64 { return lr }

func (o *Adadelta) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	rho, eps := float32(or(o.Rho, 0.95)), float32(or(o.Epsilon, 1e-7))
	a, dv := slots[0].Data, slots[1].Data
	g = g[:len(w)]
	for j, gj := range g {
		a[j] = rho*a[j] + (1-rho)*gj*gj
		delta := -(sqrt32(dv[j]+eps) * gj) / sqrt32(a[j]+eps)
		dv[j] = rho*dv[j] + (1-rho)*delta*delta
		w[j] += lr * delta
	}
}

// Config returns Keras's config keys.
func (o *Adadelta) Config() map[string]any {
	m := map[string]any{
		"rho":     or(o.Rho, 0.95),
		"epsilon": or(o.Epsilon, 1e-7),
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
