// Package optim owns the optimizers Keras users pass to compile as
// optimizer="adam" and the like: their update rules, per-variable state
// (slots), gradient clipping, learning-rate schedules (schedule.go, which
// an optimizer evaluates at its own step, as Keras's do), and the config
// and state that a saved model carries.
//
// The formulas and defaults are Keras 3's (keras/src/optimizers/*.py and the
// clipping and weight decay in base_optimizer.py). Options are struct fields
// whose zero value is Keras's default. The update loops are in
// internal/kernel.
package optim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Keras names of the optimizers, as Name returns them.
const (
	NameSGD     = "sgd"
	NameAdam    = "adam"
	NameAdamW   = "adamw"
	NameRMSprop = "rmsprop"
	NameAdagrad = "adagrad"
)

// Optimizer updates variables from their gradients with Keras's formulas and defaults.
type Optimizer interface {
	Name() string // "adam", "sgd", ...
	// Apply updates values[i] in place from grads[i]. State is kept per
	// position, created on the first call; later calls must pass the same
	// variables in the same order.
	Apply(values, grads []*tensor.Tensor)
	// LearningRate is the rate the next Apply uses: the schedule's value
	// at Iterations when there is one, as Keras's optimizer.learning_rate.
	LearningRate() float64
	// SetLearningRate sets a constant rate, replacing any schedule.
	SetLearningRate(lr float64)
	// Schedule is the learning-rate schedule, nil for a constant rate.
	Schedule() Schedule
	// SetSchedule makes the rate of every Apply s.Rate(Iterations()), as
	// Keras's learning_rate=LearningRateSchedule; nil goes back to the
	// constant rate. Config writes the schedule, FromConfig reads it.
	SetSchedule(s Schedule)
	// SetTrainingSteps gives the length of the whole run in steps to a
	// schedule whose length was left 0 ("the rest of training"); the
	// schedule itself, as Schedule and Config return it, keeps the 0.
	SetTrainingSteps(steps int64)
	Iterations() int64
	// State returns every state variable in a fixed order with stable names
	// ("m/0", "v/0", ...), for saving; the iteration count is separate
	// (Iterations). SetState restores them (error on name/shape mismatch,
	// nothing changed on error).
	State() []Slot
	SetState(iterations int64, slots []Slot) error
	Config() map[string]any // Keras-style: {"learning_rate":0.001,"beta_1":0.9,...}
}

// Named is implemented by every optimizer here: the caller names the
// variables, in Apply's order, as "layer/variable" paths
// ("batch_normalization_2/beta"), so LRMultipliers can find them. A model's
// training loop calls it before the first Apply.
type Named interface {
	// SetVariableNames fails when a LRMultipliers key matches no name.
	SetVariableNames(names []string) error
}

// LRMultipliers scales the learning rate of the variables it names, as
// Caffe's lr_mult and the keras-lr-multiplier package do (not part of
// Keras itself). A key matches a variable path equal to it, a variable
// name ("beta" matches every BatchNormalization shift) or a layer name
// ("conv2d_1" matches that layer's kernel and bias); when several match,
// the longest key wins. Decoupled weight decay keeps the base rate, as in
// airbench's bias_scaler (github.com/KellerJordan/cifar10-airbench), so
// the multiplier speeds a variable's steps without shrinking it faster.
type LRMultipliers map[string]float64

// config adds the "lr_multipliers" key when there are any.
func (m LRMultipliers) config(cfg map[string]any) {
	if len(m) > 0 {
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		cfg["lr_multipliers"] = c
	}
}

// matches reports whether key names the variable at path "layer/name".
func matches(key, path string) bool {
	layer, name, _ := strings.Cut(path, "/")
	return key == path || key == name || key == layer
}

