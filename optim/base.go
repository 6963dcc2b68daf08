// Package optim owns the optimizers Keras users pass to compile as
// optimizer="adam" and the like: their update rules, per-variable state
// (slots), gradient clipping, weight decay, EMA and gradient accumulation
// as Keras's base optimizer applies them, learning-rate schedules
// (schedule.go, which an optimizer evaluates at its own step, as Keras's
// do), and the config and state that a saved model carries.
//
// The formulas and defaults are Keras 3's (keras/src/optimizers/*.py, one
// file here per class, and the base machinery of base_optimizer.py in this
// file). Options are struct fields whose zero value is Keras's default.
// SGD, Adam/AdamW (without amsgrad), RMSprop (without momentum or centering)
// and Adagrad update through the vectorised loops of internal/kernel; the
// other rules are plain Go loops.
package optim

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Keras names of the optimizers, as Name returns them.
const (
	NameSGD       = "sgd"
	NameAdam      = "adam"
	NameAdamW     = "adamw"
	NameRMSprop   = "rmsprop"
	NameAdagrad   = "adagrad"
	NameNadam     = "nadam"
	NameAdamax    = "adamax"
	NameAdadelta  = "adadelta"
	NameLion      = "lion"
	NameFtrl      = "ftrl"
	NameAdafactor = "adafactor"
	// NameScheduleFreeAdamW is Keras's snake_case name of ScheduleFreeAdamW.
	NameScheduleFreeAdamW = "schedule_free_adamw"
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
	// Iterations is the number of Apply calls so far (Keras's
	// optimizer._iterations; with gradient accumulation Keras's
	// optimizer.iterations is this divided by the accumulation steps).
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

// EMAHolder is implemented by every optimizer here. EMAAverages returns
// the moving average of each variable of Apply, in Apply's order, or nil
// when EMA is off or no step has made them yet. The tensors are the
// optimizer's own: train.SwapEMAWeights exchanges their values with the
// variables' for validation.
type EMAHolder interface {
	EMAAverages() []*tensor.Tensor
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

// Slot is one named state variable of an optimizer.
type Slot struct {
	Name  string
	Value *tensor.Tensor
}

// Clip is Keras's gradient clipping, applied before the update. Zero turns
// each off. Keras allows only one to be set (FromConfig refuses several);
// if several are set here, Norm wins, then GlobalNorm, then Value, which
// is the order base_optimizer._clip_gradients tests them in. Clipped
// gradients go to a scratch buffer owned by the optimizer: the caller's
// gradients are never modified.
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

// names lists every name Parse accepts.
var names = []string{NameAdam, NameAdamW, NameSGD, NameRMSprop, NameAdagrad,
	NameNadam, NameAdamax, NameAdadelta, NameLion, NameFtrl, NameAdafactor, NameScheduleFreeAdamW, NameScheduleFreeSGD, NameMuon}

// Parse returns the optimizer with Keras name name (any case), with
// Keras's default options, as compile(optimizer="nadam") does.
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
	case NameNadam:
		return &Nadam{}, nil
	case NameAdamax:
		return &Adamax{}, nil
	case NameAdadelta:
		return &Adadelta{}, nil
	case NameLion:
		return &Lion{}, nil
	case NameFtrl:
		return &Ftrl{}, nil
	case NameAdafactor:
		return &Adafactor{}, nil
	case NameScheduleFreeAdamW, "schedulefreeadamw": // also Keras's class name, lowered
		return &ScheduleFreeAdamW{}, nil
	case NameScheduleFreeSGD, "schedulefreesgd":
		return &ScheduleFreeSGD{}, nil
	case NameMuon:
		return &Muon{}, nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q; use one of %s", name, strings.Join(names, ", "))
}

// base is the options of Keras's BaseOptimizer that every optimizer here
// has, gathered for state.step.
type base struct {
	name string
	lr   float64 // the current rate, before multipliers
	clip Clip
	mult LRMultipliers
	ema  EMA
	wd   float64 // decoupled weight decay; 0 for none
	// exclude is ExcludeFromWeightDecay; state.noDecay holds its verdicts.
	exclude []string
	accum   int // gradient_accumulation_steps; 0 or 1 for none
}

// config writes the keys of BaseOptimizer.get_config.
func (b base) config(m map[string]any, lrConfig any) {
	opt := func(v float64) any {
		if v > 0 {
			return v
		}
		return nil
	}
	m["name"] = b.name
	m["learning_rate"] = lrConfig
	m["weight_decay"] = opt(b.wd)
	m["clipnorm"] = opt(b.clip.Norm)
	m["clipvalue"] = opt(b.clip.Value)
	m["global_clipnorm"] = opt(b.clip.GlobalNorm)
	m["use_ema"] = b.ema.Use
	m["ema_momentum"] = or(b.ema.Momentum, 0.99)
	if b.ema.OverwriteFrequency > 0 {
		m["ema_overwrite_frequency"] = b.ema.OverwriteFrequency
	} else {
		m["ema_overwrite_frequency"] = nil
	}
	m["loss_scale_factor"] = nil
	if b.accum > 1 {
		m["gradient_accumulation_steps"] = b.accum
	} else {
		m["gradient_accumulation_steps"] = nil
	}
	b.mult.config(m)
}

// slotSpec describes one kind of per-variable state.
type slotSpec struct {
	name string
	init float32 // every element's initial value
	// fromVariable starts the slot as a copy of the variable (Keras's
	// assign(slot, ops.copy(var)) at build), instead of init.
	fromVariable bool
	// shape gives the slot's shape from the variable's; nil means the
	// variable's own shape.
	shape func(tensor.Shape) tensor.Shape
}

func (sp slotSpec) shapeOf(v tensor.Shape) tensor.Shape {
	if sp.shape == nil {
		return v.Clone()
	}
	return sp.shape(v)
}

// rule is one optimizer's update_step, what each Keras subclass defines;
// state.step runs BaseOptimizer's apply around it.
type rule interface {
	// specs lists the optimizer's own slots; the first, if any, has the
	// variable's shape. (EMA and accumulation slots are added after.)
	specs() []slotSpec
	// begin is called once per update step, before the variables, with
	// t = Keras's iterations+1 (the count of update steps, from 1) and the
	// base learning rate; it returns the step's rate, which update
	// receives (Adam folds its bias correction in).
	begin(t int64, lr float64) float64
	// update updates one variable: w in place from its clipped gradient
	// g, with its slots, its learning rate (the step's rate from begin
	// times the variable's multiplier) and decay = weight_decay*base rate (0: none), which the
	// rule applies first as w -= w*decay (base_optimizer._apply_weight_decay).
	update(i int, w, g []float32, slots []*tensor.Tensor, lr, decay float32)
}

// decay applies Keras's decoupled weight decay w -= w*d.
func decay(w []float32, d float32) {
	if d != 0 {
		kernel.Axpy(-d, w, w)
	}
}

// allSpecs is r's slots followed by the EMA average and the gradient
// accumulator when b turns them on (Keras builds those in the base class).
func allSpecs(r rule, b base) []slotSpec {
	own := r.specs()
	out := append([]slotSpec(nil), own...)
	if b.ema.Use {
		out = append(out, slotSpec{name: "average"})
	}
	if b.accum > 1 {
		out = append(out, slotSpec{name: "gradient_accumulator"})
	}
	return out
}

func specNames(specs []slotSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.name
	}
	return out
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
	own        int // how many of each variable's slots are the rule's own
	scratch    []float32
	names      []string // variable paths, from SetVariableNames
	noDecay    []bool   // per variable: excluded from weight decay
	accumulate bool     // this step's gradients are the accumulators
}

