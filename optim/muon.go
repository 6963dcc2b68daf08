package optim

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// Muon is Keras's Muon (keras/src/optimizers/muon.py; Jordan et al.,
// "Muon", 2024): 2-D and 3-D variables take a momentum step orthogonalised
// by Newton–Schulz iterations, the others an AdamW step at AdamLRRatio of
// the rate. For a Muon variable, with μ = Momentum:
//
//	m = μ·m + g;  u = g + μ·m (Nesterov) or m;  w -= lr·NS(u)·sqrt(max(1, d0/d1))
//
// NS normalises u (per matrix of the last two axes) to Frobenius norm 1
// and runs NSSteps times X = a·X + (b·A + c·A²)·X with A = X·Xᵀ, on the
// wide orientation of each matrix. Variables of any other rank, those
// whose path contains "embedding" (unless KeepEmbeddings) and those whose
// path ("layer/variable") matches an ExcludeLayers expression take the
// AdamW step (Keras's code matches its short variable name, "kernel",
// which cannot hold a layer name; the path is what exclude_layers means).
// Weight decay is the base optimizer's, decoupled, on every variable.
type Muon struct {
	LR                   float64  // learning rate; 0 means Keras's 0.001
	AdamBeta1, AdamBeta2 float64  // 0 means Keras's 0.9 and 0.999
	Epsilon              float64  // 0 means Keras's 1e-7 (the AdamW step's)
	WeightDecay          *float64 // nil means Keras's 0.1; Float(0) for none
	// ExcludeFromWeightDecay is Keras's exclude_from_weight_decay(var_names=...)
	// (see Adam's).
	ExcludeFromWeightDecay []string
	ExcludeLayers          []string // regular expressions of variable paths that take the AdamW step
	KeepEmbeddings         bool     // false is Keras's exclude_embeddings=True
	MuonA, MuonB, MuonC    float64  // 0 means Keras's 3.4445, -4.7750, 2.0315
	AdamLRRatio            float64  // 0 means Keras's 0.1
	Momentum               float64  // 0 means Keras's 0.95
	NSSteps                int      // 0 means Keras's 6
	NoNesterov             bool     // false is Keras's nesterov=True
	Clip
	LRMultipliers LRMultipliers // per-variable learning-rate factors; nil for none
	EMA
	// GradientAccumulationSteps (Keras gradient_accumulation_steps), when
	// 2 or more, makes only every that-many-th Apply a step, with the mean
	// of the gradients since the last one.
	GradientAccumulationSteps int
	st                        state

	t    float64
	excl []*regexp.Regexp
	x, a []float32 // Newton–Schulz scratch
}

// maxNSSteps bounds the Newton–Schulz iterations a config may ask for.
const maxNSSteps = 100

// NameMuon is Keras's name of Muon.
const NameMuon = "muon"

// Name returns "muon".
func (o *Muon) Name() string { return NameMuon }

// LearningRate returns the learning rate in use.
func (o *Muon) LearningRate() float64 { return o.st.lr(o.LR, 0.001) }

// SetLearningRate sets a constant learning rate, replacing any schedule;
// 0 is honoured as 0.
func (o *Muon) SetLearningRate(lr float64) {
	o.LR, o.st.lrSet = lr, true
	o.st.setSchedule(nil)
}

// Schedule returns the learning-rate schedule, nil for a constant rate.
func (o *Muon) Schedule() Schedule { return o.st.sched }

// SetSchedule makes each step's rate s.Rate(Iterations()); nil removes it.
func (o *Muon) SetSchedule(s Schedule) { o.st.setSchedule(s) }

// SetTrainingSteps fills in a schedule's "rest of training" length.
func (o *Muon) SetTrainingSteps(steps int64) { o.st.setTrainingSteps(steps) }

// Iterations returns the number of Apply calls so far.
func (o *Muon) Iterations() int64 { return o.st.iterations }

// FinalizeVariableValues copies the EMA averages into values when EMA is on.
func (o *Muon) FinalizeVariableValues(values []*tensor.Tensor) { o.st.finalize(o.EMA, values) }