// unmatched returns the keys that match none of names, sorted.
func (m LRMultipliers) unmatched(names []string) []string {
	var out []string
	for k := range m {
		if !slices.ContainsFunc(names, func(n string) bool { return matches(k, n) }) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// of returns the multiplier for path, 1 when no key matches.
func (m LRMultipliers) of(path string) float64 {
	best, mult := -1, 1.0
	for k, v := range m {
		if matches(k, path) && len(k) > best {
			best, mult = len(k), v
		}
	}
	return mult
}

// Finalizer is implemented by every optimizer here: a model's fit calls
// FinalizeVariableValues with the variables of Apply when training ends,
// as Keras's fit calls finalize_variable_values (it copies EMA averages
// into the variables when EMA is on, and does nothing otherwise).
type Finalizer interface {
	FinalizeVariableValues(values []*tensor.Tensor)
}

// EMA is Keras 3's use_ema, ema_momentum and ema_overwrite_frequency
// (keras/src/optimizers/base_optimizer.py). When Use is set, the optimizer
// keeps a moving average of every variable, updated after each step as
//
//	average = Momentum*average + (1-Momentum)*w   (average = w after step 1)
//
// copies the averages into the variables after every OverwriteFrequency-th
// step when that is set, and at the end of fit (FinalizeVariableValues).
// The averages are optimizer state ("average/i"), saved with the model.
type EMA struct {
	Use                bool
	Momentum           float64 // 0 means Keras's 0.99
	OverwriteFrequency int     // 0 means Keras's None: only at the end of fit
}

// kinds appends the average slot to an optimizer's slot kinds when on.
func (e EMA) kinds(base []string) []string {
	if !e.Use {
		return base
	}
	return append(base[:len(base):len(base)], "average")
}

// config adds Keras's EMA keys.
func (e EMA) config(m map[string]any) {
	m["use_ema"] = e.Use
	m["ema_momentum"] = or(e.Momentum, 0.99)
	if e.OverwriteFrequency > 0 {
		m["ema_overwrite_frequency"] = e.OverwriteFrequency
	} else {
		m["ema_overwrite_frequency"] = nil
	}
}

// Slot is one named state variable of an optimizer.
type Slot struct {
	Name  string
	Value *tensor.Tensor
}

// Clip is Keras's gradient clipping, applied before the update. Zero turns
// each off. Keras allows only one to be set; if several are, Norm wins, then
// GlobalNorm, then Value, which is the order base_optimizer._clip_gradients
// tests them in. Clipped gradients go to a scratch buffer owned by the
// optimizer: the caller's gradients are never modified.
type Clip struct {
	// Norm (Keras clipnorm) rescales each gradient whose L2 norm exceeds it
	// to that norm: g*Norm/max(|g|, Norm).
	Norm float64
	// Value (Keras clipvalue) clamps each gradient element to [-Value, Value].
	Value float64
	// GlobalNorm (Keras global_clipnorm) rescales all gradients together
	// when their joint L2 norm exceeds it.
	GlobalNorm float64
}

func (c Clip) on() bool { return c.Norm > 0 || c.GlobalNorm > 0 || c.Value > 0 }

// config adds Keras's clip keys, None (nil) when off.
func (c Clip) config(m map[string]any) {
	opt := func(v float64) any {
		if v > 0 {
			return v
		}
		return nil
	}
	m["clipnorm"] = opt(c.Norm)
	m["clipvalue"] = opt(c.Value)
	m["global_clipnorm"] = opt(c.GlobalNorm)
}

// names lists every name Parse accepts.
var names = []string{NameAdam, NameAdamW, NameSGD, NameRMSprop, NameAdagrad}

// Parse returns the optimizer with Keras name name (any case), with
// Keras's default options.
func Parse(name string) (Optimizer, error) {
	switch strings.ToLower(name) {
	case NameAdam:
		return &Adam{}, nil
	case NameAdamW:
		return &AdamW{}, nil
	case NameSGD:
		return &SGD{}, nil
	case NameRMSprop:
		return &RMSprop{}, nil
	case NameAdagrad:
		return &Adagrad{}, nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q; use one of %s", name, strings.Join(names, ", "))
}

// state is what every optimizer keeps besides its options: the step count,
// one set of slots per variable, and the clip scratch buffer.
type state struct {
	iterations int64
	lrSet      bool           // SetLearningRate was called, so LR == 0 means 0
	sched      Schedule       // the learning rate as a schedule, or nil
	run        Schedule       // sched with "rest of training" filled in by SetTrainingSteps
	shapes     []tensor.Shape // per variable; nil until built
	slots      [][]*tensor.Tensor
	scratch    []float32
	names      []string // variable paths, from SetVariableNames
}

// setNames keeps the variable paths for lrOf; a multiplier key that
// matches none of them is an error, so a misspelt key does not pass
// silently.
func (s *state) setNames(opt string, m LRMultipliers, names []string) error {
	if bad := m.unmatched(names); len(bad) > 0 {
		eg := "none"
		if len(names) > 0 {
			eg = names[0]
		}
		return fmt.Errorf("optim: %s lr_multipliers key %q matches no trainable variable; use a layer name, a variable name (kernel, bias, gamma, beta) or a layer/variable path such as %s", opt, bad[0], eg)
	}
	// Keras's optimizer refuses variables it was not built with
	// (BaseOptimizer._check_variables_are_known); so does this one, before
	// the first step rather than in it.
	if s.shapes != nil && (len(s.shapes) != len(names) || s.names != nil && !slices.Equal(s.names, names)) {
		return fmt.Errorf("optim: %s has state for %d trainable variables, but the model now trains %d (%s); a layer was frozen or unfrozen since training began: compile the model again, which starts a new optimizer, as Keras requires",
			opt, len(s.shapes), len(names), strings.Join(names, ", "))
	}
	s.names = slices.Clone(names)
	return nil
}

// average updates the EMA slots (the last kind) after a step, before the
// iteration count moves on, and overwrites the variables when due.
func (s *state) average(e EMA, values []*tensor.Tensor) {
	if !e.Use {
		return
	}
	mu := float32(or(e.Momentum, 0.99))
	if s.iterations == 0 {
		mu = 0
	}
	for i, w := range values {
		a := s.slots[i][len(s.slots[i])-1].Data
		kernel.Scale(a, mu)
		kernel.Axpy(1-mu, w.Data, a)
	}
	if f := int64(e.OverwriteFrequency); f > 0 && (s.iterations+1)%f == 0 {
		s.finalize(e, values)
	}
}

// finalize copies the EMA averages into the variables.
func (s *state) finalize(e EMA, values []*tensor.Tensor) {
	if !e.Use || s.slots == nil {
		return
	}
	for i, w := range values {
		copy(w.Data, s.slots[i][len(s.slots[i])-1].Data)
	}
}

// lrOf returns lr scaled by variable i's multiplier.
func (s *state) lrOf(m LRMultipliers, i int, lr float32) float32 {
	if len(m) == 0 || i >= len(s.names) {
		return lr
	}
	return lr * float32(m.of(s.names[i]))
}

// lr returns the effective learning rate: the schedule's at the current
// step, else the field or its default.
func (s *state) lr(field, def float64) float64 {
	if s.run != nil {
		return s.run.Rate(s.iterations)
	}
	if field == 0 && !s.lrSet {
		return def
	}
	return field
}

// prepare creates the slots on the first call, each filled with init, and
// panics when the variables do not match those of earlier calls.
func (s *state) prepare(name string, values, grads []*tensor.Tensor, kinds int, init float32) {
	if len(values) != len(grads) {
		panic(fmt.Sprintf("optim: %s.Apply got %d variables and %d gradients; pass one gradient per variable", name, len(values), len(grads)))
	}
	if s.shapes == nil {
		s.shapes = make([]tensor.Shape, len(values))
		for i, v := range values {
			s.shapes[i] = v.Shape.Clone()
		}
	}
	if s.slots == nil && kinds > 0 {
		s.slots = make([][]*tensor.Tensor, len(values))
		for i, v := range values {
			s.slots[i] = make([]*tensor.Tensor, kinds)
			for k := range kinds {
				t := &tensor.Tensor{Shape: v.Shape.Clone(), Data: make([]float32, len(v.Data))}
				if init != 0 {
					t.Fill(init)
				}
				s.slots[i][k] = t
			}
		}
	}
	if len(values) != len(s.shapes) {
		panic(fmt.Sprintf("optim: %s.Apply got %d variables, but its state is for %d; pass the same variables in the same order every step", name, len(values), len(s.shapes)))
	}
	for i, v := range values {
		if !v.Shape.Equal(s.shapes[i]) || len(v.Data) != s.shapes[i].Size() {
			panic(fmt.Sprintf("optim: %s.Apply variable %d has shape %v, but its state has %v; pass the same variables in the same order every step", name, i, v.Shape, s.shapes[i]))
		}
		if len(grads[i].Data) != len(v.Data) {
			panic(fmt.Sprintf("optim: %s.Apply gradient %d has shape %v for variable of shape %v", name, i, grads[i].Shape, v.Shape))
		}
	}
}

// globalNorm returns the joint L2 norm of grads when c clips by it, else 0.
func (s *state) globalNorm(c Clip, grads []*tensor.Tensor) float64 {
	if c.Norm > 0 || c.GlobalNorm <= 0 {
		return 0
	}
	var sum float64
	for _, g := range grads {
		sum += kernel.Dot(g.Data, g.Data)
	}
	return math.Sqrt(sum)
}

// buf returns the scratch buffer resized to n, growing it only when needed.
func (s *state) buf(n int) []float32 {
	if cap(s.scratch) < n {
		s.scratch = make([]float32, n)
	}
	return s.scratch[:n]
}

// grad returns g clipped by c: g itself when no clipping changes it, else
// a view of the scratch buffer, valid until the next call.
func (s *state) grad(c Clip, g []float32, global float64) []float32 {
	switch {
	case c.Norm > 0:
		n := math.Sqrt(kernel.Dot(g, g))
		if n <= c.Norm {
			return g
		}
		d := s.buf(len(g))
		copy(d, g)
		kernel.Scale(d, float32(c.Norm/n))
		return d
	case c.GlobalNorm > 0:
		if global <= c.GlobalNorm {
			return g
		}
		d := s.buf(len(g))
		copy(d, g)
		kernel.Scale(d, float32(c.GlobalNorm/global))
		return d
	case c.Value > 0:
		d := s.buf(len(g))
		kernel.ClipValues(d, g, float32(-c.Value), float32(c.Value))
		return d
	}
	return g
}

// slotList flattens the slots as kinds[0]/0, kinds[1]/0, kinds[0]/1, ...
// The tensors are the optimizer's own.
func (s *state) slotList(kinds []string) []Slot {
	var out []Slot
	for i, vs := range s.slots {
		for k, t := range vs {
			out = append(out, Slot{Name: fmt.Sprintf("%s/%d", kinds[k], i), Value: t})
		}
	}
	return out
}

// setState validates slots against kinds and any existing state, then
// copies them in. Nothing changes on error.
func (s *state) setState(name string, kinds []string, iterations int64, slots []Slot) error {
	if iterations < 0 {
		return fmt.Errorf("optim: %s state has %d iterations; want a count >= 0", name, iterations)
	}
	if len(kinds) == 0 {
		if len(slots) != 0 {
			return fmt.Errorf("optim: %s with these options keeps no state, but got %d slots (first %q); restore it with the options it was saved with", name, len(slots), slots[0].Name)
		}
		s.iterations = iterations
		return nil
	}
	if len(slots)%len(kinds) != 0 {
		return fmt.Errorf("optim: %s state needs %d slots per variable (%s), got %d in all", name, len(kinds), strings.Join(kinds, ", "), len(slots))
	}
	n := len(slots) / len(kinds)
	if s.shapes != nil && n != len(s.shapes) {
		return fmt.Errorf("optim: %s state is for %d variables, but this optimizer updates %d; restore it into the model it was saved from", name, n, len(s.shapes))
	}
	for j, sl := range slots {
		i, k := j/len(kinds), j%len(kinds)
		if want := fmt.Sprintf("%s/%d", kinds[k], i); sl.Name != want {
			return fmt.Errorf("optim: %s state slot %d is named %q, want %q; restore state saved by the same optimizer", name, j, sl.Name, want)
		}
		if sl.Value == nil || len(sl.Value.Data) != sl.Value.Shape.Size() {
			return fmt.Errorf("optim: %s state slot %q has no values or values that do not fill its shape", name, sl.Name)
		}
		want := slots[i*len(kinds)].Value.Shape
		if s.shapes != nil {
			want = s.shapes[i]
		}
		if !sl.Value.Shape.Equal(want) {
			return fmt.Errorf("optim: %s state slot %q has shape %v, want %v; restore it into the model it was saved from", name, sl.Name, sl.Value.Shape, want)
		}
	}
	if s.slots == nil {
		s.shapes = make([]tensor.Shape, n)
		s.slots = make([][]*tensor.Tensor, n)
		for i := range n {
			s.shapes[i] = slots[i*len(kinds)].Value.Shape.Clone()
			s.slots[i] = make([]*tensor.Tensor, len(kinds))
			for k := range kinds {
				s.slots[i][k] = slots[i*len(kinds)+k].Value.Clone()
			}
		}
	} else {
		for j, sl := range slots {
			copy(s.slots[j/len(kinds)][j%len(kinds)].Data, sl.Value.Data)
		}
	}
	s.iterations = iterations
	return nil
}

// setSchedule keeps sched, for the run as it is until SetTrainingSteps.
func (s *state) setSchedule(sched Schedule) { s.sched, s.run = sched, sched }

// setTrainingSteps fills in the run's length in a schedule that spans
// "the rest of training".
func (s *state) setTrainingSteps(steps int64) {
	s.run = s.sched
	if z, ok := s.sched.(sized); ok {
		s.run = z.withTotal(steps)
	}
}

// lrConfig is Config's learning_rate: the schedule as Keras serialises it
// when there is one (base_optimizer.get_config), else the rate. A schedule
// defined outside this package cannot be written; its current rate is.
func (s *state) lrConfig(lr float64) any {
	if s.sched != nil {
		if obj := scheduleObject(s.sched); obj != nil {
			return obj
		}
	}
	return lr
}

// or returns v, or def when v is 0.
func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// SGD is Keras's stochastic gradient descent (keras/src/optimizers/sgd.py).
// With Momentum mu > 0 it keeps a velocity m per variable:
//
//	m = mu*m - lr*g;  w += m          (Nesterov: w += mu*m - lr*g)
//
// and otherwise does w -= lr*g.
type SGD struct {
	LR       float64 // learning rate; 0 means Keras's 0.01
	Momentum float64 // Keras's default is 0 (no velocity slot)
	Nesterov bool    // Keras's default is false
	// WeightDecay, when positive, shrinks every variable as Keras 3's base
	// optimizer does before the step: w -= w*WeightDecay*lr (decoupled).
	WeightDecay float64
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	st state
}

var sgdKinds = []string{"m"}

// Name returns "sgd".
func (o *SGD) Name() string { return NameSGD }

// LearningRate returns the learning rate in use.
func (o *SGD) LearningRate() float64 { return o.st.lr(o.LR, 0.01) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *SGD) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *SGD) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *SGD) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *SGD) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *SGD) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *SGD) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// SetVariableNames names the variables for LRMultipliers.
func (o *SGD) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, names)
}