// step is BaseOptimizer.apply (keras/src/optimizers/base_optimizer.py,
// _backend_apply_gradients): with gradient accumulation, add the gradients
// to the accumulators except every accum-th call, which averages them;
// then clip, decay the weights, run the rule; then update the EMA, and
// count the call.
func (s *state) step(b base, r rule, values, grads []*tensor.Tensor) {
	s.prepare(b, r, values, grads)
	n := int64(max(b.accum, 1))
	update := (s.iterations+1)%n == 0
	acc := s.own
	if b.ema.Use {
		acc++
	}
	switch {
	case !update:
		for i := range values {
			kernel.Axpy(1, grads[i].Data, s.slots[i][acc].Data)
		}
	default:
		s.accumulate = n > 1
		if s.accumulate {
			for i := range values {
				a := s.slots[i][acc].Data
				kernel.Axpy(1, grads[i].Data, a)
				kernel.Scale(a, 1/float32(n))
			}
		}
		global := s.globalNorm(b.clip, grads, acc)
		stepLR := float32(r.begin(s.iterations/n+1, b.lr))
		d := float32(b.wd * b.lr)
		if len(b.exclude) > 0 && d != 0 && len(s.noDecay) != len(values) {
			panic(fmt.Sprintf("optim: %s has ExcludeFromWeightDecay but no variable names; call SetVariableNames before Apply", b.name))
		}
		for i, w := range values {
			g := grads[i].Data
			if s.accumulate {
				g = s.slots[i][acc].Data
			}
			g = s.grad(b.clip, g, global)
			di := d
			if len(s.noDecay) > i && s.noDecay[i] {
				di = 0
			}
			r.update(i, w.Data, g, s.slots[i][:s.own], s.lrOf(b.mult, i, stepLR), di)
		}
		if s.accumulate {
			for i := range values {
				clear(s.slots[i][acc].Data)
			}
		}
		s.accumulate = false
	}
	s.average(b.ema, values, s.iterations/n)
	s.iterations++
}

