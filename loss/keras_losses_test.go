package loss

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
)

// kerasFixtures are the losses added after the first six, each with
// predictions and targets away from the kinks of max, abs and the clips,
// so that finite differences see a smooth function. ref names the formula
// in the NumPy script of TestKerasLossesAgainstNumPy.
type kerasFixture struct {
	fixture
	ref string
}

func kerasFixtures(r *rand.Rand) []kerasFixture {
	const n, c = 4, 3
	randn := func(sd float64, shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64() * sd)
		}
		return x
	}
	uniform := func(lo, hi float64, shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(lo + (hi-lo)*r.Float64())
		}
		return x
	}
	reg, regT := randn(1.5, n, c), randn(1.5, n, c)
	for i := range reg.Data { // keep |p-y| away from 0 (MAPE's kink)
		if math.Abs(float64(reg.Data[i]-regT.Data[i])) < 0.1 {
			reg.Data[i] += 0.3
		}
		if math.Abs(float64(regT.Data[i])) < 0.1 {
			regT.Data[i] += 0.5
		}
	}
	pos, posT := uniform(0.2, 3, n, c), uniform(0, 4, n, c)
	probs, probT := tensor.New(n, c), tensor.New(n, c)
	kernel.SoftmaxRows(probs.Data, randn(1, n, c).Data, n, c)
	kernel.SoftmaxRows(probT.Data, randn(1, n, c).Data, n, c)
	logits := randn(1.5, n, c)
	onehot := tensor.New(n, c)
	for i := range n {
		onehot.Data[i*c+r.IntN(c)] = 1
	}
	bin, pm1 := tensor.New(n, c), tensor.New(n, c)
	for i := range bin.Data {
		bin.Data[i] = float32(r.IntN(2))
		pm1.Data[i] = 2*bin.Data[i] - 1
	}
	binLogits := randn(1.5, n, c)
	binProbs := tensor.New(n, c)
	kernel.Sigmoid(binProbs.Data, binLogits.Data)
	// Hinge predictions away from the hinge at y*p = 1.
	hp := randn(1.5, n, c)
	for i := range hp.Data {
		if math.Abs(1-float64(pm1.Data[i]*hp.Data[i])) < 0.1 {
			hp.Data[i] += 0.3
		}
	}
	col, colT := uniform(0.2, 2, n, 1), uniform(0, 3, n)
	labels, labels1, seqLabels := tensor.New(n), tensor.New(n, 1), tensor.New(n, 2)
	for i := range n {
		labels.Data[i] = float32(r.IntN(c))
		labels1.Data[i] = labels.Data[i]
	}
	for i := range seqLabels.Data {
		seqLabels.Data[i] = float32(r.IntN(c))
	}
	seq, seqT := randn(1, n, 2, c), randn(1, n, 2, c)
	return []kerasFixture{
		{fixture{"log_cosh", LogCosh{}, reg, regT}, "log_cosh"},
		{fixture{"log_cosh (N,1) vs (N,)", LogCosh{}, col, colT}, "log_cosh"},
		{fixture{"kl_divergence", KLDivergence{}, probs, probT}, "kld"},
		{fixture{"kl_divergence (N,T,C)", KLDivergence{}, uniform(0.05, 0.9, n, 2, c), uniform(0.05, 0.9, n, 2, c)}, "kld"},
		{fixture{"poisson", Poisson{}, pos, posT}, "poisson"},
		{fixture{"hinge -1/1", Hinge{}, hp, pm1}, "hinge"},
		{fixture{"hinge 0/1", Hinge{}, hp, bin}, "hinge"},
		{fixture{"squared_hinge -1/1", SquaredHinge{}, hp, pm1}, "squared_hinge"},
		{fixture{"squared_hinge 0/1", SquaredHinge{}, hp, bin}, "squared_hinge"},
		{fixture{"categorical_hinge", CategoricalHinge{}, randn(1.5, n, c), onehot}, "categorical_hinge"},
		{fixture{"cosine_similarity", CosineSimilarity{}, reg, regT}, "cosine"},
		{fixture{"cosine_similarity (N,T,C)", CosineSimilarity{}, seq, seqT}, "cosine"},
		{fixture{"mape", MAPE{}, reg, regT}, "mape"},
		{fixture{"msle", MSLE{}, pos, posT}, "msle"},
		{fixture{"binary_crossentropy smoothed", BinaryCrossentropy{LabelSmoothing: 0.2}, binProbs, bin}, "bce"},
		{fixture{"binary_crossentropy logits smoothed", BinaryCrossentropy{FromLogits: true, LabelSmoothing: 0.1}, binLogits, bin}, "bce"},
		{fixture{"binary_focal", BinaryFocalCrossentropy{}, binProbs, bin}, "binary_focal"},
		{fixture{"binary_focal logits", BinaryFocalCrossentropy{FromLogits: true}, binLogits, bin}, "binary_focal"},
		{fixture{"binary_focal balanced gamma 3 smoothed", BinaryFocalCrossentropy{ApplyClassBalancing: true, Alpha: Float(0.4), Gamma: Float(3), LabelSmoothing: 0.1}, binProbs, bin}, "binary_focal"},
		{fixture{"binary_focal logits balanced gamma 0", BinaryFocalCrossentropy{ApplyClassBalancing: true, Gamma: Float(0), FromLogits: true}, binLogits, bin}, "binary_focal"},
		{fixture{"categorical_focal", CategoricalFocalCrossentropy{}, probs, onehot}, "categorical_focal"},
		{fixture{"categorical_focal soft targets unnormalised", CategoricalFocalCrossentropy{Alpha: Float(1), Gamma: Float(1.5)}, uniform(0.1, 1, n, c), probT}, "categorical_focal"},
		{fixture{"categorical_focal logits", CategoricalFocalCrossentropy{FromLogits: true}, logits, onehot}, "categorical_focal"},
		{fixture{"categorical_focal logits smoothed gamma 0", CategoricalFocalCrossentropy{FromLogits: true, Gamma: Float(0), LabelSmoothing: 0.2}, logits, onehot}, "categorical_focal"},
		{fixture{"huber delta 0.7", Huber{Delta: 0.7}, reg, regT}, "huber"},
		// The first losses, under the reductions too.
		{fixture{"sparse probs", SparseCategoricalCrossentropy{}, probs, labels}, "sparse"},
		{fixture{"sparse logits (N,1)", SparseCategoricalCrossentropy{FromLogits: true}, logits, labels1}, "sparse"},
		{fixture{"sparse logits (N,T,C)", SparseCategoricalCrossentropy{FromLogits: true}, seq, seqLabels}, "sparse"},
		{fixture{"categorical unnormalised probs", CategoricalCrossentropy{}, uniform(0.1, 1, n, c), onehot}, "categorical"},
		{fixture{"categorical logits smoothed", CategoricalCrossentropy{FromLogits: true, LabelSmoothing: 0.1}, logits, probT}, "categorical"},
		{fixture{"binary_crossentropy probs", BinaryCrossentropy{}, binProbs, bin}, "bce"},
		{fixture{"mse", MSE{}, reg, regT}, "mse"},
		{fixture{"mae", MAE{}, reg, regT}, "mae"},
	}
}