func (o *SGD) kinds() []string {
	if o.Momentum == 0 {
		return nil
	}
	return sgdKinds
}

// State returns the velocities "m/i" when Momentum is set, else nothing.
func (o *SGD) State() []Slot { return o.st.slotList(o.EMA.kinds(o.kinds())) }

// SetState restores iterations and slots from State.
func (o *SGD) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o.Name(), o.EMA.kinds(o.kinds()), iterations, slots)
}

// Apply does one SGD step.
func (o *SGD) Apply(values, grads []*tensor.Tensor) {
	o.st.prepare(o.Name(), values, grads, len(o.EMA.kinds(o.kinds())), 0)
	lr, mu := float32(o.LearningRate()), float32(o.Momentum)
	global := o.st.globalNorm(o.Clip, grads)
	for i, w := range values {
		g := o.st.grad(o.Clip, grads[i].Data, global)
		var m []float32
		if mu != 0 {
			m = o.st.slots[i][0].Data
		}
		if o.WeightDecay > 0 {
			kernel.Axpy(-float32(o.WeightDecay)*lr, w.Data, w.Data)
		}
		kernel.SGDUpdate(w.Data, g, m, o.st.lrOf(o.LRMultipliers, i, lr), mu, o.Nesterov)
	}
	o.st.average(o.EMA, values)
	o.st.iterations++
}