// setNames keeps the variable paths for lrOf and decides which variables
// exclude keeps from weight decay (base_optimizer._use_weight_decay: a
// regular-expression search in the variable's name). A multiplier key
// that matches none of them is an error, so a misspelt key does not pass
// silently.
func (s *state) setNames(opt string, m LRMultipliers, exclude []string, names []string) error {
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
	var noDecay []bool
	if len(exclude) > 0 {
		re, err := regexp.Compile(strings.Join(exclude, "|"))
		if err != nil {
			return fmt.Errorf("optim: %s ExcludeFromWeightDecay %q: %w; give regular expressions such as \"bias\"", opt, exclude, err)
		}
		noDecay = make([]bool, len(names))
		for i, n := range names {
			noDecay[i] = re.MatchString(n[strings.LastIndex(n, "/")+1:])
		}
	}
	s.names, s.noDecay = slices.Clone(names), noDecay
	return nil
}

// average updates the EMA slots after a step, before the iteration count
// moves on, and overwrites the variables when due. it is Keras's
// iterations (update steps so far).
func (s *state) average(e EMA, values []*tensor.Tensor, it int64) {
	if !e.Use {
		return
	}
	mu := float32(or(e.Momentum, 0.99))
	if it == 0 {
		mu = 0
	}
	for i, w := range values {
		a := s.slots[i][s.own].Data
		kernel.Scale(a, mu)
		kernel.Axpy(1-mu, w.Data, a)
	}
	if f := int64(e.OverwriteFrequency); f > 0 && (it+1)%f == 0 {
		s.finalize(e, values)
	}
}

// averages returns the EMA slots (see EMAHolder).
func (s *state) averages(e EMA) []*tensor.Tensor {
	if !e.Use || s.slots == nil {
		return nil
	}
	a := make([]*tensor.Tensor, len(s.slots))
	for i, sl := range s.slots {
		a[i] = sl[s.own]
	}
	return a
}