// withReduction returns l with reduction r.
func withReduction(t *testing.T, l Loss, r Reduction) Loss {
	t.Helper()
	v := reflect.New(reflect.TypeOf(l)).Elem()
	v.Set(reflect.ValueOf(l))
	f := v.FieldByName("Reduction")
	if !f.IsValid() {
		t.Fatalf("%T has no Reduction", l)
	}
	f.Set(reflect.ValueOf(r))
	return v.Interface().(Loss)
}

// trainingReductions are the reductions a training loss may have.
var trainingReductions = []Reduction{"", Sum, Mean, MeanWithSampleWeight}

// TestKerasLossGradients checks every loss's gradient, under every
// training reduction and with and without sample weights, against central
// finite differences of its value.
func TestKerasLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, fx := range kerasFixtures(r) {
		for _, red := range trainingReductions {
			for _, weighted := range []bool{false, true} {
				l := withReduction(t, fx.loss, red).(Weighted)
				var w []float32
				if weighted {
					w = weightsFor(r, fx.pred)
				}
				t.Run(fmt.Sprintf("%s/%q/weighted=%v", fx.name, red, weighted), func(t *testing.T) {
					if err := l.Check(fx.pred.Shape, fx.targ.Shape); err != nil {
						t.Fatalf("Check: %v", err)
					}
					grad := tensor.New(fx.pred.Shape...)
					l.ComputeWeighted(fx.pred, fx.targ, w, grad)
					f := func() float64 { return l.ComputeWeighted(fx.pred, fx.targ, w, nil) }
					for i := range fx.pred.Data {
						num := numGrad(f, fx.pred.Data, i, 1e-3)
						got := float64(grad.Data[i])
						if math.Abs(got-num) > 2e-3+2e-3*math.Abs(num) {
							t.Errorf("d/dpred[%d]: got %v, want %v (finite difference)", i, got, num)
						}
					}
				})
			}
		}
	}
}