// Config returns Keras's config keys.
func (o *SGD) Config() map[string]any {
	m := map[string]any{
		"name":          o.Name(),
		"learning_rate": o.st.lrConfig(o.LearningRate()),
		"momentum":      o.Momentum,
		"nesterov":      o.Nesterov,
	}
	if o.WeightDecay > 0 {
		m["weight_decay"] = o.WeightDecay
	}
	o.Clip.config(m)
	o.LRMultipliers.config(m)
	o.EMA.config(m)
	return m
}

// Adam is Keras's Adam (keras/src/optimizers/adam.py). With t the step
// number from 1, lr_t = lr*sqrt(1-b2^t)/(1-b1^t) and
//
//	m += (g-m)*(1-b1);  v += (g²-v)*(1-b2);  w -= lr_t*m/(sqrt(v)+eps)
type Adam struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Beta1   float64 // 0 means Keras's 0.9
	Beta2   float64 // 0 means Keras's 0.999
	Epsilon float64 // 0 means Keras's 1e-7
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	st state
}

var adamKinds = []string{"m", "v"}

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

// SetVariableNames names the variables for LRMultipliers.
func (o *Adam) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, names)
}

// State returns the moments "m/i" and "v/i" of each variable.
func (o *Adam) State() []Slot { return o.st.slotList(o.EMA.kinds(adamKinds)) }

