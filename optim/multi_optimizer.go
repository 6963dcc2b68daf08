package optim

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// NameMultiOptimizer is Keras's snake_case name of MultiOptimizer.
const NameMultiOptimizer = "multi_optimizer"

// Route sends the variables whose path Key names to Opt (one entry of
// Keras's OptimizerMap).
type Route struct {
	Key string
	Opt Optimizer
}

// MultiOptimizer is Keras's MultiOptimizer with an OptimizerMap
// (keras/src/optimizers/multi_optimizer.py): each trainable variable is
// updated by the optimizer its path is mapped to, the others by Default.
// A Route's Key maps a variable whose path equals it; failing every exact
// key, a key whose regular expression matches the whole path (Python's
// re.fullmatch; Go's RE2 syntax, which lacks look-arounds and
// back-references); a path two such keys match is an error, as in Keras.
//
// Paths are gokeras's "layer/variable" ("conv2d_1/kernel", and
// "sequential_1/dense/kernel" inside a nested model). Keras names a
// Sequential model's variables with the model's name in front
// ("sequential/conv2d_1/kernel"); a key written that way matches nothing
// here, and SetVariableNames (which Fit calls) says so rather than
// leaving the variables to Default unnoticed.
//
// Each inner optimizer keeps its own options, learning rate, schedule and
// state, and steps only its variables, once per Apply. LearningRate,
// SetLearningRate, Schedule and SetSchedule are Default's (Keras's
// MultiOptimizer refuses a rate of its own; train's LearningRateScheduler
// and ReduceLROnPlateau refuse it too). Nesting a MultiOptimizer inside
// another is refused, as Keras does. Default and Routes must not change
// once the optimizer is in use.
type MultiOptimizer struct {
	Default Optimizer
	Routes  []Route

	iterations int64
	inner      []Optimizer // distinct optimizers: the Routes' by key, then Default
	group      []int       // per variable of Apply, its inner optimizer
	sub        [][]int     // per inner optimizer, its variables
	vals, grds [][]*tensor.Tensor
	avg        []*tensor.Tensor
	named      bool
}

// Name returns "multi_optimizer".
func (o *MultiOptimizer) Name() string { return NameMultiOptimizer }

// optimizers returns the inner optimizers in a fixed order: the Routes'
// optimizers sorted by key (so that the order survives a model file, whose
// JSON object keeps no order), each once, then Default. It checks them.
func (o *MultiOptimizer) optimizers() ([]Optimizer, error) {
	if o.inner != nil {
		return o.inner, nil
	}
	if o.Default == nil {
		return nil, fmt.Errorf("optim: multi_optimizer has no Default optimizer; set one for the variables no route names (Keras's default_optimizer)")
	}
	routes := slices.Clone(o.Routes)
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Key < routes[j].Key })
	var out []Optimizer
	for i, r := range routes {
		if r.Opt == nil {
			return nil, fmt.Errorf("optim: multi_optimizer route %q has no optimizer", r.Key)
		}
		if i > 0 && routes[i-1].Key == r.Key {
			return nil, fmt.Errorf("optim: multi_optimizer has two routes for %q; give each key once, as Keras's OptimizerMap requires", r.Key)
		}
		if !slices.Contains(out, r.Opt) {
			out = append(out, r.Opt)
		}
	}
	if !slices.Contains(out, o.Default) {
		out = append(out, o.Default)
	}
	for _, in := range out {
		if _, ok := in.(*MultiOptimizer); ok {
			return nil, fmt.Errorf("optim: a MultiOptimizer cannot be nested inside another's routes, as in Keras; list its routes in the outer one")
		}
	}
	o.inner = out
	return out, nil
}

// Optimizers returns the inner optimizers, in the order State numbers
// them: the Routes' optimizers sorted by key, each once, then Default
// (nil when the routes or Default are not valid).
func (o *MultiOptimizer) Optimizers() []Optimizer {
	inner, _ := o.optimizers()
	return inner
}

// route returns the index in inner of the optimizer path maps to.
func (o *MultiOptimizer) route(inner []Optimizer, res []*regexp.Regexp, path string) (int, error) {
	pick := o.Default
	found := false
	for _, r := range o.Routes {
		if r.Key == path {
			pick, found = r.Opt, true
			break
		}
	}
	if !found {
		var hit []string
		for i, r := range o.Routes {
			if res[i].MatchString(path) {
				hit = append(hit, r.Key)
				pick = r.Opt
			}
		}
		if len(hit) > 1 {
			sort.Strings(hit)
			return 0, fmt.Errorf("optim: multi_optimizer keys %q all match variable %s; make them match one each (Keras's OptimizerMap refuses this too)", hit, path)
		}
	}
	return slices.Index(inner, pick), nil
}