// TestKerasLossesAgainstNumPy checks the per-sample values (reduction
// "none") and the reduced values under every reduction, with and without
// weights, against Keras's formulas (keras/src/losses/losses.py and
// loss.py, reduce_values) written again in NumPy in float64. The script
// also returns a float64 central-difference gradient of its own formula
// for the default reduction, an independent check of the Go gradient. It
// skips without /usr/bin/python3 and NumPy.
func TestKerasLossesAgainstNumPy(t *testing.T) {
	const script = `
import json, sys
import numpy as np
EPS = 1e-7
def softplus(z): return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
def sigmoid(z): return 1 / (1 + np.exp(-z))
def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True)); return e / e.sum(-1, keepdims=True)
def hinge_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y
def bce_probs(y, p):
    p = np.clip(p, EPS, 1 - EPS); return -(y * np.log(p) + (1 - y) * np.log(1 - p))
def bce_logits(y, x): return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
def normalize(x):
    return x / np.maximum(np.sqrt((x * x).sum(-1, keepdims=True)), EPS)
def per_sample(c, y, p):
    f = c["ref"]; o = c["opts"]
    if f == "sparse":
        y = y.reshape(p.shape[:-1]).astype(int)
        if o["from_logits"]:
            ls = p - p.max(-1, keepdims=True); ls = ls - np.log(np.exp(ls).sum(-1, keepdims=True))
        else:   # the TF backend: log of the clipped probabilities, then a log-softmax of that
            q = np.clip(p, EPS, 1 - EPS); ls = np.log(q / q.sum(-1, keepdims=True))
        return -np.take_along_axis(ls, y[..., None], -1)[..., 0]
    if y.shape != p.shape: y = y.reshape(p.shape)
    if f == "categorical":
        ls = o["label_smoothing"]; y = y * (1 - ls) + ls / y.shape[-1]
        if o["from_logits"]:
            z = p - p.max(-1, keepdims=True); return -(y * (z - np.log(np.exp(z).sum(-1, keepdims=True)))).sum(-1)
        q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS); return -(y * np.log(q)).sum(-1)
    if f == "mse": return ((p - y) ** 2).mean(-1)
    if f == "mae": return np.abs(p - y).mean(-1)
    if f == "log_cosh":
        x = p - y; return (x + softplus(-2 * x) - np.log(2)).mean(-1)
    if f == "kld":
        yc, pc = np.clip(y, EPS, 1), np.clip(p, EPS, 1); return (yc * np.log(yc / pc)).sum(-1)
    if f == "poisson": return (p - y * np.log(p + EPS)).mean(-1)
    if f == "hinge": return np.maximum(1 - hinge_labels(y) * p, 0).mean(-1)
    if f == "squared_hinge": return (np.maximum(1 - hinge_labels(y) * p, 0) ** 2).mean(-1)
    if f == "categorical_hinge":
        pos = (y * p).sum(-1); neg = ((1 - y) * p).max(-1); return np.maximum(neg - pos + 1, 0)
    if f == "cosine": return -(normalize(y) * normalize(p)).sum(-1)
    if f == "mape": return 100 * (np.abs((y - p) / np.maximum(np.abs(y), EPS))).mean(-1)
    if f == "msle":
        return ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2).mean(-1)
    if f == "huber":
        d = o["delta"]; e = np.abs(p - y)
        return np.where(e <= d, 0.5 * e * e, d * e - 0.5 * d * d).mean(-1)
    ls = o["label_smoothing"]
    if f in ("bce", "binary_focal"):
        y = y * (1 - ls) + 0.5 * ls
        if f == "bce":
            return (bce_logits(y, p) if o["from_logits"] else bce_probs(y, p)).mean(-1)
        if o["from_logits"]:
            prob = sigmoid(p); bce = bce_logits(y, p)   # the TF backend reads the sigmoid's logits
        else:
            prob = p; bce = bce_probs(y, p)
        pt = y * prob + (1 - y) * (1 - prob)
        fl = (1 - pt) ** o["gamma"] * bce
        if o["apply_class_balancing"]:
            fl = fl * (y * o["alpha"] + (1 - y) * (1 - o["alpha"]))
        return fl.mean(-1)
    if f == "categorical_focal":
        y = y * (1 - ls) + ls / y.shape[-1]
        if o["from_logits"]: p = softmax(p)
        q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
        return (o["alpha"] * (1 - q) ** o["gamma"] * (-y * np.log(q))).sum(-1)
    raise ValueError(f)
out = []
for c in json.load(sys.stdin):
    y, p = np.array(c["y"]), np.array(c["p"])
    w = np.array(c["w"])
    v = per_sample(c, y, p)                 # (N,) or (N, T)
    wv = v * (w.reshape((-1,) + (1,) * (v.ndim - 1)) * np.ones_like(v))
    wsum = (w.reshape((-1,) + (1,) * (v.ndim - 1)) * np.ones_like(v)).sum()
    red = {"none": v.flatten().tolist(), "none_w": wv.flatten().tolist(),
           "sum": v.sum(), "sum_w": wv.sum(), "mean": v.mean(), "mean_w": wv.sum() / v.size,
           "mws": v.mean(), "mws_w": wv.sum() / wsum if wsum != 0 else 0.0}
    h = 1e-6; g = np.zeros(p.size); flat = p.flatten()
    for i in range(p.size):
        a, b = flat.copy(), flat.copy(); a[i] += h; b[i] -= h
        g[i] = (per_sample(c, y, a.reshape(p.shape)).mean() - per_sample(c, y, b.reshape(p.shape)).mean()) / (2 * h)
    red["grad"] = g.tolist()
    out.append(red)
json.dump(out, sys.stdout)
`
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with NumPy")
	}
	r := rand.New(rand.NewPCG(41, 42))
	fxs := kerasFixtures(r)
	f64 := func(x *tensor.Tensor) any {
		// Nested lists of x's shape, float64 so that JSON carries each float32 exactly.
		var build func(data []float32, shape []int) any
		build = func(data []float32, shape []int) any {
			if len(shape) == 1 {
				out := make([]float64, shape[0])
				for i := range out {
					out[i] = float64(data[i])
				}
				return out
			}
			per := len(data) / shape[0]
			out := make([]any, shape[0])
			for i := range out {
				out[i] = build(data[i*per:(i+1)*per], shape[1:])
			}
			return out
		}
		return build(x.Data, x.Shape)
	}
	type opts struct {
		Delta          float64 `json:"delta"`
		FromLogits     bool    `json:"from_logits"`
		LabelSmoothing float64 `json:"label_smoothing"`
		Alpha          float64 `json:"alpha"`
		Gamma          float64 `json:"gamma"`
		Balance        bool    `json:"apply_class_balancing"`
	}
	var cases []map[string]any
	weights := make([][]float32, len(fxs))
	for i, fx := range fxs {
		var o opts
		switch l := fx.loss.(type) {
		case Huber:
			o.Delta = l.delta()
		case BinaryCrossentropy:
			o.FromLogits, o.LabelSmoothing = l.FromLogits, l.LabelSmoothing
		case SparseCategoricalCrossentropy:
			o.FromLogits = l.FromLogits
		case CategoricalCrossentropy:
			o.FromLogits, o.LabelSmoothing = l.FromLogits, l.LabelSmoothing
		case BinaryFocalCrossentropy:
			o.FromLogits, o.LabelSmoothing, o.Balance = l.FromLogits, l.LabelSmoothing, l.ApplyClassBalancing
			o.Alpha, o.Gamma = l.alphaGamma()
		case CategoricalFocalCrossentropy:
			o.FromLogits, o.LabelSmoothing = l.FromLogits, l.LabelSmoothing
			o.Alpha, o.Gamma = l.alphaGamma()
		}
		weights[i] = weightsFor(r, fx.pred)
		w := make([]float64, len(weights[i]))
		for j, v := range weights[i] {
			w[j] = float64(v)
		}
		cases = append(cases, map[string]any{"ref": fx.ref, "opts": o, "y": f64(fx.targ), "p": f64(fx.pred), "w": w})
	}
	in, _ := json.Marshal(cases)
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var want []map[string]any
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatal(err)
	}
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-5*(1+math.Abs(want)) }
	for i, fx := range fxs {
		ref, w := want[i], weights[i]
		u := fx.loss.(Unreduced)
		for _, weighted := range []bool{false, true} {
			var ww []float32
			key := "none"
			if weighted {
				ww, key = w, "none_w"
			}
			vals, err := u.Values(fx.pred, fx.targ, ww, nil)
			if err != nil {
				t.Fatalf("%s: Values: %v", fx.name, err)
			}
			exp := ref[key].([]any)
			if len(vals) != len(exp) {
				t.Fatalf("%s: %d values, NumPy %d", fx.name, len(vals), len(exp))
			}
			for j, v := range vals {
				if e := exp[j].(float64); !close(float64(v), e) {
					t.Errorf("%s: %s value[%d] = %v, NumPy %v", fx.name, key, j, v, e)
				}
			}
		}
		for _, rc := range []struct {
			red Reduction
			key string
		}{{"", "mean"}, {SumOverBatchSize, "mean"}, {Mean, "mean"}, {Sum, "sum"}, {MeanWithSampleWeight, "mws"}} {
			l := withReduction(t, fx.loss, rc.red).(Weighted)
			if got, e := l.ComputeWeighted(fx.pred, fx.targ, nil, nil), ref[rc.key].(float64); !close(got, e) {
				t.Errorf("%s: reduction %q = %v, NumPy %v", fx.name, rc.red, got, e)
			}
			if got, e := l.ComputeWeighted(fx.pred, fx.targ, w, nil), ref[rc.key+"_w"].(float64); !close(got, e) {
				t.Errorf("%s: reduction %q weighted = %v, NumPy %v", fx.name, rc.red, got, e)
			}
		}
		grad := tensor.New(fx.pred.Shape...)
		fx.loss.Compute(fx.pred, fx.targ, grad)
		for j, g := range ref["grad"].([]any) {
			if e := g.(float64); math.Abs(float64(grad.Data[j])-e) > 1e-4*(1+math.Abs(e)) {
				t.Errorf("%s: grad[%d] = %v, NumPy finite difference %v", fx.name, j, grad.Data[j], e)
			}
		}
	}
}