// SetState restores iterations and slots from State.
func (o *Adam) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o.Name(), o.EMA.kinds(adamKinds), iterations, slots)
}

// Apply does one Adam step.
func (o *Adam) Apply(values, grads []*tensor.Tensor) {
	adamStep(&o.st, o.Name(), o.Clip, o.LRMultipliers, o.EMA, values, grads, o.LearningRate(), or(o.Beta1, 0.9), or(o.Beta2, 0.999), or(o.Epsilon, 1e-7), 0)
}

// Config returns Keras's config keys.
func (o *Adam) Config() map[string]any {
	m := map[string]any{
		"name":          o.Name(),
		"learning_rate": o.st.lrConfig(o.LearningRate()),
		"beta_1":        or(o.Beta1, 0.9),
		"beta_2":        or(o.Beta2, 0.999),
		"epsilon":       or(o.Epsilon, 1e-7),
	}
	o.Clip.config(m)
	o.LRMultipliers.config(m)
	o.EMA.config(m)
	return m
}

// adamStep is the Adam and AdamW update. Keras applies weight decay before
// the step as w -= w*wd*lr with the uncorrected lr
// (base_optimizer._apply_weight_decay), so wd*lr goes to the kernel.
func adamStep(st *state, name string, c Clip, mult LRMultipliers, e EMA, values, grads []*tensor.Tensor, lr, b1, b2, eps, wd float64) {
	st.prepare(name, values, grads, len(e.kinds(adamKinds)), 0)
	t := float64(st.iterations + 1)
	lrT := float32(lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t)))
	global := st.globalNorm(c, grads)
	for i, w := range values {
		g := st.grad(c, grads[i].Data, global)
		kernel.AdamUpdate(w.Data, g, st.slots[i][0].Data, st.slots[i][1].Data, st.lrOf(mult, i, lrT), float32(b1), float32(b2), float32(eps), float32(wd*lr))
	}
	st.average(e, values)
	st.iterations++
}

