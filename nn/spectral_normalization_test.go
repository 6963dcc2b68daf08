package nn_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// spectralNumPy is normalized_weights of Keras's SpectralNormalization
// (keras/src/layers/normalization/spectral_normalization.py) in NumPy
// float64, with ops.nn.normalize's L2 rule x·min(1/|x|, 1/1e-7).
const spectralNumPy = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
out = []
for c in d["cases"]:
    k = np.array(c["kernel"], dtype=np.float64).reshape(c["shape"])
    u = np.array(c["u"], dtype=np.float64).reshape(1, -1)
    def normalize(x):
        return x * min(1 / np.sqrt(np.sum(x * x)), 1 / 1e-7)
    w = k.reshape(-1, k.shape[-1])
    for _ in range(c["iters"]):
        v = normalize(u @ w.T)
        u = normalize(v @ w)
    sigma = (v @ w @ u.T).item()
    out.append({"Kernel": (k / sigma).ravel().tolist(), "U": u.ravel().tolist(), "Sigma": sigma})
print(json.dumps(out))
`

// TestSpectralNormalizationNumPy: a training step's kernel and u match
// NumPy's evaluation of Keras's formulas, for a Dense and a Conv2D kernel
// and one and several power iterations; inference leaves them alone.
func TestSpectralNormalizationNumPy(t *testing.T) {
	type result struct {
		Kernel, U []float64
		Sigma     float64
	}
	var cases []map[string]any
	var layers []*nn.SpectralNormalization
	var inputs []*tensor.Tensor
	for i, c := range []struct {
		inner nn.Layer
		in    tensor.Shape
		iters int
	}{
		{&nn.Dense{Units: 3}, tensor.Shape{5}, 1},
		{&nn.Dense{Units: 4}, tensor.Shape{6}, 5},
		{&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same}, tensor.Shape{5, 5, 2}, 2},
	} {
		l := &nn.SpectralNormalization{Layer: c.inner, PowerIterations: c.iters}
		if err := l.Build(c.in, rand.New(rand.NewPCG(uint64(i), 9))); err != nil {
			t.Fatal(err)
		}
		k, u := l.Params()[0], l.Params()[len(l.Params())-1]
		if k.Name != "kernel" || u.Name != "vector_u" || u.Trainable() {
			t.Fatalf("params %s ... %s (trainable %v), want kernel ... non-trainable vector_u", k.Name, u.Name, u.Trainable())
		}
		x := tensor.New(append(tensor.Shape{2}, c.in...)...)
		for j := range x.Data {
			x.Data[j] = float32(j%7) - 3
		}
		before := k.Value.Clone()
		l.Forward(x, false)
		if !reflect.DeepEqual(before.Data, k.Value.Data) {
			t.Fatal("inference changed the kernel")
		}
		cases = append(cases, map[string]any{"kernel": k.Value.Data, "shape": k.Value.Shape, "u": u.Value.Clone().Data, "iters": c.iters})
		layers, inputs = append(layers, l), append(inputs, x)
	}
	var want []result
	numpyReference(t, spectralNumPy, map[string]any{"cases": cases}, &want)
	for i, l := range layers {
		l.Forward(inputs[i], true)
		ps := l.Params()
		closeToAll(t, "kernel", ps[0].Value.Data, want[i].Kernel, 1e-5)
		closeToAll(t, "vector_u", ps[len(ps)-1].Value.Data, want[i].U, 1e-5)
		if want[i].Sigma < 0.1 {
			t.Errorf("case %d: sigma %v; the test's kernel is too small to show anything", i, want[i].Sigma)
		}
	}
}

// TestSpectralNormalizationGradient: the gradients are the wrapped layer's
// at the normalised kernel (the TensorFlow backend's), checked against a
// plain Dense holding that kernel; and the wrapper's gradients pass a
// finite-difference check.
func TestSpectralNormalizationGradient(t *testing.T) {
	l := &nn.SpectralNormalization{Layer: &nn.Dense{Units: 3, Activation: activation.Tanh}}
	if err := l.Build(tensor.Shape{4}, rand.New(rand.NewPCG(2, 2))); err != nil {
		t.Fatal(err)
	}
	x, dy := tensor.New(5, 4), tensor.New(5, 3)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	for i := range dy.Data {
		dy.Data[i] = float32(r.NormFloat64())
	}
	y := l.Forward(x, true).Clone()
	dx := l.Backward(dy).Clone()
	plain := &nn.Dense{Units: 3, Activation: activation.Tanh}
	if err := plain.Build(tensor.Shape{4}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	for i, p := range plain.Params() {
		copy(p.Value.Data, l.Params()[i].Value.Data)
	}
	if !reflect.DeepEqual(plain.Forward(x, true).Data, y.Data) || !reflect.DeepEqual(plain.Backward(dy).Data, dx.Data) {
		t.Error("output or input gradient differs from the wrapped Dense's at the normalised kernel")
	}
	for i, p := range plain.Params() {
		if !reflect.DeepEqual(p.Grad.Data, l.Params()[i].Grad.Data) {
			t.Errorf("%s gradient differs from the wrapped Dense's", p.Name)
		}
	}
	nntest.CheckGradients(t, &nn.SpectralNormalization{Layer: &nn.Dense{Units: 3, Activation: activation.Tanh}}, tensor.Shape{4}, nntest.GradOptions{Batch: 3})
	nntest.CheckGradients(t, &nn.SpectralNormalization{Layer: &nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}}}, tensor.Shape{5, 5, 2}, nntest.GradOptions{Batch: 2})
}

// TestSpectralNormalizationConverges: repeated training steps drive the
// kernel's largest singular value to 1, what the wrapper is for.
func TestSpectralNormalizationConverges(t *testing.T) {
	l := &nn.SpectralNormalization{Layer: &nn.Dense{Units: 4, KernelInitializer: nn.RandomNormal(0, 3)}}
	if err := l.Build(tensor.Shape{6}, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 6)
	for range 30 {
		l.Forward(x, true)
	}
	var want []struct {
		Kernel, U []float64
		Sigma     float64
	}
	k := l.Params()[0].Value
	numpyReference(t, spectralNumPy, map[string]any{"cases": []map[string]any{{"kernel": k.Data, "shape": k.Shape, "u": l.Params()[2].Value.Data, "iters": 50}}}, &want)
	if s := want[0].Sigma; s < 0.999 || s > 1.001 {
		t.Errorf("largest singular value %v after 30 steps, want 1", s)
	}
}

// TestSpectralNormalizationZeroKernel: an all-zero kernel is left as it is
// (Keras's ops.cond), with no division by zero.
func TestSpectralNormalizationZeroKernel(t *testing.T) {
	l := &nn.SpectralNormalization{Layer: &nn.Dense{Units: 2, KernelInitializer: nn.Zeros}}
	if err := l.Build(tensor.Shape{3}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	u := l.Params()[2].Value.Clone()
	l.Forward(tensor.New(2, 3), true)
	for _, v := range l.Params()[0].Value.Data {
		if v != 0 {
			t.Fatalf("zero kernel became %v", l.Params()[0].Value.Data)
		}
	}
	if !reflect.DeepEqual(u.Data, l.Params()[2].Value.Data) {
		t.Error("vector_u changed for a zero kernel")
	}
}

// TestSpectralNormalizationConfig: the config reads back, Keras's config
// reads, and what cannot be wrapped is refused with a message.
func TestSpectralNormalizationConfig(t *testing.T) {
	l := &nn.SpectralNormalization{Name: "sn", PowerIterations: 3, Layer: &nn.Conv2D{Name: "conv", Filters: 2, KernelSize: [2]int{3, 3}}}
	back, err := nn.FromConfig(l.Class(), viaJSON(t, nn.LayerConfig(l)))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(t, nn.LayerConfig(l)), jsonOf(t, nn.LayerConfig(back)); a != b {
		t.Errorf("config %s reads back as %s", a, b)
	}
	// As Keras 3 writes it (Wrapper.get_config: base keys and "layer").
	keras := map[string]any{"name": "spectral_normalization", "trainable": true, "dtype": "float32", "power_iterations": 1.0,
		"layer": map[string]any{"module": "keras.layers", "class_name": "Dense", "registered_name": nil,
			"config": map[string]any{"name": "dense", "trainable": true, "dtype": "float32", "units": 10.0, "activation": "linear", "use_bias": true}}}
	if got, err := nn.FromConfig("SpectralNormalization", keras); err != nil {
		t.Fatal(err)
	} else if d, ok := got.(*nn.SpectralNormalization).Layer.(*nn.Dense); !ok || d.Units != 10 {
		t.Errorf("read %+v", got)
	}
	for _, c := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"power_iterations": 0.0, "layer": keras["layer"]}, "power_iterations is 0"},
		{map[string]any{}, `"layer" must be the wrapped layer`},
		{map[string]any{"layer": map[string]any{"class_name": "NoSuchLayer", "config": map[string]any{}}}, "the wrapped layer: "},
	} {
		if _, err := nn.FromConfig("SpectralNormalization", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
	for _, c := range []struct {
		l    *nn.SpectralNormalization
		want string
	}{
		{&nn.SpectralNormalization{}, "no layer to wrap"},
		{&nn.SpectralNormalization{Layer: &nn.Flatten{}}, "no kernel nor embeddings"},
		{&nn.SpectralNormalization{Layer: &nn.SpectralNormalization{Layer: &nn.Dense{Units: 2}}}, "wrap a single layer"},
		{&nn.SpectralNormalization{Layer: &nn.Dense{Units: 2, ActivityRegularizer: regularizer.L2{L2: 0.1}}}, "ActivityRegularization layer after"},
	} {
		if err := c.l.Build(tensor.Shape{4, 4, 1}, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%T: Build err = %v, want %q", c.l.Layer, err, c.want)
		}
	}
}

// TestSpectralNormalizationNoAllocs: a training step allocates nothing
// once the buffers exist.
func TestSpectralNormalizationNoAllocs(t *testing.T) {
	l := &nn.SpectralNormalization{Layer: &nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}}}
	if err := l.Build(tensor.Shape{6, 6, 2}, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 6, 6, 2)
	dy := l.Forward(x, true).Clone()
	l.Backward(dy)
	if n := testing.AllocsPerRun(10, func() {
		l.Forward(x, true)
		l.Backward(dy)
	}); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}
