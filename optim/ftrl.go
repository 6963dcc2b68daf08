package optim

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Ftrl is Keras's FTRL-proximal (keras/src/optimizers/ftrl.py). With
// p = LearningRatePower, an accumulator n (from InitialAccumulator) and a
// linear term z per variable:
//
//	g' = g + 2*L2Shrinkage*w;  n' = n + g²
//	z += g' - (n'^-p - n^-p)/lr * w
//	q = n'^-p/lr + 2*(L2 + Beta/(2*lr))
//	w = (clip(z, -L1, L1) - z)/q;  n = n'
//
// The update is a plain Go loop.
type Ftrl struct {
	LR float64 // learning rate; 0 means Keras's 0.001
	// LearningRatePower (Keras learning_rate_power, <= 0); nil means
	// Keras's -0.5. It is a pointer because 0 (a fixed rate) is valid.
	LearningRatePower  *float64
	InitialAccumulator float64 // 0 means Keras's initial_accumulator_value 0.1
	L1                 float64 // l1_regularization_strength, default 0
	L2                 float64 // l2_regularization_strength, default 0
	L2Shrinkage        float64 // l2_shrinkage_regularization_strength, default 0
	Beta               float64 // Keras's beta, default 0
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

// Name returns "ftrl".
func (o *Ftrl) Name() string { return NameFtrl }

// LearningRate returns the learning rate in use.
func (o *Ftrl) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Ftrl) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Ftrl) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Ftrl) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Ftrl) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Ftrl) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Ftrl) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Ftrl) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Ftrl) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Ftrl) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "accumulator/i" and "linear/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Ftrl) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Ftrl) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Ftrl step.
func (o *Ftrl) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Ftrl) power() float64 {
	if o.LearningRatePower == nil {
		return -0.5
	}
	return *o.LearningRatePower
}

func (o *Ftrl) specs() []slotSpec {
	return []slotSpec{{name: "accumulator", init: float32(or(o.InitialAccumulator, 0.1))}, {name: "linear"}}
}

func (o *Ftrl) begin(_ int64, lr float64) float64 { return lr }

func (o *Ftrl) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	p := -o.power()
	l1 := float32(o.L1)
	l2 := float32(o.L2) + float32(o.Beta)/(2*lr)
	shrink := 2 * float32(o.L2Shrinkage)
	n, z := slots[0].Data, slots[1].Data
	pow := func(x float32) float32 { return float32(math.Pow(float64(x), p)) }
	g = g[:len(w)]
	for j, gj := range g {
		gu := gj + shrink*w[j]
		nn := n[j] + gj*gj
		pn := pow(nn)
		z[j] += gu - (pn-pow(n[j]))/lr*w[j]
		q := pn/lr + 2*l2
		w[j] = (min(max(z[j], -l1), l1) - z[j]) / q
		n[j] = nn
	}
}

// Config returns Keras's config keys.
func (o *Ftrl) Config() map[string]any {
	m := map[string]any{
		"learning_rate_power":                  o.power(),
		"initial_accumulator_value":            or(o.InitialAccumulator, 0.1),
		"l1_regularization_strength":           o.L1,
		"l2_regularization_strength":           o.L2,
		"l2_shrinkage_regularization_strength": o.L2Shrinkage,
		"beta":                                 o.Beta,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