// AdamW is Keras's AdamW (keras/src/optimizers/adamw.py): Adam with
// decoupled weight decay w -= w*WeightDecay*lr before each step.
type AdamW struct {
	LR          float64 // learning rate; 0 means Keras's 0.001
	WeightDecay float64 // 0 means Keras's 0.004 (use Adam for none)
	Beta1       float64 // 0 means Keras's 0.9
	Beta2       float64 // 0 means Keras's 0.999
	Epsilon     float64 // 0 means Keras's 1e-7
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	st state
}

// Name returns "adamw".
func (o *AdamW) Name() string { return NameAdamW }

// LearningRate returns the learning rate in use.
func (o *AdamW) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *AdamW) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *AdamW) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *AdamW) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *AdamW) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *AdamW) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *AdamW) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// SetVariableNames names the variables for LRMultipliers.
func (o *AdamW) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, names)
}

// State returns the moments "m/i" and "v/i" of each variable.
func (o *AdamW) State() []Slot { return o.st.slotList(o.EMA.kinds(adamKinds)) }

// SetState restores iterations and slots from State.
func (o *AdamW) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o.Name(), o.EMA.kinds(adamKinds), iterations, slots)
}

// Apply does one AdamW step.
func (o *AdamW) Apply(values, grads []*tensor.Tensor) {
	adamStep(&o.st, o.Name(), o.Clip, o.LRMultipliers, o.EMA, values, grads, o.LearningRate(), or(o.Beta1, 0.9), or(o.Beta2, 0.999), or(o.Epsilon, 1e-7), or(o.WeightDecay, 0.004))
}