// EMAAverages returns the EMA averages (see EMAHolder).
func (o *Muon) EMAAverages() []*tensor.Tensor { return o.st.averages(o.EMA) }

// SetVariableNames names the variables, for LRMultipliers,
// ExcludeFromWeightDecay, ExcludeLayers and the embedding rule.
func (o *Muon) SetVariableNames(names []string) error {
	o.excl = o.excl[:0]
	for _, e := range o.ExcludeLayers {
		re, err := regexp.Compile(e)
		if err != nil {
			return fmt.Errorf("optim: muon exclude_layers %q is not a regular expression: %v", e, err)
		}
		o.excl = append(o.excl, re)
	}
	return o.st.setNames(o.Name(), o.LRMultipliers, o.ExcludeFromWeightDecay, names)
}

func (o *Muon) weightDecay() float64 {
	if o.WeightDecay == nil {
		return 0.1
	}
	return *o.WeightDecay
}

func (o *Muon) base() base {
	return base{name: o.Name(), lr: o.LearningRate(), clip: o.Clip, mult: o.LRMultipliers, ema: o.EMA, exclude: o.ExcludeFromWeightDecay, wd: o.weightDecay(), accum: o.GradientAccumulationSteps}
}

// State returns the slots "m/i" and "v/i" of each variable (v stays zero
// for the Muon variables), then "average/i" with EMA and
// "gradient_accumulator/i" with gradient accumulation.
func (o *Muon) State() []Slot { return o.st.slotList(o, o.base()) }

// SetState restores iterations and slots from State.
func (o *Muon) SetState(iterations int64, slots []Slot) error {
	return o.st.setState(o, o.base(), iterations, slots)
}

// Apply does one step.
func (o *Muon) Apply(values, grads []*tensor.Tensor) { o.st.step(o.base(), o, values, grads) }

func (o *Muon) specs() []slotSpec { return []slotSpec{{name: "m"}, {name: "v"}} }

func (o *Muon) begin(t int64, lr float64) float64 {
	o.t = float64(t)
	return lr
}

// adamw reports whether variable i, of shape s, takes the AdamW step
// (Keras's _should_use_adamw).
func (o *Muon) adamw(i int, s tensor.Shape) bool {
	if !(len(s) == 2 || len(s) == 3) {
		return true
	}
	if i < len(o.st.names) {
		path := o.st.names[i]
		if !o.KeepEmbeddings && strings.Contains(strings.ToLower(path), "embedding") {
			return true
		}
		for _, re := range o.excl {
			if re.MatchString(path) {
				return true
			}
		}
	}
	return false
}

func (o *Muon) update(i int, w, g []float32, slots []*tensor.Tensor, lr, d float32) {
	decay(w, d)
	m := slots[0].Data
	g = g[:len(w)]
	if s := slots[0].Shape; !o.adamw(i, s) {
		o.muonStep(w, g, m, s, lr)
		return
	}
	b1, b2 := or(o.AdamBeta1, 0.9), or(o.AdamBeta2, 0.999)
	eps := float32(or(o.Epsilon, 1e-7))
	alpha := float32(float64(lr) * or(o.AdamLRRatio, 0.1) * math.Sqrt(1-math.Pow(b2, o.t)) / (1 - math.Pow(b1, o.t)))
	v := slots[1].Data
	fb1, fb2 := float32(b1), float32(b2)
	for j, gj := range g {
		m[j] += (gj - m[j]) * (1 - fb1)
		v[j] += (gj*gj - v[j]) * (1 - fb2)
		w[j] -= m[j] * alpha / (sqrt32(v[j]) + eps)
	}
}