// SetVariableNames routes the variables by their paths and names each
// inner optimizer's share. It fails on a key that is not a regular
// expression, a variable two keys match, or a key that matches no
// variable.
func (o *MultiOptimizer) SetVariableNames(names []string) error {
	inner, err := o.optimizers()
	if err != nil {
		return err
	}
	res := make([]*regexp.Regexp, len(o.Routes))
	for i, r := range o.Routes {
		re, err := regexp.Compile(`^(?:` + r.Key + `)$`)
		if err != nil {
			return fmt.Errorf("optim: multi_optimizer key %q is neither a variable path nor a regular expression Go reads: %v", r.Key, err)
		}
		res[i] = re
	}
	group := make([]int, len(names))
	used := make([]bool, len(o.Routes))
	for v, n := range names {
		k, err := o.route(inner, res, n)
		if err != nil {
			return err
		}
		group[v] = k
		for i, r := range o.Routes {
			if r.Opt == inner[k] && (r.Key == n || res[i].MatchString(n)) {
				used[i] = true
			}
		}
	}
	for i, r := range o.Routes {
		if !used[i] {
			eg := "none"
			if len(names) > 0 {
				eg = names[0]
			}
			return fmt.Errorf("optim: multi_optimizer key %q matches no trainable variable; keys match paths \"layer/variable\" such as %s (leave out the model name Keras puts in front of a Sequential model's paths)", r.Key, eg)
		}
	}
	if o.group != nil && !slices.Equal(o.group, group) {
		return fmt.Errorf("optim: multi_optimizer routed %d variables before and would route %d now, differently; a layer was frozen or unfrozen since training began: compile the model again, which starts a new optimizer", len(o.group), len(group))
	}
	sub := make([][]int, len(inner))
	for v, k := range group {
		sub[k] = append(sub[k], v)
	}
	for k, in := range inner {
		if nm, ok := in.(Named); ok {
			part := make([]string, len(sub[k]))
			for i, v := range sub[k] {
				part[i] = names[v]
			}
			if err := nm.SetVariableNames(part); err != nil {
				return err
			}
		}
	}
	o.group, o.sub, o.named = group, sub, true
	o.vals = make([][]*tensor.Tensor, len(inner))
	o.grds = make([][]*tensor.Tensor, len(inner))
	return nil
}

// Apply steps each inner optimizer on its variables. Without
// SetVariableNames every variable goes to Default, which is only allowed
// when there are no Routes.
func (o *MultiOptimizer) Apply(values, grads []*tensor.Tensor) {
	if len(values) != len(grads) {
		panic(fmt.Sprintf("optim: multi_optimizer.Apply got %d variables and %d gradients; pass one gradient per variable", len(values), len(grads)))
	}
	if !o.named {
		if len(o.Routes) > 0 {
			panic("optim: multi_optimizer routes variables by their paths; call SetVariableNames before Apply (Fit does)")
		}
		if err := o.SetVariableNames(make([]string, len(values))); err != nil {
			panic(err.Error())
		}
	}
	if len(values) != len(o.group) {
		panic(fmt.Sprintf("optim: multi_optimizer.Apply got %d variables, but routed %d; pass the same variables in the same order every step", len(values), len(o.group)))
	}
	for k, in := range o.inner {
		if len(o.sub[k]) == 0 {
			continue
		}
		o.vals[k], o.grds[k] = o.vals[k][:0], o.grds[k][:0]
		for _, v := range o.sub[k] {
			o.vals[k] = append(o.vals[k], values[v])
			o.grds[k] = append(o.grds[k], grads[v])
		}
		in.Apply(o.vals[k], o.grds[k])
	}
	o.iterations++
}

// part returns values' share of inner optimizer k, in o.vals[k].
func (o *MultiOptimizer) part(k int, values []*tensor.Tensor) []*tensor.Tensor {
	o.vals[k] = o.vals[k][:0]
	for _, v := range o.sub[k] {
		o.vals[k] = append(o.vals[k], values[v])
	}
	return o.vals[k]
}

// FinalizeVariableValues lets each inner optimizer finalize its variables
// (EMA averages, schedule-free averages), as Keras's does.
func (o *MultiOptimizer) FinalizeVariableValues(values []*tensor.Tensor) {
	if !o.named || len(values) != len(o.group) {
		return
	}
	for k, in := range o.inner {
		if f, ok := in.(Finalizer); ok && len(o.sub[k]) > 0 {
			f.FinalizeVariableValues(o.part(k, values))
		}
	}
}

