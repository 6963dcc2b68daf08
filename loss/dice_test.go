package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/tensor"
)

// TestDiceDocExample: keras.losses.dice's docstring
// (keras/src/losses/losses.py): per sample with axis (1, 2, 3), 0.5 and
// 0.75757575; over the batch, 0.6164384.
func TestDiceDocExample(t *testing.T) {
	y := &tensor.Tensor{Shape: tensor.Shape{2, 2, 2, 1}, Data: []float32{1, 1, 0, 0, 1, 1, 0, 0}}
	p := &tensor.Tensor{Shape: tensor.Shape{2, 2, 2, 1}, Data: []float32{0, 1, 0, 1, 0.4, 0, 0, 0.9}}
	vals, err := Dice{Axis: []int{1, 2, 3}}.Values(p, y, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(vals[0])-0.5) > 1e-6 || math.Abs(float64(vals[1])-0.75757575) > 1e-6 {
		t.Errorf("per-sample dice %v, want [0.5 0.75757575]", vals)
	}
	if got := (Dice{}).Compute(p, y, nil); math.Abs(got-0.6164384) > 1e-6 {
		t.Errorf("batch dice %v, want 0.6164384", got)
	}
	// Tversky with alpha = beta = 0.5 is the batch-wide Dice.
	if a, b := (Tversky{}).Compute(p, y, nil), (Dice{}).Compute(p, y, nil); math.Abs(a-b) > 1e-7 {
		t.Errorf("tversky(0.5, 0.5) = %v, dice %v", a, b)
	}
}

// segFixtures are masks and sigmoid-like predictions of (4, 3, 3, 2) and
// of one sample, with the losses under test.
func segFixtures(r *rand.Rand) []fixture {
	mk := func(n int) (*tensor.Tensor, *tensor.Tensor) {
		p, y := tensor.New(n, 3, 3, 2), tensor.New(n, 3, 3, 2)
		for i := range p.Data {
			p.Data[i] = float32(0.05 + 0.9*r.Float64())
			y.Data[i] = float32(r.IntN(2))
		}
		return p, y
	}
	p, y := mk(4)
	p1, y1 := mk(1)
	var fx []fixture
	for _, l := range []Loss{Dice{}, Dice{Axis: []int{1, 2, 3}}, Dice{Axis: []int{-1, -3, -2}}, Tversky{}, Tversky{Alpha: Float(0.7), Beta: Float(0.2)},
		IoU{}, IoU{Axis: []int{1, 2, 3}}, Tversky{Alpha: Float(0.3), Beta: Float(0.6), Axis: []int{1, 2, 3}}} {
		fx = append(fx, fixture{fmt.Sprintf("%T%v", l, l), l, p, y}, fixture{fmt.Sprintf("%T%v batch of 1", l, l), l, p1, y1})
	}
	return fx
}

// TestSegmentationLossGradients: the gradient under every training
// reduction, with and without weights, against central differences.
func TestSegmentationLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, fx := range segFixtures(r) {
		for _, red := range trainingReductions {
			for _, weighted := range []bool{false, true} {
				l := withReduction(t, fx.loss, red).(Weighted)
				var w []float32
				if weighted {
					w = weightsFor(r, fx.pred)
					w[0] = 1.5 // the batch of one keeps a weight that is not 0
				}
				grad := tensor.New(fx.pred.Shape...)
				l.ComputeWeighted(fx.pred, fx.targ, w, grad)
				f := func() float64 { return l.ComputeWeighted(fx.pred, fx.targ, w, nil) }
				for i := range fx.pred.Data {
					num := numGrad(f, fx.pred.Data, i, 1e-3)
					if got := float64(grad.Data[i]); math.Abs(got-num) > 1e-4+1e-3*math.Abs(num) {
						t.Fatalf("%s %q weighted=%v: d/dpred[%d] = %v, finite difference %v", fx.name, red, weighted, i, got, num)
					}
				}
			}
		}
	}
}

