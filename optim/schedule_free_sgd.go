package optim

import (
	"fmt"

	"github.com/gokeras/gokeras/tensor"
)

// ScheduleFreeSGD is Keras's ScheduleFreeSGD
// (keras/src/optimizers/schedule_free_sgd.py; Defazio et al., 2024). Per
// variable it keeps z (Keras's momentum) and x (averaged), both starting
// at the variable; the variable holds y. Each step, with lr ramped up
// linearly over WarmupSteps and S the running sum of lr²:
//
//	g += WeightDecay·y  (coupled, as Keras's update_step does; not decoupled)
//	z -= lr·g;  x += (lr²/S)·(z - x);  y = (1-β1)·z + β1·x
//
// When training ends (FinalizeVariableValues, which Fit calls) the
// variables take x, as Keras's finalize_variable_values does; unlike
// ScheduleFreeAdamW it needs no swap. S is optimizer state beside the
// per-variable slots ("sum_sq_lrs"), saved with the model.
type ScheduleFreeSGD struct {
	LR          float64 // learning rate; 0 means Keras's 0.0025
	Beta1       float64 // 0 means Keras's 0.9
	WarmupSteps int     // steps of the linear ramp; 0 for none
	// WeightDecay, when positive, adds WeightDecay·y to each gradient
	// (Keras's schedule-free SGD applies it there, not as the base
	// optimizer's decoupled decay).
	WeightDecay float64
	// ExcludeFromWeightDecay is Keras's exclude_from_weight_decay(var_names=...)
	// (see Adam's).
	ExcludeFromWeightDecay []string
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	// GradientAccumulationSteps (Keras gradient_accumulation_steps), when
	// 2 or more, makes only every that-many-th Apply a step, with the mean
	// of the gradients since the last one.
	GradientAccumulationSteps int
	st                        state

	sumSq  float32 // Σ lr² over the steps so far (Keras's sum_sq_lrs)
	weight float32 // this step's lr²/S
}

// NameScheduleFreeSGD is Keras's snake_case name of ScheduleFreeSGD.
const NameScheduleFreeSGD = "schedule_free_sgd"

// Name returns "schedule_free_sgd".
func (o *ScheduleFreeSGD) Name() string { return NameScheduleFreeSGD }

// LearningRate returns the learning rate in use.
func (o *ScheduleFreeSGD) LearningRate() float64 { return o.st.lr(o.LR, 0.0025) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *ScheduleFreeSGD) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *ScheduleFreeSGD) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *ScheduleFreeSGD) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *ScheduleFreeSGD) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *ScheduleFreeSGD) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is
// on, then the averaged sequence x, as Keras's finalize_variable_values.
func (o *ScheduleFreeSGD) FinalizeVariableValues(values []*tensor.Tensor) {
	o.st.finalize(o.EMA, values)
	if o.st.slots == nil {
		return
	}
	for i, w := range values {
		copy(w.Data, o.st.slots[i][1].Data)
	}
}

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *ScheduleFreeSGD) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers and
// ExcludeFromWeightDecay.
func (o *ScheduleFreeSGD) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

func (o *ScheduleFreeSGD) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// sumSqSlot names the optimizer-wide running sum in State.
const sumSqSlot = "sum_sq_lrs"

// State returns the slots "z/i" and "x/i" of each variable (then
// "average/i" with EMA and "gradient_accumulator/i" with gradient
// accumulation), and last "sum_sq_lrs", a tensor of one value.
func (o *ScheduleFreeSGD) State() []Slot {
	out := o.st.slotList(o, o.base())
	if o.st.slots == nil {
		return out
	}
	return append(out, Slot{Name: sumSqSlot, Value: &tensor.Tensor{Shape: tensor.Shape{1}, Data: []float32{o.sumSq}}})
}

// SetState restores iterations and slots from State.
func (o *ScheduleFreeSGD) SetState(iterations int64, slots []Slot) error {
	sum := float32(0)
	if n := len(slots); n > 0 && slots[n-1].Name == sumSqSlot {
		v := slots[n-1].Value
		if v == nil || len(v.Data) != 1 || !(v.Data[0] >= 0) {
			return fmt.Errorf("optim: %s state has a bad %s; want one value >= 0", o.Name(), sumSqSlot)
		}
		sum, slots = v.Data[0], slots[:n-1]
	} else if len(slots) > 0 {
		return fmt.Errorf("optim: %s state lacks %s, the sum of the squared learning rates; restore it from a model gokeras saved with this optimizer", o.Name(), sumSqSlot)
	}
	if err := o.st.setState(o, o.base(), iterations, slots); err != nil {
		return err
	}
	o.sumSq = sum
	return nil
}

// Apply does one step.
func (o *ScheduleFreeSGD) Apply(values, grads []*tensor.Tensor) {
	o.st.step(o.base(), o, values, grads)
}

func (o *ScheduleFreeSGD) specs() []slotSpec {
	return []slotSpec{{name: "z", fromVariable: true}, {name: "x", fromVariable: true}}
}

// begin ramps the rate, adds its square to the sum once per step (Keras's
// last_iteration guard) and sets the averaging weight lr²/S.
func (o *ScheduleFreeSGD) begin(t int64, lr float64) float64 {
	if o.WarmupSteps > 0 {
		lr *= min(float64(float32(t))/float64(o.WarmupSteps), 1)
	}
	l := float32(lr)
	o.sumSq += l * l
	o.weight = 0
	if o.sumSq != 0 {
		o.weight = l * l / o.sumSq
	}
	return lr
}

func (o *ScheduleFreeSGD) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	b1 := float32(or(o.Beta1, 0.9))
	wd := float32(0)
	if d != 0 { // not excluded from weight decay
		wd = float32(o.WeightDecay)
	}
	z, x := slots[0].Data, slots[1].Data
	g = g[:len(w)]
	for j, gj := range g {
		gj += wd * w[j]
		z[j] -= lr * gj
		x[j] = (1-o.weight)*x[j] + o.weight*z[j]
		w[j] = (1-b1)*z[j] + b1*x[j]
	}
}

// Config returns Keras's config keys.
func (o *ScheduleFreeSGD) Config() map[string]any {
	m := map[string]any{
		"beta_1":       or(o.Beta1, 0.9),
		"warmup_steps": o.WarmupSteps,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