// EMAAverages returns every variable's EMA average, in Apply's order,
// when every inner optimizer that updates variables keeps them; else nil.
func (o *MultiOptimizer) EMAAverages() []*tensor.Tensor {
	if !o.named {
		return nil
	}
	if cap(o.avg) < len(o.group) {
		o.avg = make([]*tensor.Tensor, len(o.group))
	}
	o.avg = o.avg[:len(o.group)]
	for k, in := range o.inner {
		if len(o.sub[k]) == 0 {
			continue
		}
		h, ok := in.(EMAHolder)
		if !ok {
			return nil
		}
		a := h.EMAAverages()
		if len(a) != len(o.sub[k]) {
			return nil
		}
		for i, v := range o.sub[k] {
			o.avg[v] = a[i]
		}
	}
	return o.avg
}

// LearningRate returns Default's rate.
func (o *MultiOptimizer) LearningRate() float64 {
	if o.Default == nil {
		return 0
	}
	return o.Default.LearningRate()
}

// SetLearningRate sets Default's rate.
func (o *MultiOptimizer) SetLearningRate(lr float64) {
	if o.Default != nil {
		o.Default.SetLearningRate(lr)
	}
}

// Schedule returns Default's schedule.
func (o *MultiOptimizer) Schedule() Schedule {
	if o.Default == nil {
		return nil
	}
	return o.Default.Schedule()
}

// SetSchedule sets Default's schedule.
func (o *MultiOptimizer) SetSchedule(s Schedule) {
	if o.Default != nil {
		o.Default.SetSchedule(s)
	}
}

// SetTrainingSteps passes the run's length to every inner optimizer.
func (o *MultiOptimizer) SetTrainingSteps(steps int64) {
	inner, err := o.optimizers()
	if err != nil {
		return
	}
	for _, in := range inner {
		in.SetTrainingSteps(steps)
	}
}

// Iterations returns the number of Apply calls so far.
func (o *MultiOptimizer) Iterations() int64 { return o.iterations }

// State returns each inner optimizer's slots, their names prefixed with
// its place among the inner optimizers ("0/m/1": inner optimizer 0's
// slot m of its second variable).
func (o *MultiOptimizer) State() []Slot {
	inner, err := o.optimizers()
	if err != nil {
		return nil
	}
	var out []Slot
	for k, in := range inner {
		for _, s := range in.State() {
			out = append(out, Slot{Name: strconv.Itoa(k) + "/" + s.Name, Value: s.Value})
		}
	}
	return out
}

// SetState restores the iteration count, which every inner optimizer
// takes, and each inner optimizer's slots from State. Nothing changes on
// error: the slots are first tried on fresh copies of the inner
// optimizers, and compared with the state they already have.
func (o *MultiOptimizer) SetState(iterations int64, slots []Slot) error {
	inner, err := o.optimizers()
	if err != nil {
		return err
	}
	if iterations < 0 {
		return fmt.Errorf("optim: multi_optimizer state has %d iterations; want a count >= 0", iterations)
	}
	parts := make([][]Slot, len(inner))
	for _, s := range slots {
		ks, rest, ok := strings.Cut(s.Name, "/")
		k, err := strconv.Atoi(ks)
		if !ok || err != nil || k < 0 || k >= len(inner) {
			return fmt.Errorf("optim: multi_optimizer state slot %q does not name one of its %d optimizers (\"<index>/<slot>\"); restore it into the optimizer it was saved from", s.Name, len(inner))
		}
		parts[k] = append(parts[k], Slot{Name: rest, Value: s.Value})
	}
	for k, in := range inner {
		fresh, err := FromConfig(in.Name(), in.Config())
		if err != nil {
			return fmt.Errorf("optim: multi_optimizer optimizer %d (%s): %w", k, in.Name(), err)
		}
		if err := fresh.SetState(iterations, parts[k]); err != nil {
			return fmt.Errorf("optim: multi_optimizer optimizer %d: %w", k, err)
		}
		if have := in.State(); len(have) > 0 {
			if len(have) != len(parts[k]) {
				return fmt.Errorf("optim: multi_optimizer optimizer %d (%s) has %d slots, the state gives %d; restore it into the model it was saved from", k, in.Name(), len(have), len(parts[k]))
			}
			for i, h := range have {
				if p := parts[k][i]; p.Name != h.Name || !p.Value.Shape.Equal(h.Value.Shape) {
					return fmt.Errorf("optim: multi_optimizer optimizer %d (%s) slot %s %v does not fit its %s %v; restore it into the model it was saved from", k, in.Name(), p.Name, p.Value.Shape, h.Name, h.Value.Shape)
				}
			}
		}
	}
	for k, in := range inner {
		if err := in.SetState(iterations, parts[k]); err != nil {
			return fmt.Errorf("optim: multi_optimizer optimizer %d: %w", k, err) // checked above; not reached
		}
	}
	o.iterations = iterations
	return nil
}