// TestSegmentationLossesAgainstNumPy: values and every reduction, with and
// without weights, against Keras's dice and tversky and its
// reduce_weighted_values (keras/src/losses/loss.py: the weights multiply
// the values after squeeze_or_expand_to_same_rank, and a scalar is not
// reduced) written again in NumPy in float64.
func TestSegmentationLossesAgainstNumPy(t *testing.T) {
	const script = `
import json, sys
import numpy as np
EPS = 1e-7
def dice(y, p, axis):
    inter = (y * p).sum(axis=axis)
    return 1 - 2 * inter / (y.sum(axis=axis) + p.sum(axis=axis) + EPS)
def iou(y, p, axis):
    inter = (y * p).sum(axis=axis)
    return 1 - inter / (y.sum(axis=axis) + p.sum(axis=axis) - inter + EPS)
def tversky(y, p, a, b, axis):
    i = (y * p).sum(axis=axis); fp = ((1 - p) * y).sum(axis=axis); fn = (p * (1 - y)).sum(axis=axis)
    return 1 - i / (i + a * fp + b * fn + EPS)
def reduce(v, w, red):
    v = np.asarray(v)
    if w is not None:
        w = np.asarray(w)
        if w.ndim == v.ndim + 1 and w.shape[-1] == 1:
            w = w.reshape(w.shape[:-1])
        v = v * w
    if red == "none" or v.shape == ():
        return v
    s = v.sum()
    if red == "sum":
        return s
    d = w.sum() if (red == "mean_with_sample_weight" and w is not None) else v.size
    return s / d if d != 0 else 0.0
out = []
for c in json.load(sys.stdin):
    y = np.array(c["y"]).reshape(c["shape"]); p = np.array(c["p"]).reshape(c["shape"])
    if c["kind"] == "dice":
        f = lambda p: dice(y, p, None if c["axis"] is None else tuple(a % y.ndim for a in c["axis"]))
    elif c["kind"] == "iou":
        f = lambda p: iou(y, p, None if c["axis"] is None else tuple(a % y.ndim for a in c["axis"]))
    else:
        f = lambda p: tversky(y, p, c["alpha"], c["beta"], None if c["axis"] is None else tuple(a % y.ndim for a in c["axis"]))
    r = {}
    for red in ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight"):
        r[red] = float(reduce(f(p), None, red))
        r[red + "_w"] = float(reduce(f(p), c["w"], red))
    r["none"] = np.atleast_1d(f(p)).tolist()
    out.append(r)
json.dump(out, sys.stdout)
`
	r := rand.New(rand.NewPCG(53, 54))
	fxs := segFixtures(r)
	var cases []map[string]any
	weights := make([][]float32, len(fxs))
	for i, fx := range fxs {
		weights[i] = weightsFor(r, fx.pred)
		weights[i][0] = 1.5
		c := map[string]any{"shape": fx.pred.Shape, "y": fx.targ.Data, "p": fx.pred.Data, "w": weights[i]}
		switch l := fx.loss.(type) {
		case Dice:
			c["kind"], c["axis"] = "dice", l.Axis
		case IoU:
			c["kind"], c["axis"] = "iou", l.Axis
		case Tversky:
			c["kind"], c["axis"] = "tversky", l.Axis
			c["alpha"], c["beta"] = l.alphaBeta()
		}
		cases = append(cases, c)
	}
	var want []map[string]any
	pyref.Run(t, script, cases, &want, "numpy")
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-6*(1+math.Abs(want)) }
	for i, fx := range fxs {
		for _, red := range []Reduction{SumOverBatchSize, Sum, Mean, MeanWithSampleWeight} {
			l := withReduction(t, fx.loss, red).(Weighted)
			if got, e := l.ComputeWeighted(fx.pred, fx.targ, nil, nil), want[i][string(red)].(float64); !close(got, e) {
				t.Errorf("%s %q: %v, NumPy %v", fx.name, red, got, e)
			}
			if got, e := l.ComputeWeighted(fx.pred, fx.targ, weights[i], nil), want[i][string(red)+"_w"].(float64); !close(got, e) {
				t.Errorf("%s %q weighted: %v, NumPy %v", fx.name, red, got, e)
			}
		}
		vals, err := fx.loss.(Unreduced).Values(fx.pred, fx.targ, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		none := want[i]["none"].([]any)
		for j, v := range vals {
			e := none[0].(float64) // a batch-wide loss: every sample gets the batch's value
			if len(none) == len(vals) {
				e = none[j].(float64)
			}
			if !close(float64(v), e) {
				t.Errorf("%s: value %d = %v, NumPy %v", fx.name, j, v, e)
			}
		}
	}
}