// finalize copies the EMA averages into the variables.
func (s *state) finalize(e EMA, values []*tensor.Tensor) {
	if !e.Use || s.slots == nil {
		return
	}
	for i, w := range values {
		copy(w.Data, s.slots[i][s.own].Data)
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

// prepare creates the slots on the first call and panics when the
// variables do not match those of earlier calls.
func (s *state) prepare(b base, r rule, values, grads []*tensor.Tensor) {
	if len(values) != len(grads) {
		panic(fmt.Sprintf("optim: %s.Apply got %d variables and %d gradients; pass one gradient per variable", b.name, len(values), len(grads)))
	}
	if s.shapes == nil {
		s.shapes = make([]tensor.Shape, len(values))
		for i, v := range values {
			s.shapes[i] = v.Shape.Clone()
		}
	}
	if s.slots == nil {
		specs := allSpecs(r, b)
		s.own = len(r.specs())
		s.slots = make([][]*tensor.Tensor, len(values))
		for i, v := range values {
			s.slots[i] = make([]*tensor.Tensor, len(specs))
			for k, sp := range specs {
				sh := sp.shapeOf(v.Shape)
				t := &tensor.Tensor{Shape: sh, Data: make([]float32, sh.Size())}
				switch {
				case sp.fromVariable:
					copy(t.Data, v.Data)
				case sp.init != 0:
					t.Fill(sp.init)
				}
				s.slots[i][k] = t
			}
		}
	}
	if len(values) != len(s.shapes) {
		panic(fmt.Sprintf("optim: %s.Apply got %d variables, but its state is for %d; pass the same variables in the same order every step", b.name, len(values), len(s.shapes)))
	}
	for i, v := range values {
		if !v.Shape.Equal(s.shapes[i]) || len(v.Data) != s.shapes[i].Size() {
			panic(fmt.Sprintf("optim: %s.Apply variable %d has shape %v, but its state has %v; pass the same variables in the same order every step", b.name, i, v.Shape, s.shapes[i]))
		}
		if len(grads[i].Data) != len(v.Data) {
			panic(fmt.Sprintf("optim: %s.Apply gradient %d has shape %v for variable of shape %v", b.name, i, grads[i].Shape, v.Shape))
		}
	}
}

// globalNorm returns the joint L2 norm of this step's gradients (the
// averaged accumulators, slot acc, when accumulating) when c clips by it,
// else 0.
func (s *state) globalNorm(c Clip, grads []*tensor.Tensor, acc int) float64 {
	if c.Norm > 0 || c.GlobalNorm <= 0 {
		return 0
	}
	var sum float64
	for i, g := range grads {
		d := g.Data
		if s.accumulate {
			d = s.slots[i][acc].Data
		}
		sum += kernel.Dot(d, d)
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
func (s *state) slotList(r rule, b base) []Slot {
	specs := allSpecs(r, b)
	var out []Slot
	for i, vs := range s.slots {
		for k, t := range vs {
			out = append(out, Slot{Name: fmt.Sprintf("%s/%d", specs[k].name, i), Value: t})
		}
	}
	return out
}

// setState validates slots against the optimizer's slot kinds and any
// existing state, then copies them in. Nothing changes on error.
func (s *state) setState(r rule, b base, iterations int64, slots []Slot) error {
	name := b.name
	specs := allSpecs(r, b)
	kinds := specNames(specs)
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
	if len(slots) == 0 && s.slots == nil {
		// The iteration count alone (a Keras optimizer saved before it
		// was built): the slots are made at the first Apply, as for a
		// fresh optimizer.
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
		// The first slot of each variable has the variable's shape.
		v := slots[i*len(kinds)].Value.Shape
		if s.shapes != nil {
			v = s.shapes[i]
		}
		if want := specs[k].shapeOf(v); !sl.Value.Shape.Equal(want) {
			return fmt.Errorf("optim: %s state slot %q has shape %v, want %v; restore it into the model it was saved from", name, sl.Name, sl.Value.Shape, want)
		}
	}
	if s.slots == nil {
		s.shapes = make([]tensor.Shape, n)
		s.slots = make([][]*tensor.Tensor, n)
		s.own = len(r.specs())
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

// sqrt32 is the float32 square root.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