// TestKerasDocExamples checks values printed in Keras 3's docstrings
// (keras/src/losses/losses.py), to the digits printed there.
func TestKerasDocExamples(t *testing.T) {
	y2 := []float32{0, 1, 0, 0}
	logits := []float32{-18.6, 0.51, 2.94, -12.8}
	sw := []float32{0.8, 0.2}
	focal := func(balance bool, gamma float64, r Reduction) BinaryFocalCrossentropy {
		return BinaryFocalCrossentropy{ApplyClassBalancing: balance, Gamma: Float(gamma), FromLogits: true, Reduction: r}
	}
	cy := []float32{0, 1, 0, 0, 0, 1}
	cp := []float32{0.05, 0.95, 0, 0.1, 0.8, 0.1}
	tests := []struct {
		name      string
		loss      Loss
		y, p      []float32
		shape     []int
		w         []float32
		want      []float64
		tol       float64
		unreduced bool
	}{
		{"bce logits", BinaryCrossentropy{FromLogits: true}, y2, logits, []int{2, 2}, nil, []float64{0.8654}, 1e-4, false},
		{"bce logits weighted", BinaryCrossentropy{FromLogits: true}, y2, logits, []int{2, 2}, sw, []float64{0.243}, 1e-3, false},
		{"bce logits sum", BinaryCrossentropy{FromLogits: true, Reduction: Sum}, y2, logits, []int{2, 2}, nil, []float64{1.730}, 1e-3, false},
		{"bce logits none", BinaryCrossentropy{FromLogits: true}, y2, logits, []int{2, 2}, nil, []float64{0.235, 1.496}, 1e-3, true},
		{"focal gamma 3", focal(false, 3, ""), y2, logits, []int{2, 2}, nil, []float64{0.647}, 1e-3, false},
		{"focal balanced gamma 3", focal(true, 3, ""), y2, logits, []int{2, 2}, nil, []float64{0.482}, 1e-3, false},
		{"focal gamma 3 weighted", focal(false, 3, ""), y2, logits, []int{2, 2}, sw, []float64{0.133}, 1e-3, false},
		{"focal balanced gamma 3 weighted", focal(true, 3, ""), y2, logits, []int{2, 2}, sw, []float64{0.097}, 1e-3, false},
		{"focal gamma 4 sum", focal(false, 4, Sum), y2, logits, []int{2, 2}, nil, []float64{1.222}, 1e-3, false},
		{"focal balanced gamma 4 sum", focal(true, 4, Sum), y2, logits, []int{2, 2}, nil, []float64{0.914}, 1e-3, false},
		{"focal gamma 5 none", focal(false, 5, ""), y2, logits, []int{2, 2}, nil, []float64{0.0017, 1.1561}, 1e-4, true},
		{"focal balanced gamma 5 none", focal(true, 5, ""), y2, logits, []int{2, 2}, nil, []float64{0.0004, 0.8670}, 1e-4, true},
		{"binary focal probs", BinaryFocalCrossentropy{Gamma: Float(2)}, []float32{0, 1, 0, 0}, []float32{0.6, 0.4, 0.4, 0.6}, []int{2, 2}, nil, []float64{0.330, 0.206}, 1e-3, true},
		{"categorical focal", CategoricalFocalCrossentropy{}, cy, cp, []int{2, 3}, nil, []float64{0.23315276}, 1e-6, false},
		{"categorical focal weighted", CategoricalFocalCrossentropy{}, cy, cp, []int{2, 3}, []float32{0.3, 0.7}, []float64{0.1632}, 1e-4, false},
		{"categorical focal sum", CategoricalFocalCrossentropy{Reduction: Sum}, cy, cp, []int{2, 3}, nil, []float64{0.46631}, 1e-5, false},
		{"categorical focal none", CategoricalFocalCrossentropy{}, cy, cp, []int{2, 3}, nil, []float64{3.2058331e-05, 4.6627346e-01}, 1e-6, true},
		{"categorical crossentropy sum", CategoricalCrossentropy{Reduction: Sum}, cy, cp, []int{2, 3}, nil, []float64{2.354}, 1e-3, false},
		{"cosine", CosineSimilarity{}, []float32{0, 1, 1, 1, 1, 1}, []float32{1, 0, 1, 1, -1, -1}, []int{3, 2}, nil, []float64{0, -0.99999994, 0.99999994}, 1e-6, true},
		{"log_cosh", LogCosh{}, []float32{0, 1, 0, 0}, []float32{1, 1, 0, 0}, []int{2, 2}, nil, []float64{0.108}, 1e-3, false},
		{"huber", Huber{}, []float32{0, 1, 0, 0}, []float32{0.6, 0.4, 0.4, 0.6}, []int{2, 2}, nil, []float64{0.155}, 1e-3, false},
	}
	for _, tc := range tests {
		y, p := mustTensor(t, tc.y, tc.shape...), mustTensor(t, tc.p, tc.shape...)
		var got []float64
		if tc.unreduced {
			vals, err := tc.loss.(Unreduced).Values(p, y, tc.w, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, v := range vals {
				got = append(got, float64(v))
			}
		} else {
			got = []float64{tc.loss.(Weighted).ComputeWeighted(p, y, tc.w, nil)}
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > tc.tol {
				t.Errorf("%s: got %v, want Keras's %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

// TestMeanWithSampleWeight checks the divisor by hand: sum(w*l)/sum(w),
// and 0 (not NaN) for weights that are all zero, as divide_no_nan gives.
func TestMeanWithSampleWeight(t *testing.T) {
	p := mustTensor(t, []float32{1, 2, 3}, 3, 1)
	y := mustTensor(t, []float32{0, 0, 0}, 3, 1)
	l := MSE{Reduction: MeanWithSampleWeight}
	w := []float32{1, 0.5, 2}
	want := (1*1 + 0.5*4 + 2*9) / 3.5
	if got := l.ComputeWeighted(p, y, w, nil); math.Abs(got-want) > 1e-12 {
		t.Errorf("got %v, want %v", got, want)
	}
	grad := tensor.New(3, 1)
	if got := l.ComputeWeighted(p, y, []float32{0, 0, 0}, grad); got != 0 || grad.Data[0] != 0 || grad.Data[2] != 0 {
		t.Errorf("zero weights: %v, grad %v; want 0 and a zero gradient", got, grad.Data)
	}
	if got, want := l.Compute(p, y, nil), (1+4+9)/3.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("no weights: got %v, want the mean %v", got, want)
	}
	if got, want := (MSE{Reduction: Sum}).Compute(p, y, nil), 14.0; got != want {
		t.Errorf("sum: got %v, want %v", got, want)
	}
}

// TestReductionNone checks that reduction "none" is refused for training,
// by Check and CheckTrainable, with a message that says what to do, and
// that Values still works.
func TestReductionNone(t *testing.T) {
	for _, fx := range kerasFixtures(rand.New(rand.NewPCG(1, 2))) {
		l := withReduction(t, fx.loss, NoReduction)
		for _, err := range []error{l.Check(fx.pred.Shape, fx.targ.Shape), CheckTrainable(l)} {
			if err == nil || !strings.Contains(err.Error(), "cannot be trained on") || !strings.Contains(err.Error(), "Values") {
				t.Errorf("%s: %v, want an error saying it cannot be trained on and pointing to Values", fx.name, err)
			}
		}
		if _, err := l.(Unreduced).Values(fx.pred, fx.targ, nil, nil); err != nil {
			t.Errorf("%s: Values: %v", fx.name, err)
		}
	}
	if err := CheckTrainable(MSE{}); err != nil {
		t.Errorf("MSE: %v", err)
	}
	if err := (MSE{Reduction: "auto"}).Check(tensor.Shape{1, 1}, tensor.Shape{1, 1}); err == nil || !strings.Contains(err.Error(), "sum_over_batch_size") {
		t.Errorf(`reduction "auto": %v`, err)
	}
	if _, err := (MSE{}).Values(mustTensor(t, []float32{1, 2}, 2, 1), mustTensor(t, []float32{1, 2, 3}, 3, 1), nil, nil); err == nil {
		t.Error("Values accepted 3 targets for 2 predictions")
	}
	if _, err := (MSE{}).Values(mustTensor(t, []float32{1, 2}, 2, 1), mustTensor(t, []float32{1, 2}, 2, 1), []float32{1}, nil); err == nil {
		t.Error("Values accepted 1 weight for 2 samples")
	}
}

// TestKerasLossesAllocateNothing checks the training path of every loss,
// with weights and every training reduction, for allocations.
func TestKerasLossesAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, fx := range kerasFixtures(r) {
		for _, red := range trainingReductions {
			l := withReduction(t, fx.loss, red).(Weighted)
			w := weightsFor(r, fx.pred)
			grad := tensor.New(fx.pred.Shape...)
			l.ComputeWeighted(fx.pred, fx.targ, w, grad)
			if a := testing.AllocsPerRun(10, func() { l.ComputeWeighted(fx.pred, fx.targ, w, grad) }); a != 0 {
				t.Errorf("%s %q: ComputeWeighted allocates %v times, want 0", fx.name, red, a)
			}
			if a := testing.AllocsPerRun(10, func() { l.ComputeWeighted(fx.pred, fx.targ, nil, grad) }); a != 0 {
				t.Errorf("%s %q: unweighted ComputeWeighted allocates %v times, want 0", fx.name, red, a)
			}
		}
	}
}

// TestParseKerasNames checks every name compile(loss=...) takes in Keras 3
// (function names, class names, the aliases of keras/src/losses/__init__.py)
// and the Keras 2 names gokeras also takes.
func TestParseKerasNames(t *testing.T) {
	tests := []struct {
		names []string
		want  Loss
	}{
		{[]string{"log_cosh", "LogCosh", "logcosh"}, LogCosh{}},
		{[]string{"kl_divergence", "KLDivergence", "kld", "KLD", "kullback_leibler_divergence"}, KLDivergence{}},
		{[]string{"poisson", "Poisson"}, Poisson{}},
		{[]string{"hinge", "Hinge"}, Hinge{}},
		{[]string{"squared_hinge", "SquaredHinge"}, SquaredHinge{}},
		{[]string{"categorical_hinge", "CategoricalHinge"}, CategoricalHinge{}},
		{[]string{"cosine_similarity", "CosineSimilarity"}, CosineSimilarity{}},
		{[]string{"mean_absolute_percentage_error", "MeanAbsolutePercentageError", "mape", "MAPE"}, MAPE{}},
		{[]string{"mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "msle", "MSLE"}, MSLE{}},
		{[]string{"binary_focal_crossentropy", "BinaryFocalCrossentropy"}, BinaryFocalCrossentropy{}},
		{[]string{"categorical_focal_crossentropy", "CategoricalFocalCrossentropy"}, CategoricalFocalCrossentropy{}},
		{[]string{"binary_crossentropy", "BinaryCrossentropy", "bce", "BCE"}, BinaryCrossentropy{}},
		{[]string{"mean_squared_error", "MeanSquaredError", "mse", "MSE"}, MSE{}},
		{[]string{"mean_absolute_error", "MeanAbsoluteError", "mae", "MAE"}, MAE{}},
		{[]string{"huber", "Huber", "huber_loss"}, Huber{}},
		{[]string{"categorical_crossentropy", "CategoricalCrossentropy"}, CategoricalCrossentropy{}},
		{[]string{"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"}, SparseCategoricalCrossentropy{}},
	}
	for _, tt := range tests {
		for _, n := range tt.names {
			l, err := Parse(n)
			if err != nil || !reflect.DeepEqual(l, tt.want) {
				t.Errorf("Parse(%q) = %#v, %v; want %#v", n, l, err, tt.want)
				continue
			}
			if _, err := Parse(l.Name()); err != nil {
				t.Errorf("Parse(%q.Name()) = %v", n, err)
			}
		}
	}
}

// TestKerasConfigRoundTrip reads Keras 3's get_config of each class (the
// keys losses.py writes) and writes it back.
func TestKerasConfigRoundTrip(t *testing.T) {
	tests := []struct {
		class, cfg string
		want       Loss
	}{
		{"LogCosh", `{"name": "log_cosh", "reduction": "sum"}`, LogCosh{Reduction: Sum}},
		{"KLDivergence", `{"name": "kl_divergence", "reduction": "mean", "dtype": null}`, KLDivergence{Reduction: Mean}},
		{"Poisson", `{"name": "poisson", "reduction": "mean_with_sample_weight"}`, Poisson{Reduction: MeanWithSampleWeight}},
		{"Hinge", `{"name": "hinge", "reduction": null}`, Hinge{Reduction: NoReduction}},
		{"SquaredHinge", `{"name": "squared_hinge", "reduction": "none"}`, SquaredHinge{Reduction: NoReduction}},
		{"CategoricalHinge", `{"name": "categorical_hinge", "reduction": "sum"}`, CategoricalHinge{Reduction: Sum}},
		{"CosineSimilarity", `{"name": "cosine_similarity", "reduction": "sum", "axis": -1}`, CosineSimilarity{Reduction: Sum}},
		{"MeanAbsolutePercentageError", `{"name": "mean_absolute_percentage_error", "reduction": "sum"}`, MAPE{Reduction: Sum}},
		{"MeanSquaredLogarithmicError", `{"name": "mean_squared_logarithmic_error", "reduction": "sum"}`, MSLE{Reduction: Sum}},
		{"MeanSquaredError", `{"name": "mean_squared_error", "reduction": "sum"}`, MSE{Reduction: Sum}},
		{"Huber", `{"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 0.5}`, Huber{Delta: 0.5}},
		{"BinaryCrossentropy", `{"name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.1, "axis": -1}`,
			BinaryCrossentropy{FromLogits: true, LabelSmoothing: 0.1}},
		{"BinaryFocalCrossentropy", `{"name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.0, "axis": -1, "apply_class_balancing": true, "alpha": 0.3, "gamma": 0.0}`,
			BinaryFocalCrossentropy{FromLogits: true, ApplyClassBalancing: true, Alpha: Float(0.3), Gamma: Float(0)}},
		{"CategoricalFocalCrossentropy", `{"name": "categorical_focal_crossentropy", "reduction": "sum", "from_logits": false, "label_smoothing": 0.1, "axis": -1, "alpha": 0.25, "gamma": 3.0}`,
			CategoricalFocalCrossentropy{LabelSmoothing: 0.1, Gamma: Float(3), Reduction: Sum}},
		{"SparseCategoricalCrossentropy", `{"name": "sparse_categorical_crossentropy", "reduction": "sum", "from_logits": false, "ignore_class": null}`,
			SparseCategoricalCrossentropy{Reduction: Sum}},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := FromConfig(tt.class, cfg)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FromConfig(%s, %s) = %#v, %v; want %#v", tt.class, tt.cfg, got, err, tt.want)
			continue
		}
		class, out, ok := Config(got)
		if !ok {
			t.Errorf("%#v: Config gives nothing", got)
			continue
		}
		if class != tt.class {
			t.Errorf("%#v: Config class %q, want %q", got, class, tt.class)
		}
		// Every key Config writes is one Keras's get_config writes.
		for k := range out {
			if _, ok := cfg[k]; !ok && k != "delta" {
				t.Errorf("%s: Config writes %q, which Keras's config above lacks", tt.class, k)
			}
		}
		b, _ := json.Marshal(out)
		var back map[string]any
		json.Unmarshal(b, &back)
		if again, err := FromConfig(class, back); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %#v: %#v, %v", got, again, err)
		}
	}
	// Losses at their defaults are written by name, which Parse reads.
	for _, l := range []Loss{LogCosh{}, BinaryFocalCrossentropy{}, BinaryFocalCrossentropy{Gamma: Float(2)}, CategoricalFocalCrossentropy{}, Huber{Delta: 1}} {
		if _, _, ok := Config(l); ok {
			t.Errorf("%#v: Config writes an object for a loss at its defaults", l)
		}
	}
}

func TestKerasConfigErrors(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"LogCosh", map[string]any{"delta": 1.0}, `unknown key "delta"`},
		{"Hinge", map[string]any{"from_logits": true}, `unknown key "from_logits"`},
		{"CosineSimilarity", map[string]any{"axis": 1.0}, "axis 1 is not supported"},
		{"CategoricalFocalCrossentropy", map[string]any{"alpha": []any{0.1, 0.9}}, "one alpha for every class"},
		{"BinaryFocalCrossentropy", map[string]any{"gamma": -1.0}, "gamma is -1"},
		{"BinaryFocalCrossentropy", map[string]any{"label_smoothing": 1.5}, "use a value in [0, 1]"},
		{"Poisson", map[string]any{"reduction": "average"}, "reduction average is not one of"},
		{"Huber", map[string]any{"delta": -1.0}, "use a positive delta"},
		{"KLDivergence", map[string]any{"reduction": 3.0}, "reduction 3 is not one of"},
	}
	for _, tt := range tests {
		if _, err := FromConfig(tt.class, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromConfig(%s, %v): %v, want an error containing %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}

// TestFusedReductions checks the fused softmax path under every training
// reduction, with and without weights: its value is ComputeWeighted's, its
// gradient the finite difference of ComputeWeighted(softmax(logits)).
func TestFusedReductions(t *testing.T) {
	const n, c = 3, 4
	r := rand.New(rand.NewPCG(51, 52))
	logits := tensor.New(n, c)
	for i := range logits.Data {
		logits.Data[i] = float32(r.NormFloat64())
	}
	labels, onehot := tensor.New(n), tensor.New(n, c)
	for i := range n {
		y := r.IntN(c)
		labels.Data[i], onehot.Data[i*c+y] = float32(y), 1
	}
	for _, base := range []struct {
		loss   Loss
		target *tensor.Tensor
	}{{SparseCategoricalCrossentropy{}, labels}, {CategoricalCrossentropy{LabelSmoothing: 0.1}, onehot}} {
		for _, red := range trainingReductions {
			for _, w := range [][]float32{nil, {0.5, 2, 1.25}} {
				l := withReduction(t, base.loss, red)
				fl, ok := Fused(l)
				if !ok {
					t.Fatalf("%#v is not fused", l)
				}
				probs, grad := tensor.New(n, c), tensor.New(n, c)
				kernel.SoftmaxRows(probs.Data, logits.Data, n, c)
				got := fl.ComputeFromSoftmaxWeighted(probs, base.target, w, grad)
				if want := l.(Weighted).ComputeWeighted(probs, base.target, w, nil); math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
					t.Errorf("%#v w=%v: value %v, ComputeWeighted %v", l, w, got, want)
				}
				f := func() float64 {
					p := tensor.New(n, c)
					kernel.SoftmaxRows(p.Data, logits.Data, n, c)
					return l.(Weighted).ComputeWeighted(p, base.target, w, nil)
				}
				for i := range logits.Data {
					num := numGrad(f, logits.Data, i, 1e-3)
					if g := float64(grad.Data[i]); math.Abs(g-num) > 2e-3+2e-3*math.Abs(num) {
						t.Errorf("%#v w=%v: d/dlogits[%d] = %v, finite difference %v", l, w, i, g, num)
					}
				}
			}
		}
	}
}