// TestSegmentationLossConfig: Keras's configs read and write back, by name
// and by class; options gokeras lacks and bad values are refused.
func TestSegmentationLossConfig(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  Loss
	}{
		{"Dice", map[string]any{"name": "dice", "reduction": "sum_over_batch_size", "axis": nil, "dtype": nil}, Dice{}},
		{"Dice", map[string]any{"name": "dice", "reduction": "sum", "axis": []any{1.0, 2.0, 3.0}}, Dice{Reduction: Sum, Axis: []int{1, 2, 3}}},
		{"Tversky", map[string]any{"name": "tversky", "alpha": 0.5, "beta": 0.5}, Tversky{}},
		{"Tversky", map[string]any{"name": "tversky", "alpha": 0.3, "beta": 0.7}, Tversky{Alpha: Float(0.3), Beta: Float(0.7)}},
		// Newer Keras 3 writes Tversky's axis.
		{"Tversky", map[string]any{"name": "tversky", "alpha": 0.5, "beta": 0.5, "axis": nil, "reduction": "sum_over_batch_size"}, Tversky{}},
		{"Tversky", map[string]any{"name": "tversky", "alpha": 0.5, "beta": 0.5, "axis": []any{1.0, 2.0, 3.0}}, Tversky{Axis: []int{1, 2, 3}}},
		// Keras 3's IoU().get_config(), and an axis.
		{"IoU", map[string]any{"name": "iou", "reduction": "sum_over_batch_size", "axis": nil, "dtype": nil}, IoU{}},
		{"IoU", map[string]any{"name": "iou", "reduction": "mean", "axis": []any{-1.0, 1.0, 2.0}}, IoU{Reduction: Mean, Axis: []int{-1, 1, 2}}},
	} {
		l, err := FromConfig(c.class, c.cfg)
		if err != nil {
			t.Fatalf("%s %v: %v", c.class, c.cfg, err)
		}
		if !reflect.DeepEqual(l, c.want) {
			t.Errorf("%s %v: %#v, want %#v", c.class, c.cfg, l, c.want)
		}
		class, cfg, ok := Config(l)
		if !ok {
			if name := l.Name(); name != NameDice && name != NameTversky && name != NameIoU {
				t.Errorf("%v: no config and name %q", l, name)
			}
			continue
		}
		back, err := FromConfig(class, cfg)
		if err != nil || !reflect.DeepEqual(back, l) {
			t.Errorf("%v: config %v reads back as %v (%v)", l, cfg, back, err)
		}
	}
	for _, name := range []string{"dice", "Dice", "tversky", "Tversky", "iou", "IoU"} {
		if _, err := Parse(name); err != nil {
			t.Errorf("Parse(%q): %v", name, err)
		}
	}
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"Dice", map[string]any{"axis": "x"}, "axis x is not null or a list of integers"},
		{"Tversky", map[string]any{"alpha": -1.0}, "give finite numbers >= 0"},
		{"Tversky", map[string]any{"gamma": 2.0}, `unknown key "gamma"`},
		{"IoU", map[string]any{"axis": []any{1.5}}, "is not null or a list of integers"},
	} {
		if _, err := FromConfig(c.class, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err %v, want %q", c.class, c.cfg, err, c.want)
		}
	}
	p := tensor.New(2, 4, 4, 1)
	for _, c := range []struct {
		l    Loss
		targ tensor.Shape
		want string
	}{
		{Dice{Axis: []int{1, 2}}, tensor.Shape{2, 4, 4, 1}, "axis [1 2] on predictions of shape (2, 4, 4, 1) is not implemented; gokeras takes axis null (the whole batch) or every axis but the batch's ([1 2 3])"},
		{Dice{}, tensor.Shape{2, 4, 4, 3}, "needs a target mask of the predictions' shape"},
		{Tversky{}, tensor.Shape{3, 4, 4, 1}, "got 3 targets for 2 predictions"},
		{IoU{Axis: []int{3}}, tensor.Shape{2, 4, 4, 1}, "iou with axis [3] on predictions of shape (2, 4, 4, 1) is not implemented"},
	} {
		if err := c.l.Check(p.Shape, c.targ); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v on %v: err %v, want %q", c.l, c.targ, err, c.want)
		}
	}
	// A (N, H, W) mask scores (N, H, W, 1) predictions.
	if err := (Dice{}).Check(p.Shape, tensor.Shape{2, 4, 4}); err != nil {
		t.Errorf("(N,H,W) masks: %v", err)
	}
}

// TestSegmentationLossesAllocateNothing: a training step's loss and
// gradient allocate nothing, weighted or not.
func TestSegmentationLossesAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	for _, fx := range segFixtures(r) {
		l := fx.loss.(Weighted)
		w := weightsFor(r, fx.pred)
		grad := tensor.New(fx.pred.Shape...)
		for _, ww := range [][]float32{nil, w} {
			l.ComputeWeighted(fx.pred, fx.targ, ww, grad)
			if a := testing.AllocsPerRun(10, func() { l.ComputeWeighted(fx.pred, fx.targ, ww, grad) }); a != 0 {
				t.Errorf("%s weighted=%v: ComputeWeighted allocates %v times, want 0", fx.name, ww != nil, a)
			}
		}
	}
}
