package optim

import (
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// Adafactor is Keras's Adafactor (keras/src/optimizers/adafactor.py). With
// t the step from 1, rms(x) = sqrt(mean(x²)) over the whole variable:
//
//	rho = min(lr, 1/sqrt(t));  alpha = max(eps2, rms(w))*rho
//	r2 = g² + eps1;  b = 1 - t^Beta2Decay
//	variables of 2 or more axes (factored over the last two, R×C):
//	  r = b*r + (1-b)*mean(r2 over C);  c = b*c + (1-b)*mean(r2 over R)
//	  v = r/mean(r) (outer) c
//	others: v = b*v + (1-b)*r2
//	u = g/sqrt(v);  w -= alpha*u/max(1, rms(u)/ClipThreshold)
//
// Keras's relative_step applies min(lr, 1/sqrt(t)) to a constant rate,
// which rho takes again, so it changes nothing there or here; it is kept
// for the config. The r and c slots of a variable with fewer than two axes
// are the scalar placeholders Keras creates. The update is a plain Go loop.
type Adafactor struct {
	LR            float64 // learning rate; 0 means Keras's 0.001
	Beta2Decay    float64 // 0 means Keras's beta_2_decay -0.8
	Epsilon1      float64 // 0 means Keras's epsilon_1 1e-30
	Epsilon2      float64 // 0 means Keras's epsilon_2 1e-3
	ClipThreshold float64 // 0 means Keras's clip_threshold 1.0
	// NoRelativeStep is Keras's relative_step=False (default true).
	NoRelativeStep bool
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

	t int64 // the step, from begin
}

// Name returns "adafactor".
func (o *Adafactor) Name() string { return NameAdafactor }

// LearningRate returns the learning rate in use.
func (o *Adafactor) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adafactor) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adafactor) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adafactor) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adafactor) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adafactor) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adafactor) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Adafactor) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adafactor) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

// base gathers the base-optimizer options for state.step.
func (o *Adafactor) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.WeightDecay, accum: o.GradientAccumulationSteps}
}

// State returns the slots "v/i", "r/i" and "c/i" of each variable, then "average/i"
// with EMA and "gradient_accumulator/i" with gradient accumulation.
func (o *Adafactor) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Adafactor) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one Adafactor step.
func (o *Adafactor) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Adafactor) specs() []slotSpec {
	return []slotSpec{{name: "v"}, {name: "r", shape: adafactorRows}, {name: "c", shape: adafactorCols}}
}

// adafactorRows is the shape of r: the variable's without its last axis.
func adafactorRows(v tensor.Shape) tensor.Shape {
	if len(v) < 2 {
		return tensor.Shape{}
	}
	return v[:len(v)-1].Clone()
}

// adafactorCols is the shape of c: the variable's without its second-last axis.
func adafactorCols(v tensor.Shape) tensor.Shape {
	if len(v) < 2 {
		return tensor.Shape{}
	}
	return append(v[:len(v)-2].Clone(), v[len(v)-1])
}

func (o *Adafactor) begin(t int64, lr float64) float64 { o.t = t; return lr }

func (o *Adafactor) update(_ int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	t := float64(o.t)
	eps1, eps2 := float32(or(o.Epsilon1, 1e-30)), or(o.Epsilon2, 1e-3)
	rho := math.Min(float64(lr), 1/math.Sqrt(t))
	alpha := float32(math.Max(eps2, rms(w)) * rho)
	b := float32(1 - math.Pow(t, or(o.Beta2Decay, -0.8)))
	v := slots[0].Data
	g = g[:len(w)]
	if sh := slots[0].Shape; len(sh) >= 2 {
		rows, cols := sh[len(sh)-2], sh[len(sh)-1]
		r, c := slots[1].Data, slots[2].Data
		for bt := range len(w) / (rows * cols) {
			gb := g[bt*rows*cols : (bt+1)*rows*cols]
			rb, cb := r[bt*rows:(bt+1)*rows], c[bt*cols:(bt+1)*cols]
			var rmean float32
			for i := range rows {
				var s float32
				for _, x := range gb[i*cols : (i+1)*cols] {
					s += x*x + eps1
				}
				rb[i] = b*rb[i] + (1-b)*(s/float32(cols))
				rmean += rb[i]
			}
			rmean /= float32(rows)
			for j := range cols {
				var s float32
				for i := range rows {
					x := gb[i*cols+j]
					s += x*x + eps1
				}
				cb[j] = b*cb[j] + (1-b)*(s/float32(rows))
			}
			vb := v[bt*rows*cols : (bt+1)*rows*cols]
			for i := range rows {
				for j := range cols {
					vb[i*cols+j] = rb[i] / rmean * cb[j]
				}
			}
		}
	} else {
		for j, gj := range g {
			v[j] = b*v[j] + (1-b)*(gj*gj+eps1)
		}
	}
	var su float64
	for j, gj := range g {
		u := float64(gj / sqrt32(v[j]))
		su += u * u
	}
	scale := alpha / float32(math.Max(1, math.Sqrt(su/float64(len(g)))/or(o.ClipThreshold, 1)))
	for j, gj := range g {
		w[j] -= scale * (gj / sqrt32(v[j]))
	}
}

// rms is sqrt(mean(x²)), accumulated in float64.
func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// Config returns Keras's config keys.
func (o *Adafactor) Config() map[string]any {
	m := map[string]any{
		"beta_2_decay":   or(o.Beta2Decay, -0.8),
		"epsilon_1":      or(o.Epsilon1, 1e-30),
		"epsilon_2":      or(o.Epsilon2, 1e-3),
		"clip_threshold": or(o.ClipThreshold, 1),
		"relative_step":  !o.NoRelativeStep,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}
