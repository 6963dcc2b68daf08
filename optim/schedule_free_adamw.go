package optim

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// ScheduleFreeAdamW is Keras's ScheduleFreeAdamW
// (keras/src/optimizers/schedule_free_adamw.py; Defazio et al., "The Road
// Less Scheduled", 2024): no learning-rate schedule, but an average of the
// iterates. Per variable it keeps z (Keras's momentum, starting at the
// variable) and v, Adam's second moment; the variable holds the training
// point y = (1-β1)·z + β1·x, where x is the running average of the z's.
// Each step, with t the step count:
//
//	v += (1-β2)·(g² - v);  z -= lr·g/(sqrt(v/(1-β2^t)) + ε)
//	x  = (y_old - (1-β1)·z_old)/β1;  x += (z - x)/t;  y = (1-β1)·z + β1·x
//
// with lr ramped up linearly over WarmupSteps. As in Keras, the model
// trains on y and should be evaluated on x: call SwapToEval before
// evaluating or saving for inference (Keras's swap_to_eval; Fit does not);
// SwapToTrain (swap_to_train) goes back, and the next Apply does it
// itself. The swaps act on the variables of the last Apply.
type ScheduleFreeAdamW struct {
	LR          float64 // learning rate; 0 means Keras's 0.0025
	Beta1       float64 // 0 means Keras's 0.9
	Beta2       float64 // 0 means Keras's 0.999
	Epsilon     float64 // 0 means Keras's 1e-8
	WarmupSteps int     // steps of the linear ramp; 0 for none (Keras's default)
	// WeightDecay, when positive, shrinks every variable before each step
	// as Keras 3's base optimizer does: w -= w*WeightDecay*lr (decoupled).
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

	t, bc2  float32          // this step's count and 1 - β2^t
	values  []*tensor.Tensor // the variables of the last Apply, for the swaps
	evalNow bool             // the variables hold x (after SwapToEval)
}

// Name returns "schedule_free_adamw".
func (o *ScheduleFreeAdamW) Name() string { return NameScheduleFreeAdamW }

// LearningRate returns the learning rate in use.
func (o *ScheduleFreeAdamW) LearningRate() float64 { return o.st.lr(o.LR, 0.0025) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *ScheduleFreeAdamW) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *ScheduleFreeAdamW) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *ScheduleFreeAdamW) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *ScheduleFreeAdamW) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *ScheduleFreeAdamW) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *ScheduleFreeAdamW) FinalizeVariableValues(values []*tensor.Tensor) {
	o.st.finalize(o.EMA, values)
}

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *ScheduleFreeAdamW) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *ScheduleFreeAdamW) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

func (o *ScheduleFreeAdamW) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "z/i" and "v/i" of each variable, then
// "average/i" with EMA and "gradient_accumulator/i" with gradient
// accumulation.
func (o *ScheduleFreeAdamW) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *ScheduleFreeAdamW) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one step. After SwapToEval it swaps back to the training
// point first (where Keras would silently train from x).
func (o *ScheduleFreeAdamW) Apply(values, grads []*tensor.Tensor) {
	o.SwapToTrain()
	o.values = values
	o.st.step(o.base(), o, values, grads)
}

func (o *ScheduleFreeAdamW) specs() []slotSpec {
	return []slotSpec{{name: "z", fromVariable: true}, {name: "v"}}
}

func (o *ScheduleFreeAdamW) begin(t int64, lr float64) float64 {
	o.t = float32(t)
	o.bc2 = 1 - float32(math.Pow(float64(float32(or(o.Beta2, 0.999))), float64(float32(t))))
	if o.WarmupSteps > 0 {
		lr *= min(float64(float32(t))/float64(o.WarmupSteps), 1)
	}
	return lr
}

func (o *ScheduleFreeAdamW) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	b1, b2, eps := float32(or(o.Beta1, 0.9)), float32(or(o.Beta2, 0.999)), float32(or(o.Epsilon, 1e-8))
	z, v := slots[0].Data, slots[1].Data
	weight := 1 / o.t
	g = g[:len(w)]
	for j, gj := range g {
		zOld := z[j]
		v[j] += (gj*gj - v[j]) * (1 - b2)
		z[j] -= lr * gj / (sqrt32(v[j]/o.bc2) + eps)
		x := (w[j] - (1-b1)*zOld) / b1
		x = (1-weight)*x + weight*z[j]
		w[j] = (1-b1)*z[j] + b1*x
	}
}

// SwapToEval sets the variables of the last Apply to the averaged point
// x = (y - (1-β1)·z)/β1, for evaluation (Keras's swap_to_eval). It does
// nothing before the first Apply or when already swapped.
func (o *ScheduleFreeAdamW) SwapToEval() { o.swap(true) }

// SwapToTrain sets them back to the training point y = (1-β1)·z + β1·x
// (Keras's swap_to_train).
func (o *ScheduleFreeAdamW) SwapToTrain() { o.swap(false) }

func (o *ScheduleFreeAdamW) swap(eval bool) {
	if o.st.slots == nil || len(o.values) != len(o.st.slots) || o.evalNow == eval {
		return
	}
	b1 := float32(or(o.Beta1, 0.9))
	for i, v := range o.values {
		z := o.st.slots[i][0].Data
		for j := range v.Data {
			if eval {
				v.Data[j] = (v.Data[j] - (1-b1)*z[j]) / b1
			} else {
				v.Data[j] = (1-b1)*z[j] + b1*v.Data[j]
			}
		}
	}
	o.evalNow = eval
}

// Config returns Keras's config keys.
func (o *ScheduleFreeAdamW) Config() map[string]any {
	m := map[string]any{
		"beta_1":       or(o.Beta1, 0.9),
		"beta_2":       or(o.Beta2, 0.999),
		"epsilon":      or(o.Epsilon, 1e-8),
		"warmup_steps": o.WarmupSteps,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