// Config returns Keras's config keys.
func (o *AdamW) Config() map[string]any {
	m := map[string]any{
		"name":          o.Name(),
		"learning_rate": o.st.lrConfig(o.LearningRate()),
		"weight_decay":  or(o.WeightDecay, 0.004),
		"beta_1":        or(o.Beta1, 0.9),
		"beta_2":        or(o.Beta2, 0.999),
		"epsilon":       or(o.Epsilon, 1e-7),
	}
	o.Clip.config(m)
	o.LRMultipliers.config(m)
	o.EMA.config(m)
	return m
}

// RMSprop is Keras 3's RMSprop without momentum and not centered
// (keras/src/optimizers/rmsprop.py):
//
//	v = rho*v + (1-rho)*g²;  w -= lr*g/sqrt(v+eps)
type RMSprop struct {
	LR      float64 // learning rate; 0 means Keras's 0.001
	Rho     float64 // 0 means Keras's 0.9
	Epsilon float64 // 0 means Keras's 1e-7
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	st state
}

var rmspropKinds = []string{"v"}

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

// SetVariableNames names the variables for LRMultipliers.
func (o *RMSprop) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, names)
}

// State returns the mean squares "v/i" of each variable.
func (o *RMSprop) State() []Slot { return o.st.slotList(o.EMA.kinds(rmspropKinds)) }