// Config is Keras's MultiOptimizer.get_config: the OptimizerMap
// serialised as serialize_keras_object writes it, with each optimizer's
// own config.
func (o *MultiOptimizer) Config() map[string]any {
	routes := map[string]any{}
	for _, r := range o.Routes {
		if r.Opt != nil {
			routes[r.Key] = serializeOptimizer(r.Opt)
		}
	}
	var def any
	if o.Default != nil {
		def = serializeOptimizer(o.Default)
	}
	return map[string]any{
		"name":              NameMultiOptimizer,
		"loss_scale_factor": nil,
		"optimizer_map": map[string]any{
			"module": "keras.optimizers", "class_name": "OptimizerMap", "registered_name": nil,
			"config": map[string]any{"default_optimizer": def, "optimizer_map": routes},
		},
	}
}

// serializeOptimizer is serialize_keras_object of an optimizer: module,
// Keras's class name, its config (with a schedule's module) and
// registered_name.
func serializeOptimizer(o Optimizer) map[string]any {
	cfg := o.Config()
	if lr, ok := cfg["learning_rate"].(map[string]any); ok {
		if _, ok := lr["module"]; !ok {
			lr["module"], lr["registered_name"] = "keras.optimizers.schedules", nil
		}
	}
	return map[string]any{"module": "keras.optimizers", "class_name": ClassName(o.Name()), "config": cfg, "registered_name": nil}
}

// multiFromConfig reads MultiOptimizer.get_config (and Config).
func multiFromConfig(cfg map[string]any) (Optimizer, error) {
	r := reader{NameMultiOptimizer, config.New(cfg)}
	r.Get("name") // the user's label; gokeras's name is fixed
	if v, ok := r.Get("loss_scale_factor"); ok {
		return nil, fmt.Errorf("optim: multi_optimizer loss_scale_factor %v: gokeras trains in float32 without loss scaling; set it to null", v)
	}
	mv, ok := r.Get("optimizer_map")
	if err := r.finish(); err != nil {
		return nil, err
	}
	m, _ := mv.(map[string]any)
	if !ok || m == nil {
		return nil, fmt.Errorf(`optim: multi_optimizer needs "optimizer_map": {"class_name": "OptimizerMap", "config": {"default_optimizer": ..., "optimizer_map": {...}}}`)
	}
	if c, _ := m["class_name"].(string); c != "OptimizerMap" {
		return nil, fmt.Errorf("optim: multi_optimizer's optimizer_map is a %q; gokeras reads an OptimizerMap (a Python function that picks optimizers cannot be saved)", c)
	}
	mc, _ := m["config"].(map[string]any)
	mr := reader{"multi_optimizer's OptimizerMap", config.New(mc)}
	dv, _ := mr.Get("default_optimizer")
	rv, _ := mr.Get("optimizer_map")
	if err := mr.finish(); err != nil {
		return nil, err
	}
	def, err := innerFromConfig("default_optimizer", dv)
	if err != nil {
		return nil, err
	}
	o := &MultiOptimizer{Default: def}
	routes, ok := rv.(map[string]any)
	if rv != nil && !ok {
		return nil, fmt.Errorf("optim: multi_optimizer's optimizer_map must map variable paths to optimizers, not %T", rv)
	}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in, err := innerFromConfig(strconv.Quote(k), routes[k])
		if err != nil {
			return nil, err
		}
		o.Routes = append(o.Routes, Route{Key: k, Opt: in})
	}
	if _, err := o.optimizers(); err != nil {
		return nil, err
	}
	return o, nil
}

// innerFromConfig reads one serialised optimizer of an OptimizerMap: a
// name ("adam") or {"class_name", "config"}.
func innerFromConfig(what string, v any) (Optimizer, error) {
	switch v := v.(type) {
	case string:
		o, err := Parse(v)
		if err != nil {
			return nil, fmt.Errorf("optim: multi_optimizer %s: %w", what, err)
		}
		return o, nil
	case map[string]any:
		class, _ := v["class_name"].(string)
		cfg, _ := v["config"].(map[string]any)
		if k := strings.ToLower(class); k == "multioptimizer" || k == NameMultiOptimizer {
			return nil, fmt.Errorf("optim: multi_optimizer %s is a MultiOptimizer; one cannot be nested inside another, as in Keras", what)
		}
		o, err := FromConfig(strings.ToLower(class), cfg)
		if err != nil {
			return nil, fmt.Errorf("optim: multi_optimizer %s: %w", what, err)
		}
		return o, nil
	case nil:
		return nil, fmt.Errorf("optim: multi_optimizer %s is missing; give an optimizer such as {\"class_name\": \"SGD\", \"config\": {}}", what)
	}
	return nil, fmt.Errorf("optim: multi_optimizer %s must be an optimizer's name or {\"class_name\", \"config\"}, not %T", what, v)
}