// muonStep is _muon_update_step for a variable of shape s (2-D, or 3-D as
// a batch of matrices over its first axis).
func (o *Muon) muonStep(w, g, m []float32, s tensor.Shape, lr float32) {
	mu := float32(or(o.Momentum, 0.95))
	for j, gj := range g {
		m[j] = mu*m[j] + gj
	}
	// The orthogonalised update goes into a scratch copy of u.
	need := len(g)
	if cap(o.x) < need {
		o.x = make([]float32, need)
	}
	u := o.x[:need]
	for j, gj := range g {
		if o.NoNesterov {
			u[j] = m[j]
		} else {
			u[j] = gj + mu*m[j]
		}
	}
	rows, cols := s[len(s)-2], s[len(s)-1]
	batch := need / (rows * cols)
	for b := range batch {
		o.newtonSchulz(u[b*rows*cols:(b+1)*rows*cols], rows, cols)
	}
	scale := lr * float32(math.Sqrt(max(1, float64(s[0])/float64(s[1]))))
	for j := range w {
		w[j] -= scale * u[j]
	}
}

// newtonSchulz replaces the rows×cols matrix x by zeropower_via_newtonschulz5
// of it, in float32 as Keras computes it.
func (o *Muon) newtonSchulz(x []float32, rows, cols int) {
	a, b, c := float32(or(o.MuonA, 3.4445)), float32(or(o.MuonB, -4.7750)), float32(or(o.MuonC, 2.0315))
	steps := o.NSSteps
	if steps == 0 {
		steps = 6
	}
	// Work on the wide orientation X (r×n, r <= n).
	r, n := rows, cols
	tall := rows > cols
	if tall {
		r, n = cols, rows
	}
	if cap(o.a) < 2*r*r+2*r*n {
		o.a = make([]float32, 2*r*r+2*r*n)
	}
	A, B := o.a[:r*r], o.a[r*r:2*r*r]
	X, Y := o.a[2*r*r:2*r*r+r*n], o.a[2*r*r+r*n:2*r*r+2*r*n]
	if tall {
		for i := range rows {
			for j := range cols {
				X[j*n+i] = x[i*cols+j]
			}
		}
	} else {
		copy(X, x)
	}
	var norm float64
	for _, v := range X {
		norm += float64(v) * float64(v)
	}
	inv := 1 / (float32(math.Sqrt(norm)) + 1e-7)
	for j := range X {
		X[j] *= inv
	}
	for range steps {
		kernel.Gemm(false, true, r, r, n, 1, X, n, X, n, 0, A, r)  // A = X·Xᵀ
		kernel.Gemm(false, false, r, r, r, c, A, r, A, r, 0, B, r) // B = c·A·A
		for j := range B {
			B[j] += b * A[j] // B = b·A + c·A²
		}
		copy(Y, X)
		kernel.Gemm(false, false, r, n, r, 1, B, r, Y, n, a, X, n) // X = a·X + B·X
	}
	if tall {
		for i := range rows {
			for j := range cols {
				x[i*cols+j] = X[j*n+i]
			}
		}
	} else {
		copy(x, X)
	}
}

// Config returns Keras's config keys.
func (o *Muon) Config() map[string]any {
	steps := o.NSSteps
	if steps == 0 {
		steps = 6
	}
	excl := make([]any, len(o.ExcludeLayers))
	for i, e := range o.ExcludeLayers {
		excl[i] = e
	}
	m := map[string]any{
		"adam_beta_1":        or(o.AdamBeta1, 0.9),
		"adam_beta_2":        or(o.AdamBeta2, 0.999),
		"epsilon":            or(o.Epsilon, 1e-7),
		"exclude_layers":     excl,
		"muon_a":             or(o.MuonA, 3.4445),
		"muon_b":             or(o.MuonB, -4.7750),
		"muon_c":             or(o.MuonC, 2.0315),
		"adam_lr_ratio":      or(o.AdamLRRatio, 0.1),
		"momentum":           or(o.Momentum, 0.95),
		"ns_steps":           steps,
		"nesterov":           !o.NoNesterov,
		"exclude_embeddings": !o.KeepEmbeddings,
	}
	o.base().config(m, o.st.lrConfig(o.LearningRate()))
	return m
}

// Float returns a pointer to v, for options such as Muon's WeightDecay
// whose nil means Keras's default.
func Float(v float64) *float64 { return &v }