// SetState restores iterations and slots from State.
func (o *RMSprop) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o.Name(), o.EMA.kinds(rmspropKinds), iterations, slots)
}

// Apply does one RMSprop step.
func (o *RMSprop) Apply(values, grads []*tensor.Tensor) {
	o.st.prepare(o.Name(), values, grads, len(o.EMA.kinds(rmspropKinds)), 0)
	lr, rho, eps := float32(o.LearningRate()), float32(or(o.Rho, 0.9)), float32(or(o.Epsilon, 1e-7))
	global := o.st.globalNorm(o.Clip, grads)
	for i, w := range values {
		g := o.st.grad(o.Clip, grads[i].Data, global)
		kernel.RMSpropUpdate(w.Data, g, o.st.slots[i][0].Data, o.st.lrOf(o.LRMultipliers, i, lr), rho, eps)
	}
	o.st.average(o.EMA, values)
	o.st.iterations++
}

// Config returns Keras's config keys.
func (o *RMSprop) Config() map[string]any {
	m := map[string]any{
		"name":          o.Name(),
		"learning_rate": o.st.lrConfig(o.LearningRate()),
		"rho":           or(o.Rho, 0.9),
		"epsilon":       or(o.Epsilon, 1e-7),
	}
	o.Clip.config(m)
	o.LRMultipliers.config(m)
	o.EMA.config(m)
	return m
}

// Adagrad is Keras's Adagrad (keras/src/optimizers/adagrad.py): an
// accumulator a per variable, starting at InitialAccumulator, and
//
//	a += g²;  w -= lr*g/sqrt(a+eps)
type Adagrad struct {
	LR                 float64 // learning rate; 0 means Keras's 0.001
	InitialAccumulator float64 // 0 means Keras's initial_accumulator_value 0.1
	Epsilon            float64 // 0 means Keras's 1e-7
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	st state
}

var adagradKinds = []string{"accumulator"}

// Name returns "adagrad".
func (o *Adagrad) Name() string { return NameAdagrad }

// LearningRate returns the learning rate in use.
func (o *Adagrad) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Adagrad) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Adagrad) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Adagrad) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Adagrad) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Adagrad) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Adagrad) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// SetVariableNames names the variables for LRMultipliers.
func (o *Adagrad) SetVariableNames(names []string) error {
	return o.st.setNames(o.Name(), o.LRMultipliers, names)
}

// State returns the accumulators "accumulator/i" of each variable.
func (o *Adagrad) State() []Slot { return o.st.slotList(o.EMA.kinds(adagradKinds)) }

// SetState restores iterations and slots from State.
func (o *Adagrad) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o.Name(), o.EMA.kinds(adagradKinds), iterations, slots)
}

// Apply does one Adagrad step.
func (o *Adagrad) Apply(values, grads []*tensor.Tensor) {
	o.st.prepare(o.Name(), values, grads, len(o.EMA.kinds(adagradKinds)), float32(or(o.InitialAccumulator, 0.1)))
	lr, eps := float32(o.LearningRate()), float32(or(o.Epsilon, 1e-7))
	global := o.st.globalNorm(o.Clip, grads)
	for i, w := range values {
		g := o.st.grad(o.Clip, grads[i].Data, global)
		kernel.AdagradUpdate(w.Data, g, o.st.slots[i][0].Data, o.st.lrOf(o.LRMultipliers, i, lr), eps)
	}
	o.st.average(o.EMA, values)
	o.st.iterations++
}

// Config returns Keras's config keys.
func (o *Adagrad) Config() map[string]any {
	m := map[string]any{
		"name":                      o.Name(),
		"learning_rate":             o.st.lrConfig(o.LearningRate()),
		"initial_accumulator_value": or(o.InitialAccumulator, 0.1),
		"epsilon":                   or(o.Epsilon, 1e-7),
	}
	o.Clip.config(m)
	o.LRMultipliers.config(m)
	o.EMA.config(m)
	return m
}
